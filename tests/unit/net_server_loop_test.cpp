// net/server_loop, driven directly: a small engine whose connections echo nothing and obey
// commands ("stop", "stop2") sent by clients here, with a record of what the loop asked of it.
#include "conduit/net/server_loop.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <string>
#include <vector>

#include "conduit/net/socket.hpp"
#include "net_server_util.hpp"
#include "test_util.hpp"

using namespace conduit;
using namespace conduit::net;
using namespace std::chrono_literals;
using testutil::connect_client;
using testutil::Listener;
using testutil::of_kind;
using Clock = ServerLoop::Clock;
using Kind = ServerLoopEvent::Kind;

namespace {

struct Report {
  Kind kind;
  std::string call;
  int error = 0;
  std::size_t open = 0;
  int signal = 0;
  bool drop = false;
};

// An engine with a table of connections. A connection's handler reads what its client sent and
// runs `on_data`; an end of file closes it. What the loop calls is counted, and whether a drop
// came while a connection's handler was running.
struct TestEngine : ServerLoop::Engine {
  EventLoop events;
  ServerLoop loop;
  std::map<int, Fd> conns;
  std::vector<Report> reports;
  std::vector<Clock::time_point> ticks;
  int stoppings = 0;
  int drops = 0;
  bool in_handler = false;
  bool dropped_in_handler = false;
  bool is_finished = false;
  std::function<void(int fd, const std::string& data)> on_data;
  std::function<void(Clock::time_point now)> on_tick;

  explicit TestEngine(ServerLoopSettings settings) : loop(*this, events, std::move(settings)) {}
  int run(Fd listener, Fd signals = {}) { return loop.run(std::move(listener), std::move(signals)); }

  void accept(Fd fd, std::string, Clock::time_point) override {
    int n = fd.get();
    ASSERT_EQ(events.add(n, EPOLLIN, [this, n](std::uint32_t) { on_readable(n); }), 0);
    conns.emplace(n, std::move(fd));
  }
  std::size_t open_count() const override { return conns.size(); }
  void tick(Clock::time_point now) override {
    ticks.push_back(now);
    if (on_tick) on_tick(now);
  }
  void drop_all() override {
    ++drops;
    dropped_in_handler = dropped_in_handler || in_handler;
    for (auto& [fd, c] : conns) events.remove(fd);
    conns.clear();
  }
  void report(const ServerLoopEvent& e) override {
    reports.push_back(Report{e.kind, std::string(e.call), e.error, e.open, e.signal, e.drop});
  }
  void stopping() override { ++stoppings; }
  bool finished() const override { return is_finished; }

  void on_readable(int fd) {
    in_handler = true;
    char buf[256];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0 && on_data) on_data(fd, std::string(buf, static_cast<std::size_t>(n)));
    // The connection is still there after everything its handler did (a stop included).
    EXPECT_TRUE(conns.count(fd)) << "the connection was destroyed under its own handler";
    in_handler = false;
    if (n == 0) {
      events.remove(fd);
      conns.erase(fd);
    }
  }
};

// Sends `text` and waits for the engine's one-byte answer.
char ask(int fd, const std::string& text) {
  testutil::send_all(fd, text);
  char c = 0;
  EXPECT_EQ(::recv(fd, &c, 1, 0), 1);
  return c;
}

bool connect_refused(const Address& address) { return connect_to(address, 10000).error == ECONNREFUSED; }

// The epoll fds open in this process.
std::set<int> epoll_fds() {
  std::set<int> out;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    char target[64] = {};
    std::string path = std::string("/proc/self/fd/") + e->d_name;
    if (::readlink(path.c_str(), target, sizeof target - 1) > 0 && std::string(target) == "anon_inode:[eventpoll]")
      out.insert(std::atoi(e->d_name));
  }
  ::closedir(d);
  return out;
}

}  // namespace

TEST(NetServerLoop, FirstStopStopsAcceptingAndFinishesTheOpenConnections) {
  Listener listener;
  ServerLoopSettings s;
  s.tick = 1h;  // no tick but the one a first stop asks for
  TestEngine engine(s);
  engine.on_data = [&](int fd, const std::string& data) {
    if (data == "stop") engine.loop.stop(15);
    ASSERT_EQ(::send(fd, "k", 1, MSG_NOSIGNAL), 1);
  };
  Fd client = connect_client(listener.address);
  ASSERT_TRUE(client.valid());
  testutil::Running<TestEngine> running(engine, std::move(listener.fd));
  EXPECT_EQ(ask(client.get(), "stop"), 'k');
  EXPECT_TRUE(connect_refused(listener.address));  // the listener closed with the stop
  EXPECT_EQ(ask(client.get(), "more"), 'k');       // the open connection goes on
  client.reset();                                  // its end is the loop's end
  ASSERT_EQ(running.join(), 0);
  auto stopping = of_kind(engine.reports, Kind::Stopping);
  ASSERT_EQ(stopping.size(), 1u);
  EXPECT_EQ(stopping[0].signal, 15);
  EXPECT_EQ(stopping[0].open, 1u);
  EXPECT_FALSE(stopping[0].drop);
  EXPECT_TRUE(of_kind(engine.reports, Kind::Dropping).empty());
  EXPECT_EQ(engine.stoppings, 1);
  EXPECT_EQ(engine.drops, 0);
  EXPECT_EQ(engine.ticks.size(), 1u);  // at once after the stop: idle connections can close then
}

