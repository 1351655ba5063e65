// fd: ownership and classification of every kind the pump distinguishes.
#include "conduit/fd.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace conduit;

TEST(Fd, ClosesOnDestructionAndMoves) {
  int raw[2];
  ASSERT_EQ(::pipe(raw), 0);
  {
    Fd a(raw[0]);
    Fd b(std::move(a));
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.get(), raw[0]);
  }
  EXPECT_EQ(::fcntl(raw[0], F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
  Fd w(raw[1]);
  EXPECT_EQ(w.close(), 0);
  EXPECT_FALSE(w.valid());
}

TEST(Fd, ReleaseGivesUpOwnership) {
  int raw[2];
  ASSERT_EQ(::pipe(raw), 0);
  { Fd a(raw[0]); EXPECT_EQ(a.release(), raw[0]); }
  EXPECT_NE(::fcntl(raw[0], F_GETFD), -1);
  ::close(raw[0]);
  ::close(raw[1]);
}

TEST(Classify, PipeFileSocketNullAppendNonblock) {
  FdInfo info;
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK), 0);
  Fd r(p[0]), w(p[1]);
  ASSERT_EQ(classify(r.get(), info), 0);
  EXPECT_EQ(info.kind, FdKind::Pipe);
  EXPECT_TRUE(info.nonblock);
  EXPECT_TRUE(info.readable);
  EXPECT_FALSE(info.writable);

  testutil::TempFile file("abc");
  Fd f = file.open(O_WRONLY | O_APPEND);
  ASSERT_EQ(classify(f.get(), info), 0);
  EXPECT_EQ(info.kind, FdKind::Regular);
  EXPECT_TRUE(info.append);
  EXPECT_EQ(info.size, 3);

  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  Fd s0(sv[0]), s1(sv[1]);
  ASSERT_EQ(classify(s0.get(), info), 0);
  EXPECT_EQ(info.kind, FdKind::Socket);

  Fd null(::open("/dev/null", O_WRONLY));
  ASSERT_EQ(classify(null.get(), info), 0);
  EXPECT_EQ(info.kind, FdKind::DevNull);

  Fd full(::open("/dev/full", O_WRONLY));
  ASSERT_EQ(classify(full.get(), info), 0);
  EXPECT_EQ(info.kind, FdKind::CharDevice);

  Fd dir(::open("/", O_RDONLY | O_DIRECTORY));
  ASSERT_EQ(classify(dir.get(), info), 0);
  EXPECT_EQ(info.kind, FdKind::Directory);
}

TEST(Classify, BadDescriptorIsAnError) {
  FdInfo info;
  EXPECT_EQ(classify(-1, info), -EBADF);
}

TEST(SetNonblocking, TogglesTheFlag) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  Fd r(p[0]), w(p[1]);
  ASSERT_EQ(set_nonblocking(r.get(), true), 0);
  EXPECT_TRUE(::fcntl(r.get(), F_GETFL) & O_NONBLOCK);
  ASSERT_EQ(set_nonblocking(r.get(), false), 0);
  EXPECT_FALSE(::fcntl(r.get(), F_GETFL) & O_NONBLOCK);
}
