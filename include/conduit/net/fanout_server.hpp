// net/fanout_server: one live stream (an input fd, stdin for `splice-net fanout`) to every
// connected client, in one single-threaded epoll loop (the loop, listener, signals and stop's
// states are net/server_loop's). Two concerns:
//   the clients  around the stream: their events, timers, what a stop does;
//   the data     source pipe, tee(2) into each client's pipe, splice(2) to its socket,
//                consumption of the source; the read/write path (zero_copy off, or a call
//                refused on its first use) with a bounded backlog per client.
//
// Positions are offsets in the stream since the start. The source pipe (the input itself when it
// is a pipe, else a broker pipe that the input is spliced into) holds [consumed_, head). tee(2)
// always copies from the source's head, so only a client whose `pos` equals consumed_ can be fed;
// the source is consumed (spliced into /dev/null) only up to the smallest `pos`. A client that
// joins starts at consumed_: it gets a contiguous suffix of the stream.
//
// The loop's rules:
//  - the listener (`max_clients`, EMFILE back-off) closes when the stream ends, since a new
//    client would get nothing; the input is not read before `min_clients` clients are connected;
//  - anything a client sends is read and dropped; EPOLLRDHUP is only a half-close (`nc -N`
//    still reads), so a client that went away is found by EPOLLERR/EPOLLHUP or EPIPE/ECONNRESET;
//  - at the end of the stream each client gets what it holds, then shutdown(SHUT_WR), and is read
//    until it closes (bounded by `linger_limit`) before close(): closing with its input unread
//    would send a reset that can destroy the tail still in flight;
//  - stop() (or a signal read from the signal fd given to run()) ends the stream there as if the
//    input had; a second stop drops every client;
//  - a client dropped before the end of the stream (slow, timeout, second stop) is closed with a
//    reset (SO_LINGER 0), never a clean end of file that would pass for the whole stream;
//  - `http`: a client first sends a request head (within `request_timeout`); GET gets a response
//    head with no length and `Connection: close` (net/live_http), then joins the stream; HEAD gets
//    the head only, other methods and malformed heads an error, and the connection closes;
//  - `tls`: every connection first completes a TLS handshake (within `handshake_timeout`; a
//    client that fails it, a plaintext one for instance, is closed and reported, the others go
//    on), then sends its request (http) or joins the stream where it is. Without kTLS send the
//    socket cannot take splice: the client's pages are read from its pipe and SSL_written;
//    with kTLS send they are spliced as for a plain socket. At the end of the
//    stream a TLS client gets close_notify before the half-close;
//  - Slow::Block with `block_timeout`: a client that takes nothing for that long while it has
//    bytes waiting is dropped (checked by a 200 ms tick, which also runs the data path again:
//    while a full client holds the source's head the input is not watched, since its pipe is
//    readable all along and level-triggered epoll would spin).
// It never prints: everything worth reporting arrives as a FanoutServerEvent.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conduit/fanout.hpp"
#include "conduit/fd.hpp"
#include "conduit/net/address.hpp"
#include "conduit/net/event_loop.hpp"
#include "conduit/net/server_loop.hpp"
#include "conduit/net/tls.hpp"
#include "conduit/pipe.hpp"
#include "conduit/stats.hpp"

