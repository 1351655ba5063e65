// pipe: a pipe pair with capacity control.
//
// Pipe capacity is the biggest single performance lever measured here (PERFORMANCE.md): a splice
// loop through a 1 MiB pipe runs 3.5x faster than through the default 64 KiB. Growing is best
// effort: EPERM above pipe-max-size, or when the user's pipe-user-pages-soft is used up, leaves
// the pipe as it is.
#pragma once

#include <cstddef>

#include "conduit/fd.hpp"

namespace conduit {

inline constexpr size_t kDefaultPipeSize = 1 << 20;  // the usual pipe-max-size

// The capacity of the pipe behind `fd` in bytes, or -errno.
long pipe_size(int fd) noexcept;

// Grows the pipe behind `fd` toward `want` bytes: tries `want` (capped at pipe-max-size), then
// halves down to the current size. Never shrinks. Returns the resulting capacity, or -errno when
// `fd` is not a pipe.
long grow_pipe(int fd, size_t want) noexcept;

// /proc/sys/fs/pipe-max-size, read once; 1 MiB when it cannot be read.
size_t pipe_max_size() noexcept;

class Pipe {
 public:
  // pipe2(O_CLOEXEC | extra_flags). Returns 0 or -errno (EMFILE, ENFILE ...).
  int open(int extra_flags = 0) noexcept;
  bool valid() const noexcept { return read_end_.valid(); }

  int read_fd() const noexcept { return read_end_.get(); }
  int write_fd() const noexcept { return write_end_.get(); }
  Fd& read_end() noexcept { return read_end_; }
  Fd& write_end() noexcept { return write_end_; }

  // grow_pipe() on this pipe; caches the capacity.
  long grow(size_t want) noexcept;
  size_t capacity() const noexcept { return capacity_; }

 private:
  Fd read_end_;
  Fd write_end_;
  size_t capacity_ = 0;
};

}  // namespace conduit
