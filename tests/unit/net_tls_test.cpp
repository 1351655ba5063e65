// net/tls: contexts refuse bad files by name; a session pair over a socketpair agrees, moves the
// same bytes both ways through send_stream/recv_stream (user-space here: a socketpair has no
// kTLS), names the path, ends cleanly with close_notify, and reports a close without it as a
// truncation; a handshake with a silent peer times out. Certificates are made by the openssl
// command at test time.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "conduit/net/tls.hpp"
#include "conduit/pipe.hpp"
#include "test_util.hpp"

namespace {

using namespace conduit;
using namespace conduit::net::tls;

// A self-signed certificate for localhost, once per test binary.
struct Certs {
  std::string dir, cert, key;
  Certs() {
    const char* tmp = std::getenv("TMPDIR");
    dir = std::string(tmp ? tmp : "/tmp") + "/conduit-tls-XXXXXX";
    if (!::mkdtemp(dir.data())) return;
    cert = dir + "/cert.pem";
    key = dir + "/key.pem";
    std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                      "-subj /CN=localhost -addext subjectAltName=DNS:localhost -keyout " +
                      key + " -out " + cert + " 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) cert.clear();
  }
  ~Certs() {
    if (!dir.empty()) std::system(("rm -rf " + dir).c_str());
  }
};

const Certs& certs() {
  static Certs c;
  return c;
}

Context make(Role role, bool verify = true) {
  ContextSettings s;
  s.role = role;
  if (role == Role::Server) {
    s.cert_file = certs().cert;
    s.key_file = certs().key;
  } else {
    s.ca_file = certs().cert;
    s.verify_peer = verify;
  }
  auto c = Context::create(s);
  EXPECT_TRUE(c.ok()) << c.message();
  return std::move(c.value);
}

// The session, or nothing with the reason in `error`.
std::optional<Session> session(Result<Session> made, std::string& error) {
  if (!made.ok()) {
    error = made.reason;
    return std::nullopt;
  }
  return std::move(made.value);
}

struct Pair {
  Fd a, b;
  Pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0) {
      a.reset(fds[0]);
      b.reset(fds[1]);
    }
  }
};

// A server session (on p.a) and a client session (on p.b, asking for `name`) over a
// socketpair, not yet handshaken.
struct SessionPair {
  Context server_ctx = make(Role::Server);
  Context client_ctx = make(Role::Client);
  Pair p;
  std::string error;
  std::optional<Session> server, client;
  explicit SessionPair(std::string_view name = "localhost")
      : server(session(Session::create(server_ctx, p.a.get(), ""), error)),
        client(session(Session::create(client_ctx, p.b.get(), name), error)) {}
};

// A temporary file open for writing, classified: what a received stream goes into.
struct Sink {
  testutil::TempFile file;
  Fd fd = file.open(O_WRONLY);
  FdInfo info;
  Sink() { classify(fd.get(), info); }
};

TEST(NetTls, ContextNamesAMissingFileAndAMissingKey) {
  if (certs().cert.empty()) GTEST_SKIP() << "openssl cannot make a certificate here";
  ContextSettings s;
  s.role = Role::Server;
  s.cert_file = "/nonexistent/cert.pem";
  s.key_file = certs().key;
  auto missing = Context::create(s);
  EXPECT_EQ(missing.error, ENOENT);
  EXPECT_EQ(missing.reason, "/nonexistent/cert.pem: No such file or directory");
  s.cert_file.clear();
  auto no_cert = Context::create(s);
  EXPECT_EQ(no_cert.error, EINVAL);
  EXPECT_EQ(no_cert.reason, "a TLS server needs a certificate and its key");
  s.cert_file = s.key_file;  // a key is no certificate
  auto not_pem = Context::create(s);
  EXPECT_EQ(not_pem.error, EPROTO);
  EXPECT_EQ(not_pem.reason.rfind(s.key_file + ": not a PEM certificate: ", 0), 0u) << not_pem.reason;
}

TEST(NetTls, AsSyscallGivesASessionResultTheShapeOfSend) {
  EXPECT_EQ(as_syscall(5), 5);
  EXPECT_EQ(as_syscall(0), 0);
  errno = 0;
  EXPECT_EQ(as_syscall(-EAGAIN), -1);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_EQ(as_syscall(-EPROTO), -1);
  EXPECT_EQ(errno, EPROTO);
}

