// net/socket: listening on a Unix path never removes what is not a dead socket (a file, a
// directory, a FIFO, a symlink), and calls a live one with a full queue "in use" at once
// instead of waiting on it; unlink_unix removes sockets only. (A dead socket being replaced is
// in net_address_test.cpp.)
#include "conduit/net/socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace conduit;
using namespace conduit::net;

namespace {

// A private directory, removed (with what the test left in it) when the object dies.
class TempDir {
 public:
  TempDir() {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir ? dir : "/tmp") + "/conduit-sock-XXXXXX";
    if (::mkdtemp(path_.data()) == nullptr) path_.clear();
  }
  ~TempDir() {
    for (const char* name : {"s", "target", "d"}) {
      std::string p = path_ + "/" + name;
      if (::unlink(p.c_str()) != 0) ::rmdir(p.c_str());
    }
    ::rmdir(path_.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string at(const char* name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

Address unix_address(const std::string& path) {
  auto a = parse_address("unix:" + path);
  EXPECT_TRUE(a.ok()) << a.reason;
  return a.value;
}

// A listening socket bound at `path` (SOCK_STREAM), or an invalid Fd.
Fd bound_socket(const std::string& path, int backlog) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return Fd{};
  if (backlog >= 0 && ::listen(fd.get(), backlog) != 0) return Fd{};
  return fd;
}

void expect_not_a_socket(const std::string& path) {
  SocketResult r = listen_on(unix_address(path));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error, EEXIST);
  EXPECT_EQ(r.reason, "exists and is not a socket");
}

}  // namespace

TEST(NetSocket, UnixListenRefusesARegularFileAndLeavesItAlone) {
  TempDir dir;
  std::string path = dir.at("s");
  Fd f(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(f);
  ASSERT_EQ(::write(f.get(), "keep me", 7), 7);
  f.reset();
  expect_not_a_socket(path);
  Fd again(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(again);
  EXPECT_EQ(testutil::read_all(again.get()), "keep me");
  // Nor does the end of a listener remove it.
  unlink_unix(unix_address(path));
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0);
}

TEST(NetSocket, UnixListenRefusesADirectoryAFifoAndSymlinks) {
  TempDir dir;
  std::string path = dir.at("s");
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
  expect_not_a_socket(path);
  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  ASSERT_EQ(::rmdir(path.c_str()), 0);

  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  expect_not_a_socket(path);
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  ASSERT_EQ(::unlink(path.c_str()), 0);

  // A symlink is not followed, whether it points to a file or to a dead socket.
  std::string target = dir.at("target");
  Fd f(::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(f);
  ASSERT_EQ(::symlink(target.c_str(), path.c_str()), 0);
  expect_not_a_socket(path);
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_EQ(::lstat(target.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  ASSERT_EQ(::unlink(target.c_str()), 0);
  { Fd dead = bound_socket(target, -1); ASSERT_TRUE(dead); }
  expect_not_a_socket(path);
  ASSERT_EQ(::lstat(target.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
}

TEST(NetSocket, UnixListenOnALiveSocketWithAFullQueueIsInUseAtOnce) {
  TempDir dir;
  std::string path = dir.at("s");
  Fd live = bound_socket(path, 0);
  ASSERT_TRUE(live);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  std::vector<Fd> waiting;
  for (int i = 0; i < 8; ++i) {  // never accepted: the queue fills, then EAGAIN
    Fd c(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (::connect(c.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      EXPECT_EQ(errno, EAGAIN);
      break;
    }
    waiting.push_back(std::move(c));
  }
  auto start = std::chrono::steady_clock::now();
  SocketResult r = listen_on(unix_address(path));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error, EADDRINUSE);
  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
}
