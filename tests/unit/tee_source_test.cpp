// tee_source: the pipe a tee(2) fan-out reads from: the input pipe itself, or a broker.
#include "conduit/tee_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace conduit;

TEST(TeeSource, APipeInputIsTheSourceItself) {
  Pipe in;
  ASSERT_EQ(in.open(), 0);
  FdInfo info;
  ASSERT_EQ(classify(in.read_fd(), info), 0);
  TeeSource source;
  ASSERT_EQ(source.open(in.read_fd(), info, 256 * 1024), 0);
  EXPECT_FALSE(source.brokered());
  EXPECT_EQ(source.fd(), in.read_fd());
  EXPECT_GE(source.capacity(), 65536u);
  ASSERT_EQ(::write(in.write_fd(), "hello", 5), 5);
  EXPECT_EQ(source.held(), 5u);  // what the pipe holds (FIONREAD)
  source.take(5);
  EXPECT_EQ(source.consumed(), 5u);
}

TEST(TeeSource, AFileInputGoesThroughABrokerThatCountsPositions) {
  const std::string content = testutil::random_bytes(300 * 1024);
  testutil::TempFile file(content);
  Fd in = file.open(O_RDONLY);
  FdInfo info;
  ASSERT_EQ(classify(in.get(), info), 0);
  TeeSource source;
  ASSERT_EQ(source.open(in.get(), info, 64 * 1024, O_NONBLOCK), 0);
  ASSERT_TRUE(source.brokered());
  EXPECT_NE(source.fd(), in.get());
  const std::size_t capacity = source.capacity();
  EXPECT_EQ(source.room(), capacity);
  ssize_t n = source.refill(SPLICE_F_NONBLOCK);
  ASSERT_EQ(n, static_cast<ssize_t>(capacity));  // a file always has the bytes
  EXPECT_EQ(source.end(), capacity);
  EXPECT_EQ(source.held(), capacity);
  EXPECT_EQ(source.room(), 0u);
  EXPECT_EQ(testutil::read_all(source.fd()), content.substr(0, capacity));
  source.take(capacity);
  EXPECT_EQ(source.held(), 0u);
  EXPECT_EQ(source.room(), capacity);
  // The copying path reading the input itself: the broker's positions follow.
  source.take(10);
  source.skip_broker();
  EXPECT_EQ(source.end(), source.consumed());
  EXPECT_EQ(source.held(), 0u);
}
