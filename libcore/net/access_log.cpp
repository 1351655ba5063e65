// access_log: the Common Log Format line and its one write (see the header).
#include "conduit/net/access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

namespace conduit::net {

namespace {

// "127.0.0.1:5000" -> "127.0.0.1", "[::1]:5000" -> "::1"; a Unix peer as it is.
std::string_view host_of(std::string_view peer) {
  if (peer.starts_with("[")) {
    auto close = peer.find(']');
    if (close != std::string_view::npos) return peer.substr(1, close - 1);
  }
  auto colon = peer.rfind(':');
  if (!peer.starts_with("unix:") && colon != std::string_view::npos && peer.find(':') == colon)
    return peer.substr(0, colon);
  return peer;
}

void append_escaped(std::string& out, std::string_view text) {
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    } else {
      out += ch;
    }
  }
}

// [10/Oct/2000:13:55:36 -0700], month names in English whatever the locale.
std::string clf_time(std::time_t when) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  ::localtime_r(&when, &tm);
  long offset = tm.tm_gmtoff / 60;
  char sign = offset < 0 ? '-' : '+';
  if (offset < 0) offset = -offset;
  char buf[64];
  std::snprintf(buf, sizeof buf, "[%02d/%s/%04d:%02d:%02d:%02d %c%02ld%02ld]", tm.tm_mday,
                kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
                offset / 60, offset % 60);
  return buf;
}

}  // namespace

std::string access_log_line(const FileServerEvent& e, std::time_t when) {
  std::string line;
  append_escaped(line, host_of(e.peer));
  line += " - - ";
  line += clf_time(when);
  line += " \"";
  if (e.request_line.empty()) line += '-';
  append_escaped(line, e.request_line);
  line += "\" ";
  line += std::to_string(e.status);
  line += ' ';
  line += e.bytes ? std::to_string(e.bytes) : std::string("-");
  line += '\n';
  return line;
}

int AccessLog::open(const std::string& path) {
  Fd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!file) return -errno;
  file_ = std::move(file);
  fd_ = file_.get();
  return 0;
}

int AccessLog::write(const FileServerEvent& request) {
  std::string line = access_log_line(request, std::time(nullptr));
  ssize_t n;
  do n = ::write(fd_, line.data(), line.size());
  while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : 0;
}

}  // namespace conduit::net
