// pump: every path delivers the same bytes, picks the path the two kinds call for, honours
// ranges, survives O_NONBLOCK ends and reports errors with the side that failed.
#include "conduit/pump.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "conduit/progress.hpp"
#include "test_util.hpp"

using namespace conduit;
using conduit::testutil::TempFile;

namespace {

constexpr std::size_t kBig = 3 * 1024 * 1024 + 17;  // more than any pipe holds, not aligned

FdInfo info_of(int fd) {
  FdInfo info;
  EXPECT_EQ(classify(fd, info), 0);
  return info;
}

struct Outcome {
  PumpResult result;
  std::string data;
  Stats stats;
};

// Runs the pump from `in` into a pipe and collects what comes out on another thread.
Outcome pump_into_pipe(int in, PumpOptions options = {}, Range range = {}) {
  Pipe out;
  EXPECT_EQ(out.open(), 0);
  auto reader = std::async(std::launch::async, [fd = out.read_fd()] { return testutil::read_all(fd); });
  Outcome o;
  Pump pump(options, &o.stats);
  o.result = pump.run(in, info_of(in), out.write_fd(), info_of(out.write_fd()), range);
  out.write_end().reset();
  o.data = reader.get();
  return o;
}

// Runs the pump from `in` into a fresh file (opened with `flags`).
Outcome pump_into_file(int in, int flags = O_WRONLY | O_TRUNC, PumpOptions options = {},
                       Range range = {}) {
  TempFile file;
  Fd out = file.open(flags);
  Outcome o;
  Pump pump(options, &o.stats);
  o.result = pump.run(in, info_of(in), out.get(), info_of(out.get()), range);
  out.reset();
  o.data = testutil::file_content(file.path());
  return o;
}

// A writer thread feeding `data` into a fresh pipe; returns the read end.
Fd feed_pipe(const std::string& data, std::thread& writer, int read_flags = 0) {
  int p[2];
  EXPECT_EQ(::pipe2(p, O_CLOEXEC), 0);
  if (read_flags) ::fcntl(p[0], F_SETFL, ::fcntl(p[0], F_GETFL) | read_flags);
  writer = std::thread([fd = p[1], data] {
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
  });
  return Fd(p[0]);
}

}  // namespace

TEST(Pump, FileToPipeSplicesDirectly) {
  std::string data = testutil::random_bytes(kBig);
  TempFile src(data);
  Fd in = src.open(O_RDONLY);
  Outcome o = pump_into_pipe(in.get());
  ASSERT_TRUE(o.result.ok()) << o.result.error;
  EXPECT_EQ(o.result.bytes, kBig);
  EXPECT_EQ(o.data, data);
  EXPECT_EQ(o.stats.bytes_of(Path::Splice), kBig);
  EXPECT_EQ(o.stats.calls_of(Call::Read), 0u);
  EXPECT_EQ(o.stats.calls_of(Call::Write), 0u);
}

TEST(Pump, FileToFileUsesCopyFileRange) {
  std::string data = testutil::random_bytes(kBig, 7);
  TempFile src(data);
  Fd in = src.open(O_RDONLY);
  Outcome o = pump_into_file(in.get());
  ASSERT_TRUE(o.result.ok());
  EXPECT_EQ(o.data, data);
  EXPECT_EQ(o.stats.bytes_of(Path::CopyFileRange), kBig);
}

TEST(Pump, AppendOutputTakesReadWrite) {
  std::string data = testutil::random_bytes(100000, 3);
  TempFile src(data);
  Fd in = src.open(O_RDONLY);
  Outcome o = pump_into_file(in.get(), O_WRONLY | O_APPEND);
  ASSERT_TRUE(o.result.ok());
  EXPECT_EQ(o.data, data);
  EXPECT_EQ(o.stats.bytes_of(Path::ReadWrite), data.size());
}

TEST(Pump, PipeToFileSplices) {
  std::string data = testutil::random_bytes(kBig, 5);
  std::thread writer;
  Fd in = feed_pipe(data, writer);
  Outcome o = pump_into_file(in.get());
  writer.join();
  ASSERT_TRUE(o.result.ok());
  EXPECT_EQ(o.data, data);
  EXPECT_EQ(o.stats.bytes_of(Path::Splice), kBig);
}

TEST(Pump, NonblockingInputPipeIsPolledNotFailed) {
  std::string data = testutil::random_bytes(kBig, 9);
  std::thread writer;
  Fd in = feed_pipe(data, writer, O_NONBLOCK);
  Outcome o = pump_into_file(in.get());
  writer.join();
  ASSERT_TRUE(o.result.ok()) << o.result.error;
  EXPECT_EQ(o.data, data);
}

TEST(Pump, NoSpliceForcesReadWriteWithSameBytes) {
  std::string data = testutil::random_bytes(kBig, 11);
  TempFile src(data);
  Fd in = src.open(O_RDONLY);
  PumpOptions options;
  options.zero_copy = false;
  Outcome o = pump_into_pipe(in.get(), options);
  ASSERT_TRUE(o.result.ok());
  EXPECT_EQ(o.data, data);
  EXPECT_EQ(o.stats.bytes_of(Path::ReadWrite), kBig);
  EXPECT_EQ(o.stats.calls_of(Call::Splice), 0u);
}

