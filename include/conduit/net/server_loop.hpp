// net/server_loop: the loop every server engine runs (the file server, the relay, the fan-out
// server), written once. It owns what is the same in all of them; the engine keeps its
// connections, its settings and its event type, and plugs in through ServerLoop::Engine.
//  - run(): opens the server's EventLoop, lets the engine start (Engine::start), watches the
//    listener (net/acceptor: connection limit, EMFILE back-off) and the optional signalfd, then
//    turns: the engine's own work before each wait (Engine::turn), epoll_wait (no longer than the
//    tick, or the acceptor's pause), and Engine::tick(now) once every `tick` period. It ends when
//    the engine holds no connection and a stop was requested or the engine's work is over
//    (Engine::finished: a fan-out whose stream ended); a failed epoll_wait ends it at once with
//    the error (reported as Failed "epoll_wait" first).
//  - stop(signal): the first stops accepting, lets the engine end what it feeds (Engine::stopping)
//    and reports Stopping; it drops every connection when `drop_on_stop`, else the engine ticks
//    at once (an HTTP server closes its idle keep-alive connections). A second stop reports
//    Dropping and drops every connection. Every signal read from the signalfd is a stop().
//  - request_stop(): a stop() asked from outside the loop (another thread, a signal handler): it
//    writes to an eventfd the loop watches (write(2) is async-signal-safe), and the loop makes
//    each request one stop() on its own thread. A request before run() counts when run() starts.
//  - One rule for where a stop takes effect: stop() only records what it asks for, and the loop
//    does it (Engine::drop_all, Engine::tick) after the current dispatch, outside every
//    connection's handler. A stop() from an event raised in the middle of a connection's work
//    (a Bytes event inside its send) can never destroy that connection under it.
// It never prints: AcceptPaused, Stopping, Dropping and Failed reach the engine as a
// ServerLoopEvent, which as_server_event() turns into the engine's own event type.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "conduit/fd.hpp"
#include "conduit/net/acceptor.hpp"
#include "conduit/net/address.hpp"
#include "conduit/net/event_loop.hpp"

namespace conduit::net {

// What the loop itself has to say; the same fields as every engine's event.
struct ServerLoopEvent {
  enum class Kind {
    AcceptPaused,  // accept() failed for want of descriptors: error, open
    Stopping,      // the first stop: signal (0 for stop()), open, drop
    Dropping,      // a second stop drops everything: signal, open, drop (true)
    Failed,        // a call failed, the server ends: call ("epoll", "epoll_wait", "epoll_ctl", "eventfd"), error
  };
  Kind kind;
  int error = 0;               // AcceptPaused, Failed: positive errno
  std::string_view call{};     // Failed
  std::size_t open = 0;        // AcceptPaused, Stopping, Dropping: connections held
  int signal = 0;              // Stopping, Dropping
  bool drop = false;           // Stopping, Dropping: the connections are dropped, not finished
};

struct ServerLoopSettings {
  std::chrono::milliseconds tick{200};  // how often Engine::tick runs (timeouts, lingering closes)
  std::size_t max_clients = 1000;       // connections at once; more wait in the listen queue
  bool drop_on_stop = false;            // the first stop drops the connections instead of finishing them
  Address address;                      // what the listener is bound to: a Unix socket's file goes on stop
};

class ServerLoop {
 public:
  using Clock = std::chrono::steady_clock;

  // A server engine as the loop drives it. Every call comes from the loop itself (or the
  // acceptor's dispatch, for accept), never from inside another connection's handler.
  class Engine {
   public:
    virtual ~Engine() = default;
    // A new connection (non-blocking, close-on-exec): the engine takes it or lets it close.
    virtual void accept(Fd fd, std::string peer, Clock::time_point now) = 0;
    // Connections held now (the acceptor's limit; the loop ends when none is left after a stop).
    virtual std::size_t open_count() const = 0;
    // Once every tick period, and at once after a first stop that finishes: timeouts.
    virtual void tick(Clock::time_point now) = 0;
    // A stop that drops: end every connection now (each with a reset where it was cut short).
    virtual void drop_all() = 0;
    // The loop's report, for the engine to pass on as its own event.
    virtual void report(const ServerLoopEvent& event) = 0;
    // After the event loop opened, before accepting: 0, or -errno to end run() with (the engine
    // reports its own failure).
    virtual int start() { return 0; }
    // The first stop, before its Stopping report: end what the engine feeds (its input, the
    // file it follows). Must not destroy a connection (it may be called from one's handler).
    virtual void stopping() {}
    // Before each wait: the engine's own work (the fan-out's data path). true: work is left,
    // so the loop polls without waiting.
    virtual bool turn(Clock::time_point /*now*/) { return false; }
    // The engine's work is over without a stop (the fan-out's stream ended): no more accepting,
    // and the loop ends with the last connection.
    virtual bool finished() const { return false; }
  };

