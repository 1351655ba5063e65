// relay: `splice-net relay LISTEN TARGET`, the zero-copy counterpart of
// `socat TCP-LISTEN:P,fork,reuseaddr TCP:HOST:P`: one single-threaded epoll loop accepts
// connections and forwards each to TARGET, both directions by splice (relay_conn.cpp,
// relay_direction.cpp), and the listener's --max-clients and EMFILE back-off are acceptor.cpp's.
// This file owns the signals and the clock, in the same way as serve.cpp:
//  - a clock tick bounds connects (10 s, or -t if shorter) and closes idle connections (-t);
//  - SIGTERM/SIGINT/SIGHUP (signalfd): stop accepting, then finish or drop the open connections
//    (--stop); a second signal drops them.
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <unordered_map>

#include "commands.hpp"
#include "conduit/diag.hpp"
#include "conduit/net/event_loop.hpp"
#include "conduit/net/signals.hpp"
#include "conduit/net/socket.hpp"
#include "relay_conn.hpp"

namespace splice_net {

namespace {

using Clock = RelayClock;
constexpr auto kTick = std::chrono::milliseconds(100);

class Relay {
 public:
  Relay(const Options& o, RelayShared& shared, const RelayTarget& target, conduit::Diag& diag,
        const conduit::net::Address& address)
      : o_(o), shared_(shared), target_(target), diag_(diag),
        idle_(o.timeout ? timeout_ms(o) : 0),
        acceptor_(loop_, address, o.max_clients) {}

  void run(conduit::Fd listener, conduit::Fd signals);

 private:
  void on_connection(conduit::Fd fd, std::string peer, Clock::time_point now);
  void on_signal();
  void on_conn(std::uint64_t id, bool target, std::uint32_t events);
  void handle(std::uint64_t id, RelayConn::Step step);
  void close_conn(std::uint64_t id);
  void tick(Clock::time_point now);
  void drop_all();

  const Options& o_;
  RelayShared& shared_;
  const RelayTarget& target_;
  conduit::Diag& diag_;
  std::chrono::milliseconds idle_;
  conduit::net::EventLoop loop_;
  conduit::net::Acceptor acceptor_;
  conduit::Fd signals_;
  bool stopping_ = false;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<RelayConn>> conns_;
  std::vector<std::pair<std::uint64_t, RelayConn::Step>> ticked_;
};

void Relay::run(conduit::Fd listener, conduit::Fd signals) {
  signals_ = std::move(signals);
  if (int rc = loop_.open(); rc < 0) {
    diag_.error("epoll", -rc);
    return;
  }
  acceptor_.start(
      std::move(listener),
      [this](conduit::Fd fd, std::string peer, Clock::time_point now) {
        on_connection(std::move(fd), std::move(peer), now);
      },
      [this] { return conns_.size(); }, accept_pause_logger("connections"));
  loop_.add(signals_.get(), EPOLLIN, [this](std::uint32_t) { on_signal(); });
  Clock::time_point last_tick = Clock::now();
  while (!(stopping_ && conns_.empty())) {
    int rc = loop_.run_once(static_cast<int>(kTick.count()));
    if (rc < 0) {
      diag_.error("epoll_wait", -rc);
      break;
    }
    Clock::time_point now = Clock::now();
    if (now - last_tick >= kTick) {
      tick(now);
      last_tick = now;
    }
    acceptor_.update(now);
  }
}

void Relay::on_connection(conduit::Fd fd, std::string peer, Clock::time_point now) {
  std::uint64_t id = next_id_++;
  auto conn = std::make_unique<RelayConn>(std::move(fd), std::move(peer), target_, shared_, loop_, now);
  RelayConn& c = *conn;
  conns_.emplace(id, std::move(conn));
  handle(id, c.start([this, id](bool target, std::uint32_t ev) { on_conn(id, target, ev); }, now));
}

void Relay::on_conn(std::uint64_t id, bool target, std::uint32_t events) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  handle(id, it->second->on_event(target, events, Clock::now()));
}

void Relay::handle(std::uint64_t id, RelayConn::Step step) {
  switch (step) {
    case RelayConn::Step::Wait: break;  // edge-triggered: epoll reports the next change
    case RelayConn::Step::Again: {
      auto it = conns_.find(id);
      if (it != conns_.end()) loop_.wake(it->second->client_fd(), EPOLLIN);
      break;
    }
    case RelayConn::Step::Close: close_conn(id); break;
  }
}

void Relay::close_conn(std::uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  RelayConn& c = *it->second;
  if (!o_.quiet || c.target_failed()) log_line(c.summary(Clock::now()));
  conns_.erase(it);
}

void Relay::tick(Clock::time_point now) {
  ticked_.clear();
  for (auto& [id, c] : conns_) {
    RelayConn::Step step = c->tick(now, idle_);
    if (step != RelayConn::Step::Wait) ticked_.emplace_back(id, step);
  }
  for (auto [id, step] : ticked_) handle(id, step);
}

void Relay::drop_all() {
  std::vector<std::uint64_t> ids;
  for (auto& [id, c] : conns_) ids.push_back(id);
  for (std::uint64_t id : ids) {
    conns_[id]->abort("dropped: relay stopping", true);
    close_conn(id);
  }
}

void Relay::on_signal() {
  for (;;) {
    int sig = conduit::net::read_signal(signals_.get());
    if (sig <= 0) return;
    std::string name = std::string("SIG") + (sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
    bool drop = stopping_ || o_.stop == StopMode::Drop;
    log_line(std::string(kProg) + ": " + name + ": " + (stopping_ ? "" : "stopping; ") +
             (drop ? "dropping " : "finishing ") + std::to_string(conns_.size()) + " connections");
    stopping_ = true;
    acceptor_.stop();
    if (drop) drop_all();
  }
}

// Every connection holds up to six descriptors (two sockets, two pipes); the default soft
// limit (1024) would cap the relay near 170 connections. Raise it to the hard limit, as most
// servers do.
void raise_fd_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

}  // namespace

int run_relay(const Options& o) {
  auto start = Clock::now();
  conduit::Diag diag{std::string(kProg)};
  ::signal(SIGPIPE, SIG_IGN);  // splice/write to a closed socket: EPIPE, not death
  auto address = parse_or_report(o.address);
  if (!address) return 1;
  auto target_address = parse_or_report(o.target);
  if (!target_address) return 1;

  RelayTarget target;
  target.text = o.target;
  std::string why;
  if (conduit::net::resolve(*target_address, false, target.endpoints, why) != 0 || target.endpoints.empty()) {
    diag.error("cannot resolve '" + o.target + "': " + why);
    return 1;
  }
  target.connect_timeout = std::chrono::milliseconds(std::min(timeout_ms(o, 10), 10000));

  RelayShared shared;
  shared.zero_copy = !o.common.no_splice;
  shared.pipe_want = o.common.pipe_size;
  std::optional<conduit::Progress> progress;
  if (o.common.progress) progress.emplace(std::string(kProg), std::nullopt);
  shared.progress = progress ? &*progress : nullptr;

  raise_fd_limit();
  auto listening = start_listening(o, *address, diag);
  if (!listening) return 1;

  Relay relay(o, shared, target, diag, *address);
  relay.run(std::move(listening->listener), std::move(listening->signals));
  if (progress) progress->finish();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  report_stats(o, shared.stats, seconds);
  return diag.exit_status();
}

}  // namespace splice_net
