// recv: listen, accept one connection (or one after another with --keep) and write what
// arrives to stdout or -o FILE: socket -> pipe -> out by splice, through the core's Pump.
// SIGINT/SIGTERM while waiting for a connection end the run cleanly (stats, Unix socket removed);
// during a transfer they act as usual. A write error on standard output, EPIPE included when
// SIGPIPE is ignored, is "write error: reason" and status 1, as with cat (stdout_write_error).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>

#include "commands.hpp"
#include "conduit/diag.hpp"
#include "conduit/net/signals.hpp"
#include "conduit/net/socket.hpp"
#include "conduit/net/stream_transfer.hpp"
#include "conduit/progress.hpp"
#include "conduit/sigpipe.hpp"

namespace splice_net {

int run_recv(const Options& o) {
  auto start = std::chrono::steady_clock::now();
  conduit::Diag diag{std::string(kProg)};
  const bool sigpipe_fatal = conduit::sigpipe_fatal();
  auto address = parse_or_report(o.address);
  if (!address) return 1;

  conduit::Fd out_file;
  int out = STDOUT_FILENO;
  std::string out_name = "standard output";
  if (o.output && *o.output != "-") {
    out_file.reset(::open(o.output->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    if (!out_file) {
      diag.error(conduit::quote_name(*o.output), errno);
      return 1;
    }
    out = out_file.get();
    out_name = conduit::quote_name(*o.output);
  }
  conduit::FdInfo out_info;
  if (int rc = conduit::classify(out, out_info); rc < 0) {
    diag.error(out_name, -rc);
    return 1;
  }

  std::optional<conduit::net::tls::Context> tls_ctx;
  if (o.tls.on && !(tls_ctx = tls_context(o, true, diag))) return 1;
  // OpenSSL writes to the socket too (handshake, close_notify): a peer gone is EPIPE, not a
  // kill. Standard output's EPIPE still ends us by SIGPIPE where cat would die (sigpipe_fatal).
  if (tls_ctx) ::signal(SIGPIPE, SIG_IGN);

  conduit::net::SocketResult listener = conduit::net::listen_on(*address, {16, false});
  if (!listener.ok()) {
    diag.error(listener.message(o.address));
    return 1;
  }
  if (o.verbose) log_line(std::string(kProg) + ": listening on " + conduit::net::local_name(listener.fd.get()));
  // Signals as an fd, polled with the listener: without it a SIGTERM could not end the wait.
  auto blocked = conduit::net::block_signals({SIGINT, SIGTERM});
  if (!blocked.ok()) {
    diag.error("signalfd", blocked.error);
    return 1;
  }
  conduit::Fd signals = std::move(blocked.value);

  conduit::Stats stats;
  std::optional<conduit::Progress> progress;
  if (o.common.progress) progress.emplace(std::string(kProg), std::nullopt);
  conduit::Pump pump(pump_options(o), &stats, progress ? &*progress : nullptr);
  int timeout = timeout_ms(o);
  TlsReport tls_report;
  for (bool first = true;; first = false) {
    using What = conduit::net::ClientWait::What;
    conduit::net::ClientWait w =
        conduit::net::wait_for_client(listener.fd.get(), signals.get(), first ? timeout : -1);
    if (w.what == What::Signal) break;
    if (w.what == What::Timeout) {
      diag.error(o.address + ": no connection within " + seconds_text(*o.timeout) + " s");
      break;
    }
    if (w.what == What::Failed) {
      diag.error(o.address + ": poll", w.error);
      break;
    }
    sockaddr_storage addr{};
    socklen_t addr_len = sizeof addr;
    conduit::Fd conn(::accept4(listener.fd.get(), reinterpret_cast<sockaddr*>(&addr), &addr_len,
                               SOCK_CLOEXEC));
    if (!conn) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      diag.error(o.address + ": accept", errno);
      if (errno == EMFILE || errno == ENFILE) {
        ::poll(nullptr, 0, 100);  // wait for a descriptor to come free; never spin
        continue;
      }
      break;
    }
    if (!o.keep) listener.fd.reset();  // later connections are refused, as with nc -l
    // From accept, not getpeername: a peer that already reset has no name any more.
    std::string peer = conduit::net::format_endpoint(reinterpret_cast<sockaddr*>(&addr), addr_len);
    if (o.verbose) log_line(std::string(kProg) + ": connection from " + peer);
    std::optional<conduit::net::tls::Session> session;
    if (tls_ctx) {
      auto made = conduit::net::tls::Session::create(*tls_ctx, conn.get(), "");
      if (!made.ok()) {
        diag.error(peer + ": " + made.reason);
        break;
      }
      session = std::move(made.value);
      // A client that fails its handshake is reported; with --keep the next one is served.
      std::string why;
      if (session->handshake(handshake_ms(o)) < 0) why = session->error();
      else why = ktls_shortfall(o, *session, false);
      if (!why.empty()) {
        // A plain close: the alert OpenSSL sent must reach the client before anything else.
        diag.error(peer + ": " + why);
        if (o.keep) continue;
        break;
      }
      if (o.verbose) log_line(std::string(kProg) + ": TLS: " + tls_summary(*session));
      tls_report.version = session->version();
      tls_report.cipher = session->cipher();
    }
    // Signals act as usual during a transfer (Ctrl-C stops it).
    if (int rc = conduit::net::unblock_signals({SIGINT, SIGTERM}); rc < 0) {
      diag.error("sigprocmask", -rc);
      break;
    }
    conduit::net::tls::TransferResult t =
        conduit::net::receive_from(session ? &*session : nullptr, pump, conn.get(), out, out_info,
                                   &stats, progress ? &*progress : nullptr);
    const conduit::PumpResult& r = t.result;
    const std::string& reason = t.reason;  // TLS's words for a TLS failure
    if (session) tls_report.path = t.path;
    if (int rc = conduit::net::reblock_signals({SIGINT, SIGTERM}); rc < 0) diag.error("sigprocmask", -rc);
    if (!r.ok()) {
      if (r.side == conduit::PumpResult::Side::Input)
        diag.error(peer + ": " + (reason.empty() ? connection_error(r.error) : reason) + " after " +
                   std::to_string(r.bytes) + " bytes received");
      else if (out == STDOUT_FILENO)
        stdout_write_error(diag, r.error, sigpipe_fatal);  // EPIPE too: data was lost
      else
        diag.error(out_name, r.error);
      if (r.side == conduit::PumpResult::Side::Output) break;
    }
    if (!o.keep) break;
  }
  if (progress) progress->finish();
  if (listener.fd || !o.keep) conduit::net::unlink_unix(*address);
  if (out_file) {
    if (int rc = out_file.close(); rc < 0) diag.error(out_name, -rc);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report_stats(o, stats, seconds, tls_ctx ? &tls_report : nullptr);
  return diag.exit_status();
}

}  // namespace splice_net
