// keygen: a new random 32-byte key, to a new file (0600, never overwriting) or standard output.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conduit/crypto/keys.hpp"
#include "conduit/diag.hpp"
#include "conduit/fd.hpp"
#include "conduit/sys.hpp"
#include "run.hpp"

namespace hw_encrypt {

int run_keygen(const Options& o) {
  using namespace conduit::crypto;
  const bool to_stdout = o.keygen_out.empty() || o.keygen_out == "-";
  if (to_stdout && !o.keygen_hex && ::isatty(STDOUT_FILENO) == 1) {
    error("refusing to write a binary key to a terminal (use -o FILE or --hex)");
    return kExitError;
  }
  if (to_stdout && !o.quiet) {
    // Where a key written to standard output ends up: a terminal keeps it in its scrollback,
    // a file made by `>` has the umask's mode, usually readable by everyone.
    struct stat st {};
    if (::isatty(STDOUT_FILENO) == 1)
      warn("the key is shown on the terminal, which may keep it (use -o FILE)");
    else if (::fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0)
      warn("standard output is a file that others can read or write: make it private with "
           "chmod 600, or use -o FILE (created with mode 0600)");
  }
  Secret key;
  if (!generate_key(32, key)) {
    error("random number generator failed");
    return kExitError;
  }
  Secret text(65);
  if (o.keygen_hex) {
    static const char digits[] = "0123456789abcdef";
    text.resize(65);
    for (std::size_t i = 0; i < 32; ++i) {
      text.data()[2 * i] = static_cast<std::uint8_t>(digits[key.data()[i] >> 4]);
      text.data()[2 * i + 1] = static_cast<std::uint8_t>(digits[key.data()[i] & 15]);
    }
    text.data()[64] = '\n';
  }
  std::span<const std::uint8_t> bytes = o.keygen_hex ? text.span() : key.span();

  conduit::Fd owner;
  int fd = STDOUT_FILENO;
  std::string name = "standard output";
  if (!to_stdout) {
    name = conduit::quote_name(o.keygen_out);
    int f = ::open(o.keygen_out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (f < 0) {
      int err = errno;
      error(name + ": " + conduit::errno_text(err) + (err == EEXIST ? " (keygen never overwrites)" : ""));
      return kExitError;
    }
    owner.reset(f);
    fd = f;
  }
  ssize_t n = conduit::sys::write_all(fd, std::as_bytes(bytes));
  int rc = n < 0 ? static_cast<int>(n) : (owner ? owner.close() : 0);
  if (rc < 0) {
    write_failed(-rc, conduit::errno_text(-rc), to_stdout, name);
    if (!to_stdout) ::unlink(o.keygen_out.c_str());
    return kExitError;
  }
  return kExitOk;
}

}  // namespace hw_encrypt
