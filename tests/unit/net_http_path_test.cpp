// net/http_path: %-decoding once, dot-segments, dot-files, malformed targets; openat2 beneath a
// root and the O_NOFOLLOW walk that replaces it (forced here), against a real tree with
// symlinks that stay inside and symlinks that leave.
#include "conduit/net/http_path.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <string>

using namespace conduit;
using namespace conduit::net::http;

namespace {

TargetPath::Status status_of(const char* t) { return decode_target(t).status; }

// A temporary tree: root/{a.txt, sub/b.txt, in -> sub/b.txt, out -> /etc/passwd,
// updir -> .., magic -> /proc/self/root/..., .hidden}, removed by `rm -r` at the end.
struct Tree {
  std::string top, root;
  Tree() {
    const char* dir = std::getenv("TMPDIR");
    top = std::string(dir ? dir : "/tmp") + "/conduit-path-XXXXXX";
    EXPECT_NE(::mkdtemp(top.data()), nullptr);
    root = top + "/root";
    EXPECT_EQ(::mkdir(root.c_str(), 0755), 0);
    EXPECT_EQ(::mkdir((root + "/sub").c_str(), 0755), 0);
    write(top + "/secret", "outside");
    write(root + "/a.txt", "a");
    write(root + "/sub/b.txt", "b");
    write(root + "/.hidden", "h");
    EXPECT_EQ(::symlink("sub/b.txt", (root + "/in").c_str()), 0);
    EXPECT_EQ(::symlink((top + "/secret").c_str(), (root + "/out").c_str()), 0);
    EXPECT_EQ(::symlink("../secret", (root + "/rel-out").c_str()), 0);
    EXPECT_EQ(::symlink("..", (root + "/updir").c_str()), 0);
    EXPECT_EQ(::symlink("/proc/self/root/etc/passwd", (root + "/magic").c_str()), 0);
  }
  ~Tree() {
    std::string cmd = "rm -rf '" + top + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
  }
  static void write(const std::string& path, const std::string& text) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    ASSERT_TRUE(fd.valid());
    ASSERT_EQ(::write(fd.get(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
};

std::string read_fd(int fd) {
  char buf[64];
  ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

TEST(NetHttpPath, DecodesOnceAndSplits) {
  TargetPath p = decode_target("/a%20b/c%25d.txt?x=1#frag");
  ASSERT_EQ(p.status, TargetPath::Status::Ok);
  ASSERT_EQ(p.components.size(), 2u);
  EXPECT_EQ(p.components[0], "a b");
  EXPECT_EQ(p.components[1], "c%d.txt");  // "%25" is a '%', not the start of another escape
  EXPECT_FALSE(p.trailing_slash);
  EXPECT_EQ(p.path, "/a b/c%d.txt");
  p = decode_target("/");
  EXPECT_EQ(p.status, TargetPath::Status::Ok);
  EXPECT_TRUE(p.components.empty());
  EXPECT_TRUE(p.trailing_slash);
  p = decode_target("//x/./y/../z/");
  ASSERT_EQ(p.status, TargetPath::Status::Ok);
  EXPECT_EQ(p.path, "/x/z/");
  EXPECT_TRUE(p.trailing_slash);
  // absolute-form: only the path counts
  p = decode_target("http://example.com/d/f");
  EXPECT_EQ(p.path, "/d/f");
}

TEST(NetHttpPath, RefusesWhatNoFileNameHolds) {
  EXPECT_EQ(status_of("*"), TargetPath::Status::Bad);
  EXPECT_EQ(status_of("example.com:80"), TargetPath::Status::Bad);
  EXPECT_EQ(status_of("/../etc/passwd"), TargetPath::Status::Bad);
  EXPECT_EQ(status_of("/a/../../etc/passwd"), TargetPath::Status::Bad);
  EXPECT_EQ(status_of("/%2e%2e/%2E%2E/etc/passwd"), TargetPath::Status::Bad);
  EXPECT_EQ(status_of("/a%2fb"), TargetPath::Status::Bad);  // no name holds a '/'
  EXPECT_EQ(status_of("/a%00.txt"), TargetPath::Status::Bad);
  EXPECT_EQ(status_of("/a%2"), TargetPath::Status::Bad);
  EXPECT_EQ(status_of("/a%zz"), TargetPath::Status::Bad);
  EXPECT_EQ(status_of("/a\x01"), TargetPath::Status::Bad);
  // %252e%252e is "%2e%2e" once decoded: a strange name, not a parent
  TargetPath p = decode_target("/%252e%252e");
  ASSERT_EQ(p.status, TargetPath::Status::Ok);
  EXPECT_EQ(p.components[0], "%2e%2e");
  // inside the root, ".." is fine
  EXPECT_EQ(decode_target("/a/../b").path, "/b");
}

TEST(NetHttpPath, DotFilesAreHidden) {
  EXPECT_EQ(status_of("/.env"), TargetPath::Status::Hidden);
  EXPECT_EQ(status_of("/.git/config"), TargetPath::Status::Hidden);
  EXPECT_EQ(status_of("/%2egit/config"), TargetPath::Status::Hidden);
  EXPECT_EQ(status_of("/a/.htpasswd"), TargetPath::Status::Hidden);
  EXPECT_EQ(status_of("/a.b/c"), TargetPath::Status::Ok);
}

TEST(NetHttpPath, PercentEncode) {
  EXPECT_EQ(percent_encode("a b&<x>.txt"), "a%20b&%3Cx%3E.txt");
  EXPECT_EQ(percent_encode("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(percent_encode("100%"), "100%25");
}

class NetHttpPathOpen : public ::testing::TestWithParam<bool> {};

TEST_P(NetHttpPathOpen, StaysBeneathTheRoot) {
  bool fallback = GetParam();
  Tree t;
  Fd root(::open(t.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(root.valid());
  auto open = [&](const char* rel) { return open_beneath(root.get(), rel, O_RDONLY, fallback); };
  int fd = open("a.txt");
  ASSERT_GE(fd, 0);
  EXPECT_EQ(read_fd(fd), "a");
  ::close(fd);
  fd = open("sub/b.txt");
  ASSERT_GE(fd, 0);
  EXPECT_EQ(read_fd(fd), "b");
  ::close(fd);
  EXPECT_EQ(open("nothing"), -ENOENT);
  EXPECT_EQ(open("sub/nothing"), -ENOENT);
  EXPECT_EQ(open("a.txt/x"), fallback ? -ENOENT : -ENOTDIR);
  // Out of the root, by every road: refused, never opened.
  for (const char* rel : {"out", "rel-out", "magic", "../secret", "sub/../../secret", "updir/secret"}) {
    fd = open(rel);
    EXPECT_LT(fd, 0) << rel;
    if (fd >= 0) ::close(fd);
    EXPECT_TRUE(fd == -EXDEV || fd == -ELOOP) << rel << ": " << fd;
  }
  // A symlink inside the root: followed by openat2, refused by the stricter walk.
  fd = open("in");
  if (fallback) {
    EXPECT_EQ(fd, -ELOOP);
  } else {
    ASSERT_GE(fd, 0);
    EXPECT_EQ(read_fd(fd), "b");
    ::close(fd);
  }
}

INSTANTIATE_TEST_SUITE_P(OpenAt2AndWalk, NetHttpPathOpen, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Walk" : "OpenAt2"; });
