// net/address: parsing the ADDRESS operand, getaddrinfo, and printing socket addresses.
#include "conduit/net/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>

namespace conduit::net {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A port is a number in range, or a service name getaddrinfo may know ("http").
bool valid_port(std::string_view port, std::string& error) {
  if (port.empty()) {
    error = "missing port";
    return false;
  }
  if (all_digits(port)) {
    if (port.size() > 5 || std::stoul(std::string(port)) > 65535) {
      error = "port out of range (0-65535): '" + std::string(port) + "'";
      return false;
    }
    return true;
  }
  bool name = std::all_of(port.begin(), port.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
  if (!name) error = "invalid port: '" + std::string(port) + "'";
  return name;
}

}  // namespace

std::string Address::text() const {
  if (is_unix()) return "unix:" + path;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;
  return host + ":" + port;
}

std::optional<Address> parse_address(std::string_view text, std::string& error) {
  Address a;
  if (text.empty()) {
    error = "empty address";
    return std::nullopt;
  }
  if (text.starts_with("unix:")) {
    a.kind = Address::Kind::Unix;
    a.path = std::string(text.substr(5));
    if (a.path.empty() || a.path == "@") {
      error = "missing path in '" + std::string(text) + "'";
      return std::nullopt;
    }
    if (a.path.size() >= sizeof(sockaddr_un::sun_path)) {
      error = "Unix socket path too long (at most " +
              std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes): '" + a.path + "'";
      return std::nullopt;
    }
    return a;
  }
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      error = "missing ']' in '" + std::string(text) + "'";
      return std::nullopt;
    }
    a.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (a.host.empty() || a.host.find(':') == std::string::npos) {
      error = "not an IPv6 address in brackets: '" + std::string(text) + "'";
      return std::nullopt;
    }
    if (!rest.starts_with(':')) {
      error = "missing port in '" + std::string(text) + "' (write [ADDR]:PORT)";
      return std::nullopt;
    }
    a.port = std::string(rest.substr(1));
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      if (all_digits(text)) {
        a.port = std::string(text);  // a bare port, as `:port`
      } else {
        error = "missing port in '" + std::string(text) + "' (write HOST:PORT)";
        return std::nullopt;
      }
    } else {
      if (text.find(':') != colon) {
        error = "IPv6 addresses need brackets: '[" + std::string(text.substr(0, colon)) + "]:" +
                std::string(text.substr(colon + 1)) + "'";
        return std::nullopt;
      }
      a.host = std::string(text.substr(0, colon));
      a.port = std::string(text.substr(colon + 1));
    }
  }
  std::string why;
  if (!valid_port(a.port, why)) {
    error = why + " in '" + std::string(text) + "'";
    return std::nullopt;
  }
  return a;
}

namespace {

int resolve_unix(const Address& address, std::vector<Endpoint>& out) {
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
  out.push_back(e);
  return 0;
}

}  // namespace

int resolve(const Address& address, bool passive, std::vector<Endpoint>& out, std::string& error) {
  out.clear();
  if (address.is_unix()) return resolve_unix(address, out);
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
    error = rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc);
    return -1;
  }
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
  if (out.empty()) {
    error = "no usable address";
    return -1;
  }
  return 0;
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
