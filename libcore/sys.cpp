// sys: EINTR-retrying syscall wrappers returning -errno.
#include "conduit/sys.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace conduit::sys {

namespace {
template <typename Call>
ssize_t retry(Call call) noexcept {
  for (;;) {
    ssize_t rc = call();
    if (rc >= 0) return rc;
    if (errno != EINTR) return -errno;
  }
}
}  // namespace

ssize_t splice(int fd_in, loff_t* off_in, int fd_out, loff_t* off_out, size_t len,
               unsigned flags) noexcept {
  return retry([&] { return ::splice(fd_in, off_in, fd_out, off_out, len, flags); });
}

ssize_t tee(int fd_in, int fd_out, size_t len, unsigned flags) noexcept {
  return retry([&] { return ::tee(fd_in, fd_out, len, flags); });
}

ssize_t vmsplice(int pipe_fd, const struct iovec* iov, size_t count, unsigned flags) noexcept {
  return retry([&] { return ::vmsplice(pipe_fd, iov, count, flags); });
}

ssize_t sendfile(int fd_out, int fd_in, off_t* offset, size_t count) noexcept {
  return retry([&] { return ::sendfile(fd_out, fd_in, offset, count); });
}

ssize_t copy_file_range(int fd_in, loff_t* off_in, int fd_out, loff_t* off_out, size_t len,
                        unsigned flags) noexcept {
  return retry([&] { return ::copy_file_range(fd_in, off_in, fd_out, off_out, len, flags); });
}

ssize_t read(int fd, std::span<std::byte> buf) noexcept {
  return retry([&] { return ::read(fd, buf.data(), buf.size()); });
}

ssize_t pread(int fd, std::span<std::byte> buf, off_t offset) noexcept {
  return retry([&] { return ::pread(fd, buf.data(), buf.size(), offset); });
}

ssize_t write(int fd, std::span<const std::byte> buf) noexcept {
  return retry([&] { return ::write(fd, buf.data(), buf.size()); });
}

ssize_t read_some(int fd, std::span<std::byte> buf) noexcept {
  for (;;) {
    ssize_t n = read(fd, buf);
    if (n != -EAGAIN) return n;
    if (int w = wait_fd(fd, POLLIN); w < 0) return w;
  }
}

ssize_t read_full(int fd, std::span<std::byte> buf, std::uint64_t* calls) noexcept {
  size_t got = 0;
  while (got < buf.size()) {
    if (calls) ++*calls;
    ssize_t n = read(fd, buf.subspan(got));
    if (n == -EAGAIN) {
      if (int w = wait_fd(fd, POLLIN); w < 0) return w;
      continue;
    }
    if (n < 0) return n;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(got);
}

ssize_t read_strided(int fd, std::byte* base, size_t piece, size_t stride, size_t total,
                     std::uint64_t* calls) noexcept {
  constexpr size_t kMaxPieces = 64;  // iovecs per call: the rest goes in the next one
  size_t got = 0;
  while (got < total) {
    std::array<iovec, kMaxPieces> iov{};
    size_t count = 0;
    for (size_t at = got; at < total && count < kMaxPieces; ++count) {
      size_t j = at / piece, skip = at % piece;
      size_t len = std::min(piece - skip, total - at);
      iov[count] = {base + j * stride + skip, len};
      at += len;
    }
    if (calls) ++*calls;
    ssize_t n = ::readv(fd, iov.data(), static_cast<int>(count));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (int w = wait_fd(fd, POLLIN); w < 0) return w;
      continue;
    }
    if (n < 0) return -errno;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(got);
}

ssize_t write_all(int fd, std::span<const std::byte> buf, size_t* written) noexcept {
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = write(fd, buf.subspan(done));
    if (n == -EAGAIN) {
      int w = wait_fd(fd, POLLOUT);
      if (w < 0) n = w;
      else continue;
    }
    if (n < 0) {
      if (written) *written = done;
      return n;
    }
    done += static_cast<size_t>(n);
  }
  if (written) *written = done;
  return static_cast<ssize_t>(done);
}

int wait_fd(int fd, short events, int timeout_ms) noexcept {
  struct pollfd p {fd, events, 0};
  for (;;) {
    int rc = ::poll(&p, 1, timeout_ms);
    if (rc >= 0) return rc;
    if (errno != EINTR) return -errno;
  }
}

}  // namespace conduit::sys
