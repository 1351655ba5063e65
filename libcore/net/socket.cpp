// net/socket: connect with a timeout, listen with safe defaults, socket names for messages.
#include "conduit/net/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

namespace conduit::net {

namespace {

SocketResult failure(int err, std::string reason) {
  SocketResult r;
  r.error = err;
  r.reason = std::move(reason);
  return r;
}

SocketResult failure(int err) { return failure(err, std::strerror(err)); }

SocketResult unresolved(std::string reason) {
  SocketResult r = failure(0, std::move(reason));
  r.unresolved = true;
  return r;
}

// A non-blocking connect finished (or not) within the time left: 0 or a positive errno.
int finish_connect(int fd, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int left = -1;
    if (timeout_ms >= 0) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()).count();
      left = ms > 0 ? static_cast<int>(ms) : 0;
    }
    pollfd p{fd, POLLOUT, 0};
    int rc = ::poll(&p, 1, left);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return errno;
    if (rc == 0) return ETIMEDOUT;
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return errno;
    return err;
  }
}

}  // namespace

std::string SocketResult::message(std::string_view address) const {
  std::string what = unresolved ? "cannot resolve '" + std::string(address) + "'" : std::string(address);
  return what + ": " + reason;
}

SocketResult connect_to(const Address& address, int timeout_ms) {
  auto resolved = resolve(address, false);
  if (!resolved.ok()) return unresolved(resolved.reason);
  const std::vector<Endpoint>& endpoints = resolved.value;
  int last = ECONNREFUSED;
  for (const Endpoint& e : endpoints) {
    Fd fd(::socket(e.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) {
      last = errno;
      continue;
    }
    int rc = ::connect(fd.get(), e.addr(), e.length);
    int err = rc == 0 ? 0 : errno;
    if (err == EINPROGRESS || err == EAGAIN) err = finish_connect(fd.get(), timeout_ms);
    if (err == 0) {
      // Promised blocking: a socket left non-blocking would make its user spin or fail on EAGAIN.
      int flags = ::fcntl(fd.get(), F_GETFL);
      if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) return failure(errno);
      SocketResult r;
      r.fd = std::move(fd);
      return r;
    }
    last = err;
  }
  if (last == ETIMEDOUT && timeout_ms >= 0) {
    char text[64];
    std::snprintf(text, sizeof text, "connection timed out after %g s", timeout_ms / 1000.0);
    return failure(ETIMEDOUT, text);
  }
  return failure(last);
}

namespace {

enum class UnixPath { Stale, Live, NotSocket, Gone };

// What holds the Unix path bind() found taken. Only a socket can be a stale one, and only a
// refused connect proves nobody listens on it: a regular file, a FIFO or a directory at the
// path refuses a connect too (ECONNREFUSED), and must never be taken for a dead socket and
// removed. The connect is non-blocking: a live listener whose queue is full answers EAGAIN at
// once, where a blocking connect would wait for it for ever. `st` is what lstat said.
UnixPath probe_unix_path(const Endpoint& e, const std::string& path, struct stat& st) {
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? UnixPath::Gone : UnixPath::Live;
  if (!S_ISSOCK(st.st_mode)) return UnixPath::NotSocket;  // symlinks included: never followed
  Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!probe) return UnixPath::Live;  // cannot tell: leave it alone
  if (::connect(probe.get(), e.addr(), e.length) == 0) return UnixPath::Live;
  return errno == ECONNREFUSED ? UnixPath::Stale : UnixPath::Live;  // EAGAIN: alive, queue full
}

// Removes a stale socket file, unless the path has meanwhile become something else.
void remove_stale(const std::string& path, const struct stat& seen) {
  struct stat now {};
  if (::lstat(path.c_str(), &now) == 0 && S_ISSOCK(now.st_mode) && now.st_dev == seen.st_dev &&
      now.st_ino == seen.st_ino)
    ::unlink(path.c_str());
}

}  // namespace

SocketResult listen_on(const Address& address, const ListenOptions& options) {
  auto resolved = resolve(address, true);
  if (!resolved.ok()) return unresolved(resolved.reason);
  const std::vector<Endpoint>& endpoints = resolved.value;
  int last = EADDRNOTAVAIL;
  int type = SOCK_STREAM | SOCK_CLOEXEC | (options.nonblocking ? SOCK_NONBLOCK : 0);
  for (const Endpoint& e : endpoints) {
    Fd fd(::socket(e.family, type, 0));
    if (!fd) {
      last = errno;
      continue;
    }
    int one = 1, zero = 0;
    if (e.family != AF_UNIX) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (e.family == AF_INET6 && address.host.empty())
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    int err = ::bind(fd.get(), e.addr(), e.length) == 0 ? 0 : errno;
    if (err == EADDRINUSE && e.family == AF_UNIX && !address.abstract()) {
      struct stat st {};
      switch (probe_unix_path(e, address.path, st)) {
        case UnixPath::NotSocket:
          return failure(EEXIST, "exists and is not a socket");
        case UnixPath::Live:
          break;
        case UnixPath::Stale:
          remove_stale(address.path, st);
          [[fallthrough]];
        case UnixPath::Gone:
          err = ::bind(fd.get(), e.addr(), e.length) == 0 ? 0 : errno;
          break;
      }
    }
    if (err == 0 && ::listen(fd.get(), options.backlog) < 0) err = errno;
    if (err != 0) {
      last = err;
      // The address is taken: another family will not help, and its error would hide this one.
      if (last == EADDRINUSE) break;
      continue;
    }
    SocketResult r;
    r.fd = std::move(fd);
    return r;
  }
  return failure(last);
}

std::string local_name(int fd) {
  sockaddr_storage s{};
  socklen_t len = sizeof s;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&s), &len) < 0) return "?";
  return format_endpoint(reinterpret_cast<sockaddr*>(&s), len);
}

std::string peer_name(int fd) {
  sockaddr_storage s{};
  socklen_t len = sizeof s;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&s), &len) < 0) return "?";
  return format_endpoint(reinterpret_cast<sockaddr*>(&s), len);
}

void reset_on_close(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

void unlink_unix(const Address& address) {
  if (!address.is_unix() || address.abstract()) return;
  // Only a socket: whatever else took the name since is not ours to remove.
  struct stat st {};
  if (::lstat(address.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(address.path.c_str());
}

std::string connection_error(int err) {
  switch (err) {
    case ECONNRESET: return "connection reset by peer";
    case EPIPE: return "connection closed by peer";
    case ETIMEDOUT: return "connection timed out";
    default: return std::strerror(err);
  }
}

}  // namespace conduit::net
