// net/http: request-head parsing and response heads for the file server (Range: net/http_ranges).
#include "conduit/net/http.hpp"

#include "conduit/net/http_head.hpp"

#include <algorithm>
#include <charconv>

#include "conduit/net/http_validators.hpp"

namespace conduit::net::http {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Does a comma-separated header value hold `token`?
bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    auto comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

int status_of(ParseStatus status) noexcept {
  switch (status) {
    case ParseStatus::Bad: return 400;
    case ParseStatus::TooLarge: return 431;
    case ParseStatus::BadVersion: return 505;
    case ParseStatus::UriTooLong: return 414;
    case ParseStatus::NotImplemented: return 501;
    case ParseStatus::Incomplete:
    case ParseStatus::Ok: break;
  }
  return 0;
}

ParseResult parse_request(std::string_view buffer, const HeadLimits& limits) {
  ParseResult result;
  std::size_t start = 0, head_end = 0;
  result.status = find_head(buffer, limits, start, head_end);
  if (result.status != ParseStatus::Ok) return result;
  std::string_view head = buffer.substr(start, head_end - start);
  auto next_line = [&head]() {
    auto lf = head.find('\n');
    std::string_view line = head.substr(0, lf);
    head.remove_prefix(lf == std::string_view::npos ? head.size() : lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  Request& req = result.request;
  req.request_line = next_line();
  result.status = parse_request_line(req.request_line, req);
  if (result.status != ParseStatus::Ok) return result;
  result.status = ParseStatus::Bad;
  FramingFields framing;
  bool close = false, keep = false;
  for (;;) {
    std::string_view line = next_line(), name, value;
    if (line.empty()) break;
    if (!split_field_line(line, name, value)) return result;
    if (framing.take(name, value)) continue;
    if (iequals(name, "connection")) {
      close = close || has_token(value, "close");
      keep = keep || has_token(value, "keep-alive");
    } else if (iequals(name, "range")) {
      if (req.range) return result;  // two Range headers: ambiguous
      req.range = value;
    } else if (iequals(name, "expect")) {
      // Other expectations are ignored, as nginx does (RFC 9110 10.1.1 allows 417 instead).
      req.expect_continue = iequals(value, "100-continue");
    }
  }
  result.status = framing.finish(req);
  if (result.status != ParseStatus::Ok) return result;
  // A 1.0 client does not know 100 (Continue): RFC 9110 10.1.1 says ignore the expectation.
  if (req.minor_version == 0) req.expect_continue = false;
  req.keep_alive = req.minor_version >= 1 ? !close : (keep && !close);
  result.consumed = head_end;
  return result;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 412: return "Precondition Failed";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

std::string format_response_head(const ResponseHead& head) {
  std::string out = "HTTP/1.1 ";
  out += std::to_string(head.status);
  out += ' ';
  out += reason_phrase(head.status);
  out += "\r\n";
  if (!head.server.empty()) {
    out += "Server: ";
    out += head.server;
    out += "\r\n";
  }
  out += "Date: ";
  out += head.date.empty() ? current_http_date() : head.date;
  out += "\r\n";
  if (head.status == 200 || head.status == 206 || head.status == 416) out += "Accept-Ranges: bytes\r\n";
  if (head.allow_header) out += "Allow: GET, HEAD\r\n";
  if (!head.content_type.empty()) {
    out += "Content-Type: ";
    out += head.content_type;
    out += "\r\n";
  }
  if (head.content_range) {
    out += "Content-Range: ";
    out += *head.content_range;
    out += "\r\n";
  }
  out += head.extra;
  if (head.framing == ResponseHead::Framing::Chunked) {
    out += "Transfer-Encoding: chunked\r\n";
  } else if (head.framing == ResponseHead::Framing::Length && !head.no_content_length) {
    out += "Content-Length: ";
    out += std::to_string(head.content_length);
    out += "\r\n";
  }
  out += head.keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  out += "\r\n";
  return out;
}

}  // namespace conduit::net::http
