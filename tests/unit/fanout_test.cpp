// fanout: every output receives the input's bytes exactly, whatever lane feeds it (tee into an
// output pipe, tee + splice, tee + read/write, the consumer, plain copying); refusals fall back;
// failing outputs go to the policy while the others carry on.
#include "conduit/fanout.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace conduit;
using conduit::testutil::TempFile;

namespace {

constexpr std::size_t kBig = 3 * 1024 * 1024 + 4099;  // several pipefuls, not page aligned

FdInfo info_of(int fd) {
  FdInfo info;
  EXPECT_EQ(classify(fd, info), 0);
  return info;
}

// Writes `data` into a pipe from another thread; the pipe's read end is the input.
class Feeder {
 public:
  explicit Feeder(std::string data, bool slow = false) {
    EXPECT_EQ(pipe_.open(), 0);
    done_ = std::async(std::launch::async, [this, d = std::move(data), slow] {
      std::size_t off = 0;
      while (off < d.size()) {
        std::size_t n = std::min<std::size_t>(slow ? 7000 : 1 << 20, d.size() - off);
        ssize_t w = ::write(pipe_.write_fd(), d.data() + off, n);
        if (w <= 0) break;
        off += static_cast<std::size_t>(w);
        if (slow) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      pipe_.write_end().reset();
    });
  }
  ~Feeder() { done_.wait(); }
  int fd() { return pipe_.read_fd(); }

 private:
  Pipe pipe_;
  std::future<void> done_;
};

// An output pipe drained by another thread.
class Collector {
 public:
  explicit Collector(std::size_t capacity = 0) {
    EXPECT_EQ(pipe_.open(), 0);
    if (capacity) ::fcntl(pipe_.write_fd(), F_SETPIPE_SZ, static_cast<int>(capacity));
    data_ = std::async(std::launch::async, [fd = pipe_.read_fd()] { return testutil::read_all(fd); });
  }
  int fd() { return pipe_.write_fd(); }
  std::string finish() {
    pipe_.write_end().reset();
    return data_.get();
  }

