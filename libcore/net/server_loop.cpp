// net/server_loop: the servers' loop, signals and stop (see the header).
#include "conduit/net/server_loop.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <utility>

#include "conduit/net/signals.hpp"

namespace conduit::net {

ServerLoop::ServerLoop(Engine& engine, EventLoop& loop, ServerLoopSettings settings)
    : engine_(engine), loop_(loop), settings_(std::move(settings)),
      acceptor_(loop_, settings_.address, settings_.max_clients) {
  // Made here, not in run(): a request_stop() before run() must have somewhere to go.
  requests_ = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!requests_) requests_error_ = errno;
}

void ServerLoop::fail(std::string_view call, int error) {
  ServerLoopEvent e{ServerLoopEvent::Kind::Failed};
  e.call = call;
  e.error = error;
  engine_.report(e);
}

int ServerLoop::run(Fd listener, Fd signals) {
  signals_ = std::move(signals);
  if (int rc = loop_.open(); rc < 0) {
    fail("epoll", -rc);
    return rc;
  }
  if (requests_error_ != 0) {
    fail("eventfd", requests_error_);
    return -requests_error_;
  }
  if (int rc = engine_.start(); rc < 0) return rc;
  int rc = acceptor_.start(
      std::move(listener),
      [this](Fd fd, std::string peer, Clock::time_point now) { engine_.accept(std::move(fd), std::move(peer), now); },
      [this] { return engine_.open_count(); },
      [this](int err, std::size_t open) {
        ServerLoopEvent e{ServerLoopEvent::Kind::AcceptPaused};
        e.error = err;
        e.open = open;
        engine_.report(e);
      });
  // A listener or signalfd the loop cannot watch would leave a server that never accepts, or
  // that its (blocked) signals can no longer stop.
  if (rc == 0 && signals_)
    rc = loop_.add(signals_.get(), EPOLLIN, [this](std::uint32_t) { on_signal(); });
  if (rc == 0) rc = loop_.add(requests_.get(), EPOLLIN, [this](std::uint32_t) { on_request(); });
  if (rc < 0) {
    fail("epoll_ctl", -rc);
    acceptor_.stop();
    return rc;
  }

  int result = 0;
  last_tick_ = Clock::now();
  for (;;) {
    Clock::time_point now = Clock::now();
    settle(now);
    bool more = engine_.turn(now);
    if (stopping_ || engine_.finished()) acceptor_.stop();  // a new client would get nothing
    if ((stopping_ || engine_.finished()) && engine_.open_count() == 0) break;
    acceptor_.update(now);
    long wait = acceptor_.wait_ms(static_cast<long>(settings_.tick.count()), now);
    if (more || pending_ != Pending::None) wait = 0;
    if (int n = loop_.run_once(static_cast<int>(wait)); n < 0) {
      fail("epoll_wait", -n);
      result = n;
      break;
    }
    now = Clock::now();
    if (now - last_tick_ >= settings_.tick) {
      last_tick_ = now;
      engine_.tick(now);
    }
  }
  acceptor_.stop();
  return result;
}

// What the stops since the last turn asked for, now that no connection's handler is running.
void ServerLoop::settle(Clock::time_point now) {
  Pending p = std::exchange(pending_, Pending::None);
  if (p == Pending::Drop) {
    engine_.drop_all();
  } else if (p == Pending::Tick) {
    last_tick_ = now;
    engine_.tick(now);
  }
}

void ServerLoop::stop(int signal) {
  bool first = !stopping_;
  bool drop = !first || settings_.drop_on_stop;
  stopping_ = true;
  acceptor_.stop();
  if (first) engine_.stopping();
  ServerLoopEvent e{first ? ServerLoopEvent::Kind::Stopping : ServerLoopEvent::Kind::Dropping};
  e.signal = signal;
  e.open = engine_.open_count();
  e.drop = drop;
  engine_.report(e);
  // Not here: stop() may be called from an event raised in the middle of a connection's work,
  // which must not see its connection destroyed under it. The loop does it after the dispatch.
  if (drop) pending_ = Pending::Drop;
  else if (pending_ == Pending::None) pending_ = Pending::Tick;
}

void ServerLoop::on_signal() {
  for (;;) {
    int sig = read_signal(signals_.get());
    if (sig <= 0) return;
    stop(sig);
  }
}

void ServerLoop::request_stop() noexcept {
  // Only write(2) here: async-signal-safe, and the eventfd is never replaced while the loop lives.
  // EAGAIN (the count at its maximum) loses nothing: a request that many times over is a drop.
  std::uint64_t one = 1;
  int saved = errno;  // a signal handler must leave errno as it found it
  while (::write(requests_.get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
  errno = saved;
}

// Each request read is one stop(), on the loop's thread.
void ServerLoop::on_request() {
  std::uint64_t count = 0;
  if (::read(requests_.get(), &count, sizeof count) != static_cast<ssize_t>(sizeof count)) return;
  for (std::uint64_t i = 0; i < count && i < 2; ++i) stop(0);  // past two: only more Dropping reports
}

}  // namespace conduit::net
