// pipe: pipe pairs and F_SETPIPE_SZ, tolerant of the limits unprivileged users meet.
#include "conduit/pipe.hpp"

#include <algorithm>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace conduit {

long pipe_size(int fd) noexcept {
  int rc = ::fcntl(fd, F_GETPIPE_SZ);
  return rc < 0 ? -errno : rc;
}

size_t pipe_max_size() noexcept {
  static const size_t cached = [] {
    size_t value = kDefaultPipeSize;
    if (FILE* f = std::fopen("/proc/sys/fs/pipe-max-size", "re")) {
      unsigned long v = 0;
      if (std::fscanf(f, "%lu", &v) == 1 && v >= 4096) value = v;
      std::fclose(f);
    }
    return value;
  }();
  return cached;
}

long grow_pipe(int fd, size_t want) noexcept {
  long current = pipe_size(fd);
  if (current < 0) return current;
  size_t target = want;
  // Root may exceed pipe-max-size, but a giant pipe pins memory for nothing: cap it anyway.
  if (target > pipe_max_size()) target = pipe_max_size();
  while (target > static_cast<size_t>(current)) {
    int rc = ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(target));
    if (rc >= 0) return rc;
    if (errno != EPERM && errno != ENOMEM) break;  // EBUSY etc.: keep what we have
    target /= 2;
  }
  return current;
}

size_t shared_pipe_target(std::optional<std::uint64_t> input_bytes, size_t requested,
                          bool requested_explicitly) noexcept {
  std::uint64_t target = requested_explicitly ? requested : std::min(requested, kSharedPipeCap);
  // F_SETPIPE_SZ rounds up to a power of two pages, less than twice the request: half the
  // input stays below the whole input.
  if (input_bytes) target = std::min(target, *input_bytes / 2);
  return target <= kDefaultPipeCapacity ? 0 : static_cast<size_t>(target);
}

int Pipe::open(int extra_flags) noexcept {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | extra_flags) != 0) return -errno;
  read_end_.reset(fds[0]);
  write_end_.reset(fds[1]);
  long size = pipe_size(fds[0]);
  capacity_ = size > 0 ? static_cast<size_t>(size) : 0;
  return 0;
}

long Pipe::grow(size_t want) noexcept {
  long size = grow_pipe(write_end_.get(), want);
  if (size > 0) capacity_ = static_cast<size_t>(size);
  return size;
}

}  // namespace conduit
