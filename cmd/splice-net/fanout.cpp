// fanout: `splice-net fanout ADDRESS`: options into the library's fan-out server
// (conduit/net/fanout_server.hpp), standard input as the stream, and its events into log lines:
//   splice-net: PEER: sent N bytes in S s: REASON          (per client; -q: only the dropped)
//   splice-net: PEER: GET /live.ts 200, sent N bytes in S s: REASON        (--http)
//   splice-net: fanout: N bytes from standard input; C clients, D dropped as slow
// (--tls: TLS on every connection, net/fanout_tls.cpp; a failed handshake is a client's line)
// and the signal, accept-pause and epoll messages.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include "commands.hpp"
#include "conduit/net/fanout_server.hpp"
#include "conduit/net/signals.hpp"
#include "conduit/progress.hpp"

namespace splice_net {

namespace {

using Clock = std::chrono::steady_clock;
using conduit::net::FanoutServerEvent;

// Turns the server's events into fanout's messages.
struct Logger : ServerLog {
  bool* ran;  // false when the server failed before serving (no summary then)

  void operator()(const FanoutServerEvent& e) const {
    switch (e.kind) {
      case FanoutServerEvent::Kind::Opened: break;
      case FanoutServerEvent::Kind::Input: advance(e.bytes); break;
      case FanoutServerEvent::Kind::Closed:
        // A client dropped as slow lost part of the stream: worth a line even with -q.
        if (!o.quiet || e.slow_drop) {
          char time[32];
          std::snprintf(time, sizeof time, "%.3f", e.seconds);
          std::string request = e.request.empty() ? "" : std::string(e.request) + ", ";
          log_line(std::string(kProg) + ": " + std::string(e.peer) + ": " + request + "sent " + std::to_string(e.bytes) +
                   " bytes in " + time + " s: " + (e.reason.empty() ? "closed" : std::string(e.reason)));
        }
        break;
      case FanoutServerEvent::Kind::AcceptPaused: accept_pause_logger("clients")(e.error, e.open); break;
      case FanoutServerEvent::Kind::Stopping:
        log_line(std::string(kProg) + ": " + conduit::net::signal_name(e.signal) + ": end of stream; finishing " +
                 std::to_string(e.open) + " clients");
        break;
      case FanoutServerEvent::Kind::Dropping: log_dropping(e.signal, e.open, "clients"); break;
      case FanoutServerEvent::Kind::Warning:
        if (!e.peer.empty())
          log_line(std::string(kProg) + ": " + std::string(e.peer) + ": " + std::string(e.call) + ": " +
                   conduit::errno_text(e.error));
        else
          diag.warn(std::string(e.call) + ": " + conduit::errno_text(e.error));
        break;
      case FanoutServerEvent::Kind::InputFailed: diag.error("standard input", e.error); break;
      case FanoutServerEvent::Kind::Failed:
        diag.error(std::string(e.call), e.error);
        if (e.call != "epoll_wait") *ran = false;
        break;
    }
  }
};

}  // namespace

int run_fanout(const Options& o) {
  auto start = Clock::now();
  conduit::Diag diag{std::string(kProg)};
  ::signal(SIGPIPE, SIG_IGN);  // splice to a closed socket: EPIPE, not death
  auto address = parse_or_report(o.address);
  if (!address) return 1;

  conduit::net::FanoutServerSettings settings;
  settings.input = STDIN_FILENO;
  if (int rc = conduit::classify(STDIN_FILENO, settings.input_info); rc < 0) {
    diag.error("standard input", -rc);
    return 1;
  }
  if (!settings.input_info.readable) {
    diag.error("standard input", EBADF);
    return 1;
  }
  settings.zero_copy = !o.common.no_splice;
  settings.pipe_size = o.common.pipe_size;
  settings.max_clients = o.max_clients;
  settings.min_clients = o.min_clients;
  settings.slow = o.slow == SlowPolicy::Block ? conduit::net::FanoutServerSettings::Slow::Block
                                              : conduit::net::FanoutServerSettings::Slow::Drop;
  if (o.timeout) settings.block_timeout = std::chrono::milliseconds(timeout_ms(o));
  settings.http = o.http;
  if (!o.content_type.empty()) settings.content_type = o.content_type;  // else application/octet-stream
  settings.server_name = std::string(kProg);
  settings.address = *address;
  std::optional<conduit::net::tls::Context> tls_ctx;
  if (o.tls.on && !(tls_ctx = tls_context(o, true, diag))) return 1;
  if (tls_ctx) settings.tls = &*tls_ctx;
  settings.handshake_timeout = std::chrono::milliseconds(handshake_ms(o));

  auto listening = start_listening(o, *address, diag, std::string(o.http ? " (HTTP" : "") +
                                                         (o.tls.on ? (o.http ? ", TLS)" : " (TLS)") : (o.http ? ")" : "")));
  if (!listening) return 1;

  std::optional<conduit::Progress> progress;
  if (o.common.progress) progress.emplace(std::string(kProg), std::nullopt);
  bool ran = true;
  conduit::net::FanoutServer server(std::move(settings),
                                    Logger{{o, diag, progress ? &*progress : nullptr}, &ran});
  server.run(std::move(listening->listener), std::move(listening->signals));
  if (progress) progress->finish();  // the meter's last line before the summary
  if (ran && (!o.quiet || server.dropped() > 0))
    log_line(std::string(kProg) + ": fanout: " + std::to_string(server.consumed()) +
             " bytes from standard input; " + std::to_string(server.served()) + " clients, " +
             std::to_string(server.dropped()) + " dropped as slow");
  // Many clients, each with its own handshake: the path, not one version or cipher. Only a
  // kTLS socket takes splice; every other TLS client's bytes went through SSL_write.
  TlsReport tls_report;
  tls_report.path = server.stats().bytes_of(conduit::Path::Splice) > 0 ? conduit::net::tls::DataPath::KtlsSplice
                                                                       : conduit::net::tls::DataPath::User;
  report_stats(o, server.stats(), std::chrono::duration<double>(Clock::now() - start).count(),
               tls_ctx ? &tls_report : nullptr);
  return diag.exit_status();
}

}  // namespace splice_net
