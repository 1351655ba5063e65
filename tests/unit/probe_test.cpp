// probe: only a path's first call may fall back; after it has moved bytes its errors are real.
#include "conduit/probe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <gtest/gtest.h>

#include "conduit/pipe.hpp"
#include "test_util.hpp"

using namespace conduit;

TEST(PathProbe, RefusalBeforeAnyByteFallsBackAndIsCounted) {
  for (int err : {EINVAL, ENOSYS, EOPNOTSUPP, EXDEV, ESPIPE, EBADF}) {
    Stats stats;
    PathProbe probe;
    EXPECT_TRUE(probe.falls_back(-err, stats)) << err;
    EXPECT_EQ(stats.fallbacks, 1u);
    EXPECT_FALSE(probe.proven());
  }
}

TEST(PathProbe, AfterBytesMovedTheSameErrorIsReal) {
  Stats stats;
  PathProbe probe;
  EXPECT_FALSE(probe.falls_back(4096, stats));
  EXPECT_TRUE(probe.proven());
  EXPECT_FALSE(probe.falls_back(-EINVAL, stats));
  EXPECT_FALSE(probe.falls_back(-ENOSYS, stats));
  EXPECT_EQ(stats.fallbacks, 0u);
}

TEST(PathProbe, RealErrorsAndWaitsNeverFallBack) {
  Stats stats;
  PathProbe probe;
  for (int err : {EIO, ENOSPC, EPIPE, EAGAIN, ECONNRESET}) EXPECT_FALSE(probe.falls_back(-err, stats)) << err;
  EXPECT_EQ(stats.fallbacks, 0u);
  EXPECT_FALSE(probe.proven());  // an error proves nothing: a refusal may still come first
  EXPECT_TRUE(probe.falls_back(-EINVAL, stats));
}

TEST(PathProbe, FirstZeroIsTheEndOrARefusalAsThePathSays) {
  Stats stats;
  PathProbe eof;
  EXPECT_FALSE(eof.falls_back(0, stats));
  PathProbe procfs(PathProbe::FirstZero::Refusal);
  EXPECT_TRUE(procfs.falls_back(0, stats));
  EXPECT_EQ(stats.fallbacks, 1u);
  PathProbe later(PathProbe::FirstZero::Refusal);
  EXPECT_FALSE(later.falls_back(1, stats));
  EXPECT_FALSE(later.falls_back(0, stats));  // after bytes, 0 is the end
  EXPECT_EQ(stats.fallbacks, 1u);
}

TEST(PathProbe, ProveMarksBytesMovedElsewhere) {
  Stats stats;
  PathProbe probe;
  probe.prove();
  EXPECT_FALSE(probe.falls_back(-EINVAL, stats));
}

// The kernel's own refusal: splice into an O_APPEND file is EINVAL (KERNEL-NOTES.md).
TEST(PathProbe, KernelRefusalOfSpliceIntoAppendFile) {
  testutil::TempFile file("");
  Fd out = file.open(O_WRONLY | O_APPEND);
  ASSERT_TRUE(out.valid());
  Pipe p;
  ASSERT_EQ(p.open(), 0);
  ASSERT_EQ(::write(p.write_fd(), "x", 1), 1);
  Stats stats;
  PathProbe probe;
  ssize_t n = sys::splice(p.read_fd(), nullptr, out.get(), nullptr, 1, 0);
  EXPECT_TRUE(probe.falls_back(n, stats)) << n;
  EXPECT_EQ(stats.fallbacks, 1u);
}