namespace conduit::net {

struct FanoutServerSettings {
  int input = -1;                   // the stream, borrowed (read from, never closed)
  FdInfo input_info;                // classify(input)
  bool zero_copy = true;            // tee/splice; false: read/write only
  std::size_t pipe_size = kDefaultPipeSize;  // source and per-client pipes (and backlogs)
  std::size_t max_clients = 1000;   // connections at once; more wait in the listen queue
  std::size_t min_clients = 0;      // the input is not read before this many are connected
  // A client a whole buffer behind the stream: Drop disconnects it once it holds the stream
  // back; Block lets the slowest client set the pace.
  enum class Slow { Drop, Block } slow = Slow::Drop;
  // Slow::Block: a client that takes nothing for this long while bytes wait for it is dropped.
  std::optional<std::chrono::milliseconds> block_timeout;
  std::chrono::milliseconds linger_limit{2000};
  bool http = false;                // answer an HTTP request with a response head before the stream
  std::string content_type = "application/octet-stream";  // http: the 200's Content-Type
  std::string server_name;          // http: "Server:" header; none when empty
  std::chrono::milliseconds request_timeout{10000};  // http: a client's whole request head
  Address address;                  // what the listener is bound to: a Unix socket's file goes on stop
  const tls::Context* tls = nullptr;  // TLS on every connection (borrowed; outlives run())
  std::chrono::milliseconds handshake_timeout{30000};  // tls: the whole handshake
};

struct FanoutServerEvent {
  enum class Kind {
    Opened,        // a client was accepted: peer
    Input,         // bytes were taken from the input (given to every client): bytes
    Closed,        // a client's connection ended: peer, bytes, seconds, reason, slow_drop
    AcceptPaused,  // accept() failed for want of descriptors: error, open
    Stopping,      // the first stop ends the stream: signal (0 for stop()), open
    Dropping,      // a second stop drops every client: signal, open
    Warning,       // a call failed, the server goes on: call, error, peer (when about a client)
    InputFailed,   // reading the input failed; the stream ends there: error
    Failed,        // a call failed, the server ends: call, error
  };
  Kind kind;
  std::string_view peer{};          // Opened, Closed, Warning (may be empty)
  std::uint64_t bytes = 0;        // Input: just taken; Closed: sent on the connection (head included)
  double seconds = 0;             // Closed: the connection's lifetime
  std::string_view reason{};        // Closed: how it ended ("done", "dropped: N bytes behind" ...)
  std::string_view request{};       // Closed (http): "GET /live.ts 200"; empty before a request
  bool slow_drop = false;         // Closed: dropped for falling behind (it lost part of the stream)
  int error = 0;                  // AcceptPaused, Warning, InputFailed, Failed: positive errno
  std::string_view call{};          // Warning, Failed: "epoll", "epoll_wait", "epoll_ctl", "pipe"
  std::size_t open = 0;           // AcceptPaused, Stopping, Dropping: clients held
  int signal = 0;                 // Stopping, Dropping
};

class FanoutServer : private ServerLoop::Engine {
 public:
  using Clock = std::chrono::steady_clock;
  // Called on the server's thread, inside run(); may call stop(). The event's string_views point
  // into the engine: valid only during the call. The process must ignore SIGPIPE: splice and
  // sendfile to a socket the peer closed raise it (docs/LIBRARY.md).
  using OnEvent = std::function<void(const FanoutServerEvent&)>;

  FanoutServer(FanoutServerSettings settings, OnEvent on_event);
  ~FanoutServer();
  FanoutServer(const FanoutServer&) = delete;
  FanoutServer& operator=(const FanoutServer&) = delete;

  // Serves on `listener` (listening, non-blocking) until the stream has ended and every client is
  // gone. `signals` (optional): a signalfd whose every signal counts as a stop().
  // 0, or -errno when the server could not run or its loop failed (reported as Failed first).
  int run(Fd listener, Fd signals = {});
  // Ends the stream (clients get what they hold); a second call drops every client. `signal` is
  // only reported. Only from the thread running run()
  // (from another thread: request_stop()).
  void stop(int signal = 0);
  // stop() from any thread or a signal handler (async-signal-safe), before or during run():
  // the first request is a first stop, a second drops. Reported with signal 0.
  void request_stop() noexcept { server_loop_.request_stop(); }

  const Stats& stats() const noexcept { return stats_; }
  std::uint64_t consumed() const noexcept { return fan_.consumed(); }  // bytes taken from the input
  std::uint64_t served() const noexcept { return served_; }       // clients accepted
  std::uint64_t dropped() const noexcept { return dropped_; }     // clients dropped as slow
  int input_error() const noexcept { return fan_.input_error(); } // positive errno, or 0

