// net/relay: the relay's loop, clock and stop (see the header).
#include "conduit/net/relay.hpp"

#include <utility>

namespace conduit::net {

namespace {
constexpr auto kTick = std::chrono::milliseconds(100);
}  // namespace

Relay::Relay(RelaySettings settings, OnEvent on_event)
    : settings_(std::move(settings)), on_event_(std::move(on_event)),
      server_loop_(*this, loop_, {kTick, settings_.max_clients, settings_.drop_on_stop, settings_.address}) {
  shared_.zero_copy = settings_.zero_copy;
  shared_.pipe_want = settings_.pipe_size;
  shared_.tls = settings_.tls;
  shared_.ktls_required = settings_.ktls_required;
  shared_.on_bytes = [this](std::uint64_t n, bool up) {
    RelayEvent e{RelayEvent::Kind::Bytes};
    e.bytes = n;
    e.flow = up ? RelayEvent::Flow::Up : RelayEvent::Flow::Down;
    emit(e);
  };
}

// The connections go first: they leave the event loop and give their share back on the way.
Relay::~Relay() { conns_.clear(); }

int Relay::run(Fd listener, Fd signals) { return server_loop_.run(std::move(listener), std::move(signals)); }

void Relay::stop(int signal) { server_loop_.stop(signal); }

void Relay::accept(Fd fd, std::string peer, Clock::time_point now) {
  std::uint64_t id = next_id_++;
  auto conn = std::make_unique<RelayConn>(std::move(fd), std::move(peer), settings_.target, shared_, loop_, now);
  RelayConn& c = *conn;
  conns_.emplace(id, std::move(conn));
  RelayEvent e{RelayEvent::Kind::Opened};
  e.peer = c.peer();
  emit(e);  // a stop() from its handler drops it later, from the loop
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
  std::unique_ptr<RelayConn> owned = take_out(conns_, id);
  if (!owned) return;
  const RelayConn& c = *owned;
  RelayEvent e{RelayEvent::Kind::Closed};
  e.peer = c.peer();
  e.connected = c.connected();
  e.up = c.bytes_up();
  e.down = c.bytes_down();
  e.seconds = std::chrono::duration<double>(Clock::now() - c.started()).count();
  e.reason = c.ending();
  e.target_failed = c.target_failed();
  emit(e);
}

void Relay::tick(Clock::time_point now) {
  ticked_.clear();
  for (auto& [id, c] : conns_) {
    RelayConn::Step step = c->tick(now, settings_.idle_timeout);
    if (step != RelayConn::Step::Wait) ticked_.emplace_back(id, step);
  }
  for (auto [id, step] : ticked_) handle(id, step);
}

void Relay::drop_all() {
  for (std::uint64_t id : keys_of(conns_)) {
    auto it = conns_.find(id);
    if (it == conns_.end()) continue;
    it->second->abort("dropped: relay stopping", true);
    close_conn(id);
  }
}

}  // namespace conduit::net
