// file_watch: inotify and lease helpers for followed files (see the header).
#include "conduit/file_watch.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <cerrno>
#include <string>

namespace conduit {

Result<Fd> open_inotify() {
  Fd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd) return Status::failure(errno);
  return fd;
}

int watch_open_file(int inotify, int fd, std::uint32_t mask) {
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  int wd = ::inotify_add_watch(inotify, link.c_str(), mask);
  return wd >= 0 ? wd : -errno;
}

void drain_inotify(int inotify, const std::function<void(int wd, std::uint32_t mask)>& on_event) {
  alignas(struct inotify_event) std::array<char, 8192> buf;
  for (;;) {
    ssize_t n = ::read(inotify, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EAGAIN: drained
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const struct inotify_event*>(buf.data() + off);
      on_event(ev->wd, ev->mask);
      off += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
    }
    // Room was left for the largest event: the queue was empty then, and a later event makes
    // the fd readable again. Saves the read that would say EAGAIN, once per wake-up.
    if (static_cast<std::size_t>(n) <= buf.size() - (sizeof(struct inotify_event) + NAME_MAX + 1))
      return;
  }
}

Writers file_writers(int fd) {
  // A descriptor of our own: the lease and its signal settings must not touch the caller's.
  // O_NONBLOCK: if a writer holds a write lease, fail instead of waiting for it.
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  Fd probe(::open(link.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!probe) return Writers::Unknown;
  if (::fcntl(probe.get(), F_SETSIG, SIGURG) != 0) return Writers::Unknown;
  if (::fcntl(probe.get(), F_SETLEASE, F_RDLCK) == 0) {
    ::fcntl(probe.get(), F_SETLEASE, F_UNLCK);
    return Writers::None;
  }
  return errno == EAGAIN ? Writers::Some : Writers::Unknown;
}

}  // namespace conduit
