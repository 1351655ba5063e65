// net/socket: connect and listen for the ADDRESS forms of net/address, with the messages users
// need ("Connection refused", "Address already in use", "connection timed out after 5 s").
//
// Both return an owning Fd (close-on-exec) or an error value; neither prints nor exits.
#pragma once

#include <string>
#include <string_view>

#include "conduit/fd.hpp"
#include "conduit/net/address.hpp"

namespace conduit::net {

struct SocketResult {
  Fd fd;
  int error = 0;            // positive errno; 0 when the name lookup failed
  bool unresolved = false;  // the name lookup failed (getaddrinfo has no errno)
  std::string reason;       // "Connection refused", "Name or service not known" ...
  bool ok() const noexcept { return fd.valid(); }
  // The message for a failure, `address` as the user wrote it: "cannot resolve 'ADDRESS':
  // REASON" when the lookup failed, else "ADDRESS: REASON".
  std::string message(std::string_view address) const;
};

// Connects to the first endpoint of `address` that answers, trying each in turn. `timeout_ms` < 0
// leaves the kernel's own (long) connect timeout. The socket comes back blocking.
SocketResult connect_to(const Address& address, int timeout_ms = -1);

struct ListenOptions {
  int backlog = 128;
  bool nonblocking = false;  // for an epoll server
};

// Binds and listens with SO_REUSEADDR. With no host, one IPv6 socket with IPV6_V6ONLY off takes
// both families on every interface; 0.0.0.0 when IPv6 is unavailable. A Unix path that is a
// socket left behind by a dead listener (a non-blocking connect refused) is replaced; a live
// one, even with a full queue, is "Address already in use" (EADDRINUSE); anything else at the
// path (a file, a directory, a FIFO, a symlink) is left untouched and refused with EEXIST,
// "exists and is not a socket".
SocketResult listen_on(const Address& address, const ListenOptions& options = {});

// The local and remote names of a connected or listening socket, as format_endpoint() prints them.
std::string local_name(int fd);
std::string peer_name(int fd);

// Makes the coming close() of a connected socket send a reset (SO_LINGER 0) instead of a clean
// end of file: how a server says a transfer was cut short, so that the peer cannot take what it
// got for the whole. Bytes still queued for sending are discarded.
void reset_on_close(int fd);

// Wording for an error on a connection (positive errno): "connection reset by peer" for
// ECONNRESET, "connection closed by peer" for EPIPE, "connection timed out" for ETIMEDOUT,
// strerror() for the rest.
std::string connection_error(int err);

// Removes the filesystem name of a Unix listener if it is still a socket (no-op for TCP and
// abstract names).
void unlink_unix(const Address& address);

}  // namespace conduit::net
