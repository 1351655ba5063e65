// access_log: serve --http's access log, one line per request in the Common Log Format,
//   127.0.0.1 - - [28/Nov/2026:17:15:49 +0000] "GET /v.mp4 HTTP/1.1" 206 1000
// (peer address without its port, local time, the request line as received, the status, the
// body bytes sent: "-" for none), from the file server's Request events. To standard error or,
// with --access-log FILE, appended to FILE; each line is one write(2), so lines from a busy
// server stay whole and a log rotated by rename keeps its lines apart.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

#include "conduit/diag.hpp"
#include "conduit/fd.hpp"
#include "conduit/net/file_server.hpp"

namespace splice_net {

// One line (with its newline). The request line is escaped as nginx escapes it: '"', '\' and
// bytes outside printable ASCII as \xHH, so a client cannot forge a line or reach a terminal.
std::string access_log_line(const conduit::net::FileServerEvent& request, std::time_t when);

class AccessLog {
 public:
  // Standard error.
  AccessLog() = default;
  // Opens FILE for appending (created 0644 if need be); false, said through `diag`, on failure.
  bool open(const std::string& path, conduit::Diag& diag);
  // Writes the request's line; a failed write is reported once through `diag` (a warning: the
  // server goes on).
  void write(const conduit::net::FileServerEvent& request, conduit::Diag& diag);

 private:
  conduit::Fd file_;
  std::string label_ = "standard error";
  bool failed_ = false;
};

}  // namespace splice_net
