// sys: the waiting read helpers. An fd someone left O_NONBLOCK is waited out with poll(), and a
// wait that fails is an error, never a spin.
#include "conduit/sys.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "conduit/pipe.hpp"

using namespace conduit;

namespace {

Pipe nonblocking_pipe() {
  Pipe p;
  EXPECT_EQ(p.open(O_NONBLOCK), 0);
  return p;
}

void write_later(int fd, std::string text) {
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
}

}  // namespace

TEST(SysRead, ReadFullWaitsOutEagainUntilFull) {
  Pipe p = nonblocking_pipe();
  std::thread writer([&] {
    write_later(p.write_fd(), "abc");
    write_later(p.write_fd(), "defgh");
  });
  std::array<std::byte, 8> buf{};
  std::uint64_t calls = 0;
  EXPECT_EQ(sys::read_full(p.read_fd(), buf, &calls), 8);
  writer.join();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), buf.size()), "abcdefgh");
  EXPECT_GE(calls, 3u);  // EAGAIN, "abc", EAGAIN..., "defgh"
}

TEST(SysRead, ReadFullIsShortOnlyAtTheEnd) {
  Pipe p = nonblocking_pipe();
  ASSERT_EQ(::write(p.write_fd(), "xy", 2), 2);
  p.write_end().reset();
  std::array<std::byte, 8> buf{};
  EXPECT_EQ(sys::read_full(p.read_fd(), buf), 2);
  EXPECT_EQ(sys::read_full(p.read_fd(), buf), 0);
}

TEST(SysRead, ReadSomeWaitsThenReturnsWhatCame) {
  Pipe p = nonblocking_pipe();
  std::thread writer([&] { write_later(p.write_fd(), "hello"); });
  std::array<std::byte, 64> buf{};
  EXPECT_EQ(sys::read_some(p.read_fd(), buf), 5);
  writer.join();
}

TEST(SysRead, ReadStridedFillsThePiecesAndWaitsOutEagain) {
  // Pieces of 3 bytes, 5 apart: the 2 bytes between them are left as they were.
  Pipe p = nonblocking_pipe();
  std::thread writer([&] {
    write_later(p.write_fd(), "abcd");
    write_later(p.write_fd(), "efgh");
  });
  std::array<std::byte, 15> buf{};
  buf.fill(std::byte{'.'});
  std::uint64_t calls = 0;
  EXPECT_EQ(sys::read_strided(p.read_fd(), buf.data(), 3, 5, 8, &calls), 8);
  writer.join();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), buf.size()), "abc..def..gh...");
  EXPECT_GE(calls, 3u);  // EAGAIN, "abcd", EAGAIN..., "efgh"
  p.write_end().reset();
  EXPECT_EQ(sys::read_strided(p.read_fd(), buf.data(), 3, 5, 8), 0);  // the end of input
}

// poll() fails with EINVAL when nfds exceeds RLIMIT_NOFILE: a wait that fails must end the read
// with that error instead of retrying the read for ever. Run in a child with the limit at 0.
TEST(SysRead, AFailedWaitIsAnErrorNotASpin) {
  Pipe p = nonblocking_pipe();  // the writer stays open: the read would wait for ever
  for (int which = 0; which < 2; ++which) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::alarm(10);  // a spin dies of SIGALRM instead of hanging the test
      struct rlimit none {0, 0};
      ::setrlimit(RLIMIT_NOFILE, &none);
      std::array<std::byte, 4> buf{};
      ssize_t n = which == 0 ? sys::read_full(p.read_fd(), buf) : sys::read_some(p.read_fd(), buf);
      ::_exit(n == -EINVAL ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << which << " status " << status;
  }
}
