// fd: owning descriptor and descriptor classification.
#include "conduit/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

namespace conduit {

void Fd::reset(int fd) noexcept {
  if (fd_ >= 0 && fd_ != fd) {
    int saved = errno;
    ::close(fd_);
    errno = saved;
  }
  fd_ = fd;
}

int Fd::close() noexcept {
  if (fd_ < 0) return 0;
  int rc = ::close(std::exchange(fd_, -1));
  // After EINTR Linux has closed the descriptor already: retrying would close someone else's.
  return rc == 0 || errno == EINTR ? 0 : -errno;
}

std::string_view to_string(FdKind kind) noexcept {
  switch (kind) {
    case FdKind::Pipe: return "pipe";
    case FdKind::Regular: return "file";
    case FdKind::Socket: return "socket";
    case FdKind::Tty: return "tty";
    case FdKind::DevNull: return "null";
    case FdKind::CharDevice: return "chardev";
    case FdKind::BlockDevice: return "blockdev";
    case FdKind::Directory: return "directory";
    case FdKind::Other: return "other";
  }
  return "other";
}

namespace {
// /dev/null is 1:3 and /dev/zero 1:5 on Linux; both have splice support.
bool is_null_like(dev_t rdev) noexcept {
  return major(rdev) == 1 && (minor(rdev) == 3 || minor(rdev) == 5);
}
}  // namespace

int classify(int fd, FdInfo& info) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return -errno;
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return -errno;

  info = FdInfo{};
  info.dev = st.st_dev;
  info.ino = st.st_ino;
  info.size = st.st_size;
  info.block_size = st.st_blksize;
  info.append = (flags & O_APPEND) != 0;
  info.nonblock = (flags & O_NONBLOCK) != 0;
  int mode = flags & O_ACCMODE;
  info.readable = mode == O_RDONLY || mode == O_RDWR;
  info.writable = mode == O_WRONLY || mode == O_RDWR;

  if (S_ISFIFO(st.st_mode)) info.kind = FdKind::Pipe;
  else if (S_ISREG(st.st_mode)) info.kind = FdKind::Regular;
  else if (S_ISSOCK(st.st_mode)) info.kind = FdKind::Socket;
  else if (S_ISDIR(st.st_mode)) info.kind = FdKind::Directory;
  else if (S_ISBLK(st.st_mode)) info.kind = FdKind::BlockDevice;
  else if (S_ISCHR(st.st_mode)) {
    if (::isatty(fd)) info.kind = FdKind::Tty;
    else if (is_null_like(st.st_rdev)) info.kind = FdKind::DevNull;
    else info.kind = FdKind::CharDevice;
  }
  return 0;
}

int set_nonblocking(int fd, bool on) noexcept {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return -errno;
  int wanted = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (wanted != flags && ::fcntl(fd, F_SETFL, wanted) < 0) return -errno;
  return 0;
}

}  // namespace conduit
