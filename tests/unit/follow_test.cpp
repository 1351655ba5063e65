// follow: the tail -f engine copies what is there, then what is appended, reports truncation
// and replacement as events, ends on --pid, on the length, on a vanished reader, and waits
// with inotify or, without it, by polling.
#include "conduit/follow.hpp"
#include "conduit/pipe.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace conduit;
using conduit::testutil::TempFile;
using namespace std::chrono_literals;

namespace {

FdInfo info_of(int fd) {
  FdInfo info;
  EXPECT_EQ(classify(fd, info), 0);
  return info;
}

void append(const std::string& path, const std::string& text, int flags = O_APPEND) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | flags | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd);
  ASSERT_EQ(::write(fd.get(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
}

std::string slurp(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  return fd ? testutil::read_all(fd.get()) : std::string();
}

// Waits (at most 30 s) until `path` holds `size` bytes: the follower has copied them.
bool reaches(const std::string& path, off_t size) {
  for (int i = 0; i < 3000; ++i) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && st.st_size >= size) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// A child process that lives until end() (which reaps it, so kill(pid, 0) then fails).
class Child {
 public:
  Child() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(fds[1]);
      char c;
      while (::read(fds[0], &c, 1) > 0) {
      }
      ::_exit(0);
    }
    ::close(fds[0]);
    hold_ = Fd(fds[1]);
  }
  ~Child() { end(); }
  pid_t pid() const { return pid_; }
  void end() {
    if (pid_ <= 0) return;
    hold_.reset();
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  Fd hold_;
};

struct Outcome {
  FollowResult result;
  std::vector<FollowEvent> events;
  Stats stats;
};

// Follows `paths` into the regular file `out` on a thread of its own.
class Follow {
 public:
  Follow(std::vector<std::string> paths, const std::string& out, FollowSettings settings)
      : paths_(std::move(paths)), settings_(settings) {
    out_ = Fd(::open(out.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    thread_ = std::thread([this] {
      Pump pump(PumpOptions{}, &run_.stats);
      FdInfo out_info = info_of(out_.get());
      run_.result = follow(paths_, out_.get(), out_info, pump, settings_,
                           [this](const FollowEvent& e) { run_.events.push_back(e); }, &run_.stats);
    });
  }
  const Outcome& join() {
    thread_.join();
    return run_;
  }

 private:
  std::vector<std::string> paths_;
  FollowSettings settings_;
  Fd out_;
  Outcome run_;
  std::thread thread_;
};

FollowSettings quick(pid_t pid) {
  FollowSettings s;
  s.pid = pid;
  s.sleep_interval = 20ms;
  return s;
}

}  // namespace

TEST(Follow, CopiesWhatIsThereThenWhatIsAppendedUntilThePidDies) {
  TempFile in("start\n"), out;
  Child child;
  Follow f({in.path()}, out.path(), quick(child.pid()));
  ASSERT_TRUE(reaches(out.path(), 6));
  std::string expect = "start\n";
  for (int i = 0; i < 50; ++i) {
    std::string piece(static_cast<std::size_t>(i * 37 % 101), static_cast<char>('a' + i % 26));
    append(in.path(), piece);
    expect += piece;
  }
  child.end();
  const Outcome& run = f.join();
  EXPECT_EQ(run.result.end, FollowResult::End::PidDied);
  EXPECT_EQ(slurp(out.path()), expect);
  EXPECT_EQ(run.result.bytes, expect.size());
  EXPECT_GE(run.stats.waits, 1u);
  EXPECT_EQ(run.stats.waits, run.result.waits);
  EXPECT_TRUE(run.events.empty());
}

TEST(Follow, ATruncatedFileIsReportedAndCopiedAgainFromItsStart) {
  TempFile in("hello world\n"), out;
  Child child;
  Follow f({in.path()}, out.path(), quick(child.pid()));
  ASSERT_TRUE(reaches(out.path(), 12));
  append(in.path(), "ab\n", O_TRUNC);
  ASSERT_TRUE(reaches(out.path(), 15));
  child.end();
  const Outcome& run = f.join();
  EXPECT_EQ(slurp(out.path()), "hello world\nab\n");
  ASSERT_EQ(run.events.size(), 1u);
  EXPECT_EQ(run.events[0].kind, FollowEventKind::Truncated);
  EXPECT_EQ(run.events[0].file, 0u);
}

TEST(Follow, WithoutInotifyItPolls) {
  TempFile in("a"), out;
  Child child;
  FollowSettings s = quick(child.pid());
  s.inotify = false;
  Follow f({in.path()}, out.path(), s);
  ASSERT_TRUE(reaches(out.path(), 1));
  append(in.path(), "b");
  ASSERT_TRUE(reaches(out.path(), 2));
  child.end();
  const Outcome& run = f.join();
  EXPECT_EQ(slurp(out.path()), "ab");
  EXPECT_TRUE(run.events.empty());  // polling by request is not "inotify cannot be used"
}

TEST(Follow, TheLengthEndsTheRunAndOffsetStartsIt) {
  TempFile in("0123456789"), out;
  FollowSettings s;
  s.offset = 8;
  s.length = 5;
  Follow f({in.path()}, out.path(), s);
  ASSERT_TRUE(reaches(out.path(), 2));
  append(in.path(), "abcdef");
  const Outcome& run = f.join();
  EXPECT_EQ(run.result.end, FollowResult::End::Done);
  EXPECT_EQ(slurp(out.path()), "89abc");
}

TEST(Follow, AMissingFileWithoutRetryIsGivenUp) {
  TempFile out;
  std::string missing = out.path() + ".missing";
  Follow f({missing}, out.path(), FollowSettings{});
  const Outcome& run = f.join();
  EXPECT_EQ(run.result.end, FollowResult::End::NoFilesRemaining);
  ASSERT_EQ(run.events.size(), 1u);
  EXPECT_EQ(run.events[0].kind, FollowEventKind::OpenFailed);
  EXPECT_EQ(run.events[0].error, ENOENT);
}

TEST(Follow, NameModeFollowsAReplacementFromItsStart) {
  TempFile in("old\n"), out;
  Child child;
  FollowSettings s = quick(child.pid());
  s.mode = FollowMode::Name;
  Follow f({in.path()}, out.path(), s);
  ASSERT_TRUE(reaches(out.path(), 4));
  std::string next = in.path() + ".next";
  append(next, "new\n");
  ASSERT_EQ(::rename(next.c_str(), in.path().c_str()), 0);
  ASSERT_TRUE(reaches(out.path(), 8));
  child.end();
  const Outcome& run = f.join();
  EXPECT_EQ(slurp(out.path()), "old\nnew\n");
  ASSERT_EQ(run.events.size(), 1u);
  EXPECT_EQ(run.events[0].kind, FollowEventKind::Replaced);
}

TEST(Follow, AReaderThatGoesAwayEndsTheWaitWithEpipe) {
  TempFile in("");
  auto old = ::signal(SIGPIPE, SIG_IGN);
  Pipe p;
  ASSERT_EQ(p.open(), 0);
  p.read_end().reset();
  Pump pump(PumpOptions{});
  FollowResult r = follow(std::vector<std::string>{in.path()}, p.write_fd(), info_of(p.write_fd()),
                          pump, FollowSettings{}, {});
  ::signal(SIGPIPE, old);
  EXPECT_EQ(r.end, FollowResult::End::OutputError);
  EXPECT_EQ(r.error, EPIPE);
}

TEST(Follow, StatsShowWaitsOnlyWhenThereWereAny) {
  Stats s;
  EXPECT_EQ(format_stats_text(s, "p", 1).find("waits"), std::string::npos);
  EXPECT_EQ(format_stats_json(s, "p", 1).find("waits"), std::string::npos);
  s.waits = 3;
  Stats merged;
  merged.merge(s);
  EXPECT_NE(format_stats_text(merged, "p", 1).find("p:   waits for more input: 3\n"), std::string::npos);
  EXPECT_NE(format_stats_json(merged, "p", 1).find(",\"waits\":3}"), std::string::npos);
}
