// operand: "-" or a file, opened, classified, directories refused.
#include "conduit/operand.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace conduit {

int open_input(std::string_view name, InputOperand& in, int extra_flags) {
  in = InputOperand{};
  if (name == "-") {
    in.is_stdin = true;
    in.fd = STDIN_FILENO;
  } else {
    std::string path(name);
    in.owned = Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | extra_flags));
    if (!in.owned) return -errno;
    in.fd = in.owned.get();
  }
  if (int rc = classify(in.fd, in.info); rc < 0) return rc;
  if (in.info.kind == FdKind::Directory) return -EISDIR;
  return 0;
}

}  // namespace conduit