 private:
  Pipe pipe_;
  std::future<std::string> data_;
};

FanoutAction drop(std::size_t, int) { return FanoutAction::Drop; }

}  // namespace

TEST(Fanout, PipeToPipesAndFilesUsesTeeAndSplice) {
  std::string data = testutil::random_bytes(kBig);
  Feeder in(data);
  Collector a, b;
  TempFile f1, f2;
  Fd o1 = f1.open(O_WRONLY | O_TRUNC), o2 = f2.open(O_WRONLY | O_TRUNC);
  Stats stats;
  Fanout fan({}, &stats);
  fan.add_output(a.fd(), info_of(a.fd()));
  fan.add_output(o1.get(), info_of(o1.get()));
  fan.add_output(b.fd(), info_of(b.fd()));
  fan.add_output(o2.get(), info_of(o2.get()));
  FanoutResult r = fan.run(in.fd(), info_of(in.fd()), drop);
  EXPECT_EQ(r.bytes, data.size());
  EXPECT_EQ(r.input_error, 0);
  EXPECT_EQ(fan.route(0), FanoutRoute::TeeDirect);
  EXPECT_EQ(fan.route(1), FanoutRoute::TeeSplice);
  EXPECT_EQ(fan.route(3), FanoutRoute::Consume);
  EXPECT_EQ(a.finish(), data);
  EXPECT_EQ(b.finish(), data);
  EXPECT_EQ(testutil::file_content(f1.path()), data);
  EXPECT_EQ(testutil::file_content(f2.path()), data);
  EXPECT_EQ(stats.calls_of(Call::Read), 0u);
  EXPECT_EQ(stats.calls_of(Call::Write), 0u);
  EXPECT_EQ(stats.bytes_of(Path::Tee), 3 * data.size());
}

TEST(Fanout, FileInputGoesThroughBroker) {
  std::string data = testutil::random_bytes(kBig, 7);
  TempFile src(data), f1;
  Fd in = src.open(O_RDONLY);
  Fd o1 = f1.open(O_WRONLY | O_TRUNC);
  Collector a;
  Fanout fan({});
  fan.add_output(a.fd(), info_of(a.fd()));
  fan.add_output(o1.get(), info_of(o1.get()));
  FanoutResult r = fan.run(in.get(), info_of(in.get()), drop);
  EXPECT_EQ(r.bytes, data.size());
  EXPECT_EQ(a.finish(), data);
  EXPECT_EQ(testutil::file_content(f1.path()), data);
}

TEST(Fanout, AppendOutputsShareOneCopyingLane) {
  std::string data = testutil::random_bytes(kBig, 9);
  Feeder in(data);
  TempFile f1("old1:"), f2("old2:"), f3;
  Fd o1 = f1.open(O_WRONLY | O_APPEND), o2 = f2.open(O_WRONLY | O_APPEND);
  Fd o3 = f3.open(O_WRONLY | O_TRUNC);
  Stats stats;
  Fanout fan({}, &stats);
  fan.add_output(o1.get(), info_of(o1.get()));
  fan.add_output(o2.get(), info_of(o2.get()));
  fan.add_output(o3.get(), info_of(o3.get()));
  fan.run(in.fd(), info_of(in.fd()), drop);
  EXPECT_EQ(fan.route(0), FanoutRoute::TeeCopy);
  EXPECT_EQ(fan.route(1), FanoutRoute::TeeCopy);
  EXPECT_EQ(fan.route(2), FanoutRoute::Consume);
  EXPECT_EQ(testutil::file_content(f1.path()), "old1:" + data);
  EXPECT_EQ(testutil::file_content(f2.path()), "old2:" + data);
  EXPECT_EQ(testutil::file_content(f3.path()), data);
  // One tee per round for both appenders, not one each.
  EXPECT_EQ(stats.bytes_of(Path::Tee), data.size());
}

TEST(Fanout, OnlyAppendOutputsCopy) {
  std::string data = testutil::random_bytes(100000, 3);
  Feeder in(data);
  TempFile f1;
  Fd o1 = f1.open(O_WRONLY | O_APPEND);
  Fanout fan({});
  fan.add_output(o1.get(), info_of(o1.get()));
  fan.run(in.fd(), info_of(in.fd()), drop);
  EXPECT_EQ(fan.route(0), FanoutRoute::Copy);
  EXPECT_EQ(testutil::file_content(f1.path()), data);
}

TEST(Fanout, NoSpliceCopiesEverything) {
  std::string data = testutil::random_bytes(kBig, 11);
  Feeder in(data);
  Collector a;
  TempFile f1;
  Fd o1 = f1.open(O_WRONLY | O_TRUNC);
  Stats stats;
  FanoutOptions opts;
  opts.zero_copy = false;
  Fanout fan(opts, &stats);
  fan.add_output(a.fd(), info_of(a.fd()));
  fan.add_output(o1.get(), info_of(o1.get()));
  fan.run(in.fd(), info_of(in.fd()), drop);
  EXPECT_EQ(a.finish(), data);
  EXPECT_EQ(testutil::file_content(f1.path()), data);
  EXPECT_EQ(stats.calls_of(Call::Tee) + stats.calls_of(Call::Splice), 0u);
  EXPECT_EQ(stats.bytes_of(Path::ReadWrite), 2 * data.size());
}

TEST(Fanout, ManyOutputs) {
  std::string data = testutil::random_bytes(600000, 5);
  Feeder in(data);
  std::vector<std::unique_ptr<TempFile>> files;
  std::vector<Fd> fds;
  Fanout fan({});
  for (int i = 0; i < 64; ++i) {
    files.push_back(std::make_unique<TempFile>());
    fds.push_back(files.back()->open(O_WRONLY | O_TRUNC | (i % 3 == 0 ? O_APPEND : 0)));
    fan.add_output(fds.back().get(), info_of(fds.back().get()));
  }
  FanoutResult r = fan.run(in.fd(), info_of(in.fd()), drop);
  EXPECT_EQ(r.bytes, data.size());
  fds.clear();
  for (auto& f : files) EXPECT_EQ(testutil::file_content(f->path()), data);
}

TEST(Fanout, SmallSlowOutputPipeGetsShortTeesRight) {
  std::string data = testutil::random_bytes(kBig, 13);
  Feeder in(data, true);
  Collector small(4096), big;
  TempFile f1;
  Fd o1 = f1.open(O_WRONLY | O_TRUNC);
  Fanout fan({});
  fan.add_output(small.fd(), info_of(small.fd()));
  fan.add_output(big.fd(), info_of(big.fd()));
  fan.add_output(o1.get(), info_of(o1.get()));
  fan.run(in.fd(), info_of(in.fd()), drop);
  EXPECT_EQ(small.finish(), data);
  EXPECT_EQ(big.finish(), data);
  EXPECT_EQ(testutil::file_content(f1.path()), data);
}

TEST(Fanout, NonBlockingEndsArePolledNotSpun) {
  std::string data = testutil::random_bytes(kBig, 17);
  Feeder in(data, true);
  ASSERT_EQ(set_nonblocking(in.fd(), true), 0);
  Collector a(4096);
  ASSERT_EQ(set_nonblocking(a.fd(), true), 0);
  TempFile f1;
  Fd o1 = f1.open(O_WRONLY | O_TRUNC);
  Stats stats;
  Fanout fan({}, &stats);
  fan.add_output(a.fd(), info_of(a.fd()));
  fan.add_output(o1.get(), info_of(o1.get()));
  FanoutResult r = fan.run(in.fd(), info_of(in.fd()), drop);
  EXPECT_EQ(r.input_error, 0);
  EXPECT_EQ(a.finish(), data);
  EXPECT_EQ(testutil::file_content(f1.path()), data);
  // Each EAGAIN costs one poll, and the feeder makes at most a few hundred writes.
  EXPECT_LT(stats.calls_of(Call::Tee) + stats.calls_of(Call::Splice), 20000u);
}

TEST(Fanout, BrokenPipeOutputIsDroppedOthersContinue) {
  struct sigaction ignore {}, old {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old);
  std::string data = testutil::random_bytes(kBig, 19);
  Feeder in(data);
  Pipe dead;
  ASSERT_EQ(dead.open(), 0);
  dead.read_end().reset();
  TempFile f1, f2;
  Fd o1 = f1.open(O_WRONLY | O_TRUNC), o2 = f2.open(O_WRONLY | O_TRUNC);
  std::vector<std::pair<std::size_t, int>> errors;
  Fanout fan({});
  fan.add_output(o1.get(), info_of(o1.get()));
  fan.add_output(dead.write_fd(), info_of(dead.write_fd()));
  fan.add_output(o2.get(), info_of(o2.get()));
  FanoutResult r = fan.run(in.fd(), info_of(in.fd()), [&](std::size_t o, int err) {
    errors.emplace_back(o, err);
    return FanoutAction::Drop;
  });
  ::sigaction(SIGPIPE, &old, nullptr);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].first, 1u);
  EXPECT_EQ(errors[0].second, EPIPE);
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(fan.route(1), FanoutRoute::Closed);
  EXPECT_EQ(testutil::file_content(f1.path()), data);
  EXPECT_EQ(testutil::file_content(f2.path()), data);
}

