// operand: an input operand as cat, tee and nc read one. "-" means standard input; any other
// name is a file opened read-only; a directory is refused before any reading.
#pragma once

#include <string_view>

#include "conduit/fd.hpp"

namespace conduit {

struct InputOperand {
  Fd owned;               // the file opened; invalid for standard input, which is borrowed
  int fd = -1;            // what to read: owned.get() or STDIN_FILENO
  FdInfo info;            // classify()'s answer
  bool is_stdin = false;  // the operand was "-"
};

// Opens operand `name` into `in`: "-" is standard input, anything else is opened
// O_RDONLY | O_CLOEXEC | `extra_flags`, then classified. A directory is refused with EISDIR, as
// GNU cat refuses it (read(2) would fail later, or on some filesystems not at all). Returns 0 or
// -errno; `in` is complete only on 0.
int open_input(std::string_view name, InputOperand& in, int extra_flags = 0);

}  // namespace conduit
