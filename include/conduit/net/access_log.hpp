// access_log: an HTTP server's access log, one line per request in the Common Log Format,
//   127.0.0.1 - - [28/Nov/2026:17:15:49 +0000] "GET /v.mp4 HTTP/1.1" 206 1000
// (peer address without its port, local time, the request line as received, the status, the
// body bytes sent: "-" for none), from the file server's Request events. A response cut short
// (FileServerEvent::complete false) gets the same line, the status sent and the bytes that went
// out, as nginx's default formats write it (only its $request_completion tells). Written to an fd the
// caller owns (standard error, say) or to a FILE opened for appending; each line is one
// write(2), so lines from a busy server stay whole and a log rotated by rename keeps its lines
// apart. `splice-net serve --http --access-log` is one user.
#pragma once

#include <ctime>
#include <string>

#include "conduit/fd.hpp"
#include "conduit/net/file_server.hpp"

namespace conduit::net {

// One line (with its newline). The request line is escaped as nginx escapes it: '"', '\' and
// bytes outside printable ASCII as \xHH, so a client cannot forge a line or reach a terminal.
std::string access_log_line(const FileServerEvent& request, std::time_t when);

class AccessLog {
 public:
  // Lines go to `fd` (borrowed: standard error by default).
  explicit AccessLog(int fd = 2) noexcept : fd_(fd) {}
  // Opens FILE for appending (created 0644 if need be); lines go there from now on. Returns 0
  // or -errno.
  int open(const std::string& path);
  // Writes the request's line (dated now). Returns 0 or -errno; a server usually goes on after
  // a failure (the caller decides whether and how often to say so).
  int write(const FileServerEvent& request);

 private:
  Fd file_;
  int fd_;
};

}  // namespace conduit::net
