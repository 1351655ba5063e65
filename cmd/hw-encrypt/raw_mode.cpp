// raw_mode: --raw, plain AES-CTR/CBC compatible with `openssl enc -K -iv`. No header, no
// integrity: anyone can flip bits of the output undetected (the help and man page say so).
#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cstdio>

#include "conduit/crypto/backend.hpp"
#include "conduit/crypto/keys.hpp"
#include "conduit/crypto/raw.hpp"
#include "conduit/diag.hpp"
#include "conduit/fd.hpp"
#include "conduit/hex.hpp"
#include "conduit/sys.hpp"
#include "output.hpp"
#include "run.hpp"

namespace hw_encrypt {

namespace {
// The drawn IV, as hex, to --iv-out FILE or standard error: the decryptor needs it.
bool report_iv(const Options& o, const std::vector<std::uint8_t>& iv) {
  std::string hex;
  for (std::uint8_t b : iv) {
    hex += conduit::hex_digit(b >> 4);
    hex += conduit::hex_digit(b & 15);
  }
  if (o.iv_out.empty()) {
    std::fprintf(stderr, "%s: IV: %s\n", kProg.data(), hex.c_str());
    return true;
  }
  hex += '\n';
  conduit::Fd fd(::open(o.iv_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0666));
  ssize_t n = fd ? conduit::sys::write_all(fd.get(), std::as_bytes(std::span(hex.data(), hex.size())))
                 : -errno;
  int rc = n < 0 ? static_cast<int>(n) : fd.close();
  if (rc < 0) {
    error(conduit::quote_name(o.iv_out) + ": " + conduit::errno_text(-rc));
    return false;
  }
  return true;
}
}  // namespace

int run_raw(const Options& o) {
  using namespace conduit::crypto;
  RawOptions ro;
  ro.algorithm = *parse_algorithm(o.cipher.empty() ? "aes-256-ctr" : o.cipher);
  ro.encrypt = !o.decrypt;
  ro.padding = !o.nopad;

  std::vector<std::uint8_t> iv;
  if (o.iv == "random") {
    iv.resize(kAesBlockSize);
    if (RAND_bytes(iv.data(), static_cast<int>(iv.size())) != 1) {
      error("random number generator failed");
      return kExitError;
    }
  } else if (!parse_hex(o.iv, iv) || iv.size() != kAesBlockSize) {
    error("invalid --iv '" + o.iv + "': it must be 32 hex digits or 'random'");
    return kExitError;
  }
  Secret key;
  if (conduit::Status loaded = load_hex_key_file(o.key_hex_file, key_size(ro.algorithm), key); !loaded.ok()) {
    error(loaded.message() + " for " + std::string(algorithm_name(ro.algorithm)));
    return kExitError;
  }
  if (std::string exposed = secret_file_warning(o.key_hex_file, "key file");
      !exposed.empty() && !o.quiet)
    warn(exposed);
  auto backend = select_backend(*parse_backend_choice(o.backend), ro.algorithm);
  if (!backend.ok()) {
    error(backend.message());
    return kExitError;
  }
  ro.backend = backend.value.get();
  if (ro.encrypt && o.out == "-" && ::isatty(STDOUT_FILENO) == 1) {
    error("refusing to write ciphertext to a terminal");
    return kExitError;
  }
  if (o.iv == "random" && !report_iv(o, iv)) return kExitError;
  if (ro.encrypt && !o.quiet)
    warn("--raw output is not authenticated: anyone can change it undetected; never use the "
         "same key and IV twice (-q: no warning)");
  conduit::Fd in_owner;
  int in_fd = -1;
  if (!open_input(o.in, in_owner, in_fd)) return kExitError;
  conduit::AtomicOutput out;
  if (!open_output(o, out)) return kExitError;
  grow_pipes(o, in_fd, out.fd());
  Report report(o, in_fd);
  ro.progress = report.progress();
  StreamResult r = raw_stream(in_fd, out.fd(), ro, key.span(), iv);
  key.wipe();
  report.finish(r);
  return finish_output(out, r, input_name(o.in));
}

}  // namespace hw_encrypt
