// relay: `splice-net relay LISTEN TARGET`: options into the library's relay
// (conduit/net/relay.hpp), and its events into log lines:
//   splice-net: client PEER: N bytes to TARGET, M bytes back in S s: REASON
//   splice-net: client PEER: REASON                 (TARGET never reached)
// (-q: only the connections whose TARGET could not be reached), and the stop, accept-pause and
// epoll messages. --tls and --tls-target give the engine a TLS context for either side.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "commands.hpp"
#include "conduit/diag.hpp"
#include "conduit/net/relay.hpp"
#include "conduit/net/signals.hpp"
#include "conduit/progress.hpp"

namespace splice_net {

namespace {

using Clock = std::chrono::steady_clock;
using conduit::net::RelayEvent;

// Turns the relay's events into relay's messages.
struct Logger : ServerLog {

  void operator()(const RelayEvent& e) const {
    switch (e.kind) {
      case RelayEvent::Kind::Opened: break;
      case RelayEvent::Kind::Bytes: advance(e.bytes); break;
      case RelayEvent::Kind::Closed: {
        if (o.quiet && !e.target_failed) break;
        std::string line = std::string(kProg) + ": client " + std::string(e.peer) + ": ";
        std::string reason = e.reason.empty() ? std::string("closed") : std::string(e.reason);
        if (!e.connected) {
          log_line(line + reason);
          break;
        }
        char time[32];
        std::snprintf(time, sizeof time, "%.3f", e.seconds);
        log_line(line + std::to_string(e.up) + " bytes to " + o.target + ", " + std::to_string(e.down) +
                 " bytes back in " + time + " s: " + reason);
        break;
      }
      case RelayEvent::Kind::AcceptPaused: accept_pause_logger("connections")(e.error, e.open); break;
      case RelayEvent::Kind::Stopping: log_stopping(e.signal, e.drop, e.open); break;
      case RelayEvent::Kind::Dropping: log_dropping(e.signal, e.open, "connections"); break;
      case RelayEvent::Kind::Failed: diag.error(std::string(e.call), e.error); break;
    }
  }
};

}  // namespace

int run_relay(const Options& o) {
  auto start = Clock::now();
  conduit::Diag diag{std::string(kProg)};
  ::signal(SIGPIPE, SIG_IGN);  // splice/write to a closed socket: EPIPE, not death
  auto address = parse_or_report(o.address);
  if (!address) return 1;
  auto target_address = parse_or_report(o.target);
  if (!target_address) return 1;

  conduit::net::RelaySettings settings;
  settings.target.text = o.target;
  auto endpoints = conduit::net::resolve(*target_address, false);
  if (!endpoints.ok()) {
    diag.error("cannot resolve '" + o.target + "': " + endpoints.message());
    return 1;
  }
  settings.target.endpoints = std::move(endpoints.value);
  settings.target.connect_timeout = std::chrono::milliseconds(std::min(timeout_ms(o, 10), 10000));
  settings.idle_timeout = std::chrono::milliseconds(o.timeout ? timeout_ms(o) : 0);
  settings.zero_copy = !o.common.no_splice;
  settings.pipe_size = o.common.pipe_size;
  settings.max_clients = o.max_clients;
  settings.drop_on_stop = o.stop == StopMode::Drop;
  settings.address = *address;
  // TLS with the clients (--tls) and toward TARGET (--tls-target): contexts made before
  // listening, so that a missing certificate is said before any connection is taken.
  std::optional<conduit::net::tls::Context> client_tls, target_tls;
  if (o.tls.on) {
    client_tls = tls_context(o, true, diag);
    if (!client_tls) return 1;
    settings.tls = &*client_tls;
  }
  if (o.tls.target) {
    target_tls = tls_context(o, false, diag);
    if (!target_tls) return 1;
    settings.target.tls = &*target_tls;
    settings.target.tls_name = target_address->host;
  }
  settings.ktls_required = o.tls.ktls == KtlsMode::Require;
  std::optional<conduit::Progress> progress;
  if (o.common.progress) progress.emplace(std::string(kProg), std::nullopt);

  // (start_listening raises the descriptor limit: every connection holds up to six.)
  std::string note = o.tls.on && o.tls.target ? " (TLS, TLS to TARGET)"
                     : o.tls.on               ? " (TLS)"
                     : o.tls.target           ? " (TLS to TARGET)"
                                              : "";
  auto listening = start_listening(o, *address, diag, note);
  if (!listening) return 1;

  conduit::net::Relay relay(std::move(settings), Logger{{o, diag, progress ? &*progress : nullptr}});
  relay.run(std::move(listening->listener), std::move(listening->signals));
  if (progress) progress->finish();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (o.tls.on || o.tls.target) {
    TlsReport tls{relay.tls_path(), "", ""};
    report_stats(o, relay.stats(), seconds, &tls);
  } else {
    report_stats(o, relay.stats(), seconds);
  }
  return diag.exit_status();
}

}  // namespace splice_net
