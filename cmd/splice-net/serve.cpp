// serve: `splice-net serve`: options into the library's file server (conduit/net/file_server.hpp),
// and its events into log lines:
//   splice-net: PEER: [N requests (last: GET /x 200), ]sent N bytes in S s: REASON[; NOTE]
// (-q: only the noteworthy ones), and the stop, accept-pause and epoll messages. With --http,
// one access-log line per request (conduit/net/access_log.hpp) takes the place of the connection's line,
// which is kept only for a connection that ended out of the ordinary (timed out, reset, cut
// short: the access log cannot say it) or is noteworthy.
// With --follow, the end of following, always (it says why every stream ended):
//   splice-net: FILE: following ended: REASON
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

#include "commands.hpp"
#include "conduit/diag.hpp"
#include "conduit/net/access_log.hpp"
#include "conduit/net/file_server.hpp"
#include "conduit/net/signals.hpp"
#include "conduit/progress.hpp"

namespace splice_net {

namespace {

using Clock = std::chrono::steady_clock;
using conduit::net::FileServerEvent;

// The one log line for a connection: peer, requests, bytes, time, how it ended.
std::string summary(const FileServerEvent& e, bool http) {
  std::string line = std::string(kProg) + ": " + std::string(e.peer) + ": ";
  if (http) {
    line += std::to_string(e.requests) + (e.requests == 1 ? " request" : " requests");
    if (!e.last_request.empty()) line += " (last: " + std::string(e.last_request) + ")";
    line += ", ";
  }
  line += "sent " + std::to_string(e.bytes) + " bytes in " + conduit::format_elapsed(e.seconds) + " s: ";
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

// --access-log FILE or standard error, through the library's writer; a failed write is said
// once (a warning: the server goes on).
struct AccessLogOut {
  conduit::net::AccessLog log;
  std::string label = "standard error";
  bool failed = false;

  void write(const FileServerEvent& e, conduit::Diag& diag) {
    if (int rc = log.write(e); rc < 0 && !failed) {
      failed = true;
      diag.warn(label + ": " + conduit::errno_text(-rc));
    }
  }
};

// Turns the server's events into serve's messages.
struct Logger : ServerLog {
  AccessLogOut* access;  // --http: where request lines go; none: nowhere
  std::string file_label;
  double idle_seconds = 0;

  // An HTTP connection that ended as connections do (the access log told its story).
  static bool ordinary(std::string_view reason) {
    return reason == "done" || reason == "closed by peer" || reason == "server stopping";
  }

  void operator()(const FileServerEvent& e) const {
    switch (e.kind) {
      case FileServerEvent::Kind::Opened: break;
      case FileServerEvent::Kind::Bytes: advance(e.bytes); break;
      case FileServerEvent::Kind::Request:
        if (access) access->write(e, diag);
        break;
      case FileServerEvent::Kind::Closed:
        if (e.noteworthy || (!o.quiet && !(o.http && ordinary(e.reason)))) log_line(summary(e, o.http));
        break;
      case FileServerEvent::Kind::AcceptPaused: accept_pause_logger("clients")(e.error, e.open); break;
      case FileServerEvent::Kind::Stopping: log_stopping(e.signal, e.drop, e.open); break;
      case FileServerEvent::Kind::Dropping: log_dropping(e.signal, e.open, "connections"); break;
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

// Opens FILE (`directory` allowed: the directory form). -1 after saying why.
int open_operand(const std::string& name, bool directory_ok, bool& is_directory, conduit::Diag& diag) {
  std::string label = conduit::quote_name(name);
  // O_NONBLOCK: opening a FIFO nobody writes to (or a serial line) would otherwise wait for
  // ever, before it could be refused for not being a regular file.
  conduit::Fd file(::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!file) {
    diag.error(label, errno);
    return -1;
  }
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) {
    diag.error(label, errno);
    return -1;
  }
  is_directory = S_ISDIR(st.st_mode);
  if (is_directory && directory_ok) return file.release();
  if (!S_ISREG(st.st_mode)) {
    diag.error(label + (directory_ok ? ": not a regular file or directory"
                                     : ": not a regular file (serve needs a file it can send from any offset)"));
    return -1;
  }
  conduit::set_nonblocking(file.get(), false);  // a file never waits anyway: tidiness only
  return file.release();
}

// The operands into settings: plain mode, one file; --http, one directory (served beneath it)
// or files served by their names.
bool open_operands(const Options& o, conduit::net::FileServerSettings& settings,
                   std::vector<conduit::Fd>& files, conduit::Diag& diag) {
  bool tree = o.http && o.files.size() == 1;
  std::vector<std::pair<std::string, int>> named;
  for (const std::string& name : o.files) {
    bool is_directory = false;
    int fd = open_operand(name, tree, is_directory, diag);
    if (fd < 0) return false;
    files.emplace_back(fd);
    settings.file_label = conduit::quote_name(name);
    if (is_directory) {
      if (o.header || o.header_file) {
        diag.error(settings.file_label + ": --header and --header-file need a file, not a directory");
        return false;
      }
      settings.resources = conduit::net::http::Resources::directory(fd, o.index);
      return true;
    }
    std::string base = name.substr(name.find_last_of('/') == std::string::npos ? 0 : name.find_last_of('/') + 1);
    for (const auto& [other, other_fd] : named) {
      if (other == base) {
        diag.error(settings.file_label + ": another FILE is named '" + base + "' too (files are served by name)");
        return false;
      }
    }
    named.emplace_back(base, fd);
    settings.file = fd;
  }
  if (o.http) {
      settings.resources = conduit::net::http::Resources::files(std::move(named), o.index);
  }
  return true;
}

}  // namespace

int run_serve(const Options& o) {
  auto start = Clock::now();
  conduit::Diag diag{std::string(kProg)};
  ::signal(SIGPIPE, SIG_IGN);  // sendfile to a closed socket: EPIPE, not death
  auto address = parse_or_report(o.address);
  if (!address) return 1;

  conduit::net::FileServerSettings settings;
  std::vector<conduit::Fd> files;  // kept open while the server runs
  if (!open_operands(o, settings, files, diag)) return 1;
  settings.http = o.http;
  settings.content_type = o.content_type;
  settings.disposition = o.content_disposition;
  settings.server_name = std::string(kProg);
  settings.zero_copy = !o.common.no_splice;
  settings.max_clients = o.max_clients;
  settings.idle_timeout = std::chrono::milliseconds(timeout_ms(o, 60));
  if (o.head_timeout)
    settings.head_timeout = std::chrono::milliseconds(std::max(1L, std::lround(*o.head_timeout * 1000)));
  settings.drop_on_stop = o.stop == StopMode::Drop;
  settings.address = *address;
  settings.follow = o.follow;
  settings.follow_path = o.files.front();
  if (o.follow && settings.file < 0) {
    diag.error(settings.file_label + ": --follow needs a file, not a directory");
    return 1;
  }
  double idle_seconds = o.idle.value_or(10.0);
  settings.follow_idle = std::chrono::milliseconds(static_cast<long long>(idle_seconds * 1000));
  if (o.header) settings.header = *o.header;
  if (o.header_file && !read_header_file(*o.header_file, settings.header, diag)) return 1;
  if (o.http && settings.resources && settings.file >= 0 && !settings.header.empty()) {
    // --http with a header: its bytes start the file's body (the one-file form only).
    std::string base = o.files.front().substr(o.files.front().find_last_of('/') == std::string::npos
                                                  ? 0 : o.files.front().find_last_of('/') + 1);
    settings.resources = conduit::net::http::Resources::files({{base, settings.file}}, o.index, settings.header);
  }
  std::optional<conduit::net::tls::Context> tls_ctx;
  if (o.tls.on && !(tls_ctx = tls_context(o, true, diag))) return 1;
  if (tls_ctx) settings.tls = &*tls_ctx;
  std::optional<conduit::Progress> progress;
  if (o.common.progress) progress.emplace(std::string(kProg), std::nullopt);
  AccessLogOut access;
  if (o.access_log) {
    access.label = conduit::quote_name(*o.access_log);
    if (int rc = access.log.open(*o.access_log); rc < 0) {
      diag.error(access.label, -rc);
      return 1;
    }
  }
  bool logs_requests = o.http && (o.access_log || !o.quiet);

  auto listening = start_listening(o, *address, diag, std::string(o.http ? " (HTTP" : "") +
                                                         (o.tls.on ? (o.http ? ", TLS)" : " (TLS)") : (o.http ? ")" : "")));
  if (!listening) return 1;

  std::string label = settings.file_label;
  // The end-of-run line names what changed: the one FILE, or else says which operand holds it
  // (a directory's label, or the last of several FILEs, would name a file that did not change);
  // the connection's log line names the file itself.
  std::string changed = o.files.size() > 1 ? std::string("a FILE changed size while being served (logged above)")
                        : settings.file < 0 ? label + ": a file beneath it changed size while being served (logged above)"
                                            : label + ": changed size while being served";
  conduit::net::FileServer server(
      std::move(settings), Logger{{o, diag, progress ? &*progress : nullptr},
                                  logs_requests ? &access : nullptr, label, idle_seconds});
  server.run(std::move(listening->listener), std::move(listening->signals));
  if (progress) progress->finish();
  if (server.file_changed()) diag.error(changed);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // Many clients, each with its own handshake: the path, not one version or cipher.
  TlsReport tls_report;
  tls_report.path = server.stats().bytes_of(conduit::Path::Sendfile) > 0 ? conduit::net::tls::DataPath::KtlsSendfile
                                                                          : conduit::net::tls::DataPath::User;
  report_stats(o, server.stats(), seconds, tls_ctx ? &tls_report : nullptr);
  return diag.exit_status();
}

}  // namespace splice_net
