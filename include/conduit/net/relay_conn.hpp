// net/relay_conn: one relayed connection of the relay (net/relay), as a non-blocking state machine.
//
//   Connecting (non-blocking connect to each TARGET endpoint in turn, bounded by the connect
//   timeout) -> Open (two RelayDirections: client -> target "up", target -> client "down")
//   -> closed when both directions have passed on their end of file, or at the first error.
// An error on one side (a reset, most often) is passed on: the other side is closed with
// SO_LINGER 0 so it sees a reset too, rather than a clean end that could pass for success.
// The connection registers its own sockets with the event loop because the target socket is
// replaced when one endpoint fails and the next is tried.
//
// TLS (relay_conn_tls.cpp): with a context for the clients (RelayShared::tls) the client's
// handshake comes first (ClientHandshake), before TARGET is dialled; with one for TARGET
// (RelayTarget::tls) its handshake follows the connect (TargetHandshake). Each is bounded by the
// connect timeout. A failed handshake with TARGET resets the client, as a refused connect does.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "conduit/fd.hpp"
#include "conduit/net/address.hpp"
#include "conduit/net/event_loop.hpp"
#include "conduit/net/relay_direction.hpp"
#include "conduit/net/tls.hpp"

namespace conduit::net {

using RelayClock = std::chrono::steady_clock;

// TARGET, resolved once at start.
struct RelayTarget {
  std::string text;                               // as the user wrote it, for reasons
  std::vector<Endpoint> endpoints;                // tried in order
  std::chrono::milliseconds connect_timeout{10000};  // also bounds each TLS handshake
  const tls::Context* tls = nullptr;              // TLS toward TARGET, or none
  std::string tls_name;                           // the name its certificate must carry (and SNI)
};

class RelayConn {
 public:
  // Wait: for a socket (epoll says when); Again: used its turn, call again soon; Close: done,
  // ending() says how.
  enum class Step { Wait, Again, Close };
  // Called on every event of either socket; `target` says which one.
  using Handler = std::function<void(bool target, std::uint32_t events)>;

  RelayConn(Fd client, std::string peer, const RelayTarget& target, RelayShared& shared,
            EventLoop& loop, RelayClock::time_point now);
  ~RelayConn();  // leaves the event loop, then closes (with a reset where one is owed)
  RelayConn(const RelayConn&) = delete;
  RelayConn& operator=(const RelayConn&) = delete;

  // Watches the client socket and starts connecting to TARGET.
  Step start(Handler handler, RelayClock::time_point now);
  Step on_event(bool target, std::uint32_t events, RelayClock::time_point now);
  // The server's clock: connect timeout, retrying a Unix target whose queue was full, idle
  // timeout (`idle` zero: none).
  Step tick(RelayClock::time_point now, std::chrono::milliseconds idle);
  // Ends the connection now for `why`; `reset`: both sides see a reset, not a clean end.
  void abort(std::string why, bool reset);

  int client_fd() const noexcept { return client_.get(); }
  // An ending an operator should see even when connections are not logged (TARGET unreachable).
  bool target_failed() const noexcept { return target_failed_; }
  // What a report of the connection says: peer, whether TARGET was ever reached, bytes each
  // way, lifetime, how it ended ("" when it just closed).
  const std::string& peer() const noexcept { return peer_; }
  bool connected() const noexcept { return state_ == State::Open; }
  std::uint64_t bytes_up() const noexcept { return up_.bytes(); }
  std::uint64_t bytes_down() const noexcept { return down_.bytes(); }
  RelayClock::time_point started() const noexcept { return started_; }
  const std::string& ending() const noexcept { return ending_; }

 private:
  enum class State : unsigned char { ClientHandshake, Connecting, TargetHandshake, Open };
  Step connect_next(RelayClock::time_point now);
  Step connected(RelayClock::time_point now);
  Step target_failure(std::string why);
  Step pump(RelayClock::time_point now);
  Step failed(const RelayDirection& direction, bool up);
  Step side_error(bool target, int err);
  Step open(RelayClock::time_point now);
  // relay_conn_tls.cpp
  Step begin_tls(bool target, RelayClock::time_point now);
  Step handshake(bool target, RelayClock::time_point now);
  Step handshake_timeout();
  std::string ktls_shortfall() const;  // "" when --tls-ktls=require is met
  std::string tls_words(bool target, int err) const;  // the session's words for -EPROTO, or ""

  Fd client_;
  Fd target_fd_;
  std::string peer_;
  const RelayTarget& target_;
  RelayShared& shared_;
  EventLoop& loop_;
  Handler handler_;
  State state_ = State::Connecting;
  std::size_t endpoint_ = 0;       // the endpoint being tried
  int connect_error_ = ECONNREFUSED;
  bool retry_connect_ = false;     // a Unix target's listen queue was full (EAGAIN)
  RelayDirection up_;              // client -> target
  RelayDirection down_;            // target -> client
  std::uint64_t seen_bytes_ = 0;   // up + down at the last activity check
  bool reset_client_ = false;      // close with SO_LINGER 0
  bool reset_target_ = false;
  bool target_failed_ = false;
  std::string ending_;
  RelayClock::time_point started_;
  RelayClock::time_point last_active_;
  RelayClock::time_point phase_started_;  // the current handshake or connect began
  // After the fds: a session borrows its socket, and goes first.
  std::optional<tls::Session> client_tls_;
  std::optional<tls::Session> target_tls_;
};

}  // namespace conduit::net
