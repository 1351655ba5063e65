// net/stream_transfer: send_over and receive_from without TLS (file -> TCP socket, TCP socket
// -> pipe or file, the socket made non-blocking only for a pipe), settle_before_close, and
// wait_for_client's three outcomes. The TLS paths are tls::send_stream / recv_stream's, tested
// in net_tls_test.cpp and by splice-net's TLS bats tests.
#include "conduit/net/stream_transfer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <thread>

#include "conduit/net/signals.hpp"
#include "net_server_util.hpp"
#include "test_util.hpp"

namespace conduit::net {
namespace {

using testutil::Listener;

// A connected TCP pair on 127.0.0.1: {client, accepted}.
std::pair<Fd, Fd> tcp_pair(Listener& listener) {
  Fd client = testutil::connect_client(listener.address);
  Fd accepted(::accept4(listener.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
  EXPECT_TRUE(accepted);
  return {std::move(client), std::move(accepted)};
}

bool nonblocking(int fd) { return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

TEST(NetStreamTransfer, SendOverMovesAFileToTheSocket) {
  std::string data = testutil::pattern(3 << 20);
  testutil::ServedFile file(data);
  Listener listener;
  auto [client, accepted] = tcp_pair(listener);
  std::string got;
  std::thread reader([&, fd = accepted.get()] { got = testutil::read_all(fd); });
  Fd in(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC));
  FdInfo in_info, sock_info;
  ASSERT_EQ(classify(in.get(), in_info), 0);
  ASSERT_EQ(classify(client.get(), sock_info), 0);
  Stats stats;
  Pump pump(PumpOptions{}, &stats);
  tls::TransferResult t = send_over(nullptr, pump, in.get(), in_info, client.get(), sock_info, &stats);
  ::shutdown(client.get(), SHUT_WR);
  reader.join();
  ASSERT_TRUE(t.result.ok()) << t.result.error;
  EXPECT_EQ(t.result.bytes, data.size());
  EXPECT_EQ(got, data);
  EXPECT_EQ(stats.bytes[static_cast<std::size_t>(Path::Sendfile)], data.size());
}

TEST(NetStreamTransfer, ReceiveFromIntoAPipeMakesTheSocketNonBlocking) {
  std::string data = testutil::pattern(1 << 20);
  Listener listener;
  auto [client, accepted] = tcp_pair(listener);
  Pipe out;
  ASSERT_EQ(out.open(), 0);
  FdInfo out_info;
  ASSERT_EQ(classify(out.write_fd(), out_info), 0);
  std::string got;
  std::thread reader([&, fd = out.read_fd()] { got = testutil::read_all(fd); });
  std::thread writer([&, fd = client.get()] {
    testutil::send_all(fd, data);
    ::shutdown(fd, SHUT_WR);
  });
  Pump pump(PumpOptions{});
  tls::TransferResult t = receive_from(nullptr, pump, accepted.get(), out.write_fd(), out_info);
  EXPECT_TRUE(nonblocking(accepted.get()));
  out.write_end().reset();
  writer.join();
  reader.join();
  ASSERT_TRUE(t.result.ok()) << t.result.error;
  EXPECT_EQ(t.result.bytes, data.size());
  EXPECT_EQ(got, data);
}

TEST(NetStreamTransfer, ReceiveFromIntoAFileLeavesTheSocketBlocking) {
  Listener listener;
  auto [client, accepted] = tcp_pair(listener);
  ASSERT_EQ(set_nonblocking(accepted.get(), true), 0);  // whatever it was: a file wants blocking
  testutil::TempFile file;
  Fd out = file.open(O_WRONLY | O_TRUNC);
  FdInfo out_info;
  ASSERT_EQ(classify(out.get(), out_info), 0);
  testutil::send_all(client.get(), "hello");
  ::shutdown(client.get(), SHUT_WR);
  Pump pump(PumpOptions{});
  tls::TransferResult t = receive_from(nullptr, pump, accepted.get(), out.get(), out_info);
  EXPECT_FALSE(nonblocking(accepted.get()));
  ASSERT_TRUE(t.result.ok()) << t.result.error;
  EXPECT_EQ(testutil::file_content(file.path()), "hello");
  // An input that is no socket at all: the failure is the input's.
  t = receive_from(nullptr, pump, -1, out.get(), out_info);
  EXPECT_EQ(t.result.error, EBADF);
  EXPECT_EQ(t.result.side, PumpResult::Side::Input);
}

TEST(NetStreamTransfer, SettleBeforeCloseReturnsOnceThePeerHasEverything) {
  Listener listener;
  auto [client, accepted] = tcp_pair(listener);
  testutil::send_all(client.get(), testutil::pattern(100000));
  std::thread reader([fd = accepted.get()] { testutil::read_all(fd); });
  EXPECT_EQ(settle_before_close(client.get()), 0);
  int queued = -1;
  ASSERT_EQ(::ioctl(client.get(), SIOCOUTQ, &queued), 0);
  EXPECT_EQ(queued, 0);
  client.reset();
  reader.join();
  int unix_pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, unix_pair), 0);
  Fd a(unix_pair[0]), b(unix_pair[1]);
  testutil::send_all(a.get(), "unread");  // never read: a Unix socket does not wait for it
  EXPECT_EQ(settle_before_close(a.get()), 0);
  EXPECT_EQ(settle_before_close(-1), -EBADF);
}

TEST(NetStreamTransfer, WaitForClientSaysWhatCameFirst) {
  Listener listener;
  EXPECT_EQ(wait_for_client(listener.fd.get(), -1, 50).what, ClientWait::What::Timeout);
  Fd client = testutil::connect_client(listener.address);
  EXPECT_EQ(wait_for_client(listener.fd.get(), -1, 10000).what, ClientWait::What::Ready);
  // A signal pending on the signalfd wins over the waiting client.
  auto blocked = block_signals({SIGUSR1});
  ASSERT_TRUE(blocked.ok()) << blocked.error;
  Fd signals = std::move(blocked.value);
  ::raise(SIGUSR1);
  EXPECT_EQ(wait_for_client(listener.fd.get(), signals.get(), 10000).what, ClientWait::What::Signal);
  signalfd_siginfo info{};
  EXPECT_EQ(::read(signals.get(), &info, sizeof info), static_cast<ssize_t>(sizeof info));
  EXPECT_EQ(unblock_signals({SIGUSR1}), 0);
}

}  // namespace
}  // namespace conduit::net
