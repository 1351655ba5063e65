// net/acceptor: the listening socket of a server on its epoll loop (the file server, the relay,
// the fan-out server).
//  - takes up to 64 connections per wake-up, and never more than the server has room for
//    (`limit`): while it is full the listener is not polled and new clients wait in the
//    kernel's listen queue;
//  - EMFILE/ENFILE/ENOMEM on accept: pauses for a tenth of a second (reported once per episode
//    through OnPause) instead of spinning; the waiting clients are taken when descriptors come free;
//  - stop() closes it and removes a Unix socket's file.
// It never prints: the server decides what a pause is worth saying.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "conduit/fd.hpp"
#include "conduit/net/address.hpp"
#include "conduit/net/event_loop.hpp"

namespace conduit::net {

class Acceptor {
 public:
  using Clock = std::chrono::steady_clock;
  // A new connection (non-blocking, close-on-exec) and its peer's name.
  using OnConnection = std::function<void(Fd fd, std::string peer, Clock::time_point now)>;
  // How many connections the server holds now (compared with `limit`).
  using OpenCount = std::function<std::size_t()>;
  // accept() failed for want of descriptors or memory (positive errno) with `open` connections
  // held: new connections pause. Called once per episode; may be empty.
  using OnPause = std::function<void(int error, std::size_t open)>;

  // `address` is what the listener was bound to: a Unix socket's file is removed on stop().
  Acceptor(EventLoop& loop, Address address, std::size_t limit)
      : loop_(loop), address_(std::move(address)), limit_(limit) {}

  // Watches `listener` (made non-blocking if it is not); 0 or -errno.
  int start(Fd listener, OnConnection on_connection, OpenCount open_count, OnPause on_pause = {});
  // After each loop round: polls the listener again once there is room and no pause.
  void update(Clock::time_point now);
  // The loop's wait in milliseconds, shortened so a pause ends on time.
  long wait_ms(long wanted, Clock::time_point now) const;
  void stop();
  bool open() const noexcept { return listener_.valid(); }

 private:
  void on_ready(Clock::time_point now);

  EventLoop& loop_;
  Address address_;
  std::size_t limit_;
  OnConnection on_connection_;
  OpenCount open_count_;
  OnPause on_pause_;
  Fd listener_;
  bool polling_ = false;
  bool in_backoff_ = false;
  Clock::time_point paused_until_{};
};

}  // namespace conduit::net
