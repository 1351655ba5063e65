// output: hw-encrypt's words for its OUT (see output.hpp); the replacement itself is the
// library's conduit::AtomicOutput.
#include "output.hpp"

#include "conduit/diag.hpp"
#include "messages.hpp"
#include "run.hpp"

namespace hw_encrypt {

namespace {

// The name for messages: the OUT operand, or "standard output".
std::string name_of(const conduit::AtomicOutput& out) {
  return out.path().empty() ? "standard output" : conduit::quote_name(out.path());
}

std::string spool_name(const conduit::AtomicOutput& out) {
  return "--whole spool in " + conduit::quote_name(out.spool_dir());
}

}  // namespace

bool open_output(const Options& o, conduit::AtomicOutput& out) {
  conduit::AtomicOutputSettings settings;
  settings.whole = o.whole;
  settings.tag = "hw-encrypt";  // ".OUT.hw-encrypt-XXXXXX": whose leftover it is, however invoked
  if (int rc = out.open(o.out, settings); rc < 0) {
    std::string name = out.spool_dir().empty() ? conduit::quote_name(o.out) : spool_name(out);
    error(name + ": " + conduit::errno_text(-rc));
    return false;
  }
  return true;
}

int report_failure(const conduit::crypto::StreamResult& r, const std::string& in_name,
                   bool out_is_stdout, const std::string& out_name) {
  using conduit::crypto::StreamStatus;
  switch (r.status) {
    case StreamStatus::Ok: return kExitOk;
    case StreamStatus::WriteError:
      write_failed(r.err, r.message, out_is_stdout, out_name);
      return kExitError;
    case StreamStatus::ReadError:
    case StreamStatus::CipherError: error(in_name + ": " + r.message); return kExitError;
    default: error(in_name + ": " + in_our_words(r)); return r.rejected() ? kExitRejected : kExitError;
  }
}

int finish_output(conduit::AtomicOutput& out, const conduit::crypto::StreamResult& r,
                  const std::string& in_name) {
  if (!r.ok()) {
    bool out_is_stdout = out.is_stdout();
    // A failed write went to the spool when there is one.
    std::string out_name = out.spooling() ? spool_name(out) : name_of(out);
    out.discard();
    return report_failure(r, in_name, out_is_stdout, out_name);
  }
  if (int rc = out.commit(); rc < 0) {
    write_failed(-rc, conduit::errno_text(-rc), out.is_stdout(), name_of(out));
    return kExitError;
  }
  return kExitOk;
}

}  // namespace hw_encrypt
