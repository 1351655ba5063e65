// net/relay_conn_tls: a relayed connection's TLS sides (see relay_conn.hpp): the client's
// handshake before TARGET is dialled, TARGET's after the connect, each bounded by the connect
// timeout inside the event loop; --tls-ktls=require; the sessions' words for a TLS failure.
#include <cerrno>

#include "conduit/net/relay_conn.hpp"
#include "conduit/stats.hpp"

namespace conduit::net {

RelayConn::Step RelayConn::begin_tls(bool target, RelayClock::time_point now) {
  state_ = target ? State::TargetHandshake : State::ClientHandshake;
  phase_started_ = now;
  auto made = target ? tls::Session::create(*target_.tls, target_fd_.get(), target_.tls_name)
                     : tls::Session::create(*shared_.tls, client_.get(), "");
  if (!made.ok()) {
    if (target) return target_failure(target_.text + ": " + made.reason);
    ending_ = "client: " + made.reason;
    return Step::Close;
  }
  (target ? target_tls_ : client_tls_) = std::move(made.value);
  return handshake(target, now);
}

RelayConn::Step RelayConn::handshake(bool target, RelayClock::time_point now) {
  tls::Session& session = target ? *target_tls_ : *client_tls_;
  int rc = session.handshake_step();
  if (rc == -EAGAIN) return Step::Wait;  // edge-triggered: the socket's next change calls again
  if (rc < 0) {
    // TARGET refused or failed us: the client gets a reset, as from a refused connect.
    if (target) return target_failure(target_.text + ": " + session.error());
    ending_ = "client: " + session.error();
    return Step::Close;
  }
  phase_started_ = now;
  if (target) return open(now);
  state_ = State::Connecting;
  return connect_next(now);
}

RelayConn::Step RelayConn::handshake_timeout() {
  std::string why = "TLS handshake not finished after " +
                    format_seconds(static_cast<double>(target_.connect_timeout.count()) / 1000) + " s";
  if (state_ == State::TargetHandshake) return target_failure(target_.text + ": " + why);
  ending_ = "client: " + why;
  return Step::Close;
}

std::string RelayConn::ktls_shortfall() const {
  if (!shared_.ktls_required) return "";
  auto check = [](const std::optional<tls::Session>& s, const char* side) -> std::string {
    if (!s || (s->ktls_send() && s->ktls_recv())) return "";
    return std::string(side) + ": kernel TLS is not available both ways (" + s->version() + ", " + s->cipher() +
           (s->ktls_send() ? ", kTLS send only" : s->ktls_recv() ? ", kTLS receive only" : "") + ")";
  };
  std::string why = check(client_tls_, "client");
  return why.empty() ? check(target_tls_, "target") : why;
}

std::string RelayConn::tls_words(bool target, int err) const {
  const std::optional<tls::Session>& s = target ? target_tls_ : client_tls_;
  if (!s || err != EPROTO) return "";
  return s->error();
}

}  // namespace conduit::net