  // `loop` is the engine's EventLoop (its connections are registered on it); both outlive this.
  ServerLoop(Engine& engine, EventLoop& loop, ServerLoopSettings settings);
  ServerLoop(const ServerLoop&) = delete;
  ServerLoop& operator=(const ServerLoop&) = delete;

  // Runs until stopped (or finished) and every connection has ended. `signals` (optional): a
  // signalfd whose every signal counts as a stop(). 0, or -errno when the loop could not run or
  // failed (reported as a Failed event first, except Engine::start's own failure).
  int run(Fd listener, Fd signals = {});
  // See the header's comment: the first stops accepting and finishes (or drops); a second drops.
  // `signal` is only reported. Only from the thread running run().
  void stop(int signal = 0);
  // The same as stop() (the first request is a first stop, a second drops), from any thread or
  // a signal handler, before or during run(). Reported with signal 0.
  void request_stop() noexcept;
  bool stopping() const noexcept { return stopping_; }

 private:
  enum class Pending { None, Tick, Drop };
  void on_signal();
  void on_request();
  void settle(Clock::time_point now);
  void fail(std::string_view call, int error);

  Engine& engine_;
  EventLoop& loop_;
  ServerLoopSettings settings_;
  Acceptor acceptor_;
  Fd signals_;
  Fd requests_;            // eventfd: request_stop() adds 1, the loop reads the count
  int requests_error_ = 0;  // positive errno when the eventfd could not be made (run() fails)
  bool stopping_ = false;
  Pending pending_ = Pending::None;  // what a stop asked for, done by the loop after the dispatch
  Clock::time_point last_tick_{};
};

// The loop's report as an engine's own event type (FileServerEvent, RelayEvent ...): one whose
// Kind names AcceptPaused, Stopping, Dropping and Failed and that has the fields error, call,
// open and signal (and drop, where it has one).
template <typename Event>
Event as_server_event(const ServerLoopEvent& l) {
  using K = typename Event::Kind;
  K kind = K::Failed;
  switch (l.kind) {
    case ServerLoopEvent::Kind::AcceptPaused: kind = K::AcceptPaused; break;
    case ServerLoopEvent::Kind::Stopping: kind = K::Stopping; break;
    case ServerLoopEvent::Kind::Dropping: kind = K::Dropping; break;
    case ServerLoopEvent::Kind::Failed: kind = K::Failed; break;
  }
  Event e{kind};
  e.error = l.error;
  e.call = l.call;
  e.open = l.open;
  e.signal = l.signal;
  if constexpr (requires { e.drop; }) e.drop = l.drop;
  return e;
}

// An engine's connection taken out of its table (key -> owning pointer) before it is closed and
// reported: a stop() from the Closed event's handler no longer counts it. Null when not there.
template <typename Table>
typename Table::mapped_type take_out(Table& table, const typename Table::key_type& key) {
  auto it = table.find(key);
  if (it == table.end()) return nullptr;
  typename Table::mapped_type owned = std::move(it->second);
  table.erase(it);
  return owned;
}

// The keys of an engine's table, to walk while closing what they name (drop_all).
template <typename Table>
std::vector<typename Table::key_type> keys_of(const Table& table) {
  std::vector<typename Table::key_type> keys;
  keys.reserve(table.size());
  for (const auto& entry : table) keys.push_back(entry.first);
  return keys;
}

}  // namespace conduit::net