TEST(Pump, SocketToFileGoesThroughTheBroker) {
  std::string data = testutil::random_bytes(kBig, 13);
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Fd reader(sv[0]);
  std::thread writer([fd = sv[1], &data] {
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
  });
  Outcome o = pump_into_file(reader.get());
  writer.join();
  ASSERT_TRUE(o.result.ok());
  EXPECT_EQ(o.data, data);
  EXPECT_EQ(o.stats.bytes_of(Path::SpliceBroker), kBig);
}

// A connected TCP pair on loopback (tcp_splice_read is the path the interactive tools take).
std::pair<Fd, Fd> tcp_pair() {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), len), 0);
  EXPECT_EQ(::listen(listener.get(), 1), 0);
  EXPECT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  Fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), len), 0);
  Fd server(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  return {std::move(server), std::move(client)};
}

// The bytes a peer sent must reach the pipe's reader while the peer keeps the connection open:
// a splice that sleeps on the empty socket holds the pipe's lock, and the reader's read() would
// wait for the next bytes or the end of the stream.
// A non-blocking socket (recv makes its connection one) is not polled first: its empty splice
// is EAGAIN, then the pump polls.
class PumpSocketToPipe : public ::testing::TestWithParam<bool> {};

TEST_P(PumpSocketToPipe, DeliversWhatArrivedWhileThePeerWaits) {
  auto [sock, peer] = tcp_pair();
  ASSERT_EQ(set_nonblocking(sock.get(), GetParam()), 0);
  Pipe out;
  ASSERT_EQ(out.open(), 0);
  std::thread pumping([&, fd = sock.get()] {
    Pump pump({});
    pump.run(fd, info_of(fd), out.write_fd(), info_of(out.write_fd()));
  });
  ASSERT_EQ(::write(peer.get(), "hi", 2), 2);
  pollfd p{out.read_fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);  // the bytes are in the pipe
  auto first = std::async(std::launch::async, [fd = out.read_fd()] {
    char buf[16];
    ssize_t n = ::read(fd, buf, sizeof buf);
    return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  });
  bool in_time = first.wait_for(std::chrono::seconds(3)) == std::future_status::ready;
  peer.reset();  // ends the pump (and frees the reader if the splice held the pipe)
  pumping.join();
  EXPECT_TRUE(in_time) << "read() of a readable pipe waited for the peer";
  EXPECT_EQ(first.get(), "hi");
}