TEST(Fanout, FailingConsumerIsReplaced) {
  std::string data = testutil::random_bytes(kBig, 23);
  Feeder in(data);
  Collector a;
  Fd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(full.valid());
  int seen = 0;
  Fanout fan({});
  fan.add_output(a.fd(), info_of(a.fd()));
  fan.add_output(full.get(), info_of(full.get()));  // the consumer: fails on the first splice
  fan.run(in.fd(), info_of(in.fd()), [&](std::size_t o, int err) {
    EXPECT_EQ(o, 1u);
    seen = err;
    return FanoutAction::Drop;
  });
  EXPECT_EQ(seen, ENOSPC);
  EXPECT_EQ(a.finish(), data);
}

TEST(Fanout, StopEndsTheRun) {
  std::string data = testutil::random_bytes(kBig, 29);
  TempFile src(data), f1;
  Fd in = src.open(O_RDONLY);
  Fd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
  Fd o1 = f1.open(O_WRONLY | O_TRUNC);
  Fanout fan({});
  fan.add_output(full.get(), info_of(full.get()));
  fan.add_output(o1.get(), info_of(o1.get()));
  FanoutResult r = fan.run(in.get(), info_of(in.get()), [](std::size_t, int) {
    return FanoutAction::Stop;
  });
  EXPECT_TRUE(r.stopped);
  EXPECT_LT(testutil::file_content(f1.path()).size(), data.size());
}

TEST(Fanout, SocketInputAndEmptyInput) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Fd left(sv[0]), right(sv[1]);
  std::string data = testutil::random_bytes(500000, 31);
  auto writer = std::async(std::launch::async, [&] {
    std::size_t off = 0;
    while (off < data.size()) {
      ssize_t w = ::write(left.get(), data.data() + off, data.size() - off);
      if (w <= 0) break;
      off += static_cast<std::size_t>(w);
    }
    left.reset();
  });
  Collector a;
  TempFile f1;
  Fd o1 = f1.open(O_WRONLY | O_TRUNC);
  Fanout fan({});
  fan.add_output(a.fd(), info_of(a.fd()));
  fan.add_output(o1.get(), info_of(o1.get()));
  fan.run(right.get(), info_of(right.get()), drop);
  writer.wait();
  EXPECT_EQ(a.finish(), data);
  EXPECT_EQ(testutil::file_content(f1.path()), data);

  Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  Collector b;
  Fanout empty({});
  empty.add_output(b.fd(), info_of(b.fd()));
  FanoutResult r = empty.run(null_in.get(), info_of(null_in.get()), drop);
  EXPECT_EQ(r.bytes, 0u);
  EXPECT_EQ(b.finish(), "");
}

