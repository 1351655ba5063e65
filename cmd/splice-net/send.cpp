// send: connect, send the FILEs (or stdin) by sendfile/splice, then shut down the sending side
// so the peer sees end of file. With --recv a second thread copies the peer's bytes to stdout
// until it closes, as netcat does both ways at once. Standard output failing ends the run at
// once, as it ends cat: by SIGPIPE if that would have killed us (we ignore it only for the
// socket's sake), else "write error: reason", status 1.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "commands.hpp"
#include "conduit/diag.hpp"
#include "conduit/net/socket.hpp"
#include "conduit/net/stream_transfer.hpp"
#include "conduit/operand.hpp"
#include "conduit/progress.hpp"
#include "conduit/sigpipe.hpp"

namespace splice_net {

namespace {

struct Input : conduit::InputOperand {
  std::string name;
};

// Opens every operand up front, so a missing file is reported before anything is sent.
std::vector<Input> open_inputs(const std::vector<std::string>& names, conduit::Diag& diag) {
  std::vector<Input> inputs;
  for (const std::string& name : names.empty() ? std::vector<std::string>{"-"} : names) {
    Input in;
    if (int rc = conduit::open_input(name, in); rc < 0) {
      diag.error(conduit::quote_name(name), -rc);
      continue;
    }
    in.name = name;
    inputs.push_back(std::move(in));
  }
  return inputs;
}

// The bytes of the peer go to stdout until it closes (run on its own thread).
struct BackChannel {
  conduit::Stats stats;
  conduit::PumpResult result;
  std::atomic<bool> output_failed{false};  // set before the socket is shut down for it
  void run(const conduit::PumpOptions& options, int sock, const conduit::FdInfo& sock_info,
           bool sigpipe_fatal) {
    conduit::FdInfo out;
    if (int rc = conduit::classify(STDOUT_FILENO, out); rc < 0) {
      result.error = -rc;
      result.side = conduit::PumpResult::Side::Output;
    } else {
      conduit::Pump pump(options, &stats);
      result = pump.run(sock, sock_info, STDOUT_FILENO, out);
    }
    if (result.ok() || result.side != conduit::PumpResult::Side::Output) return;
    if (result.error == EPIPE && sigpipe_fatal) conduit::raise_sigpipe();
    // Nobody reads the peer any more: stop sending too (a peer that waits for its answers to
    // be read would otherwise hold us for ever).
    output_failed = true;
    ::shutdown(sock, SHUT_RDWR);
  }
};

}  // namespace

int run_send(const Options& o) {
  auto start = std::chrono::steady_clock::now();
  conduit::Diag diag{std::string(kProg)};
  const bool sigpipe_fatal = conduit::sigpipe_fatal();  // for standard output (-r)
  ::signal(SIGPIPE, SIG_IGN);  // a peer that goes away is an error value (EPIPE), not a kill
  auto address = parse_or_report(o.address);
  if (!address) return 1;
  std::vector<Input> inputs = open_inputs(o.files, diag);
  if (inputs.empty() && !o.recv_back) return 1;
  std::optional<conduit::net::tls::Context> tls_ctx;
  if (o.tls.on && !(tls_ctx = tls_context(o, false, diag))) return 1;

  conduit::net::SocketResult conn = conduit::net::connect_to(*address, timeout_ms(o));
  if (!conn.ok()) {
    diag.error(conn.message(o.address));
    return 1;
  }
  int sock = conn.fd.get();
  if (o.verbose) log_line(std::string(kProg) + ": connected to " + conduit::net::peer_name(sock));
  conduit::FdInfo sock_info;
  conduit::classify(sock, sock_info);
  std::optional<conduit::net::tls::Session> session;
  TlsReport tls_report;
  if (tls_ctx) {
    auto made = conduit::net::tls::Session::create(*tls_ctx, sock, address->host);
    if (!made.ok()) {
      diag.error(o.address + ": " + made.reason);
      return 1;
    }
    session = std::move(made.value);
    if (session->handshake(handshake_ms(o)) < 0) {
      diag.error(o.address + ": " + session->error());
      return 1;
    }
    conduit::set_nonblocking(sock, false);
    if (std::string why = ktls_shortfall(o, *session, true); !why.empty()) {
      diag.error(o.address + ": " + why);
      return 1;
    }
    if (o.verbose) log_line(std::string(kProg) + ": TLS: " + tls_summary(*session));
    tls_report.version = session->version();
    tls_report.cipher = session->cipher();
  }

  std::optional<std::uint64_t> total = 0;
  for (const Input& in : inputs) {
    if (in.info.kind == conduit::FdKind::Regular && total) *total += static_cast<std::uint64_t>(in.info.size);
    else total.reset();
  }
  std::optional<conduit::Progress> progress;
  if (o.common.progress) progress.emplace(std::string(kProg), total);

  BackChannel back;
  std::thread back_thread;
  if (o.recv_back) {
    back_thread = std::thread([&] { back.run(pump_options(o), sock, sock_info, sigpipe_fatal); });
  }

  conduit::Stats stats;
  conduit::Pump pump(pump_options(o), &stats, progress ? &*progress : nullptr);
  std::uint64_t sent = 0;
  bool broken = false;
  for (const Input& in : inputs) {
    conduit::net::tls::TransferResult t =
        conduit::net::send_over(session ? &*session : nullptr, pump, in.fd, in.info, sock,
                                sock_info, &stats, progress ? &*progress : nullptr);
    const conduit::PumpResult& r = t.result;
    const std::string& reason = t.reason;  // TLS's words for a TLS failure
    if (session) tls_report.path = t.path;
    sent += r.bytes;
    if (r.ok()) continue;
    if (r.side == conduit::PumpResult::Side::Output) {
      if (!back.output_failed)  // else the socket was shut down for it: reported below
        diag.error(o.address + ": " + (reason.empty() ? connection_error(r.error) : reason) + " after " +
                   std::to_string(sent) + " bytes sent");
      broken = true;
      break;
    }
    diag.error(conduit::quote_name(in.name), r.error);
  }
  if (progress) progress->finish();
  // TLS's end of data first: without close_notify the peer must take what came for a part.
  if (session && !broken && session->close_notify() < 0) {
    diag.error(o.address + ": " + session->error());
    broken = true;
  }
  // Half-close: the peer reads end of file, and may still answer (--recv).
  if (!broken && ::shutdown(sock, SHUT_WR) < 0 && errno != ENOTCONN)
    diag.error(o.address + ": " + connection_error(errno));
  if (back_thread.joinable()) {
    if (broken) ::shutdown(sock, SHUT_RDWR);  // nothing more will come: end the reader
    back_thread.join();
    stats.merge(back.stats);
    if (back.output_failed)
      stdout_write_error(diag, back.result.error, false);
    else if (!back.result.ok() && !broken)
      diag.error(o.address + ": " + connection_error(back.result.error) + " after " +
                 std::to_string(back.result.bytes) + " bytes received");
  }
  // Best effort: what was sent is sent; a failed wait only risks the reset it tries to avoid.
  if (!o.recv_back && !broken) static_cast<void>(conduit::net::settle_before_close(sock));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report_stats(o, stats, seconds, session ? &tls_report : nullptr);
  return diag.exit_status();
}

}  // namespace splice_net
