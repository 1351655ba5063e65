// net/socket: connect with a timeout, listen with safe defaults, socket names for messages.
#include "conduit/net/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
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

SocketResult connect_to(const Address& address, int timeout_ms) {
  std::vector<Endpoint> endpoints;
  std::string why;
  if (resolve(address, false, endpoints, why) != 0) return failure(-1, why);
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
      if (int flags = ::fcntl(fd.get(), F_GETFL); flags >= 0)
        ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
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

// Is somebody accepting on this Unix path? A refused connect means a socket file left behind.
bool unix_path_is_stale(const Endpoint& e) {
  Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return false;
  return ::connect(probe.get(), e.addr(), e.length) < 0 && errno == ECONNREFUSED;
}

}  // namespace

SocketResult listen_on(const Address& address, const ListenOptions& options) {
  std::vector<Endpoint> endpoints;
  std::string why;
  if (resolve(address, true, endpoints, why) != 0) return failure(-1, why);
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
    int rc = ::bind(fd.get(), e.addr(), e.length);
    if (rc < 0 && errno == EADDRINUSE && e.family == AF_UNIX && !address.abstract() &&
        unix_path_is_stale(e)) {
      ::unlink(address.path.c_str());
      rc = ::bind(fd.get(), e.addr(), e.length);
    }
    if (rc < 0 || ::listen(fd.get(), options.backlog) < 0) {
      last = errno;
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

void unlink_unix(const Address& address) {
  if (address.is_unix() && !address.abstract()) ::unlink(address.path.c_str());
}

}  // namespace conduit::net
