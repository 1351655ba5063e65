// common: what the subcommands share: pump settings, stats output, listening, error wording.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "commands.hpp"
#include "conduit/fd_limit.hpp"
#include "conduit/net/signals.hpp"
#include "conduit/net/socket.hpp"
#include "conduit/sigpipe.hpp"

namespace splice_net {

namespace {

// The TLS part of --stats: a line "prog:   tls: PATH (VERSION, CIPHER)", or a "tls" member of
// the JSON object.
std::string with_tls_stats(const Options& o, std::string text, const TlsReport& tls) {
  std::string path(conduit::net::tls::to_string(tls.path));
  if (o.common.stats == conduit::cli::StatsFormat::Json) {
    std::size_t end = text.rfind('}');
    if (end == std::string::npos) return text;
    // The names are OpenSSL's constants ("TLSv1.3", "TLS_AES_256_GCM_SHA384"): nothing to escape.
    text.insert(end, ",\"tls\":{\"path\":\"" + path + "\",\"version\":\"" + tls.version +
                         "\",\"cipher\":\"" + tls.cipher + "\"}");
    return text;
  }
  if (tls.version.empty()) return text + std::string(kProg) + ":   tls: " + path + "\n";
  return text + std::string(kProg) + ":   tls: " + path + " (" + tls.version + ", " + tls.cipher + ")\n";
}

}  // namespace

conduit::PumpOptions pump_options(const Options& o) {
  conduit::PumpOptions p;
  p.zero_copy = !o.common.no_splice;
  p.pipe_size = o.common.pipe_size;
  return p;
}

void report_stats(const Options& o, const conduit::Stats& stats, double seconds, const TlsReport* tls) {
  if (!tls) {
    conduit::cli::report_stats(o.common.stats, stats, kProg, seconds);
    return;
  }
  std::string text;
  if (o.common.stats == conduit::cli::StatsFormat::Text)
    text = conduit::format_stats_text(stats, kProg, seconds);
  else if (o.common.stats == conduit::cli::StatsFormat::Json)
    text = conduit::format_stats_json(stats, kProg, seconds);
  else
    return;
  if (!text.empty() && text.back() != '\n') text += '\n';
  log_line(with_tls_stats(o, text, *tls));
}

std::optional<conduit::net::Address> parse_or_report(const std::string& text) {
  auto address = conduit::net::parse_address(text);
  if (!address.ok()) {
    log_line(std::string(kProg) + ": " + address.message() + "\n");
    return std::nullopt;
  }
  return std::move(address.value);
}

std::optional<Listening> start_listening(const Options& o, const conduit::net::Address& address,
                                         conduit::Diag& diag, const std::string& note) {
  // Every client is a descriptor: take all the kernel allows (a failure leaves the old limit,
  // and EMFILE then pauses accepting, as it always could).
  conduit::raise_fd_limit();
  conduit::net::SocketResult listener = conduit::net::listen_on(address, {SOMAXCONN, true});
  if (!listener.ok()) {
    diag.error(listener.message(o.address));
    return std::nullopt;
  }
  auto signals = conduit::net::block_signals({SIGINT, SIGTERM, SIGHUP});
  if (!signals.ok()) {
    diag.error("signalfd", signals.error);
    return std::nullopt;
  }
  log_line(std::string(kProg) + ": listening on " + conduit::net::local_name(listener.fd.get()) + note);
  return Listening{std::move(listener.fd), std::move(signals.value)};
}

conduit::net::Acceptor::OnPause accept_pause_logger(std::string what) {
  return [what = std::move(what)](int err, std::size_t open) {
    log_line(std::string(kProg) + ": accept: " + std::strerror(err) + " (" + std::to_string(open) + " " +
             what + " open); pausing new connections");
  };
}

void log_stopping(int signal, bool drop, std::size_t open) {
  log_line(std::string(kProg) + ": " + conduit::net::signal_name(signal) + ": stopping; " +
           (drop ? "dropping " : "finishing ") + std::to_string(open) + " connections");
}

void log_dropping(int signal, std::size_t open, std::string_view what) {
  log_line(std::string(kProg) + ": " + conduit::net::signal_name(signal) + ": dropping " + std::to_string(open) + " " +
           std::string(what));
}

void stdout_write_error(conduit::Diag& diag, int err, bool sigpipe_fatal) {
  if (err == EPIPE && sigpipe_fatal) conduit::raise_sigpipe();
  diag.error("write error", err);
}

int timeout_ms(const Options& o, double fallback_s) {
  double s = o.timeout ? *o.timeout : fallback_s;
  if (s < 0) return -1;
  return static_cast<int>(std::lround(s * 1000.0));
}

std::string seconds_text(double seconds) { return conduit::format_seconds(seconds); }

void log_line(const std::string& text) {
  std::string line = text;
  if (line.empty() || line.back() != '\n') line += '\n';
  ssize_t rc = ::write(STDERR_FILENO, line.data(), line.size());
  (void)rc;
}

}  // namespace splice_net
