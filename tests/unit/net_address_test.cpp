// net/address and net/socket: every ADDRESS form, the messages for typos, and real
// connect/listen on loopback and Unix sockets (refused, in use, stale socket files).
#include "conduit/net/address.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "conduit/net/socket.hpp"

using namespace conduit;
using namespace conduit::net;

namespace {
Address parsed(std::string_view text) {
  auto a = parse_address(text);
  EXPECT_TRUE(a.ok()) << text << ": " << a.reason;
  return a.value;
}
std::string error_of(std::string_view text) {
  auto a = parse_address(text);
  EXPECT_FALSE(a.ok()) << text;
  EXPECT_EQ(a.error, EINVAL) << text;  // a typo, said before any I/O
  return a.reason;
}
}  // namespace

TEST(NetAddress, HostPortForms) {
  Address a = parsed("127.0.0.1:8080");
  EXPECT_EQ(a.kind, Address::Kind::Inet);
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, "8080");
  EXPECT_EQ(a.text(), "127.0.0.1:8080");

  a = parsed("[::1]:443");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, "443");
  EXPECT_EQ(a.text(), "[::1]:443");

  a = parsed(":9000");
  EXPECT_EQ(a.host, "");
  EXPECT_EQ(a.port, "9000");
  a = parsed("9000");
  EXPECT_EQ(a.host, "");
  EXPECT_EQ(a.port, "9000");
  a = parsed("localhost:http");
  EXPECT_EQ(a.port, "http");
  a = parsed("host:0");
  EXPECT_EQ(a.port, "0");
}

TEST(NetAddress, UnixForms) {
  Address a = parsed("unix:/tmp/x.sock");
  EXPECT_TRUE(a.is_unix());
  EXPECT_FALSE(a.abstract());
  EXPECT_EQ(a.path, "/tmp/x.sock");
  a = parsed("unix:@conduit");
  EXPECT_TRUE(a.abstract());
  EXPECT_EQ(a.text(), "unix:@conduit");
}

TEST(NetAddress, ClearErrors) {
  EXPECT_EQ(error_of(""), "empty address");
  EXPECT_NE(error_of("host").find("missing port"), std::string::npos);
  EXPECT_NE(error_of("host:").find("missing port"), std::string::npos);
  EXPECT_NE(error_of("::1:80").find("need brackets"), std::string::npos);
  EXPECT_NE(error_of("[::1]").find("missing port"), std::string::npos);
  EXPECT_NE(error_of("[::1:80").find("missing ']'"), std::string::npos);
  EXPECT_NE(error_of("[host]:80").find("not an IPv6"), std::string::npos);
  EXPECT_NE(error_of("h:65536").find("out of range"), std::string::npos);
  EXPECT_NE(error_of("h:12x!").find("invalid port"), std::string::npos);
  EXPECT_NE(error_of("unix:").find("missing path"), std::string::npos);
  EXPECT_NE(error_of("unix:/" + std::string(200, 'a')).find("too long"), std::string::npos);
}

TEST(NetAddress, ResolvesNumericAndWildcard) {
  auto r = resolve(parsed("127.0.0.1:80"), false);
  ASSERT_TRUE(r.ok()) << r.reason;
  std::vector<Endpoint> eps = r.value;
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].family, AF_INET);
  EXPECT_EQ(format_endpoint(eps[0].addr(), eps[0].length), "127.0.0.1:80");

  r = resolve(parsed(":80"), true);
  ASSERT_TRUE(r.ok()) << r.reason;
  eps = r.value;
  ASSERT_FALSE(eps.empty());
  // The dual-stack IPv6 wildcard comes first when the machine has IPv6.
  bool has_v6 = false;
  for (auto& e : eps) has_v6 = has_v6 || e.family == AF_INET6;
  if (has_v6) {
    EXPECT_EQ(eps[0].family, AF_INET6);
  }

  r = resolve(parsed("nosuch.invalid:80"), false);
  EXPECT_FALSE(r.ok());
  EXPECT_GT(r.error, 0);  // a positive errno, as every result value's (ENOENT, or EAGAIN offline)
  EXPECT_FALSE(r.reason.empty());
}

TEST(NetSocket, ListenConnectAndNames) {
  SocketResult l = listen_on(parsed("127.0.0.1:0"));
  ASSERT_TRUE(l.ok()) << l.reason;
  std::string name = local_name(l.fd.get());
  ASSERT_TRUE(name.starts_with("127.0.0.1:")) << name;
  SocketResult c = connect_to(parsed(name), 2000);
  ASSERT_TRUE(c.ok()) << c.reason;
  EXPECT_EQ(peer_name(c.fd.get()), name);

  // The same address again: in use, said plainly.
  SocketResult again = listen_on(parsed(name));
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(again.error, EADDRINUSE);
  EXPECT_EQ(again.reason, "Address already in use");
}

// One wording for every command: a failed lookup names the address as written, in quotes; any
// other failure puts it before the reason. The lookup failure is a flag, not an errno.
TEST(NetSocket, FailureMessagesSayWhetherTheNameResolved) {
  SocketResult c = connect_to(parsed("nosuch.invalid:80"), 2000);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.unresolved);
  EXPECT_EQ(c.error, 0);
  EXPECT_EQ(c.message("nosuch.invalid:80"), "cannot resolve 'nosuch.invalid:80': " + c.reason);
  SocketResult l = listen_on(parsed("127.0.0.1:0"));
  ASSERT_TRUE(l.ok());
  SocketResult again = listen_on(parsed(local_name(l.fd.get())));
  EXPECT_FALSE(again.unresolved);
  EXPECT_EQ(again.message("here"), "here: Address already in use");
}

TEST(NetSocket, RefusedIsReported) {
  SocketResult l = listen_on(parsed("127.0.0.1:0"));
  ASSERT_TRUE(l.ok());
  std::string name = local_name(l.fd.get());
  l.fd.reset();  // nobody listens there now
  SocketResult c = connect_to(parsed(name), 2000);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.error, ECONNREFUSED);
  EXPECT_EQ(c.reason, "Connection refused");
}

TEST(NetSocket, UnixListenerReplacesStaleSocketButNotLiveOne) {
  std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
                     "/conduit-net-test-" + std::to_string(::getpid()) + ".sock";
  Address a = parsed("unix:" + path);
  {
    SocketResult l = listen_on(a);
    ASSERT_TRUE(l.ok()) << l.reason;
    SocketResult second = listen_on(a);
    EXPECT_EQ(second.error, EADDRINUSE);  // live: refused
    SocketResult c = connect_to(a);
    ASSERT_TRUE(c.ok()) << c.reason;
  }
  // The listener died and left its file behind: the next one takes the path over.
  SocketResult l = listen_on(a);
  EXPECT_TRUE(l.ok()) << l.reason;
  unlink_unix(a);
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

TEST(NetSocket, AbstractUnixNames) {
  Address a = parsed("unix:@conduit-test-" + std::to_string(::getpid()));
  SocketResult l = listen_on(a);
  ASSERT_TRUE(l.ok()) << l.reason;
  EXPECT_EQ(local_name(l.fd.get()), a.text());
  SocketResult c = connect_to(a);
  EXPECT_TRUE(c.ok()) << c.reason;
}
