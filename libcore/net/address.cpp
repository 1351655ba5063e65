// net/address: parsing the ADDRESS operand, getaddrinfo, and printing socket addresses.
#include "conduit/net/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace conduit::net {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A port is a number in range, or a service name getaddrinfo may know ("http").
Status valid_port(std::string_view port) {
  if (port.empty()) return Status::failure(EINVAL, "missing port");
  if (all_digits(port)) {
    if (port.size() > 5 || std::stoul(std::string(port)) > 65535)
      return Status::failure(EINVAL, "port out of range (0-65535): '" + std::string(port) + "'");
    return {};
  }
  bool name = std::all_of(port.begin(), port.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
  if (!name) return Status::failure(EINVAL, "invalid port: '" + std::string(port) + "'");
  return {};
}

}  // namespace

std::string Address::text() const {
  if (is_unix()) return "unix:" + path;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;
  return host + ":" + port;
}

Result<Address> parse_address(std::string_view text) {
  Address a;
  if (text.empty()) {
    return Status::failure(EINVAL, "empty address");
  }
  if (text.starts_with("unix:")) {
    a.kind = Address::Kind::Unix;
    a.path = std::string(text.substr(5));
    if (a.path.empty() || a.path == "@") {
      return Status::failure(EINVAL, "missing path in '" + std::string(text) + "'");
    }
    if (a.path.size() >= sizeof(sockaddr_un::sun_path)) {
      return Status::failure(EINVAL, "Unix socket path too long (at most " +
              std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes): '" + a.path + "'");
    }
    return a;
  }
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      return Status::failure(EINVAL, "missing ']' in '" + std::string(text) + "'");
    }
    a.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (a.host.empty() || a.host.find(':') == std::string::npos) {
      return Status::failure(EINVAL, "not an IPv6 address in brackets: '" + std::string(text) + "'");
    }
    if (!rest.starts_with(':')) {
      return Status::failure(EINVAL, "missing port in '" + std::string(text) + "' (write [ADDR]:PORT)");
    }
    a.port = std::string(rest.substr(1));
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      if (all_digits(text)) {
        a.port = std::string(text);  // a bare port, as `:port`
      } else {
        return Status::failure(EINVAL, "missing port in '" + std::string(text) + "' (write HOST:PORT)");
      }
    } else {
      if (text.find(':') != colon) {
        return Status::failure(EINVAL, "IPv6 addresses need brackets: '[" + std::string(text.substr(0, colon)) + "]:" +
                std::string(text.substr(colon + 1)) + "'");
      }
      a.host = std::string(text.substr(0, colon));
      a.port = std::string(text.substr(colon + 1));
    }
  }
  if (Status port = valid_port(a.port); !port.ok())
    return Status::failure(EINVAL, port.reason + " in '" + std::string(text) + "'");
  return a;
}

namespace {

std::vector<Endpoint> resolve_unix(const Address& address) {
  Endpoint e;
  auto* un = reinterpret_cast<sockaddr_un*>(&e.storage);
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, address.path.data(), address.path.size());
  e.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.path.size());
  if (address.abstract()) {
    un->sun_path[0] = '\0';  // the abstract namespace: no trailing NUL, exact length
  } else {
    e.length += 1;
  }
  e.family = AF_UNIX;
  return {e};
}

// getaddrinfo's failures as errno values: only EAI_SYSTEM has one of its own.
int lookup_errno(int eai) {
  switch (eai) {
    case EAI_SYSTEM: return errno;
    case EAI_AGAIN: return EAGAIN;
    case EAI_MEMORY: return ENOMEM;
    default: return ENOENT;  // the name or service is not known
  }
}

}  // namespace

Result<std::vector<Endpoint>> resolve(const Address& address, bool passive) {
  if (address.is_unix()) return resolve_unix(address);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG | (passive ? AI_PASSIVE : 0);
  const char* host = address.host.empty() ? nullptr : address.host.c_str();
  if (host == nullptr && passive) {
    // The wildcard: one dual-stack IPv6 socket serves both families; IPv4 when there is no IPv6.
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    host = nullptr;
  }
  addrinfo* list = nullptr;
  int rc = ::getaddrinfo(host, address.port.c_str(), &hints, &list);
  if (rc == EAI_ADDRFAMILY || (rc == EAI_NONAME && host != nullptr && (hints.ai_flags & AI_ADDRCONFIG))) {
    // AI_ADDRCONFIG hides ::1 and 127.0.0.1 on a machine with only loopback: ask again without it.
    hints.ai_flags &= ~AI_ADDRCONFIG;
    rc = ::getaddrinfo(host, address.port.c_str(), &hints, &list);
  }
  if (rc != 0) {
    int err = lookup_errno(rc);
    return Status::failure(err, rc == EAI_SYSTEM ? std::strerror(err) : ::gai_strerror(rc));
  }
  std::vector<Endpoint> out;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    Endpoint e;
    std::memcpy(&e.storage, ai->ai_addr, ai->ai_addrlen);
    e.length = ai->ai_addrlen;
    e.family = ai->ai_family;
    out.push_back(e);
  }
  ::freeaddrinfo(list);
  if (passive && address.host.empty()) {
    // Try the IPv6 wildcard first: with IPV6_V6ONLY off it takes IPv4 connections too.
    std::stable_sort(out.begin(), out.end(),
                     [](const Endpoint& x, const Endpoint& y) { return x.family == AF_INET6 && y.family != AF_INET6; });
  }
  if (out.empty()) return Status::failure(EADDRNOTAVAIL, "no usable address");
  return out;
}

std::string format_endpoint(const sockaddr* addr, socklen_t length) {
  char host[INET6_ADDRSTRLEN] = "";
  switch (addr->sa_family) {
    case AF_INET: {
      const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
      ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
      return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
    }
    case AF_INET6: {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
      ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
      return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    case AF_UNIX: {
      const auto* un = reinterpret_cast<const sockaddr_un*>(addr);
      auto offset = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path));
      if (length <= offset) return "unix:(unnamed)";
      std::size_t n = length - offset;
      if (un->sun_path[0] == '\0') return "unix:@" + std::string(un->sun_path + 1, n - 1);
      return "unix:" + std::string(un->sun_path, strnlen(un->sun_path, n));
    }
    default:
      return "(family " + std::to_string(addr->sa_family) + ")";
  }
}

}  // namespace conduit::net