// ---- the engine driven step by step, as an event loop drives it ----

namespace {

// Steps `fan` until it is done or `until` says stop, polling on what it waits for between steps
// (the input, outputs' fds; writer outputs, whose fd is only a name, are told writable at once).
template <typename Until>
void drive(Fanout& fan, int in, const std::vector<Fanout::Id>& writers, Until until) {
  for (int idle = 0; !fan.done() && !until(); ) {
    if (fan.step()) {
      idle = 0;
      continue;
    }
    for (Fanout::Id w : writers) fan.writable(w);
    std::vector<pollfd> fds;
    if (fan.wait().input) fds.push_back({in, POLLIN, 0});
    for (int fd : fan.wait().outputs) fds.push_back({fd, POLLOUT, 0});
    int rc = ::poll(fds.data(), fds.size(), 50);
    ASSERT_GE(rc, 0);
    if (rc > 0 && fan.wait().input && fds[0].revents != 0) fan.input_ready((fds[0].revents & POLLHUP) != 0);
    if (rc == 0 && ++idle > 200) FAIL() << "no progress for 10 s";
  }
}

void drive(Fanout& fan, int in) {
  drive(fan, in, {}, [] { return false; });
}

}  // namespace

TEST(FanoutEngine, OutputsJoinAndLeaveMidStreamAndGetAContiguousPart) {
  std::string data = testutil::random_bytes(6 * 1024 * 1024 + 17, 37);
  Feeder in(data, true);
  ASSERT_EQ(set_nonblocking(in.fd(), true), 0);
  Collector a, b, c;
  FanoutOptions opts;
  opts.pacing = FanoutPacing::Block;
  Fanout fan(opts);
  long ia = fan.add_output(a.fd(), info_of(a.fd()));
  long ic = fan.add_output(c.fd(), info_of(c.fd()));
  ASSERT_EQ(fan.start(in.fd(), info_of(in.fd())), 0);
  drive(fan, in.fd(), {}, [&] { return fan.consumed() >= 1024 * 1024; });
  long ib = fan.add_output(b.fd(), info_of(b.fd()));  // joins mid-stream
  ASSERT_GE(ib, 0);
  std::uint64_t join = fan.joined(static_cast<Fanout::Id>(ib));
  EXPECT_GE(join, 1024u * 1024u);
  drive(fan, in.fd(), {}, [&] { return fan.consumed() >= 3 * 1024 * 1024; });
  std::uint64_t c_sent = fan.sent(static_cast<Fanout::Id>(ic));
  fan.remove_output(static_cast<Fanout::Id>(ic));  // leaves mid-stream
  EXPECT_EQ(fan.route(static_cast<Fanout::Id>(ic)), FanoutRoute::Closed);
  drive(fan, in.fd());
  EXPECT_EQ(fan.input_error(), 0);
  EXPECT_EQ(fan.consumed(), data.size());
  EXPECT_EQ(a.finish(), data);
  EXPECT_EQ(b.finish(), data.substr(join));
  std::string got_c = c.finish();
  EXPECT_EQ(got_c.size(), c_sent);  // what it was sent, no more, from the start
  EXPECT_EQ(got_c, data.substr(0, got_c.size()));
  EXPECT_EQ(fan.route(static_cast<Fanout::Id>(ia)), FanoutRoute::TeeDirect);
}

