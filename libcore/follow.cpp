// follow: the tail -f engine (include/conduit/follow.hpp has the rules).
//
// One loop: catch every file up (re-checking names, truncation), decide whether to stop, wait.
// Every wake-up rescans every file rather than interpreting inotify events one by one: an event
// only says "something changed", so a lost, merged or overflowed event can never lose bytes, and
// the watches are set before a file's first copy, so a write between a catch-up and the wait
// still wakes the wait.
#include "conduit/follow.hpp"

#include "conduit/file_watch.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <utility>
#include <vector>

namespace conduit {

bool process_alive(pid_t pid) noexcept {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

namespace {

// A name can come back by creation or by a rename into the directory.
constexpr std::uint32_t kDirEvents =
    IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_MODIFY | IN_CLOSE_WRITE;

enum class State : std::uint8_t {
  Open,     // being followed
  Missing,  // not openable now; retried after every wake-up
  Done,     // gave its length, or a non-regular standard input reached EOF
  Gone,     // given up
};

struct File {
  std::string path;
  bool is_stdin = false;
  Fd owned;
  int fd = -1;
  FdInfo info;
  State state = State::Missing;
  bool opened_before = false;  // `offset` applies to the first open only
  std::uint64_t pos = 0;       // next byte to copy
  std::uint64_t copied = 0;    // bytes of this file written, over all its incarnations
  int wd = -1;                 // inotify watch of the open file
  int dir_wd = -1;             // inotify watch of the directory (name mode, missing files)
  bool dir_tried = false;
  bool fresh = false;     // opened, not copied yet: copy to EOF whatever st_size says
  bool at_start = false;  // still at the starting offset, which may lie beyond the end
};

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

class Follower {
 public:
  Follower(std::span<const std::string> paths, int out, const FdInfo& out_info, Pump& pump,
           const FollowSettings& settings, const FollowReport& report)
      : out_(out), out_info_(out_info), pump_(pump), s_(settings), report_(report) {
    for (const std::string& p : paths) {
      File f;
      f.path = p;
      f.is_stdin = p == "-";
      files_.push_back(std::move(f));
    }
  }

  FollowResult run();

 private:
  void emit(FollowEventKind kind, std::size_t i, int error = 0) {
    if (report_) report_(FollowEvent{kind, i, error});
  }
  void start_inotify();
  void watch_file(std::size_t i);
  void watch_dir(std::size_t i);
  bool open_file(std::size_t i);
  void close_file(File& f);
  bool catch_up(std::size_t i);  // false: output error (result_ set)
  bool copy(std::size_t i);      // false: output error
  bool recheck_name(std::size_t i);
  bool write_header(std::size_t i);
  bool active() const;
  bool needs_timeout() const;
  bool wait();  // false: result_ set
  void drain_inotify();

  int out_;
  const FdInfo& out_info_;
  Pump& pump_;
  const FollowSettings& s_;
  const FollowReport& report_;
  std::vector<File> files_;
  Fd inotify_;
  std::size_t last_header_ = kNoFile;
  bool any_header_ = false;
  FollowResult result_;
};

void Follower::start_inotify() {
  if (!s_.inotify) return;
  auto opened = open_inotify();
  if (!opened.ok()) emit(FollowEventKind::NoInotify, kNoFile, opened.error);
  inotify_ = std::move(opened.value);
}

// The open file's own inode (standard input gets a watch too).
void Follower::watch_file(std::size_t i) {
  File& f = files_[i];
  if (!inotify_ || f.info.kind != FdKind::Regular) return;
  f.wd = watch_open_file(inotify_.get(), f.fd, kGrowthEvents);
  if (f.wd < 0) {
    int err = -f.wd;
    f.wd = -1;
    emit(FollowEventKind::NoInotify, i, err);
  }
}

void Follower::watch_dir(std::size_t i) {
  File& f = files_[i];
  if (!inotify_ || f.is_stdin || f.dir_wd >= 0 || f.dir_tried) return;
  f.dir_tried = true;  // a directory that cannot be watched is polled, not retried every time
  f.dir_wd = ::inotify_add_watch(inotify_.get(), parent_of(f.path).c_str(), kDirEvents | IN_ONLYDIR);
  if (f.dir_wd < 0) f.dir_wd = -1;
}

void Follower::close_file(File& f) {
  if (f.wd >= 0 && inotify_) {
    // Another file may share the inode's watch (the same file named twice): keep it then.
    bool shared = std::any_of(files_.begin(), files_.end(),
                              [&](const File& g) { return &g != &f && g.wd == f.wd; });
    if (!shared) ::inotify_rm_watch(inotify_.get(), f.wd);
  }
  f.wd = -1;
  f.owned.reset();
  f.fd = -1;
}

// Opens file i; on failure leaves it closed and returns false with errno set.
bool Follower::open_file(std::size_t i) {
  File& f = files_[i];
  int err = 0;
  if (f.is_stdin) {
    f.fd = STDIN_FILENO;
  } else {
    f.owned = Fd(::open(f.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!f.owned) {
      err = errno;
    } else {
      f.fd = f.owned.get();
    }
  }
  if (err == 0) {
    if (int rc = classify(f.fd, f.info); rc < 0) err = -rc;
    else if (f.info.kind == FdKind::Directory) err = EISDIR;
  }
  if (err != 0) {
    close_file(f);
    errno = err;
    return false;
  }
  std::uint64_t start = 0;
  if (f.is_stdin) {  // read from where it stands, as cat does
    off_t here = ::lseek(f.fd, 0, SEEK_CUR);
    if (here > 0) start = static_cast<std::uint64_t>(here);
  }
  if (!f.opened_before && s_.offset) start += *s_.offset;
  f.pos = start;
  f.at_start = !f.opened_before && s_.offset;
  f.fresh = true;
  f.opened_before = true;
  f.state = State::Open;
  if (f.info.kind == FdKind::Regular) ::posix_fadvise(f.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  watch_file(i);
  return true;
}

bool Follower::write_header(std::size_t i) {
  if (!s_.headers || last_header_ == i) return true;
  std::string line = std::string(any_header_ ? "\n" : "") + "==> " +
                     (files_[i].is_stdin ? std::string("standard input") : files_[i].path) +
                     " <==\n";
  PumpResult r = pump_.write(out_, std::as_bytes(std::span(line)));
  if (!r.ok()) {
    result_ = {FollowResult::End::OutputError, r.error, result_.bytes, result_.waits};
    return false;
  }
  last_header_ = i;
  any_header_ = true;
  return true;
}

// Copies what file i has beyond `pos` (within its length). A regular file that shrank is copied
// again from its start, as tail does.
bool Follower::copy(std::size_t i) {
  File& f = files_[i];
  if (f.state != State::Open) return true;
  std::optional<std::uint64_t> left;
  if (s_.length) {
    left = *s_.length - std::min(*s_.length, f.copied);
    if (*left == 0) {
      close_file(f);
      f.state = State::Done;
      return true;
    }
  }
  bool regular = f.info.kind == FdKind::Regular;
  bool fresh = std::exchange(f.fresh, false);
  if (regular) {
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) {
      emit(FollowEventKind::Gone, i, errno);
      close_file(f);
      f.state = State::Gone;
      return true;
    }
    auto size = static_cast<std::uint64_t>(st.st_size);
    // An offset beyond the end at the start is not a truncation: it waits for the file to grow.
    if (truncated(size, f.pos) && !fresh && !f.at_start) {
      emit(FollowEventKind::Truncated, i);
      f.pos = 0;
    }
    // Nothing new: no call at all (and no header). After the first copy of a file, which runs
    // to EOF whatever st_size says (/proc files say 0), st_size is trusted to say "it grew".
    if (!fresh && size <= f.pos) return true;
  }
  if (!write_header(i)) return false;
  Range range{f.pos, left};
  if (!regular) range.offset = fresh ? s_.offset : std::nullopt;  // skipped by reading
  PumpResult r = pump_.run(f.fd, f.info, out_, out_info_, range);
  f.pos += r.bytes;
  f.copied += r.bytes;
  if (r.bytes > 0) f.at_start = false;
  result_.bytes += r.bytes;
  if (!r.ok()) {
    if (r.side == PumpResult::Side::Output) {
      result_.end = FollowResult::End::OutputError;
      result_.error = r.error;
      return false;
    }
    emit(FollowEventKind::Gone, i, r.error);
    close_file(f);
    f.state = State::Gone;
    return true;
  }
  if (!regular) {  // a pipe, terminal ... on standard input: its EOF is the end
    close_file(f);
    f.state = State::Done;
  } else if (s_.length && f.copied >= *s_.length) {
    close_file(f);
    f.state = State::Done;
  }
  return true;
}

// Name mode: is the name still our file? Replaced: the old file's last bytes first.
bool Follower::recheck_name(std::size_t i) {
  File& f = files_[i];
  if (f.is_stdin || f.state == State::Done || f.state == State::Gone) return true;
  struct stat st {};
  if (::stat(f.path.c_str(), &st) != 0) {
    int err = errno;
    if (f.state != State::Open) return true;
    if (!copy(i)) return false;
    if (f.state != State::Open) return true;
    close_file(f);
    if (s_.retry) {
      emit(FollowEventKind::Inaccessible, i, err);
      f.state = State::Missing;
      watch_dir(i);
    } else {
      emit(FollowEventKind::Gone, i, err);
      f.state = State::Gone;
    }
    return true;
  }
  if (f.state == State::Open && st.st_dev == f.info.dev && st.st_ino == f.info.ino) return true;
  if (f.state == State::Open) {
    if (!copy(i)) return false;
    if (f.state != State::Open) return true;
    close_file(f);
    if (!open_file(i)) {
      f.state = s_.retry ? State::Missing : State::Gone;
      emit(s_.retry ? FollowEventKind::Inaccessible : FollowEventKind::Gone, i, errno);
      return true;
    }
    emit(FollowEventKind::Replaced, i);
  }
  return true;
}

bool Follower::catch_up(std::size_t i) {
  File& f = files_[i];
  if (f.state == State::Missing) {
    if (!open_file(i)) return true;
    emit(FollowEventKind::Appeared, i);
  }
  if (s_.mode == FollowMode::Name && !recheck_name(i)) return false;
  if (f.state == State::Open && out_info_.kind == FdKind::Regular &&
      f.info.kind == FdKind::Regular && f.info.dev == out_info_.dev &&
      f.info.ino == out_info_.ino) {
    emit(FollowEventKind::SameAsOutput, i);
    close_file(f);
    f.state = State::Gone;
    return true;
  }
  return copy(i);
}

bool Follower::active() const {
  return std::any_of(files_.begin(), files_.end(), [](const File& f) {
    return f.state == State::Open || f.state == State::Missing;
  });
}

// inotify alone can wake us only when every file that may change has a watch.
bool Follower::needs_timeout() const {
  if (!inotify_ || s_.pid) return true;
  for (const File& f : files_) {
    if (f.state == State::Open && f.info.kind == FdKind::Regular && f.wd < 0) return true;
    if (f.state == State::Missing && f.dir_wd < 0) return true;
  }
  return false;
}

void Follower::drain_inotify() {
  conduit::drain_inotify(inotify_.get(), [this](int wd, std::uint32_t mask) {
    if (!(mask & IN_IGNORED)) return;  // the kernel dropped a watch (inode gone, unmounted)
    for (File& f : files_) {
      if (f.wd == wd) f.wd = -1;
      if (f.dir_wd == wd) f.dir_wd = -1;
    }
  });
}

bool Follower::wait() {
  std::array<pollfd, 2> fds{};
  nfds_t n = 0;
  if (inotify_) fds[n++] = {inotify_.get(), POLLIN, 0};
  // A pipe or socket whose reader left says POLLERR/POLLHUP with no events asked.
  bool watch_out = out_info_.kind == FdKind::Pipe || out_info_.kind == FdKind::Socket;
  std::size_t out_slot = n;
  if (watch_out) fds[n++] = {out_, 0, 0};
  long long ms = needs_timeout() ? s_.sleep_interval.count() : -1;
  int timeout = ms < 0 ? -1 : static_cast<int>(std::min<long long>(ms, INT_MAX));
  ++result_.waits;
  int rc = ::poll(fds.data(), n, timeout);
  if (rc < 0) {
    if (errno == EINTR) return true;
    result_.end = FollowResult::End::WaitError;
    result_.error = errno;
    return false;
  }
  if (watch_out && (fds[out_slot].revents & (POLLERR | POLLHUP))) {
    result_.end = FollowResult::End::OutputError;
    result_.error = EPIPE;
    return false;
  }
  if (inotify_ && (fds[0].revents & POLLIN)) drain_inotify();
  return true;
}

FollowResult Follower::run() {
  start_inotify();
  for (std::size_t i = 0; i < files_.size(); ++i) {
    if (!open_file(i)) {
      emit(FollowEventKind::OpenFailed, i, errno);
      files_[i].state = s_.retry ? State::Missing : State::Gone;
      if (s_.retry) watch_dir(i);
      continue;
    }
    if (s_.mode == FollowMode::Name) watch_dir(i);
    if (s_.headers && !write_header(i)) return result_;
    if (!catch_up(i)) return result_;
  }
  for (;;) {
    bool pid_dead = s_.pid && !process_alive(*s_.pid);
    for (std::size_t i = 0; i < files_.size(); ++i) {
      if (files_[i].state == State::Missing || files_[i].state == State::Open) {
        if (!catch_up(i)) return result_;
        if (s_.mode == FollowMode::Name && files_[i].state == State::Open) watch_dir(i);
      }
    }
    if (!active()) {
      bool all_done = std::all_of(files_.begin(), files_.end(),
                                  [](const File& f) { return f.state == State::Done; });
      bool any_done = std::any_of(files_.begin(), files_.end(),
                                  [](const File& f) { return f.state == State::Done; });
      result_.end = all_done || any_done ? FollowResult::End::Done
                                         : FollowResult::End::NoFilesRemaining;
      return result_;
    }
    if (pid_dead) {
      result_.end = FollowResult::End::PidDied;
      return result_;
    }
    if (!wait()) return result_;
  }
}

}  // namespace

FollowResult follow(std::span<const std::string> paths, int out, const FdInfo& out_info,
                    Pump& pump, const FollowSettings& settings, const FollowReport& report,
                    Stats* stats) {
  Follower follower(paths, out, out_info, pump, settings, report);
  FollowResult result = follower.run();
  if (stats) stats->waits += result.waits;
  return result;
}

}  // namespace conduit
