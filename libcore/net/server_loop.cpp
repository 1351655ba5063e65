// net/server_loop: the servers' loop, signals and stop (see the header).
#include "conduit/net/server_loop.hpp"

#include <utility>

#include "conduit/net/signals.hpp"

namespace conduit::net {

ServerLoop::ServerLoop(Engine& engine, EventLoop& loop, ServerLoopSettings settings)
    : engine_(engine), loop_(loop), settings_(std::move(settings)),
      acceptor_(loop_, settings_.address, settings_.max_clients) {}

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

}  // namespace conduit::net