INSTANTIATE_TEST_SUITE_P(Blocking, PumpSocketToPipe, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Nonblocking" : "Blocking"; });

// A reset read from the socket is the input's error, on the splice path and the read/write path.
TEST(Pump, PeerResetIntoAPipeIsAnInputError) {
  for (bool zero_copy : {true, false}) {
    auto [sock, peer] = tcp_pair();
    ASSERT_EQ(::write(peer.get(), "some bytes", 10), 10);
    char unread = 'x';
    ASSERT_EQ(::write(sock.get(), &unread, 1), 1);  // unread by the peer: its close resets
    linger hard{1, 0};
    ASSERT_EQ(::setsockopt(peer.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard), 0);
    pollfd p{peer.get(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10000), 1);
    peer.reset();
    PumpOptions options;
    options.zero_copy = zero_copy;
    Outcome o = pump_into_pipe(sock.get(), options);
    EXPECT_EQ(o.result.error, ECONNRESET) << "zero_copy=" << zero_copy;
    EXPECT_EQ(o.result.side, PumpResult::Side::Input) << "zero_copy=" << zero_copy;
  }
}

TEST(Pump, FileToSocketUsesSendfile) {
  std::string data = testutil::random_bytes(kBig, 17);
  TempFile src(data);
  Fd in = src.open(O_RDONLY);
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Fd out(sv[0]), peer(sv[1]);
  auto reader = std::async(std::launch::async, [fd = peer.get()] { return testutil::read_all(fd); });
  Stats stats;
  Pump pump({}, &stats);
  PumpResult r = pump.run(in.get(), info_of(in.get()), out.get(), info_of(out.get()));
  ::shutdown(out.get(), SHUT_WR);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(reader.get(), data);
  EXPECT_EQ(stats.bytes_of(Path::Sendfile), kBig);
}

TEST(Pump, ProcFileWithZeroSizeIsCopiedToEof) {
  Fd in(::open("/proc/self/status", O_RDONLY | O_CLOEXEC));
  Outcome o = pump_into_pipe(in.get());
  ASSERT_TRUE(o.result.ok());
  EXPECT_NE(o.data.find("Name:"), std::string::npos);
  // /proc/self/status refuses splice on current kernels: the first call falls back.
  EXPECT_EQ(o.stats.total_bytes(), o.data.size());
}

TEST(Pump, RangeOfARegularFileLeavesItsPositionAlone) {
  std::string data = testutil::random_bytes(200000, 19);
  TempFile src(data);
  Fd in = src.open(O_RDONLY);
  Range range{1000, 150000};
  for (bool zero_copy : {true, false}) {
    PumpOptions options;
    options.zero_copy = zero_copy;
    Outcome o = pump_into_pipe(in.get(), options, range);
    ASSERT_TRUE(o.result.ok());
    EXPECT_EQ(o.data, data.substr(1000, 150000)) << "zero_copy=" << zero_copy;
    EXPECT_EQ(::lseek(in.get(), 0, SEEK_CUR), 0);
  }
}

TEST(Pump, RangeOfAPipeSkipsThenStops) {
  std::string data = testutil::random_bytes(kBig, 23);
  std::thread writer;
  Fd in = feed_pipe(data, writer);
  Outcome o = pump_into_file(in.get(), O_WRONLY | O_TRUNC, {}, Range{70000, 1000000});
  // Drain the rest so the writer can finish.
  testutil::read_all(in.get());
  writer.join();
  ASSERT_TRUE(o.result.ok());
  EXPECT_EQ(o.data, data.substr(70000, 1000000));
}

TEST(Pump, RangePastEndGivesNothing) {
  TempFile src("short");
  Fd in = src.open(O_RDONLY);
  Outcome o = pump_into_pipe(in.get(), {}, Range{100, std::nullopt});
  ASSERT_TRUE(o.result.ok());
  EXPECT_EQ(o.data, "");
}

TEST(Pump, WithoutRangeUsesAndAdvancesTheFilePosition) {
  TempFile src("0123456789");
  Fd in = src.open(O_RDONLY);
  ASSERT_EQ(::lseek(in.get(), 4, SEEK_SET), 4);
  Outcome o = pump_into_pipe(in.get());
  EXPECT_EQ(o.data, "456789");
  EXPECT_EQ(::lseek(in.get(), 0, SEEK_CUR), 10);
}

TEST(Pump, EmptyInputMovesNothing) {
  TempFile src("");
  Fd in = src.open(O_RDONLY);
  Outcome o = pump_into_pipe(in.get());
  ASSERT_TRUE(o.result.ok());
  EXPECT_EQ(o.result.bytes, 0u);
  Fd in2 = src.open(O_RDONLY);
  Outcome f = pump_into_file(in2.get());
  ASSERT_TRUE(f.result.ok());
  EXPECT_EQ(f.data, "");
}

TEST(Pump, FullDeviceIsAnOutputError) {
  TempFile src(testutil::random_bytes(10000));
  Fd in = src.open(O_RDONLY);
  Fd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
  Pump pump({});
  PumpResult r = pump.run(in.get(), info_of(in.get()), full.get(), info_of(full.get()));
  EXPECT_EQ(r.error, ENOSPC);
  EXPECT_EQ(r.side, PumpResult::Side::Output);
}

TEST(Pump, ReaderGoneIsEpipeOnOutput) {
  ::signal(SIGPIPE, SIG_IGN);
  TempFile src(testutil::random_bytes(kBig));
  Fd in = src.open(O_RDONLY);
  Pipe out;
  ASSERT_EQ(out.open(), 0);
  out.read_end().reset();
  Pump pump({});
  PumpResult r = pump.run(in.get(), info_of(in.get()), out.write_fd(), info_of(out.write_fd()));
  EXPECT_EQ(r.error, EPIPE);
  EXPECT_EQ(r.side, PumpResult::Side::Output);
}

TEST(Pump, DirectoryInputIsAnInputError) {
  Fd dir(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  Outcome o = pump_into_pipe(dir.get());
  EXPECT_EQ(o.result.error, EISDIR);
  EXPECT_EQ(o.result.side, PumpResult::Side::Input);
}

TEST(Pump, ReusedAcrossManyInputsKeepsOrder) {
  Pipe out;
  ASSERT_EQ(out.open(), 0);
  auto reader = std::async(std::launch::async, [fd = out.read_fd()] { return testutil::read_all(fd); });
  Stats stats;
  Progress progress("t", std::nullopt, ::open("/dev/null", O_WRONLY | O_CLOEXEC));
  Pump pump({}, &stats, &progress);
  std::string expected;
  FdInfo out_info = info_of(out.write_fd());
  for (int i = 0; i < 50; ++i) {
    std::string part = "part " + std::to_string(i) + "\n" + testutil::random_bytes(i * 997, i);
    expected += part;
    TempFile f(part);
    Fd in = f.open(O_RDONLY);
    ASSERT_TRUE(pump.run(in.get(), info_of(in.get()), out.write_fd(), out_info).ok());
    std::string header = "|";
    expected += header;
    ASSERT_TRUE(pump.write(out.write_fd(), std::as_bytes(std::span(header))).ok());
  }
  out.write_end().reset();
  EXPECT_EQ(reader.get(), expected);
  EXPECT_EQ(progress.done(), expected.size());
  EXPECT_EQ(stats.total_bytes(), expected.size());
}
