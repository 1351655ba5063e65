// net/event_loop: a small epoll loop, the one under every server engine (net/server_loop): one
// callback per fd, safe removal from inside a callback, and "call me again" for
// work that stopped early to let other clients have their turn (edge-triggered fds do not
// report the same readiness twice).
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "conduit/fd.hpp"

namespace conduit::net {

class EventLoop {
 public:
  using Callback = std::function<void(std::uint32_t events)>;

  // epoll_create1; 0 or -errno.
  int open();

  // Watches `fd` for `events` (EPOLLIN, EPOLLOUT, EPOLLET ...) and calls `callback` with what
  // happened. 0 or -errno. The fd must stay open until remove().
  int add(int fd, std::uint32_t events, Callback callback);
  // Changes what `fd` is watched for; 0 pauses it without forgetting the callback.
  int modify(int fd, std::uint32_t events);
  // Forgets `fd` (call before closing it). Safe inside any callback, including fd's own: events
  // already fetched for it in this round are dropped.
  void remove(int fd);
  bool watching(int fd) const noexcept;

  // Calls fd's callback with `events` on the next round, without waiting for the kernel.
  void wake(int fd, std::uint32_t events);

  // Waits up to `timeout_ms` (-1: forever; 0 when wakes are pending) and dispatches what is
  // ready. Returns the number of callbacks made, or -errno (EINTR is retried).
  int run_once(int timeout_ms);

  std::size_t size() const noexcept { return count_; }

 private:
  struct Slot {
    Callback callback;
    std::uint32_t generation = 0;  // bumped on remove: stale events are recognised and dropped
    bool live = false;
  };
  static std::uint64_t token(int fd, std::uint32_t generation) noexcept;

  Fd epoll_;
  std::vector<Slot> slots_;  // indexed by fd
  std::vector<epoll_event> events_ = std::vector<epoll_event>(256);
  std::vector<std::pair<std::uint64_t, std::uint32_t>> wakes_;     // token, events
  std::vector<std::pair<std::uint64_t, std::uint32_t>> dispatch_;  // this round
  std::vector<Callback> retired_;  // callbacks removed during dispatch, freed after it
  std::size_t count_ = 0;
};

}  // namespace conduit::net
