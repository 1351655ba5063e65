// raw_mode: --raw, plain AES-CTR/CBC compatible with `openssl enc -K -iv`. No header, no
// integrity: anyone can flip bits of the output undetected (the help and man page say so).
#include <unistd.h>

#include "conduit/crypto/backend.hpp"
#include "conduit/crypto/keys.hpp"
#include "conduit/crypto/raw.hpp"
#include "conduit/diag.hpp"
#include "output.hpp"
#include "run.hpp"

namespace hw_encrypt {

int run_raw(const Options& o) {
  using namespace conduit::crypto;
  RawOptions ro;
  ro.algorithm = *parse_algorithm(o.cipher.empty() ? "aes-256-ctr" : o.cipher);
  ro.encrypt = !o.decrypt;
  ro.padding = !o.nopad;

  std::vector<std::uint8_t> iv;
  if (!parse_hex(o.iv, iv) || iv.size() != kAesBlockSize) {
    error("invalid --iv '" + o.iv + "': it must be 32 hex digits");
    return kExitError;
  }
  Secret key;
  std::string why;
  if (!load_hex_key_file(o.key_hex_file, key_size(ro.algorithm), key, &why)) {
    error(why + " for " + std::string(algorithm_name(ro.algorithm)));
    return kExitError;
  }
  std::string reason;
  auto backend = select_backend(*parse_backend_choice(o.backend), ro.algorithm, &reason);
  if (!backend) {
    error(reason);
    return kExitError;
  }
  ro.backend = backend.get();
  if (ro.encrypt && o.out == "-" && ::isatty(STDOUT_FILENO) == 1) {
    error("refusing to write ciphertext to a terminal");
    return kExitError;
  }
  conduit::Fd in_owner;
  int in_fd = -1;
  if (!open_input(o.in, in_owner, in_fd)) return kExitError;
  Output out;
  if (int rc = out.open(o.out); rc < 0) {
    error(conduit::quote_name(o.out) + ": " + conduit::errno_text(-rc));
    return kExitError;
  }
  grow_pipes(o, in_fd, out.fd());
  Report report(o, in_fd);
  ro.progress = report.progress();
  StreamResult r = raw_stream(in_fd, out.fd(), ro, key.span(), iv);
  key.wipe();
  report.finish(r);
  if (!r.ok()) {
    out.discard();
    if (r.status == StreamStatus::WriteError) {
      write_failed(r.err, r.message, out.is_stdout(), out.name());
    } else {
      error(input_name(o.in) + ": " + r.message);
    }
    return r.rejected() ? kExitRejected : kExitError;
  }
  if (int rc = out.commit(); rc < 0) {
    error(out.name() + ": " + conduit::errno_text(-rc));
    return kExitError;
  }
  return kExitOk;
}

}  // namespace hw_encrypt
