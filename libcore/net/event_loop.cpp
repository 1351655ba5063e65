// net/event_loop: epoll with generation-tagged tokens so a removed (or reused) fd never gets a
// stale callback, and deferred destruction of callbacks removed while they run.
#include "conduit/net/event_loop.hpp"

#include <cerrno>

namespace conduit::net {

std::uint64_t EventLoop::token(int fd, std::uint32_t generation) noexcept {
  return (static_cast<std::uint64_t>(generation) << 32) | static_cast<std::uint32_t>(fd);
}

int EventLoop::open() {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  return epoll_ ? 0 : -errno;
}

int EventLoop::add(int fd, std::uint32_t events, Callback callback) {
  if (fd < 0) return -EBADF;
  if (static_cast<std::size_t>(fd) >= slots_.size()) slots_.resize(static_cast<std::size_t>(fd) + 64);
  Slot& slot = slots_[static_cast<std::size_t>(fd)];
  if (slot.live) return -EEXIST;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token(fd, slot.generation);
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) return -errno;
  slot.callback = std::move(callback);
  slot.live = true;
  ++count_;
  return 0;
}

int EventLoop::modify(int fd, std::uint32_t events) {
  if (!watching(fd)) return -ENOENT;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token(fd, slots_[static_cast<std::size_t>(fd)].generation);
  return ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void EventLoop::remove(int fd) {
  if (!watching(fd)) return;
  Slot& slot = slots_[static_cast<std::size_t>(fd)];
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  retired_.push_back(std::move(slot.callback));
  slot.callback = nullptr;
  slot.live = false;
  ++slot.generation;
  --count_;
}

bool EventLoop::watching(int fd) const noexcept {
  return fd >= 0 && static_cast<std::size_t>(fd) < slots_.size() &&
         slots_[static_cast<std::size_t>(fd)].live;
}

void EventLoop::wake(int fd, std::uint32_t events) {
  if (!watching(fd)) return;
  wakes_.emplace_back(token(fd, slots_[static_cast<std::size_t>(fd)].generation), events);
}

int EventLoop::run_once(int timeout_ms) {
  dispatch_.clear();
  dispatch_.swap(wakes_);
  int n;
  do {
    n = ::epoll_wait(epoll_.get(), events_.data(), static_cast<int>(events_.size()),
                     dispatch_.empty() ? timeout_ms : 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  for (int i = 0; i < n; ++i) {
    const epoll_event& ev = events_[static_cast<std::size_t>(i)];
    std::uint64_t tok = ev.data.u64;  // copies: epoll_event is packed
    std::uint32_t what = ev.events;
    dispatch_.emplace_back(tok, what);
  }
  if (static_cast<std::size_t>(n) == events_.size()) events_.resize(events_.size() * 2);

  int calls = 0;
  for (auto [tok, events] : dispatch_) {
    auto fd = static_cast<int>(tok & 0xffffffffu);
    auto generation = static_cast<std::uint32_t>(tok >> 32);
    if (!watching(fd)) continue;
    Slot& slot = slots_[static_cast<std::size_t>(fd)];
    if (slot.generation != generation) continue;
    // The slot vector may grow inside the callback (a new client): call through a local.
    Callback current = std::move(slot.callback);
    current(events);
    ++calls;
    if (watching(fd) && slots_[static_cast<std::size_t>(fd)].generation == generation &&
        !slots_[static_cast<std::size_t>(fd)].callback) {
      slots_[static_cast<std::size_t>(fd)].callback = std::move(current);
    } else {
      retired_.push_back(std::move(current));
    }
  }
  retired_.clear();
  return calls;
}

}  // namespace conduit::net
