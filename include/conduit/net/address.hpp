// net/address: what a user types to name a socket, parsed once, before any lookup or I/O.
//
//   host:port      a name or IPv4 address (names go through getaddrinfo)
//   [v6addr]:port  an IPv6 address, bracketed as in URLs
//   :port, port    no host: a listener binds every interface (dual-stack "::", or 0.0.0.0 on a
//                  machine without IPv6); a client connects to this machine (loopback)
//   unix:/path     a Unix stream socket; unix:@name is Linux's abstract namespace
// Parsing is pure (no lookups) so the messages for typos come before any I/O.
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

#include "conduit/result.hpp"

namespace conduit::net {

struct Address {
  enum class Kind : unsigned char { Inet, Unix };
  Kind kind = Kind::Inet;
  std::string host;  // Inet: empty = wildcard (listen) or loopback (connect); no brackets
  std::string port;  // Inet: a number (0-65535) or a service name
  std::string path;  // Unix: a path, or "@name" for the abstract namespace

  bool is_unix() const noexcept { return kind == Kind::Unix; }
  bool abstract() const noexcept { return is_unix() && path.starts_with('@'); }
  // As the user would write it: "127.0.0.1:80", "[::1]:80", ":80", "unix:/run/s".
  std::string text() const;
};

// Parses `text`; a failure is EINVAL with a reason naming the problem ("missing port in
// 'host'", "IPv6 addresses need brackets: '[::1]:PORT'" ...).
Result<Address> parse_address(std::string_view text);

// One resolved socket address.
struct Endpoint {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNSPEC;
  const sockaddr* addr() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
};

// Resolves `address` into the endpoints to try in order. `passive`: for bind() (an empty host is
// the wildcard, "::" first then "0.0.0.0"); otherwise for connect() (an empty host is loopback).
// A failed lookup has getaddrinfo's words as its reason ("Name or service not known" ...) and
// an errno: EAI_SYSTEM's own, EAGAIN (try again later), ENOMEM, EADDRNOTAVAIL (no address
// of a usable family), else ENOENT (the name or service is not known).
Result<std::vector<Endpoint>> resolve(const Address& address, bool passive);

// "127.0.0.1:80", "[::1]:80", "unix:/path", "unix:@name", "unix:(unnamed)".
std::string format_endpoint(const sockaddr* addr, socklen_t length);

}  // namespace conduit::net