TEST(NetTls, StreamsRoundTripAndEndWithCloseNotify) {
  if (certs().cert.empty()) GTEST_SKIP() << "openssl cannot make a certificate here";
  SessionPair sp;
  ASSERT_TRUE(sp.server && sp.client) << sp.error;
  auto& p = sp.p;
  auto& server = sp.server;
  auto& client = sp.client;

  const std::string data = testutil::random_bytes(300000);
  testutil::TempFile in(data);
  Sink out;
  TransferResult received;
  std::thread t([&] {
    ASSERT_EQ(server->handshake(10000), 0) << server->error();
    set_nonblocking(p.a.get(), false);
    Pump pump({});
    Stats stats;
    received = recv_stream(*server, pump, out.fd.get(), out.info, &stats);
    EXPECT_EQ(stats.bytes_of(Path::ReadWrite), data.size());
  });
  ASSERT_EQ(client->handshake(10000), 0) << client->error();
  set_nonblocking(p.b.get(), false);
  EXPECT_EQ(client->version(), "TLSv1.3");
  EXPECT_FALSE(client->ktls_send());  // a Unix socket has no kTLS
  Fd i(::open(in.path().c_str(), O_RDONLY | O_CLOEXEC));
  FdInfo ii;
  classify(i.get(), ii);
  Pump pump({});
  Stats stats;
  TransferResult sent = send_stream(*client, pump, i.get(), ii, &stats);
  EXPECT_TRUE(sent.result.ok());
  EXPECT_EQ(sent.result.bytes, data.size());
  EXPECT_EQ(sent.path, DataPath::User);
  EXPECT_EQ(to_string(sent.path), "tls-user");
  EXPECT_EQ(client->close_notify(), 0);
  t.join();
  EXPECT_TRUE(received.result.ok()) << received.reason;
  EXPECT_EQ(received.result.bytes, data.size());
  EXPECT_EQ(testutil::file_content(out.file.path()), data);
}

TEST(NetTls, CloseWithoutCloseNotifyIsATruncation) {
  if (certs().cert.empty()) GTEST_SKIP() << "openssl cannot make a certificate here";
  SessionPair sp;
  ASSERT_TRUE(sp.server && sp.client) << sp.error;
  auto& p = sp.p;
  auto& server = sp.server;
  auto& client = sp.client;
  // OpenSSL writes with write(2): as in every program using this, a gone peer must be EPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  std::thread t([&] {
    ASSERT_EQ(client->handshake(10000), 0) << client->error();
    set_nonblocking(p.b.get(), false);
    const std::string part = "part of it";
    EXPECT_EQ(client->write(std::as_bytes(std::span(part.data(), part.size()))), 10);
    ::shutdown(p.b.get(), SHUT_RDWR);  // gone, with no close_notify
  });
  ASSERT_EQ(server->handshake(10000), 0) << server->error();
  t.join();
  set_nonblocking(p.a.get(), false);
  Sink out;
  Pump pump({});
  TransferResult r = recv_stream(*server, pump, out.fd.get(), out.info, nullptr);
  EXPECT_EQ(r.result.error, EPROTO);
  EXPECT_EQ(r.result.side, PumpResult::Side::Input);
  EXPECT_EQ(r.result.bytes, 10u);
  EXPECT_EQ(r.reason, "connection closed without close_notify (possible truncation)");
  EXPECT_TRUE(server->truncated());
}

TEST(NetTls, WrongNameAndSilentPeerFailTheHandshake) {
  if (certs().cert.empty()) GTEST_SKIP() << "openssl cannot make a certificate here";
  Context client_ctx = make(Role::Client);
  {
    SessionPair sp("other.example");
    ASSERT_TRUE(sp.server && sp.client) << sp.error;
    std::thread t([&] { sp.server->handshake(10000); });
    EXPECT_EQ(sp.client->handshake(10000), -EPROTO);
    EXPECT_EQ(sp.client->error(), "TLS handshake: certificate verify failed: hostname mismatch");
    t.join();
  }
  {
    Pair p;  // nobody answers on p.b
    auto client = Session::create(client_ctx, p.a.get(), "localhost");
    ASSERT_TRUE(client.ok()) << client.message();
    EXPECT_EQ(client.value.handshake(200), -ETIMEDOUT);
    EXPECT_EQ(client.value.error(), "TLS handshake not finished after 0.2 s");
  }
}

}  // namespace
