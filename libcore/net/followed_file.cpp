// net/followed_file: one growing file in the server's loop (see the header).
//
// Every inotify wake-up re-reads the size with fstat rather than interpreting events one by one
// (as libcore/follow.cpp does): events only say "something changed", so merged or overflowed
// events cannot lose growth, and the watch is set before the first fstat, so a write after any
// fstat wakes the loop again. Names are checked only after the events that can change them.
#include "conduit/net/followed_file.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

namespace conduit::net {

namespace {
// The least time between two writer probes while some writer keeps the file open.
constexpr auto kMinProbeGap = std::chrono::milliseconds(1000);
constexpr std::uint32_t kNameEvents = IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF;
}  // namespace

FollowedFile::FollowedFile(int fd, std::string path, std::chrono::milliseconds idle)
    : fd_(fd), path_(std::move(path)), idle_(idle) {}

FollowedFile::~FollowedFile() {
  if (loop_ && inotify_) loop_->remove(inotify_.get());
}

int FollowedFile::start(EventLoop& loop, OnChange on_change, Clock::time_point now) {
  loop_ = &loop;
  on_change_ = std::move(on_change);
  last_activity_ = now;
  auto opened = open_inotify();
  inotify_ = std::move(opened.value);
  int result = 0;
  if (!opened.ok()) {
    result = -opened.error;
  } else if (int wd = watch_open_file(inotify_.get(), fd_, kGrowthEvents); wd < 0) {
    result = wd;
  } else if (int rc = loop.add(inotify_.get(), EPOLLIN,
                               [this](std::uint32_t) { on_inotify(Clock::now()); });
             rc < 0) {
    result = rc;
  } else {
    watched_ = true;
  }
  if (!watched_) inotify_.reset();
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    error_ = errno;
    finish(End::Failed);
  } else {
    size_ = static_cast<std::uint64_t>(st.st_size);
  }
  return result;
}

void FollowedFile::on_inotify(Clock::time_point now) {
  bool names = false;
  drain_inotify(inotify_.get(), [&](int, std::uint32_t mask) {
    if (mask & IN_CLOSE_WRITE) last_activity_ = now;
    if (mask & kNameEvents) names = true;
    if (mask & (IN_IGNORED | IN_Q_OVERFLOW)) names = true;
    if (mask & IN_IGNORED) watched_ = false;  // the kernel dropped the watch: poll from now on
  });
  check(now, names);
  if (!watched_ && inotify_) {
    loop_->remove(inotify_.get());
    inotify_.reset();
  }
}

void FollowedFile::check(Clock::time_point now, bool check_name) {
  if (!following()) return;
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    error_ = errno;
    finish(End::Failed);
    return;
  }
  auto size = static_cast<std::uint64_t>(st.st_size);
  bool grew = size > size_;
  if (truncated(size, size_)) {
    size_ = size;
    finish(End::Truncated);
    return;
  }
  if (grew) {
    size_ = size;
    last_activity_ = now;
  }
  // Its name first: a file renamed over it unlinks it too, and is "replaced", not "deleted".
  if (check_name || st.st_nlink == 0) {
    struct stat named {};
    if (::stat(path_.c_str(), &named) != 0) {
      int err = errno;
      if (err != ENOENT && err != ENOTDIR) error_ = err;
      finish(error_ != 0 ? End::Failed : st.st_nlink == 0 ? End::Deleted : End::Moved);
      return;
    }
    if (named.st_dev != st.st_dev || named.st_ino != st.st_ino) {
      finish(End::Replaced);
      return;
    }
  }
  if (grew && on_change_) on_change_();
}

void FollowedFile::tick(Clock::time_point now) {
  if (!following()) return;
  if (!watched_) check(now, true);
  if (!following() || now - last_activity_ < idle_ || now < next_probe_) return;
  Writers w = file_writers(fd_);
  if (w == Writers::Some) {
    next_probe_ = now + std::max<Clock::duration>(idle_, kMinProbeGap);
    return;
  }
  writers_checked_ = w == Writers::None;
  finish(End::Idle);
}

void FollowedFile::stop() { finish(End::Stopped); }

void FollowedFile::finish(End why) {
  if (!following()) return;
  end_ = why;
  if (loop_ && inotify_) loop_->remove(inotify_.get());
  inotify_.reset();
  watched_ = false;
  if (on_change_) on_change_();
}

}  // namespace conduit::net