TEST(FanoutEngine, DropPacingDropsAStalledOutputBlockWaitsForIt) {
  std::string data = testutil::random_bytes(8 * 1024 * 1024, 41);
  TempFile src(data);
  for (FanoutPacing pacing : {FanoutPacing::Drop, FanoutPacing::Block}) {
    Fd in = src.open(O_RDONLY);
    Pipe stalled;  // nobody reads it (yet)
    ASSERT_EQ(stalled.open(O_NONBLOCK), 0);
    TempFile fast;  // never full, however loaded the machine is
    Fd fast_fd = fast.open(O_WRONLY | O_TRUNC);
    FanoutOptions opts;
    opts.pacing = pacing;
    opts.pipe_size = 256 * 1024;
    Fanout fan(opts);
    std::vector<std::pair<Fanout::Id, std::uint64_t>> slow;
    fan.on_slow([&](Fanout::Id id, std::uint64_t behind) { slow.emplace_back(id, behind); });
    long is = fan.add_output(stalled.write_fd(), info_of(stalled.write_fd()));
    fan.add_output(fast_fd.get(), info_of(fast_fd.get()));
    ASSERT_EQ(fan.start(in.get(), info_of(in.get())), 0);
    if (pacing == FanoutPacing::Drop) {
      drive(fan, in.get());
      ASSERT_EQ(slow.size(), 1u);
      EXPECT_EQ(slow[0].first, static_cast<Fanout::Id>(is));
      EXPECT_GT(slow[0].second, 0u);
      EXPECT_EQ(testutil::file_content(fast.path()), data);  // the others never stalled
      continue;
    }
    // Block: the stalled output holds the stream back; nothing is lost once it reads.
    for (int i = 0; i < 1000 && fan.step(); ++i) {}
    EXPECT_FALSE(fan.step());
    EXPECT_LT(fan.consumed(), data.size());
    EXPECT_NE(std::find(fan.wait().outputs.begin(), fan.wait().outputs.end(), stalled.write_fd()),
              fan.wait().outputs.end());
    auto reader = std::async(std::launch::async, [fd = stalled.read_fd()] {
      ::fcntl(fd, F_SETFL, 0);
      return testutil::read_all(fd);
    });
    drive(fan, in.get());
    stalled.write_end().reset();
    EXPECT_TRUE(slow.empty());
    EXPECT_EQ(reader.get(), data);
    EXPECT_EQ(testutil::file_content(fast.path()), data);
  }
}

TEST(FanoutEngine, AnOutputFailingAfterBytesMovedGoesToThePolicyNotAFallback) {
  struct sigaction ignore {}, old {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old);
  std::string data = testutil::random_bytes(kBig, 43);
  Feeder in(data);
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Fd sock(sv[0]), peer(sv[1]);
  // The peer takes the first 256 KiB, then goes away.
  auto quitter = std::async(std::launch::async, [&] {
    std::string got(256 * 1024, '\0');
    std::size_t off = 0;
    while (off < got.size()) {
      ssize_t n = ::read(peer.get(), got.data() + off, got.size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    peer.reset();
    return got.substr(0, off);
  });
  Collector a;
  TempFile f1;
  Fd o1 = f1.open(O_WRONLY | O_TRUNC);
  Stats stats;
  std::vector<std::pair<std::size_t, int>> errors;
  Fanout fan({}, &stats);
  fan.add_output(a.fd(), info_of(a.fd()));
  fan.add_output(sock.get(), info_of(sock.get()));
  fan.add_output(o1.get(), info_of(o1.get()));
  FanoutResult r = fan.run(in.fd(), info_of(in.fd()), [&](std::size_t o, int err) {
    errors.emplace_back(o, err);
    return FanoutAction::Drop;
  });
  ::sigaction(SIGPIPE, &old, nullptr);
  EXPECT_EQ(quitter.get(), data.substr(0, 256 * 1024));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].first, 1u);
  EXPECT_TRUE(errors[0].second == EPIPE || errors[0].second == ECONNRESET) << errors[0].second;
  EXPECT_GE(fan.sent(1), 256u * 1024u);
  EXPECT_EQ(stats.fallbacks, 0u);
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(r.bytes, data.size());
  EXPECT_EQ(a.finish(), data);
  EXPECT_EQ(testutil::file_content(f1.path()), data);
}

TEST(FanoutEngine, AWriterOutputTakesTheCopyingLaneAndMayWait) {
  std::string data = testutil::random_bytes(kBig, 47);
  Feeder in(data);
  Fd name(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  std::string got;
  int calls = 0;
  FanoutOptions opts;
  opts.pacing = FanoutPacing::Block;  // (Drop would drop it: it is slower than the pipe output)
  Fanout fan(opts);
  Collector a;
  fan.add_output(a.fd(), info_of(a.fd()));
  long w = fan.add_output(name.get(), info_of(name.get()), [&](std::span<const std::byte> bytes) -> long {
    if (++calls % 5 == 0) return -EAGAIN;  // a TLS socket that is full now and then
    std::size_t n = std::min<std::size_t>(bytes.size(), 10000);
    got.append(reinterpret_cast<const char*>(bytes.data()), n);
    return static_cast<long>(n);
  });
  ASSERT_EQ(fan.start(in.fd(), info_of(in.fd())), 0);
  EXPECT_EQ(fan.route(static_cast<Fanout::Id>(w)), FanoutRoute::TeeCopy);
  drive(fan, in.fd(), {static_cast<Fanout::Id>(w)}, [] { return false; });
  EXPECT_EQ(got, data);
  EXPECT_EQ(a.finish(), data);
  EXPECT_EQ(fan.sent(static_cast<Fanout::Id>(w)), data.size());
}