  // One connected client. Its data (pipe, positions, backlog) is the engine's output `out`.
  struct Member {
    Fd sock;
    std::string peer;
    long out = -1;                   // its output in the engine, once it is in the stream
    bool lingering = false;          // everything sent, write side shut down, waiting for its close
    bool dead = false;               // to be closed and reported by reap()
    bool slow_drop = false;          // dead because it fell behind
    std::string ending;              // why it ended
    Clock::time_point started;
    Clock::time_point linger_until{};
    // http
    bool awaiting = false;           // no whole response head sent yet: not in the stream
    bool writable = true;            // (before the stream) edge-triggered: false from EAGAIN until EPOLLOUT
    bool head_only = false;          // close once the head is sent (HEAD, an error)
    std::string in;                  // the request head read so far
    std::string head;                // the response head still to send (from head_off)
    std::size_t head_off = 0;
    std::uint64_t head_sent = 0;
    std::string request;             // "GET /live.ts 200", for the report
    // tls
    std::optional<tls::Session> session;
    bool handshaking = false;        // TLS handshake not done: neither request nor stream yet
  };

 private:
  // ServerLoop::Engine (fanout_server.cpp)
  void accept(Fd sock, std::string peer, Clock::time_point now) override;
  std::size_t open_count() const override { return members_.size(); }
  void tick(Clock::time_point now) override { sweep(now); }
  void drop_all() override;
  void report(const ServerLoopEvent& event) override { emit(as_server_event<FanoutServerEvent>(event)); }
  int start() override;
  void stopping() override { fan_.end_input(); }  // the stream ends there, as if the input had
  bool turn(Clock::time_point now) override;
  bool finished() const override { return fan_.ended(); }

  // fanout_server.cpp
  void on_member(int fd, std::uint32_t events);
  void on_input(std::uint32_t events);
  void kill(Member& m, std::string why);
  void reap();
  void sweep(Clock::time_point now);
  void finish_members(Clock::time_point now);
  void recv_discard(Member& m);
  void update_input();
  void pump();
  Member* member_of(Fanout::Id out);
  int enter_stream(Member& m);
  std::uint64_t queued(const Member& m) const;
  // fanout_http.cpp
  void on_request(Member& m, std::uint32_t events);
  void read_request(Member& m);
  void send_head(Member& m);
  void join_stream(Member& m, Clock::time_point now);
  // fanout_tls.cpp
  bool tls_handshake(Member& m);
  void end_connection(Member& m);
  ssize_t member_send(Member& m, const char* data, std::size_t n);
  ssize_t member_recv(Member& m, char* data, std::size_t n);
  std::string io_error(const Member& m, int err) const;
  void emit(const FanoutServerEvent& event) { if (on_event_) on_event_(event); }
  void fail(std::string_view call, int error);
  bool active(const Member& m) const noexcept { return !m.dead && !m.lingering && !m.awaiting; }

  FanoutServerSettings settings_;
  OnEvent on_event_;
  Stats stats_;
  Fanout fan_;                    // the stream: the one fan-out engine, drop or block pacing
  EventLoop loop_;
  ServerLoop server_loop_;
  std::unordered_map<int, std::unique_ptr<Member>> members_;
  std::unordered_map<Fanout::Id, int> by_output_;  // engine output -> member's socket
  std::uint64_t served_ = 0;
  std::uint64_t dropped_ = 0;
  bool started_ = false;          // min_clients reached once: the stream is being read
  bool input_watched_ = false;
  bool again_ = false;            // pump stopped with work left: run again without waiting
  bool input_reported_ = false;   // InputFailed sent
  std::uint64_t reported_ = 0;    // consumed() already sent as Input events
};

}  // namespace conduit::net
