// commands: the subcommands, and what they share (stats report, error wording).
#pragma once

#include <string>

#include "conduit/diag.hpp"
#include "conduit/fd.hpp"
#include "conduit/net/acceptor.hpp"
#include "conduit/net/address.hpp"
#include "conduit/net/socket.hpp"
#include "conduit/net/tls.hpp"
#include "conduit/progress.hpp"
#include "conduit/pump.hpp"
#include "conduit/stats.hpp"
#include "options.hpp"

namespace splice_net {

int run_send(const Options& options);
int run_recv(const Options& options);
int run_serve(const Options& options);
int run_fanout(const Options& options);
int run_relay(const Options& options);

conduit::PumpOptions pump_options(const Options& options);

// What --stats says about a TLS connection: the data path and what was agreed on.
struct TlsReport {
  conduit::net::tls::DataPath path = conduit::net::tls::DataPath::None;
  std::string version, cipher;
};

// Prints --stats in the chosen format on stderr (with a "tls" part when `tls` is given).
void report_stats(const Options& options, const conduit::Stats& stats, double seconds,
                  const TlsReport* tls = nullptr);

// tls.cpp: the TLS context of a subcommand from its options (nothing, after saying why through
// `diag`, when a file is missing or wrong); the handshake's time limit (-t, or 30 s); and, after
// the handshake, why --tls-ktls=require is not met for the direction used ("" when it is).
std::optional<conduit::net::tls::Context> tls_context(const Options& options, bool server,
                                                      conduit::Diag& diag);
int handshake_ms(const Options& options);
std::string ktls_shortfall(const Options& options, const conduit::net::tls::Session& session,
                           bool sending);
// "TLSv1.3, TLS_AES_256_GCM_SHA384, kTLS send" for -v lines.
std::string tls_summary(const conduit::net::tls::Session& session);

// Parses ADDRESS, printing "splice-net: message" on failure.
std::optional<conduit::net::Address> parse_or_report(const std::string& text);

// A server's listening socket (non-blocking) and SIGINT/SIGTERM/SIGHUP as a signalfd: a hangup
// (a closed terminal, a service manager's reload) stops a server as gracefully as SIGTERM.
struct Listening {
  conduit::Fd listener;
  conduit::Fd signals;
};
// Listens on `address` for serve, fanout and relay, blocks the signals and logs "listening on
// ADDRESS" plus `note`; on failure says why (through `diag`) and returns nothing.
std::optional<Listening> start_listening(const Options& options, const conduit::net::Address& address,
                                         conduit::Diag& diag, const std::string& note = "");

// A write error on standard output, worded as splice-cat and GNU cat word it: "splice-net:
// write error: REASON". EPIPE when SIGPIPE would have ended the process (`sigpipe_fatal`, asked
// before the command ignored SIGPIPE for its sockets) ends it by that signal instead, as cat.
void stdout_write_error(conduit::Diag& diag, int err, bool sigpipe_fatal);

// Logs an acceptor's pause: "splice-net: accept: REASON (N WHAT open); pausing new connections",
// `what` naming the connections ("clients", "connections").
conduit::net::Acceptor::OnPause accept_pause_logger(std::string what);

// What every server's event logger (serve, fanout, relay) starts from: the options, the
// diagnostics and the --progress meter (none without --progress), which counts the bytes the
// events report.
struct ServerLog {
  const Options& o;
  conduit::Diag& diag;
  conduit::Progress* progress;
  void advance(std::uint64_t bytes) const {
    if (progress) progress->advance(bytes);
  }
};

// A first stop's line: "splice-net: SIGNAL: stopping; finishing N connections" ("dropping" with
// --drop-on-stop), and a second stop's: "splice-net: SIGNAL: dropping N WHAT".
void log_stopping(int signal, bool drop, std::size_t open);
void log_dropping(int signal, std::size_t open, std::string_view what);

// Wording for errors on a connection: "connection reset by peer" for ECONNRESET ...
using conduit::net::connection_error;

// Timeout option in milliseconds (-1 when absent, or `fallback_s` seconds when given).
int timeout_ms(const Options& options, double fallback_s = -1);

// 2.5 -> "2.5", 60 -> "60".
std::string seconds_text(double seconds);

// Writes one whole line to stderr in a single write() (logs from a busy server stay whole).
void log_line(const std::string& text);

}  // namespace splice_net
