// operand: "-" is standard input, a file is opened and classified, a directory is refused.
#include "conduit/operand.hpp"

#include <unistd.h>

#include <cerrno>

#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace conduit;

TEST(Operand, DashIsStandardInputBorrowed) {
  InputOperand in;
  ASSERT_EQ(open_input("-", in), 0);
  EXPECT_TRUE(in.is_stdin);
  EXPECT_EQ(in.fd, STDIN_FILENO);
  EXPECT_FALSE(in.owned.valid());
}

TEST(Operand, FileIsOpenedAndClassified) {
  testutil::TempFile file("hello");
  InputOperand in;
  ASSERT_EQ(open_input(file.path(), in), 0);
  EXPECT_FALSE(in.is_stdin);
  EXPECT_EQ(in.fd, in.owned.get());
  EXPECT_EQ(in.info.kind, FdKind::Regular);
  EXPECT_EQ(testutil::read_all(in.fd), "hello");
}

TEST(Operand, MissingFileAndDirectoryAreErrors) {
  InputOperand in;
  EXPECT_EQ(open_input("/nonexistent/conduit-operand", in), -ENOENT);
  EXPECT_EQ(open_input("/", in), -EISDIR);
  EXPECT_FALSE(in.owned.valid() && in.info.kind != FdKind::Directory);
}
