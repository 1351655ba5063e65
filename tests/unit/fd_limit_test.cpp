// fd_limit: the soft RLIMIT_NOFILE goes up to the hard limit, and stays there when it already is.
#include "conduit/fd_limit.hpp"

#include <sys/resource.h>

#include <gtest/gtest.h>

TEST(FdLimit, RaisesTheSoftLimitToTheHardOne) {
  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &before), 0);
  if (before.rlim_max == RLIM_INFINITY || before.rlim_max < 512) GTEST_SKIP() << "hard limit unusual here";
  rlimit lowered{256, before.rlim_max};
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
  EXPECT_EQ(conduit::raise_fd_limit(), static_cast<long>(before.rlim_max));
  rlimit now{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(now.rlim_cur, before.rlim_max);
  EXPECT_EQ(conduit::raise_fd_limit(), static_cast<long>(before.rlim_max));  // already there
  ::setrlimit(RLIMIT_NOFILE, &before);
}
