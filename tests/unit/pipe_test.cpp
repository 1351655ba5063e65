// pipe: creation and growth toward a wanted capacity, never above pipe-max-size.
#include "conduit/pipe.hpp"

#include <fcntl.h>

#include <gtest/gtest.h>

using namespace conduit;

TEST(Pipe, OpensAndGrows) {
  Pipe p;
  ASSERT_EQ(p.open(), 0);
  EXPECT_TRUE(p.valid());
  EXPECT_EQ(p.capacity(), 65536u);
  long size = p.grow(256 * 1024);
  EXPECT_EQ(size, 256 * 1024);
  EXPECT_EQ(p.capacity(), 256u * 1024);
  EXPECT_EQ(pipe_size(p.read_fd()), 256 * 1024);
}

TEST(Pipe, NeverShrinksAndCapsAtMax) {
  Pipe p;
  ASSERT_EQ(p.open(), 0);
  ASSERT_EQ(p.grow(128 * 1024), 128 * 1024);
  EXPECT_EQ(p.grow(4096), 128 * 1024);
  long big = p.grow(pipe_max_size() * 4);
  EXPECT_LE(static_cast<size_t>(big), pipe_max_size());
  EXPECT_GE(big, 128 * 1024);
}

TEST(Pipe, GrowOnANonPipeIsAnError) {
  Fd null(::open("/dev/null", O_RDONLY));
  EXPECT_LT(grow_pipe(null.get(), 1 << 20), 0);
}
