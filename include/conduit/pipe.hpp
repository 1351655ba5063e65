// pipe: a pipe pair with capacity control.
//
// Pipe capacity is the biggest single performance lever measured here (PERFORMANCE.md): a splice
// loop through a 1 MiB pipe runs 3.5x faster than through the default 64 KiB. Growing is best
// effort: EPERM above pipe-max-size, or when the user's pipe-user-pages-soft is used up, leaves
// the pipe as it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "conduit/fd.hpp"

namespace conduit {

inline constexpr size_t kDefaultPipeSize = 1 << 20;  // the usual pipe-max-size

// The capacity of the pipe behind `fd` in bytes, or -errno.
long pipe_size(int fd) noexcept;

// Grows the pipe behind `fd` toward `want` bytes: tries `want` (capped at pipe-max-size), then
// halves down to the current size. Never shrinks. Returns the resulting capacity, or -errno when
// `fd` is not a pipe.
long grow_pipe(int fd, size_t want) noexcept;

// A pipe we share with the other programs of a pipeline (standard input or output) is not ours
// to size freely: a bigger one changes when the writer sees the reader leave (`cat f | head
// -c1`: GNU cat dies of SIGPIPE, 141, unless the whole of f fits in the pipe), and every page
// counts against the user's pipe allowance (pipe-user-pages-soft, 16384 pages by default; the
// usage so far is not readable cheaply). Measured (docs/benchmarks.md): a 256 KiB stdout pipe
// gets ~90% of what 1 MiB gets over 64 KiB for splice-cat, and xtee shows no difference.
inline constexpr size_t kSharedPipeCap = 256 * 1024;  // 64 pages: 256 such pipes per user
inline constexpr size_t kDefaultPipeCapacity = 64 * 1024;  // what the kernel gives a new pipe

// What to grow a shared pipe (or a pipe of ours on the same run) to, or 0 to leave it: at most
// `requested`, capped at kSharedPipeCap unless the user asked (`requested_explicitly`), and
// when the input's size is known, under half of it (so the input never fits whole: the writer
// still meets a reader that left, as with GNU's 64 KiB pipes). Small inputs: 0.
size_t shared_pipe_target(std::optional<std::uint64_t> input_bytes, size_t requested,
                          bool requested_explicitly) noexcept;

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
