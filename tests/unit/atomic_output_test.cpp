// atomic_output: a regular OUT is replaced only by commit() (mode kept, symlink kept, nothing
// left behind by discard()), anything else is written in place, and `whole` keeps even that
// empty until commit().
#include "conduit/atomic_output.hpp"

#include <gtest/gtest.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "conduit/pipe.hpp"
#include "conduit/sys.hpp"
#include "test_util.hpp"

namespace conduit {
namespace {

// A fresh directory in $TMPDIR, removed with what is left in it.
class TempDir {
 public:
  TempDir() {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir ? dir : "/tmp") + "/conduit-unit-dir-XXXXXX";
    if (::mkdtemp(path_.data()) == nullptr) path_.clear();
  }
  ~TempDir() {
    for (const std::string& name : names()) ::unlink((path_ + "/" + name).c_str());
    ::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(path_.c_str())) {
      while (dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
      ::closedir(d);
    }
    return out;
  }

 private:
  std::string path_;
};

void write_text(int fd, const std::string& text) {
  ASSERT_EQ(sys::write_all(fd, std::as_bytes(std::span(text))), static_cast<ssize_t>(text.size()));
}

void put_file(const std::string& path, const std::string& text, mode_t mode) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  ASSERT_TRUE(fd);
  write_text(fd.get(), text);
  ASSERT_EQ(::fchmod(fd.get(), mode), 0);
}

TEST(AtomicOutput, ReplacesARegularFileOnlyAtCommit) {
  TempDir dir;
  std::string out_path = dir.path() + "/out";
  put_file(out_path, "old", 0640);
  AtomicOutput out;
  AtomicOutputSettings settings;
  settings.tag = "unit";
  ASSERT_EQ(out.open(out_path, settings), 0);
  EXPECT_FALSE(out.in_place());
  EXPECT_FALSE(out.is_stdout());
  write_text(out.fd(), "new content");
  EXPECT_EQ(testutil::file_content(out_path), "old");  // nothing visible before commit
  ASSERT_EQ(out.commit(), 0);
  EXPECT_EQ(testutil::file_content(out_path), "new content");
  struct stat st {};
  ASSERT_EQ(::stat(out_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(dir.names(), std::vector<std::string>{"out"});  // no temporary name left
}

TEST(AtomicOutput, DiscardLeavesTheOldFileAndNoTemporary) {
  TempDir dir;
  std::string out_path = dir.path() + "/out";
  put_file(out_path, "old", 0600);
  {
    AtomicOutput out;
    ASSERT_EQ(out.open(out_path), 0);
    write_text(out.fd(), "partial");
    out.discard();
  }
  {
    AtomicOutput dropped;  // the destructor discards too
    ASSERT_EQ(dropped.open(out_path), 0);
    write_text(dropped.fd(), "partial");
  }
  EXPECT_EQ(testutil::file_content(out_path), "old");
  EXPECT_EQ(dir.names(), std::vector<std::string>{"out"});
}

TEST(AtomicOutput, ANewNameAppearsAtCommitWithTheRedirectionMode) {
  TempDir dir;
  std::string out_path = dir.path() + "/new";
  mode_t mask = ::umask(022);
  AtomicOutput out;
  ASSERT_EQ(out.open(out_path), 0);
  write_text(out.fd(), "x");
  struct stat st {};
  EXPECT_NE(::stat(out_path.c_str(), &st), 0);
  ASSERT_EQ(out.commit(), 0);
  ::umask(mask);
  ASSERT_EQ(::stat(out_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(testutil::file_content(out_path), "x");
}

TEST(AtomicOutput, ASymlinkIsKeptAndItsTargetReplaced) {
  TempDir dir;
  std::string target = dir.path() + "/target";
  std::string link = dir.path() + "/link";
  put_file(target, "old", 0600);
  ASSERT_EQ(::symlink("target", link.c_str()), 0);
  AtomicOutput out;
  ASSERT_EQ(out.open(link), 0);
  write_text(out.fd(), "new");
  ASSERT_EQ(out.commit(), 0);
  struct stat st {};
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(testutil::file_content(target), "new");
}

TEST(AtomicOutput, ANonRegularOutputIsWrittenInPlaceUnlessWhole) {
  Pipe p;
  ASSERT_EQ(p.open(O_NONBLOCK), 0);
  std::string name = "/proc/self/fd/" + std::to_string(p.write_fd());
  {
    AtomicOutput out;
    ASSERT_EQ(out.open(name), 0);
    EXPECT_TRUE(out.in_place());
    write_text(out.fd(), "now");
    EXPECT_EQ(testutil::read_all(p.read_fd()), "now");  // before any commit
    ASSERT_EQ(out.commit(), 0);
  }
  {
    AtomicOutput out;
    AtomicOutputSettings whole;
    whole.whole = true;
    ASSERT_EQ(out.open(name, whole), 0);
    EXPECT_TRUE(out.spooling());
    EXPECT_FALSE(out.spool_dir().empty());
    write_text(out.fd(), "later");
    EXPECT_EQ(testutil::read_all(p.read_fd()), "");  // spooled
    ASSERT_EQ(out.commit(), 0);
    EXPECT_EQ(testutil::read_all(p.read_fd()), "later");
  }
  {
    AtomicOutput out;
    AtomicOutputSettings whole;
    whole.whole = true;
    ASSERT_EQ(out.open(name, whole), 0);
    write_text(out.fd(), "never");
    out.discard();
    EXPECT_EQ(testutil::read_all(p.read_fd()), "");
  }
}

TEST(AtomicOutput, FailuresAreErrnoValues) {
  AtomicOutput out;
  EXPECT_EQ(out.open("/nonexistent-dir/out"), -ENOENT);
  const char* old = std::getenv("TMPDIR");
  std::string saved = old ? old : "";
  ::setenv("TMPDIR", "/nonexistent-dir", 1);
  AtomicOutput spooled;
  AtomicOutputSettings whole;
  whole.whole = true;
  EXPECT_EQ(spooled.open("-", whole), -ENOENT);
  EXPECT_EQ(spooled.spool_dir(), "/nonexistent-dir");  // the failure is the spool's
  if (old) ::setenv("TMPDIR", saved.c_str(), 1);
  else ::unsetenv("TMPDIR");
}

}  // namespace
}  // namespace conduit
