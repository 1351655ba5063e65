// net/relay: a TCP/Unix relay, the zero-copy counterpart of
// `socat TCP-LISTEN:P,fork,reuseaddr TCP:HOST:P`: one single-threaded epoll loop accepts
// connections (net/acceptor: connection limit, EMFILE back-off) and forwards each to the target,
// both directions by splice (net/relay_conn, net/relay_direction); the loop, signals and stop
// are net/server_loop's. This engine owns the clock and what a stop does:
//  - a clock tick bounds connects (`connect_timeout`) and closes connections idle both ways
//    (`idle_timeout`, zero: never);
//  - stop() (or a signal read from the signal fd given to run()): stop accepting, then finish or
//    drop the open connections (`drop_on_stop`); a second stop drops them. A dropped connection
//    is reset on both sides.
// It never prints: everything worth reporting arrives as a RelayEvent.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "conduit/fd.hpp"
#include "conduit/net/address.hpp"
#include "conduit/net/event_loop.hpp"
#include "conduit/net/relay_conn.hpp"
#include "conduit/net/server_loop.hpp"
#include "conduit/stats.hpp"

namespace conduit::net {

struct RelaySettings {
  RelayTarget target;                   // resolved endpoints, tried in order; text names it in reasons
  std::chrono::milliseconds idle_timeout{0};  // zero: connections may stay idle for ever
  bool zero_copy = true;                // splice; false: read/write only
  std::size_t pipe_size = 1 << 20;      // what a bulk direction's pipe grows toward
  std::size_t max_clients = 1000;       // connections at once; more wait in the listen queue
  bool drop_on_stop = false;            // the first stop drops the connections instead of finishing them
  Address address;                      // what the listener is bound to: a Unix socket's file goes on stop
  const tls::Context* tls = nullptr;    // TLS with the clients (borrowed), or none; TARGET's: in target
  bool ktls_required = false;           // refuse a connection whose TLS side lacks kTLS either way
};

struct RelayEvent {
  enum class Flow { Up, Down };  // client -> target, target -> client (Closed's up and down)
  enum class Kind {
    Opened,        // a connection was accepted: peer
    Bytes,         // bytes were delivered: bytes, flow (which way)
    Closed,        // a connection ended: peer, connected, up, down, seconds, reason, target_failed
    AcceptPaused,  // accept() failed for want of descriptors: error, open
    Stopping,      // the first stop: signal (0 for stop()), open, drop
    Dropping,      // a second stop drops everything: signal, open
    Failed,        // a call failed, the relay ends: call, error
  };
  Kind kind;
  std::string_view peer{};        // Opened, Closed
  bool connected = false;         // Closed: the target was reached (up, down, seconds mean something)
  std::uint64_t bytes = 0;        // Bytes
  Flow flow = Flow::Up;           // Bytes: the way they went
  std::uint64_t up = 0;           // Closed: client -> target
  std::uint64_t down = 0;         // Closed: target -> client
  double seconds = 0;             // Closed: the connection's lifetime
  std::string_view reason{};      // Closed: how it ended ("done", "reset by client", "T: Connection refused" ...)
  bool target_failed = false;     // Closed: the target could not be reached (worth reporting always)
  int error = 0;                  // AcceptPaused, Failed: positive errno
  std::string_view call{};        // Failed: "epoll", "epoll_wait", "epoll_ctl"
  std::size_t open = 0;           // AcceptPaused, Stopping, Dropping: connections held
  int signal = 0;                 // Stopping, Dropping
  bool drop = false;              // Stopping: the connections are dropped, not finished
};

class Relay : private ServerLoop::Engine {
 public:
  using Clock = RelayClock;
  // Called on the relay's thread, inside run(); may call stop(). The event's string_views point
  // into the engine: valid only during the call. The process must ignore SIGPIPE: splice and
  // sendfile to a socket the peer closed raise it (docs/LIBRARY.md).
  using OnEvent = std::function<void(const RelayEvent&)>;

  Relay(RelaySettings settings, OnEvent on_event);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Relays the connections of `listener` (listening, non-blocking) until stopped and every
  // connection has ended. `signals` (optional): a signalfd whose every signal counts as a stop().
  // 0, or -errno when the loop itself failed (reported as a Failed event first).
  int run(Fd listener, Fd signals = {});
  // Stops accepting; finishes (or drops, per drop_on_stop) the open connections. A second call
  // drops them. `signal` is only reported. Only from the thread running run()
  // (from another thread: request_stop()).
  void stop(int signal = 0);
  // stop() from any thread or a signal handler (async-signal-safe), before or during run():
  // the first request is a first stop, a second drops. Reported with signal 0.
  void request_stop() noexcept { server_loop_.request_stop(); }

  const Stats& stats() const noexcept { return shared_.stats; }
  // How the TLS sides' payload moved: tls-user once any direction went through user space.
  tls::DataPath tls_path() const noexcept { return shared_.tls_path; }

 private:
  // ServerLoop::Engine
  void accept(Fd fd, std::string peer, Clock::time_point now) override;
  std::size_t open_count() const override { return conns_.size(); }
  void tick(Clock::time_point now) override;
  void drop_all() override;
  void report(const ServerLoopEvent& event) override { emit(as_server_event<RelayEvent>(event)); }

  void on_conn(std::uint64_t id, bool target, std::uint32_t events);
  void handle(std::uint64_t id, RelayConn::Step step);
  void close_conn(std::uint64_t id);
  void emit(const RelayEvent& event) { if (on_event_) on_event_(event); }

  RelaySettings settings_;
  OnEvent on_event_;
  RelayShared shared_;
  EventLoop loop_;
  ServerLoop server_loop_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<RelayConn>> conns_;
  std::vector<std::pair<std::uint64_t, RelayConn::Step>> ticked_;
};

}  // namespace conduit::net
