// net/http: request-head parsing, Range decisions and response heads for the file server.
#include "conduit/net/http.hpp"

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

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
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

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

}  // namespace

ParseResult parse_request(std::string_view buffer, std::size_t max_head) {
  ParseResult result;
  // Robustness (RFC 9112 2.2): empty lines before the request line are ignored.
  std::size_t start = 0;
  while (start < buffer.size() && (buffer[start] == '\r' || buffer[start] == '\n')) ++start;
  std::size_t end = buffer.find("\n\r\n", start);
  std::size_t end_lf = buffer.find("\n\n", start);
  std::size_t head_end = std::string_view::npos;
  if (end != std::string_view::npos) head_end = end + 3;
  if (end_lf != std::string_view::npos && (head_end == std::string_view::npos || end_lf + 2 < head_end))
    head_end = end_lf + 2;
  if (head_end == std::string_view::npos) {
    result.status = buffer.size() > max_head ? ParseStatus::TooLarge : ParseStatus::Incomplete;
    return result;
  }
  if (head_end > max_head) {
    result.status = ParseStatus::TooLarge;
    return result;
  }
  result.consumed = head_end;
  std::string_view head = buffer.substr(start, head_end - start);
  auto next_line = [&head]() {
    auto lf = head.find('\n');
    std::string_view line = head.substr(0, lf);
    head.remove_prefix(lf == std::string_view::npos ? head.size() : lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  Request& req = result.request;
  result.status = ParseStatus::Bad;

  // request-line = method SP request-target SP HTTP-version
  std::string_view line = next_line();
  auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return result;
  auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) return result;
  req.method = line.substr(0, sp1);
  req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(req.method) || req.target.empty()) return result;
  if (req.target.find_first_of("\t\r") != std::string_view::npos) return result;
  if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
    return result;
  if (version[5] != '1') {
    result.status = ParseStatus::BadVersion;
    return result;
  }
  req.minor_version = version[7] - '0';
  bool close = false, keep = false, has_host = false;
  for (;;) {
    line = next_line();
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') return result;  // obsolete folding
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return result;
    std::string_view name = line.substr(0, colon);
    if (!is_token(name)) return result;  // includes "Name :" (space before the colon)
    std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "connection")) {
      close = close || has_token(value, "close");
      keep = keep || has_token(value, "keep-alive");
    } else if (iequals(name, "range")) {
      if (req.range) return result;  // two Range headers: ambiguous
      req.range = value;
    } else if (iequals(name, "content-length")) {
      std::uint64_t n = 0;
      if (!parse_u64(value, n)) return result;
      if (n > 0) req.has_body = true;
    } else if (iequals(name, "transfer-encoding")) {
      req.has_body = true;
    } else if (iequals(name, "host")) {
      has_host = true;
    }
  }
  // HTTP/1.1 requires Host (RFC 9112 3.2).
  if (req.minor_version >= 1 && !has_host) return result;
  req.keep_alive = req.minor_version >= 1 ? !close : (keep && !close);
  result.status = ParseStatus::Ok;
  return result;
}

RangeDecision decide_range(std::optional<std::string_view> header, std::uint64_t size) {
  RangeDecision full{RangeDecision::Kind::Full, 0, size};
  if (!header) return full;
  std::string_view spec = trim(*header);
  auto eq = spec.find('=');
  if (eq == std::string_view::npos || !iequals(trim(spec.substr(0, eq)), "bytes")) return full;
  spec = trim(spec.substr(eq + 1));
  if (spec.find(',') != std::string_view::npos) return full;  // several ranges: send it all
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return full;
  std::string_view a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
  std::uint64_t first = 0, last = 0;
  if (a.empty()) {
    // suffix-range: the last N bytes
    std::uint64_t n = 0;
    if (!parse_u64(b, n)) return full;
    if (n == 0 || size == 0) return {RangeDecision::Kind::Unsatisfiable, 0, 0};
    n = std::min(n, size);
    return {RangeDecision::Kind::Partial, size - n, n};
  }
  if (!parse_u64(a, first)) return full;
  if (b.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else {
    if (!parse_u64(b, last) || last < first) return full;  // invalid: ignored
    last = std::min(last, size == 0 ? 0 : size - 1);
  }
  if (first >= size) return {RangeDecision::Kind::Unsatisfiable, 0, 0};
  return {RangeDecision::Kind::Partial, first, last - first + 1};
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 412: return "Precondition Failed";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
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
  if (!head.no_content_length) {
    out += "Content-Length: ";
    out += std::to_string(head.content_length);
    out += "\r\n";
  }
  out += head.keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  out += "\r\n";
  return out;
}

}  // namespace conduit::net::http