TEST(NetServerLoop, SecondStopDropsEveryConnection) {
  Listener listener;
  TestEngine engine(ServerLoopSettings{});
  engine.on_data = [&](int fd, const std::string& data) {
    if (data == "stop") engine.loop.stop(15);
    if (data == "stop2") engine.loop.stop(2);
    ASSERT_EQ(::send(fd, "k", 1, MSG_NOSIGNAL), 1);
  };
  Fd first = connect_client(listener.address);
  Fd second = connect_client(listener.address);
  testutil::Running<TestEngine> running(engine, std::move(listener.fd));
  EXPECT_EQ(ask(first.get(), "stop"), 'k');
  EXPECT_EQ(ask(second.get(), "stop2"), 'k');
  ASSERT_EQ(running.join(), 0);  // with both clients still connected: dropped
  EXPECT_EQ(testutil::read_all(first.get()), "");
  auto stopping = of_kind(engine.reports, Kind::Stopping);
  auto dropping = of_kind(engine.reports, Kind::Dropping);
  ASSERT_EQ(stopping.size(), 1u);
  EXPECT_EQ(stopping[0].signal, 15);
  EXPECT_EQ(stopping[0].open, 2u);
  ASSERT_EQ(dropping.size(), 1u);
  EXPECT_EQ(dropping[0].signal, 2);
  EXPECT_EQ(dropping[0].open, 2u);
  EXPECT_TRUE(dropping[0].drop);
  EXPECT_EQ(engine.stoppings, 1);
  EXPECT_EQ(engine.drops, 1);
  EXPECT_FALSE(engine.dropped_in_handler);
}

TEST(NetServerLoop, AStopFromInsideAConnectionsHandlerDropsItAfterTheHandlerReturns) {
  // Both ways a stop drops: drop_on_stop's first stop, and a second stop. The handler goes on
  // using its connection after stop() returned (on_readable checks it is still in the table).
  for (bool drop_on_stop : {true, false}) {
    SCOPED_TRACE(drop_on_stop ? "drop_on_stop" : "second stop");
    Listener listener;
    ServerLoopSettings s;
    s.drop_on_stop = drop_on_stop;
    TestEngine engine(s);
    bool used_after_stop = false;
    engine.on_data = [&](int fd, const std::string&) {
      engine.loop.stop(15);
      if (!drop_on_stop) engine.loop.stop(2);
      EXPECT_EQ(engine.drops, 0);
      used_after_stop = ::send(fd, "k", 1, MSG_NOSIGNAL) == 1;
    };
    Fd client = connect_client(listener.address);
    testutil::Running<TestEngine> running(engine, std::move(listener.fd));
    EXPECT_EQ(ask(client.get(), "stop"), 'k');
    ASSERT_EQ(running.join(), 0);
    EXPECT_TRUE(used_after_stop);
    EXPECT_EQ(engine.drops, 1);
    EXPECT_FALSE(engine.dropped_in_handler);
    EXPECT_TRUE(engine.conns.empty());
    auto stopping = of_kind(engine.reports, Kind::Stopping);
    ASSERT_EQ(stopping.size(), 1u);
    EXPECT_EQ(stopping[0].drop, drop_on_stop);
  }
}

TEST(NetServerLoop, RequestStopFromAnotherThreadStopsAnIdleLoopPromptly) {
  Listener listener;
  ServerLoopSettings s;
  s.tick = 1h;  // idle in epoll_wait: nothing but the request can wake it
  TestEngine engine(s);
  testutil::Running<TestEngine> running(engine, std::move(listener.fd));
  std::this_thread::sleep_for(100ms);  // let it reach epoll_wait (the test holds either way)
  auto asked = Clock::now();
  engine.loop.request_stop();
  ASSERT_EQ(running.join(), 0);
  EXPECT_LT(Clock::now() - asked, 10s);  // not the hour-long tick
  auto stopping = of_kind(engine.reports, Kind::Stopping);
  ASSERT_EQ(stopping.size(), 1u);
  EXPECT_EQ(stopping[0].signal, 0);
  EXPECT_FALSE(stopping[0].drop);
  EXPECT_EQ(engine.stoppings, 1);
  EXPECT_TRUE(connect_refused(listener.address));
}

