// acceptor: the listening socket of serve, fanout and relay, on their epoll loop.
//  - takes up to 64 connections per wake-up, and never more than the server has room for
//    (--max-clients): while it is full the listener is not polled and new clients wait in the
//    kernel's listen queue;
//  - EMFILE/ENFILE/ENOMEM on accept: pauses for a tenth of a second (logged once per episode)
//    instead of spinning; the waiting clients are taken when descriptors come free;
//  - stop() closes it and removes a Unix socket's file.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "conduit/fd.hpp"
#include "conduit/net/address.hpp"
#include "conduit/net/event_loop.hpp"

namespace splice_net {

class Acceptor {
 public:
  using Clock = std::chrono::steady_clock;
  // A new connection (non-blocking, close-on-exec) and its peer's name.
  using OnConnection = std::function<void(conduit::Fd fd, std::string peer, Clock::time_point now)>;
  // How many connections the server holds now (compared with `limit`).
  using OpenCount = std::function<std::size_t()>;

  // `what` names the connections in the EMFILE message ("clients", "connections").
  Acceptor(conduit::net::EventLoop& loop, const conduit::net::Address& address, std::size_t limit,
           std::string what)
      : loop_(loop), address_(address), limit_(limit), what_(std::move(what)) {}

  // Watches `listener`; 0 or -errno.
  int start(conduit::Fd listener, OnConnection on_connection, OpenCount open_count);
  // After each loop round: polls the listener again once there is room and no pause.
  void update(Clock::time_point now);
  // The loop's wait in milliseconds, shortened so a pause ends on time.
  long wait_ms(long wanted, Clock::time_point now) const;
  void stop();
  bool open() const noexcept { return listener_.valid(); }

 private:
  void on_ready(Clock::time_point now);

  conduit::net::EventLoop& loop_;
  const conduit::net::Address& address_;
  std::size_t limit_;
  std::string what_;
  OnConnection on_connection_;
  OpenCount open_count_;
  conduit::Fd listener_;
  bool polling_ = false;
  bool in_backoff_ = false;
  Clock::time_point paused_until_{};
};

}  // namespace splice_net
