// net/relay (and net/relay_conn, net/relay_direction under it), driven directly: the relay on
// 127.0.0.1:0 in a thread, an echo server as its target in another, clients here, and the event
// callback's record.
#include "conduit/net/relay.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "conduit/net/socket.hpp"
#include "net_server_util.hpp"
#include "test_util.hpp"

using namespace conduit;
using namespace conduit::net;
using testutil::connect_client;
using testutil::Listener;
using testutil::of_kind;
using Running = testutil::Running<Relay>;

namespace {

using Kind = RelayEvent::Kind;

struct Record {
  Kind kind;
  std::string peer{}, reason{};
  bool connected = false, target_failed = false, drop = false;
  std::uint64_t up = 0, down = 0;
  std::size_t open = 0;
  int signal = 0;
  std::uint64_t bytes = 0;
  RelayEvent::Flow flow = RelayEvent::Flow::Up;
};

Record record(const RelayEvent& e) {
  return Record{e.kind, std::string(e.peer), std::string(e.reason), e.connected, e.target_failed,
                e.drop, e.up, e.down, e.open, e.signal, e.bytes, e.flow};
}

// The target: accepts `count` connections one after the other and echoes each until its end of
// file, then half-closes it.
struct EchoServer {
  Listener listener;
  std::thread thread;
  explicit EchoServer(int count) {
    int lfd = ::dup(listener.fd.get());
    ::fcntl(lfd, F_SETFL, 0);  // blocking accept
    thread = std::thread([lfd, count] {
      Fd l(lfd);
      for (int i = 0; i < count; ++i) {
        Fd c(::accept4(l.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!c) return;
        char buf[65536];
        ssize_t n;
        while ((n = ::read(c.get(), buf, sizeof buf)) > 0)
          if (::send(c.get(), buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
        ::shutdown(c.get(), SHUT_WR);
      }
    });
  }
  ~EchoServer() {
    if (thread.joinable()) thread.join();
  }
};

RelaySettings settings_for(const Address& target, const Address& listen) {
  RelaySettings s;
  s.target.text = target.text();
  auto endpoints = resolve(target, false);
  EXPECT_TRUE(endpoints.ok()) << endpoints.reason;
  s.target.endpoints = std::move(endpoints.value);
  s.address = listen;
  return s;
}

// Records every event; stops the relay after `stop_after` closed connections.
Relay::OnEvent recorder(std::vector<Record>& records, Relay*& relay, int stop_after = 1) {
  return [&records, &relay, stop_after, closed = 0](const RelayEvent& e) mutable {
    records.push_back(record(e));
    if (e.kind == Kind::Closed && ++closed == stop_after) relay->stop();
  };
}

// Sends `data` on `fd` from a thread, half-closes, and returns what came back.
std::string exchange(int fd, const std::string& data) {
  std::thread writer([fd, &data] {
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
  });
  std::string got = testutil::read_all(fd);
  writer.join();
  return got;
}

void bytes_both_ways(bool zero_copy) {
  EchoServer echo(2);
  Listener listener;
  RelaySettings s = settings_for(echo.listener.address, listener.address);
  s.zero_copy = zero_copy;
  std::vector<Record> records;
  Relay* self = nullptr;
  Relay relay(s, recorder(records, self, 2));
  self = &relay;
  Running running(relay, std::move(listener.fd));
  const std::string data = testutil::random_bytes(3 << 20);
  for (int i = 0; i < 2; ++i) {
    Fd client = connect_client(s.address);
    std::string got = exchange(client.get(), data);
    EXPECT_TRUE(got == data) << got.size() << " bytes back, not " << data.size();
  }
  ASSERT_EQ(running.join(), 0);
  EXPECT_EQ(of_kind(records, Kind::Opened).size(), 2u);
  auto closed = of_kind(records, Kind::Closed);
  ASSERT_EQ(closed.size(), 2u);
  for (const Record& c : closed) {
    EXPECT_TRUE(c.connected);
    EXPECT_FALSE(c.target_failed);
    EXPECT_EQ(c.up, data.size());
    EXPECT_EQ(c.down, data.size());
    EXPECT_EQ(c.reason, "done");
    EXPECT_TRUE(c.peer.starts_with("127.0.0.1:")) << c.peer;
  }
  std::uint64_t bytes = 0;
  for (const Record& r : of_kind(records, Kind::Bytes)) bytes += r.bytes;
  EXPECT_EQ(bytes, 4 * data.size());
  // Each Bytes event says its way: as much went up to the echo as came back down.
  std::uint64_t up = 0, down = 0;
  for (const Record& r : of_kind(records, Kind::Bytes)) (r.flow == RelayEvent::Flow::Up ? up : down) += r.bytes;
  EXPECT_EQ(up, 2 * data.size());
  EXPECT_EQ(down, 2 * data.size());
  if (zero_copy) {
    EXPECT_EQ(relay.stats().bytes_of(Path::SpliceBroker), 4 * data.size());
    EXPECT_EQ(relay.stats().bytes_of(Path::ReadWrite), 0u);
  } else {
    EXPECT_EQ(relay.stats().bytes_of(Path::SpliceBroker), 0u);
    EXPECT_EQ(relay.stats().bytes_of(Path::ReadWrite), 4 * data.size());
  }
}

}  // namespace

TEST(NetRelay, BytesBothWaysBySplice) { bytes_both_ways(true); }

TEST(NetRelay, BytesBothWaysByReadWrite) { bytes_both_ways(false); }

TEST(NetRelay, UnreachableTargetResetsTheClientAndIsReported) {
  // A port held by a socket that is bound but not listening: connecting to it is refused.
  Fd bound(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(bound.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  auto parsed = parse_address(local_name(bound.get()));
  ASSERT_TRUE(parsed.ok()) << parsed.reason;
  Address refused = parsed.value;
  Listener listener;
  RelaySettings s = settings_for(refused, listener.address);
  std::vector<Record> records;
  Relay* self = nullptr;
  Relay relay(s, recorder(records, self));
  self = &relay;
  // Connected (through the listen queue) before the relay runs: its reset cannot race the
  // client's own connect.
  Fd client = connect_client(s.address);
  Running running(relay, std::move(listener.fd));
  char c;
  ssize_t n = ::read(client.get(), &c, 1);
  int err = n < 0 ? errno : 0;
  EXPECT_EQ(n, -1);
  EXPECT_EQ(err, ECONNRESET);
  ASSERT_EQ(running.join(), 0);
  auto closed = of_kind(records, Kind::Closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_TRUE(closed[0].target_failed);
  EXPECT_FALSE(closed[0].connected);
  EXPECT_EQ(closed[0].reason, refused.text() + ": Connection refused");
}

TEST(NetRelay, IdleConnectionIsClosedWithTheReason) {
  EchoServer echo(1);
  Listener listener;
  RelaySettings s = settings_for(echo.listener.address, listener.address);
  s.idle_timeout = std::chrono::milliseconds(150);
  std::vector<Record> records;
  Relay* self = nullptr;
  Relay relay(s, recorder(records, self));
  self = &relay;
  Running running(relay, std::move(listener.fd));
  Fd client = connect_client(s.address);
  EXPECT_EQ(testutil::read_all(client.get()), "");  // the relay closes it
  ASSERT_EQ(running.join(), 0);
  client.reset();
  auto closed = of_kind(records, Kind::Closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].reason, "idle for 0.15 s");
}

TEST(NetRelay, StopWithDropResetsTheOpenConnections) {
  EchoServer echo(1);
  Listener listener;
  RelaySettings s = settings_for(echo.listener.address, listener.address);
  s.drop_on_stop = true;
  std::vector<Record> records;
  Relay* self = nullptr;
  Relay relay(s, [&](const RelayEvent& e) {
    records.push_back(record(e));
    if (e.kind == Kind::Bytes) self->stop(15);  // the first bytes delivered: the connection is open
  });
  self = &relay;
  Running running(relay, std::move(listener.fd));
  Fd client = connect_client(s.address);
  ASSERT_EQ(::send(client.get(), "ping", 4, MSG_NOSIGNAL), 4);
  int err = testutil::drain(client.get()).error;
  ASSERT_EQ(running.join(), 0);
  EXPECT_EQ(err, ECONNRESET);  // dropped, not a clean end that would pass for a whole answer
  auto stopping = of_kind(records, Kind::Stopping);
  ASSERT_EQ(stopping.size(), 1u);
  EXPECT_EQ(stopping[0].signal, 15);
  EXPECT_EQ(stopping[0].open, 1u);
  EXPECT_TRUE(stopping[0].drop);
  auto closed = of_kind(records, Kind::Closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].reason, "dropped: relay stopping");
  client.reset();
}
