// net/followed_file: the file server's --follow: one growing file watched from inside the
// server's epoll loop (its inotify fd is one more source in net::EventLoop), so every client can
// be sent what is appended the moment it is, and a client waiting for more costs nothing.
//
// It knows the file's size (what may be sent now) and whether it is still followed. Following
// ends, for good, when
//  - Idle: no writer has the file open (net file_writers(): a read lease) and it has neither
//    grown nor been closed by a writer for `idle`; where writers cannot be told (Unknown), `idle`
//    without growth alone ends it;
//  - Deleted: its last name was unlinked; Replaced: its name now names another file; Moved: its
//    name names nothing, the file lives on under another (renamed away);
//  - Truncated: it shrank below what may already have been sent;
//  - Stopped: stop() (the server stops); Failed: fstat failed (error).
// Where inotify cannot watch (start() fails), tick() polls the file instead, at its caller's
// pace. It never prints: on_change is called after the size grew or following ended.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "conduit/fd.hpp"
#include "conduit/file_watch.hpp"
#include "conduit/net/event_loop.hpp"

namespace conduit::net {

class FollowedFile {
 public:
  using Clock = std::chrono::steady_clock;
  enum class End : std::uint8_t { None, Idle, Deleted, Replaced, Moved, Truncated, Stopped, Failed };
  using OnChange = std::function<void()>;

  // `fd`: the open file, borrowed; `path`: its name, checked after renames and unlinks.
  FollowedFile(int fd, std::string path, std::chrono::milliseconds idle);
  ~FollowedFile();
  FollowedFile(const FollowedFile&) = delete;
  FollowedFile& operator=(const FollowedFile&) = delete;

  // Reads the size and watches the file, its inotify fd added to `loop`. 0, or -errno when
  // inotify cannot be used (following goes on by tick()'s polling); a failed fstat ends it.
  int start(EventLoop& loop, OnChange on_change, Clock::time_point now);
  // The clock: the idle end, and polling where there is no watch. Call it every few hundred ms.
  void tick(Clock::time_point now);
  // Ends following (End::Stopped) if it has not ended.
  void stop();

  std::uint64_t size() const noexcept { return size_; }
  bool following() const noexcept { return end_ == End::None; }
  End end() const noexcept { return end_; }
  int error() const noexcept { return error_; }  // End::Failed: positive errno
  // End::Idle: whether the writers could be checked (false: ended by `idle` without growth alone).
  bool writers_checked() const noexcept { return writers_checked_; }
  std::chrono::milliseconds idle() const noexcept { return idle_; }
  const std::string& path() const noexcept { return path_; }

 private:
  void on_inotify(Clock::time_point now);
  void check(Clock::time_point now, bool check_name);
  void finish(End why);

  int fd_;
  std::string path_;
  std::chrono::milliseconds idle_;
  EventLoop* loop_ = nullptr;
  OnChange on_change_;
  Fd inotify_;
  bool watched_ = false;
  std::uint64_t size_ = 0;
  End end_ = End::None;
  int error_ = 0;
  bool writers_checked_ = false;
  Clock::time_point last_activity_{};  // the last growth or writer's close
  Clock::time_point next_probe_{};     // writers were there: ask again no sooner than this
};

}  // namespace conduit::net
