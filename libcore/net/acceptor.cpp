// net/acceptor: see the header.
#include "conduit/net/acceptor.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "conduit/net/socket.hpp"

namespace conduit::net {

namespace {
constexpr auto kBackoff = std::chrono::milliseconds(100);
constexpr int kPerWake = 64;  // then other fds get their turn
}  // namespace

int Acceptor::start(Fd listener, OnConnection on_connection, OpenCount open_count, OnPause on_pause) {
  listener_ = std::move(listener);
  on_connection_ = std::move(on_connection);
  open_count_ = std::move(open_count);
  on_pause_ = std::move(on_pause);
  // Up to kPerWake accepts per wake-up: on a blocking listener (listen_on's default) the one
  // after the last waiting client would hang the whole server until the next one came.
  if (int rc = set_nonblocking(listener_.get(), true); rc < 0) return rc;
  int rc = loop_.add(listener_.get(), EPOLLIN, [this](std::uint32_t) { on_ready(Clock::now()); });
  polling_ = rc == 0;
  return rc;
}

void Acceptor::on_ready(Clock::time_point now) {
  for (int i = 0; i < kPerWake && listener_ && open_count_() < limit_; ++i) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int fd = ::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == EAGAIN || err == EINTR) break;
      if (err == ECONNABORTED || err == EPROTO || err == EPERM) continue;
      // Out of descriptors or memory: retrying at once would spin. Pause; the clients wait in
      // the listen queue until a connection closes or the pause ends.
      paused_until_ = now + kBackoff;
      if (!in_backoff_ && on_pause_) on_pause_(err, open_count_());
      in_backoff_ = true;
      break;
    }
    in_backoff_ = false;
    on_connection_(Fd(fd), format_endpoint(reinterpret_cast<sockaddr*>(&addr), len), now);
  }
  update(now);
}

void Acceptor::update(Clock::time_point now) {
  if (!listener_) return;
  bool want = open_count_() < limit_ && now >= paused_until_;
  if (want == polling_) return;
  loop_.modify(listener_.get(), want ? std::uint32_t{EPOLLIN} : 0u);
  polling_ = want;
}

long Acceptor::wait_ms(long wanted, Clock::time_point now) const {
  if (polling_ || !listener_ || paused_until_ <= now) return wanted;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(paused_until_ - now).count() + 1;
  return wanted < 0 ? left : std::min<long>(wanted, left);
}

void Acceptor::stop() {
  if (!listener_) return;
  loop_.remove(listener_.get());
  listener_.reset();
  polling_ = false;
  unlink_unix(address_);
}

}  // namespace conduit::net
