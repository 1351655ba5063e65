// Helpers for the tests that drive a net server engine directly: a file to serve, a listener
// on 127.0.0.1:0, the server running in a thread, a client socket that cannot hang a test.
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "conduit/net/address.hpp"
#include "conduit/net/socket.hpp"

namespace conduit::testutil {

// A temporary file holding `content`, open (fd), removed at the end.
struct ServedFile {
  std::string path;
  Fd fd;
  explicit ServedFile(const std::string& content) {
    char name[] = "/tmp/conduit-file-server-XXXXXX";
    fd.reset(::mkstemp(name));
    path = name;
    EXPECT_TRUE(fd.valid());
    EXPECT_EQ(::write(fd.get(), content.data(), content.size()), static_cast<ssize_t>(content.size()));
  }
  ~ServedFile() { ::unlink(path.c_str()); }
};

// Bytes that show where they came from (no two nearby windows alike).
inline std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

// A listener on 127.0.0.1:0 and the address a client connects to.
struct Listener {
  Fd fd;
  net::Address address;
  Listener() {
    auto any = net::parse_address("127.0.0.1:0");
    EXPECT_TRUE(any.ok()) << any.reason;
    net::SocketResult r = net::listen_on(any.value, {SOMAXCONN, true});
    EXPECT_TRUE(r.ok()) << r.reason;
    fd = std::move(r.fd);
    auto bound = net::parse_address(net::local_name(fd.get()));
    EXPECT_TRUE(bound.ok()) << bound.reason;
    address = bound.value;
  }
};

// Runs `server` (anything with run(Fd)) on `listener` in a thread until it stops.
template <typename Server>
struct Running {
  int rc = 1;  // before `thread`: initialised before the thread can write it
  std::thread thread;
  Running(Server& server, Fd listener)
      : thread([this, &server, l = std::move(listener)]() mutable { rc = server.run(std::move(l)); }) {}
  ~Running() {
    if (thread.joinable()) thread.join();
  }
  int join() {
    thread.join();
    return rc;
  }
};

// A client connected to `address`; `rcvbuf` > 0 sets a small receive buffer, so that a client
// that reads nothing falls behind soon.
inline Fd connect_client(const net::Address& address, int rcvbuf = 0) {
  net::SocketResult r = net::connect_to(address, 10000);
  EXPECT_TRUE(r.ok()) << r.reason;
  if (rcvbuf > 0) ::setsockopt(r.fd.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  timeval tv{30, 0};  // a broken server fails the test instead of hanging it
  ::setsockopt(r.fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return std::move(r.fd);
}

// The records (anything with a `kind`) of one kind, in order.
template <typename Record, typename Kind>
std::vector<Record> of_kind(const std::vector<Record>& records, Kind kind) {
  std::vector<Record> out;
  for (const Record& r : records)
    if (r.kind == kind) out.push_back(r);
  return out;
}

// Reads `fd` to its end: the bytes that came and the errno that ended them (0: a clean end of
// file; ECONNRESET: cut off by a reset).
struct Drained {
  std::uint64_t bytes = 0;
  int error = 0;
};
inline Drained drain(int fd) {
  Drained d;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) d.bytes += static_cast<std::uint64_t>(n);
  if (n < 0) d.error = errno;
  return d;
}

inline void send_all(int fd, const std::string& text) {
  ASSERT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
}

}  // namespace conduit::testutil
