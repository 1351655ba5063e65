// net/http: the small part of HTTP/1.1 a single-file server needs, as pure functions: parse a
// request head, format a response head (a Range header: net/http_ranges).
//
// Deliberately narrow (RFC 9110/9112): GET and HEAD, one byte range (a multi-range request gets
// the whole file with 200, which the RFC allows), keep-alive by version and Connection tokens.
// The head is read strictly (net/http_head.hpp: syntax, limits, framing fields), as nginx reads
// it. No allocation-heavy parsing: the request refers into the caller's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace conduit::net::http {

struct Request {
  std::string_view request_line;          // as received, for the access log
  std::string_view method;
  std::string_view target;                // origin-form: an absolute-form's path ("/" if none)
  int minor_version = 1;                 // HTTP/1.<minor>
  std::optional<std::string_view> range;  // the Range header's value
  bool keep_alive = true;                 // HTTP/1.1 unless "close"; 1.0 only with "keep-alive"
  bool has_body = false;                  // Content-Length > 0 or Transfer-Encoding present
  std::uint64_t content_length = 0;       // bytes of body that follow the head
  bool chunked = false;                   // Transfer-Encoding: chunked (a body of unknown length)
  bool expect_continue = false;           // HTTP/1.1 "Expect: 100-continue"
};

enum class ParseStatus : unsigned char {
  Incomplete,     // no blank line yet: read more
  Ok,
  Bad,            // 400
  TooLarge,       // head or one field line longer than the limit: 431
  BadVersion,     // not HTTP/1.x: 505
  UriTooLong,     // request line longer than the limit: 414
  NotImplemented, // a transfer coding other than chunked: 501
};

// The HTTP status a failed parse answers with (400, 431, 505, 414, 501); 0 for Incomplete/Ok.
int status_of(ParseStatus status) noexcept;

// How much of a request head is accepted: nginx's defaults (large_client_header_buffers 4 8k).
struct HeadLimits {
  std::size_t request_line = 8192;  // longer: 414
  std::size_t field_line = 8192;    // one field line longer: 431
  std::size_t head = 32768;         // the whole head longer: 431
};

struct ParseResult {
  ParseStatus status = ParseStatus::Incomplete;
  Request request;
  std::size_t consumed = 0;  // bytes of the head, the blank line included (when Ok)
};

// Parses one request head at the start of `buffer`. Lines may end in CRLF or a bare LF.
// Limits are enforced while the head is still incomplete (a 20 KB request line is a 414 before
// its end arrives).
ParseResult parse_request(std::string_view buffer, const HeadLimits& limits = {});

std::string_view reason_phrase(int status);

struct ResponseHead {
  // How the body's end is told: Content-Length; chunked (a body whose length is not known yet,
  // HTTP/1.1); or the end of the connection (the same for an HTTP/1.0 client).
  enum class Framing : unsigned char { Length, Chunked, Close };
  int status = 200;
  Framing framing = Framing::Length;
  std::uint64_t content_length = 0;           // Framing::Length
  std::string_view content_type;                // omitted when empty
  std::optional<std::string> content_range;     // "bytes 0-99/1000" or "bytes */1000"
  bool keep_alive = true;                       // false: "Connection: close"
  bool allow_header = false;                    // 405: "Allow: GET, HEAD"
  std::string_view server;                      // "Server: NAME"; omitted when empty
  std::string date;                             // "Date:" value; empty: now (RFC 9110 6.6.1)
  std::string extra;                            // more header lines, each ending in CRLF
  bool no_content_length = false;               // 304: no Content-Length (RFC 9110 8.6)
};

std::string format_response_head(const ResponseHead& head);

// Case-insensitive ASCII comparison, as header names and tokens need.
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace conduit::net::http
