// net/acceptor, driven directly on an EventLoop: what it does with the listener it is given.
#include "conduit/net/acceptor.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "net_server_util.hpp"

using namespace conduit;
using namespace conduit::net;

// listen_on() makes a blocking socket unless asked otherwise, and an embedder passes it to a
// server's run() as it is. The acceptor takes up to 64 connections per wake-up: on a blocking
// listener the accept after the last waiting client would hang the whole server until the next
// one came. It makes the listener non-blocking itself.
TEST(NetAcceptor, ABlockingListenerIsMadeNonBlocking) {
  auto any = parse_address("127.0.0.1:0");
  ASSERT_TRUE(any.ok());
  SocketResult listening = listen_on(any.value);  // nonblocking = false
  ASSERT_TRUE(listening.ok()) << listening.reason;
  const int fd = listening.fd.get();
  // Were it left blocking, the extra accept would time out after 3 s instead of hanging.
  timeval limit{3, 0};
  ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit), 0);
  auto bound = parse_address(local_name(fd));
  ASSERT_TRUE(bound.ok());

  EventLoop loop;
  ASSERT_EQ(loop.open(), 0);
  Acceptor acceptor(loop, bound.value, 10);
  std::vector<Fd> accepted;
  ASSERT_EQ(acceptor.start(std::move(listening.fd),
                           [&](Fd c, std::string, Acceptor::Clock::time_point) {
                             accepted.push_back(std::move(c));
                           },
                           [&] { return accepted.size(); }),
            0);
  EXPECT_NE(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);

  Fd client = testutil::connect_client(bound.value);
  auto start = std::chrono::steady_clock::now();
  ASSERT_GE(loop.run_once(5000), 1);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(accepted.size(), 1u);
  EXPECT_LT(took, std::chrono::milliseconds(2500));
  acceptor.stop();
}
