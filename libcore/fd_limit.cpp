// fd_limit: RLIMIT_NOFILE raised to its hard limit (see the header).
#include "conduit/fd_limit.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace conduit {

namespace {

// /proc/sys/fs/nr_open: the most a process may have; 0 when unknown.
rlim_t nr_open() noexcept {
  int fd = ::open("/proc/sys/fs/nr_open", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[32] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  return n > 0 ? static_cast<rlim_t>(std::strtoull(buf, nullptr, 10)) : 0;
}

}  // namespace

long raise_fd_limit() noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) < 0) return -errno;
  rlim_t want = limit.rlim_max;
  if (want == RLIM_INFINITY) {
    rlim_t most = nr_open();
    want = most ? most : limit.rlim_cur;
  }
  if (want > limit.rlim_cur) {
    rlimit raised{want, limit.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) < 0) return -errno;
    limit.rlim_cur = want;
  }
  return static_cast<long>(limit.rlim_cur);
}

}  // namespace conduit
