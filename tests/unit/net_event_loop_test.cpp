// net/event_loop: dispatch, pause by modify(0), wake(), and removal from inside callbacks
// (a removed fd, even one reused at once, never gets a stale callback); net/signals.
#include "conduit/net/event_loop.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "conduit/net/signals.hpp"

using namespace conduit;
using namespace conduit::net;

namespace {
struct SocketPair {
  Fd a, b;
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    a.reset(fds[0]);
    b.reset(fds[1]);
  }
};
}  // namespace

TEST(NetEventLoop, DispatchesReadiness) {
  EventLoop loop;
  ASSERT_EQ(loop.open(), 0);
  SocketPair p;
  int calls = 0;
  std::uint32_t seen = 0;
  ASSERT_EQ(loop.add(p.a.get(), EPOLLIN, [&](std::uint32_t ev) { ++calls; seen = ev; }), 0);
  EXPECT_EQ(loop.add(p.a.get(), EPOLLIN, [](std::uint32_t) {}), -EEXIST);
  EXPECT_EQ(loop.run_once(0), 0);
  ASSERT_EQ(::write(p.b.get(), "x", 1), 1);
  EXPECT_EQ(loop.run_once(1000), 1);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(seen & EPOLLIN);

  // Paused: readiness is there but not reported.
  ASSERT_EQ(loop.modify(p.a.get(), 0), 0);
  EXPECT_EQ(loop.run_once(0), 0);
  ASSERT_EQ(loop.modify(p.a.get(), EPOLLIN), 0);
  EXPECT_EQ(loop.run_once(0), 1);
  EXPECT_EQ(loop.size(), 1u);
}

TEST(NetEventLoop, WakeCallsAgainWithoutKernelEvent) {
  EventLoop loop;
  ASSERT_EQ(loop.open(), 0);
  SocketPair p;
  std::uint32_t seen = 0;
  int calls = 0;
  ASSERT_EQ(loop.add(p.a.get(), EPOLLIN | EPOLLET, [&](std::uint32_t ev) { ++calls; seen = ev; }), 0);
  loop.wake(p.a.get(), 0x4000);
  EXPECT_EQ(loop.run_once(-1), 1);  // would block forever without the wake
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, 0x4000u);
  loop.wake(999, EPOLLIN);  // not watched: ignored
  EXPECT_EQ(loop.run_once(0), 0);
}

TEST(NetEventLoop, RemoveInsideCallbacksDropsStaleEvents) {
  EventLoop loop;
  ASSERT_EQ(loop.open(), 0);
  SocketPair p, q;
  int a_calls = 0, b_calls = 0;
  // Whichever runs first removes both: the other must not be called in the same round.
  auto remove_both = [&] {
    loop.remove(p.a.get());
    loop.remove(q.a.get());
  };
  ASSERT_EQ(loop.add(p.a.get(), EPOLLIN, [&](std::uint32_t) { ++a_calls; remove_both(); }), 0);
  ASSERT_EQ(loop.add(q.a.get(), EPOLLIN, [&](std::uint32_t) { ++b_calls; remove_both(); }), 0);
  ASSERT_EQ(::write(p.b.get(), "x", 1), 1);
  ASSERT_EQ(::write(q.b.get(), "x", 1), 1);
  EXPECT_EQ(loop.run_once(1000), 1);
  EXPECT_EQ(a_calls + b_calls, 1);
  EXPECT_EQ(loop.size(), 0u);
  EXPECT_FALSE(loop.watching(p.a.get()));
}

TEST(NetEventLoop, CallbackMayRemoveAndReAddItsOwnFd) {
  EventLoop loop;
  ASSERT_EQ(loop.open(), 0);
  SocketPair p;
  int first = 0, second = 0;
  int fd = p.a.get();
  ASSERT_EQ(loop.add(fd, EPOLLIN, [&](std::uint32_t) {
    ++first;
    loop.remove(fd);
    loop.add(fd, EPOLLIN, [&](std::uint32_t) { ++second; });
  }), 0);
  ASSERT_EQ(::write(p.b.get(), "x", 1), 1);
  EXPECT_EQ(loop.run_once(1000), 1);
  EXPECT_EQ(loop.run_once(1000), 1);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
}

TEST(NetSignals, SignalfdSeesBlockedSignal) {
  auto blocked = block_signals({SIGUSR1});
  ASSERT_TRUE(blocked.ok()) << blocked.message();
  Fd sfd = std::move(blocked.value);
  ASSERT_TRUE(sfd.valid());
  EXPECT_EQ(read_signal(sfd.get()), 0);
  ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
  EXPECT_EQ(read_signal(sfd.get()), SIGUSR1);
  EXPECT_EQ(unblock_signals({SIGUSR1}), 0);
}
