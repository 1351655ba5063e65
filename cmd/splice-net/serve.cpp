// serve: `splice-net serve`: options into the library's file server (conduit/net/file_server.hpp),
// and its events into log lines:
//   splice-net: PEER: [N requests (last: GET /x 200), ]sent N bytes in S s: REASON[; NOTE]
// (-q: only the noteworthy ones), and the stop, accept-pause and epoll messages; with --follow,
// the end of following (always: it says why every stream ended):
//   splice-net: FILE: following ended: REASON
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include "commands.hpp"
#include "conduit/diag.hpp"
#include "conduit/net/file_server.hpp"
#include "conduit/progress.hpp"

namespace splice_net {

namespace {

using Clock = std::chrono::steady_clock;
using conduit::net::FileServerEvent;

std::string signal_name(int sig) {
  return std::string("SIG") + (sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
}

// The one log line for a connection: peer, requests, bytes, time, how it ended.
std::string summary(const FileServerEvent& e, bool http) {
  char time[32];
  std::snprintf(time, sizeof time, "%.3f", e.seconds);
  std::string line = std::string(kProg) + ": " + std::string(e.peer) + ": ";
  if (http) {
    line += std::to_string(e.requests) + (e.requests == 1 ? " request" : " requests");
    if (!e.last_request.empty()) line += " (last: " + std::string(e.last_request) + ")";
    line += ", ";
  }
  line += "sent " + std::to_string(e.bytes) + " bytes in " + time + " s: ";
  line += e.reason.empty() ? std::string("closed") : std::string(e.reason);
  if (!e.note.empty()) line += "; " + std::string(e.note);
  return line;
}

// Why following ended, as the log line says it; empty for a server stopping (it says so itself).
std::string follow_end_text(const FileServerEvent& e, double idle_seconds) {
  using End = conduit::net::FollowedFile::End;
  std::string idle = conduit::format_seconds(idle_seconds);
  switch (e.follow_end) {
    case End::Idle:
      return e.writers_checked
                 ? "closed by its writers, no growth for " + idle + " s"
                 : "no growth for " + idle + " s (whether a writer has it open cannot be told)";
    case End::Deleted: return "deleted";
    case End::Replaced: return "replaced (its name is another file's now)";
    case End::Moved: return "renamed (its name is gone)";
    case End::Truncated: return "truncated";
    case End::Failed: return strerror(e.error);
    case End::Stopped:
    case End::None: break;
  }
  return "";
}

// Turns the server's events into serve's messages.
struct Logger {
  const Options& o;
  conduit::Diag& diag;
  conduit::Progress* progress;
  std::string file_label;
  double idle_seconds = 0;

  void operator()(const FileServerEvent& e) const {
    switch (e.kind) {
      case FileServerEvent::Kind::Opened: break;
      case FileServerEvent::Kind::Bytes:
        if (progress) progress->advance(e.bytes);
        break;
      case FileServerEvent::Kind::Closed:
        if (!o.quiet || e.noteworthy) log_line(summary(e, o.http));
        break;
      case FileServerEvent::Kind::AcceptPaused: accept_pause_logger("clients")(e.error, e.open); break;
      case FileServerEvent::Kind::Stopping:
        log_line(std::string(kProg) + ": " + signal_name(e.signal) + ": stopping; " +
                 (e.drop ? "dropping " : "finishing ") + std::to_string(e.open) + " connections");
        break;
      case FileServerEvent::Kind::Dropping:
        log_line(std::string(kProg) + ": " + signal_name(e.signal) + ": dropping " + std::to_string(e.open) +
                 " connections");
        break;
      case FileServerEvent::Kind::Warning:
        if (e.call == "inotify")
          diag.warn(file_label + ": cannot be watched, checking it every 0.2 s instead: " + strerror(e.error));
        else
          diag.warn(std::string(e.call) + ": " + strerror(e.error));
        break;
      case FileServerEvent::Kind::Failed: diag.error(std::string(e.call), e.error); break;
      case FileServerEvent::Kind::FollowEnded: {
        std::string why = follow_end_text(e, idle_seconds);
        if (e.follow_end == conduit::net::FollowedFile::End::Failed)
          diag.error(file_label + ": following ended: " + why);
        else if (!why.empty())
          log_line(std::string(kProg) + ": " + file_label + ": following ended: " + why);
        break;
      }
    }
  }
};

// Reads a --header-file whole (headers are small; a limit keeps a mistake from eating memory).
bool read_header_file(const std::string& name, std::string& out, conduit::Diag& diag) {
  conduit::Fd fd(::open(name.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    diag.error(conduit::quote_name(name), errno);
    return false;
  }
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      diag.error(conduit::quote_name(name), errno);
      return false;
    }
    if (n == 0) return true;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > (64u << 20)) {
      diag.error(conduit::quote_name(name) + ": header file too large (over 64 MiB)");
      return false;
    }
  }
}

}  // namespace

int run_serve(const Options& o) {
  auto start = Clock::now();
  conduit::Diag diag{std::string(kProg)};
  ::signal(SIGPIPE, SIG_IGN);  // sendfile to a closed socket: EPIPE, not death
  auto address = parse_or_report(o.address);
  if (!address) return 1;

  conduit::net::FileServerSettings settings;
  const std::string& file_name = o.files.front();
  settings.file_label = conduit::quote_name(file_name);
  // O_NONBLOCK: opening a FIFO nobody writes to (or a serial line) would otherwise wait for
  // ever, before it could be refused for not being a regular file.
  conduit::Fd file(::open(file_name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!file) {
    diag.error(settings.file_label, errno);
    return 1;
  }
  conduit::FdInfo info;
  if (int rc = conduit::classify(file.get(), info); rc < 0) {
    diag.error(settings.file_label, -rc);
    return 1;
  }
  if (info.kind != conduit::FdKind::Regular) {
    diag.error(settings.file_label + ": not a regular file (serve needs a file it can send from any offset)");
    return 1;
  }
  conduit::set_nonblocking(file.get(), false);  // a file never waits anyway: tidiness only
  settings.file = file.get();
  settings.http = o.http;
  settings.content_type = o.content_type;
  settings.server_name = std::string(kProg);
  settings.zero_copy = !o.common.no_splice;
  settings.max_clients = o.max_clients;
  settings.idle_timeout = std::chrono::milliseconds(timeout_ms(o, 60));
  settings.drop_on_stop = o.stop == StopMode::Drop;
  settings.address = *address;
  settings.follow = o.follow;
  settings.follow_path = file_name;
  double idle_seconds = o.idle.value_or(10.0);
  settings.follow_idle = std::chrono::milliseconds(static_cast<long long>(idle_seconds * 1000));
  if (o.header) settings.header = *o.header;
  if (o.header_file && !read_header_file(*o.header_file, settings.header, diag)) return 1;
  std::optional<conduit::Progress> progress;
  if (o.common.progress) progress.emplace(std::string(kProg), std::nullopt);

  auto listening = start_listening(o, *address, diag, o.http ? " (HTTP)" : "");
  if (!listening) return 1;

  std::string label = settings.file_label;
  conduit::net::FileServer server(
      std::move(settings), Logger{o, diag, progress ? &*progress : nullptr, label, idle_seconds});
  server.run(std::move(listening->listener), std::move(listening->signals));
  if (progress) progress->finish();
  if (server.file_changed()) diag.error(label + ": changed size while being served");
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  report_stats(o, server.stats(), seconds);
  return diag.exit_status();
}

}  // namespace splice_net