TEST(NetServerLoop, TwoRequestedStopsDropTheConnections) {
  Listener listener;
  TestEngine engine(ServerLoopSettings{});
  engine.on_data = [&](int fd, const std::string&) { ASSERT_EQ(::send(fd, "k", 1, MSG_NOSIGNAL), 1); };
  Fd client = connect_client(listener.address);
  testutil::Running<TestEngine> running(engine, std::move(listener.fd));
  EXPECT_EQ(ask(client.get(), "hi"), 'k');  // accepted and held
  engine.loop.request_stop();
  engine.loop.request_stop();
  ASSERT_EQ(running.join(), 0);  // with the client still connected: dropped
  EXPECT_EQ(of_kind(engine.reports, Kind::Stopping).size(), 1u);
  auto dropping = of_kind(engine.reports, Kind::Dropping);
  ASSERT_EQ(dropping.size(), 1u);
  EXPECT_TRUE(dropping[0].drop);
  EXPECT_EQ(dropping[0].open, 1u);
  EXPECT_EQ(engine.drops, 1);
  EXPECT_FALSE(engine.dropped_in_handler);
}

TEST(NetServerLoop, ARequestBeforeRunStopsItAsItStarts) {
  Listener listener;
  ServerLoopSettings s;
  s.tick = 1h;
  TestEngine engine(s);
  engine.loop.request_stop();
  EXPECT_EQ(engine.run(std::move(listener.fd)), 0);
  EXPECT_EQ(of_kind(engine.reports, Kind::Stopping).size(), 1u);
}

TEST(NetServerLoop, TicksOnceEveryPeriodWithoutAnyEvent) {
  Listener listener;
  ServerLoopSettings s;
  s.tick = 50ms;
  TestEngine engine(s);
  constexpr std::size_t kTicks = 5;
  engine.on_tick = [&](Clock::time_point) {
    if (engine.ticks.size() == kTicks) engine.loop.stop();
  };
  Clock::time_point start = Clock::now();
  ASSERT_EQ(engine.run(std::move(listener.fd)), 0);  // nothing connected: the stop ends it
  ASSERT_GE(engine.ticks.size(), kTicks);
  EXPECT_GE(engine.ticks[0] - start, s.tick);
  for (std::size_t i = 1; i < kTicks; ++i) EXPECT_GE(engine.ticks[i] - engine.ticks[i - 1], s.tick) << i;
  // The loop wakes itself for the tick: five periods, not a wait for an event that never comes
  // (bounded loosely: the machine may be busy).
  EXPECT_LT(engine.ticks[kTicks - 1] - start, 20s);
}

TEST(NetServerLoop, AFailingEpollWaitEndsRunWithItsError) {
  Listener listener;
  ServerLoopSettings s;
  s.tick = 10ms;
  TestEngine engine(s);
  std::set<int> before = epoll_fds();
  int replaced = 0;
  engine.on_tick = [&](Clock::time_point) {
    if (engine.ticks.size() == 3) {
      engine.loop.stop();  // a stop would end the loop later only if nothing failed first
      return;
    }
    if (replaced) return;
    // The loop's epoll fd becomes /dev/null: its next epoll_wait fails with EINVAL.
    for (int fd : epoll_fds()) {
      if (before.count(fd)) continue;
      Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
      ASSERT_EQ(::dup3(null.get(), fd, O_CLOEXEC), fd);
      ++replaced;
    }
  };
  EXPECT_EQ(engine.run(std::move(listener.fd)), -EINVAL);
  EXPECT_EQ(replaced, 1);
  EXPECT_EQ(engine.ticks.size(), 1u);  // it ended at once
  auto failed = of_kind(engine.reports, Kind::Failed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].call, "epoll_wait");
  EXPECT_EQ(failed[0].error, EINVAL);
  EXPECT_TRUE(connect_refused(listener.address));  // the listener is closed on the way out
}

TEST(NetServerLoop, ASignalFdTheLoopCannotWatchEndsRunBeforeServing) {
  // A signalfd not watched would leave a server its blocked signals can no longer stop. A
  // regular file stands for it here: epoll refuses it (EPERM).
  Listener listener;
  testutil::TempFile file;
  TestEngine engine(ServerLoopSettings{});
  EXPECT_EQ(engine.run(std::move(listener.fd), file.open(O_RDONLY)), -EPERM);
  auto failed = of_kind(engine.reports, Kind::Failed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].call, "epoll_ctl");
  EXPECT_EQ(failed[0].error, EPERM);
  EXPECT_TRUE(connect_refused(listener.address));
}

TEST(NetServerLoop, AFinishedEngineTakesNoNewClientsAndEndsWithItsLastConnection) {
  Listener listener;
  TestEngine engine(ServerLoopSettings{});
  engine.on_data = [&](int fd, const std::string&) {
    engine.is_finished = true;  // a fan-out whose stream ended
    ASSERT_EQ(::send(fd, "k", 1, MSG_NOSIGNAL), 1);
  };
  Fd client = connect_client(listener.address);
  testutil::Running<TestEngine> running(engine, std::move(listener.fd));
  EXPECT_EQ(ask(client.get(), "end"), 'k');
  // The listener closes at the next turn (a tick at most): wait for it, boundedly.
  bool refused = false;
  for (int i = 0; i < 200 && !refused; ++i) {
    refused = connect_refused(listener.address);
    if (!refused) ::usleep(50000);
  }
  EXPECT_TRUE(refused);
  client.reset();
  ASSERT_EQ(running.join(), 0);
  EXPECT_TRUE(engine.reports.empty());  // no stop was asked for
  EXPECT_EQ(engine.drops, 0);
}
