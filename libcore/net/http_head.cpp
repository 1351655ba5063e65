// net/http_head: strict request-head syntax and framing fields (see the header for the rules and
// where they follow nginx).
#include "conduit/net/http_head.hpp"

#include <algorithm>
#include <charconv>

namespace conduit::net::http {

namespace {

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char); }

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// field-vchar, SP and HTAB (RFC 9110 5.5): visible ASCII and obs-text. NUL, CR, LF, the other
// controls and DEL are not; a recipient must reject or replace them, and a server that passes a
// bare CR on is how requests get smuggled past a proxy that reads it as a line end.
bool is_field_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

// A request-target byte: visible ASCII, or a byte above 0x7f (raw UTF-8 paths that real clients
// send; nginx takes them too). Never a control, space or DEL.
bool is_target_char(unsigned char c) { return c > 0x20 && c != 0x7f; }

// Host = uri-host [ ":" port ] (RFC 9112 3.2): reg-name, IPv4 or a bracketed IPv6 literal. Like
// nginx, also no empty value, no "..", no leading dot, no slash: a host is often a file name
// (virtual hosts), and those would climb out of a folder.
bool valid_host(std::string_view host) {
  if (host.empty() || host.front() == '.' || host.find("..") != std::string_view::npos) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("-._~!$&'()*+,;=:%[]").find(c) != std::string_view::npos;
  });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

ParseStatus find_head(std::string_view buffer, const HeadLimits& limits, std::size_t& start,
                      std::size_t& end) {
  start = 0;
  while (start < buffer.size() && (buffer[start] == '\r' || buffer[start] == '\n')) ++start;
  if (start > limits.head) return ParseStatus::TooLarge;
  // The request line: its own limit, as nginx gives the URL one buffer of its own.
  std::size_t lf = buffer.find('\n', start);
  std::size_t line_end = lf == std::string_view::npos ? buffer.size() : lf;
  std::size_t line = line_end - start;
  if (lf != std::string_view::npos && line > 0 && buffer[lf - 1] == '\r') --line;
  if (line > limits.request_line) return ParseStatus::UriTooLong;
  if (lf == std::string_view::npos) return ParseStatus::Incomplete;
  // Field lines up to the empty one; each within its limit, all together within the head's.
  std::size_t pos = lf + 1;
  for (;;) {
    lf = buffer.find('\n', pos);
    line_end = lf == std::string_view::npos ? buffer.size() : lf;
    line = line_end - pos;
    if (lf != std::string_view::npos && line > 0 && buffer[lf - 1] == '\r') --line;
    if (line > limits.field_line) return ParseStatus::TooLarge;
    if (line_end - start > limits.head) return ParseStatus::TooLarge;
    if (lf == std::string_view::npos) return ParseStatus::Incomplete;
    pos = lf + 1;
    if (line == 0) {
      end = pos;
      return ParseStatus::Ok;
    }
  }
}

ParseStatus parse_request_line(std::string_view line, Request& req) {
  auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return ParseStatus::Bad;
  auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return ParseStatus::Bad;
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty()) return ParseStatus::Bad;
  if (!std::all_of(target.begin(), target.end(),
                   [](char c) { return is_target_char(static_cast<unsigned char>(c)); }))
    return ParseStatus::Bad;
  // HTTP-version is case-sensitive: "HTTP/" DIGIT "." DIGIT.
  if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' || version[5] < '0' ||
      version[5] > '9' || version[7] < '0' || version[7] > '9')
    return ParseStatus::Bad;
  if (version[5] == '0') return ParseStatus::Bad;  // HTTP/0.9 never had a version in its line
  if (version[5] != '1') return ParseStatus::BadVersion;
  // The forms of request-target (RFC 9112 3.2): origin-form "/path?query"; absolute-form
  // "http://host/path" (which every server must take, and which names the path by its part
  // after the authority); asterisk-form "*" only for OPTIONS. authority-form is CONNECT's.
  if (target.front() != '/') {
    if (target == "*") {
      if (method != "OPTIONS") return ParseStatus::Bad;
    } else if (istarts_with(target, "http://") || istarts_with(target, "https://")) {
      std::string_view rest = target.substr(target.find("//") + 2);
      std::size_t slash = rest.find('/');
      std::string_view authority = rest.substr(0, std::min(slash, rest.find('?')));
      if (authority.empty()) return ParseStatus::Bad;
      if (slash == std::string_view::npos) {
        if (rest.size() != authority.size()) return ParseStatus::Bad;  // "http://h?q": no path to name
        target = "/";
      } else {
        target = rest.substr(slash);
      }
    } else {
      return ParseStatus::Bad;
    }
  }
  req.method = method;
  req.target = target;
  req.minor_version = version[7] - '0';
  return ParseStatus::Ok;
}

bool split_field_line(std::string_view line, std::string_view& name, std::string_view& value) {
  // A line that starts with whitespace continues the previous one (obs-fold), or, right after the
  // request line, hides a field from some readers: both are rejected (RFC 9112 2.2, 5.2).
  if (line.empty() || is_ows(line.front())) return false;
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  name = line.substr(0, colon);
  if (!is_token(name)) return false;  // includes "Name :" (whitespace before the colon)
  value = trim_ows(line.substr(colon + 1));
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return is_field_char(static_cast<unsigned char>(c)); });
}

bool FramingFields::take(std::string_view name, std::string_view value) {
  if (iequals(name, "host")) {
    ++hosts_;
    host_bad_ = host_bad_ || !valid_host(value);
  } else if (iequals(name, "content-length")) {
    // 1*DIGIT only: no sign, no list ("5, 5" is allowed by RFC 9110 8.6 but refused by nginx and
    // here; a second field, even with the same value, too).
    ++lengths_;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), length_);
    length_bad_ = length_bad_ || value.size() > 19 || ec != std::errc{} || p != value.data() + value.size();
  } else if (iequals(name, "transfer-encoding")) {
    coded_ = true;
    while (!value.empty()) {
      auto comma = value.find(',');
      std::string_view coding = trim_ows(value.substr(0, comma));
      if (!coding.empty()) {
        ++codings_;
        only_chunked_ = only_chunked_ && iequals(coding, "chunked");
      }
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  } else {
    return false;
  }
  return true;
}

ParseStatus FramingFields::finish(Request& req) const {
  // The message's length first (RFC 9112 6): what is unclear there could smuggle a request.
  if (coded_ && req.minor_version == 0) return ParseStatus::Bad;  // 6.1: faulty framing
  if (coded_ && lengths_ > 0) return ParseStatus::Bad;            // which one ends the body?
  if (lengths_ > 1 || length_bad_) return ParseStatus::Bad;
  if (hosts_ > 1 || host_bad_) return ParseStatus::Bad;           // 3.2: exactly one, valid
  if (hosts_ == 0 && req.minor_version >= 1) return ParseStatus::Bad;
  if (coded_ && codings_ == 0) return ParseStatus::Bad;           // "Transfer-Encoding:" empty
  if (coded_ && !(codings_ == 1 && only_chunked_)) return ParseStatus::NotImplemented;
  req.chunked = coded_;
  req.content_length = lengths_ ? length_ : 0;
  req.has_body = req.chunked || req.content_length > 0;
  return ParseStatus::Ok;
}

}  // namespace conduit::net::http
