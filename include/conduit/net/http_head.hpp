// net/http_head: the syntax of an HTTP/1.1 request head, read as strictly as a server must read
// it before it believes a word of it (RFC 9112 2-3, 5-6, RFC 9110 5.5), and the fields that
// decide where the message ends. Its verdicts match nginx's where RFC 9112 leaves a choice:
//  - limits: a request line over 8 KiB is 414, a field line over 8 KiB or a head over 32 KiB
//    is 431 (nginx answers 400 "Request Header Or Cookie Too Large" there), checked while the
//    head is still arriving;
//  - 400 for: whitespace before a colon, obs-fold (or whitespace after the request line), a field
//    value holding NUL, a bare CR or any other control but HTAB (nginx lets \x01-\x1f and DEL
//    through; RFC 9110 5.5 makes them invalid), a field name that is not a token, two Host
//    fields, an empty or malformed Host, HTTP/1.1 without Host, two Content-Length fields or one
//    that is not a plain number, Content-Length with Transfer-Encoding, Transfer-Encoding in
//    HTTP/1.0, a target that is not origin-form or absolute-form (`GET *`; `*` only for
//    OPTIONS), lower-case "http/1.1", HTTP/0.x;
//  - 501 for a transfer coding other than a lone "chunked" (RFC 9112 6.1);
//  - 505 for HTTP/2 and above on this text protocol.
// parse_request (net/http.hpp) is built on these; they are public so that other servers can
// read heads the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "conduit/net/http.hpp"

namespace conduit::net::http {

// Where the head at the start of `buffer` ends. Leading empty lines are skipped (RFC 9112 2.2)
// into `start`; `end` is one past the head's blank line. Ok, Incomplete (no blank line yet, and
// no limit passed), UriTooLong or TooLarge.
ParseStatus find_head(std::string_view buffer, const HeadLimits& limits, std::size_t& start,
                      std::size_t& end);

// request-line = method SP request-target SP HTTP-version, without its line end. Fills method,
// target (absolute-form reduced to its path) and minor_version. Ok, Bad or BadVersion.
ParseStatus parse_request_line(std::string_view line, Request& request);

// One field line (no line end) into its name and its value without surrounding whitespace;
// false when it breaks the rules above (obs-fold included).
bool split_field_line(std::string_view line, std::string_view& name, std::string_view& value);

// The fields that say which host a request is for and where its body ends: Host,
// Content-Length and Transfer-Encoding, collected while the fields are read, judged at the end.
class FramingFields {
 public:
  // Takes the field when it is one of those three (false otherwise: someone else's field).
  bool take(std::string_view name, std::string_view value);
  // Once every field is in: Ok (and the request's content_length, chunked and has_body set),
  // Bad or NotImplemented.
  ParseStatus finish(Request& request) const;

 private:
  unsigned hosts_ = 0;
  bool host_bad_ = false;
  unsigned lengths_ = 0;
  bool length_bad_ = false;
  std::uint64_t length_ = 0;
  bool coded_ = false;          // some Transfer-Encoding field was seen
  unsigned codings_ = 0;        // transfer codings named, over every such field
  bool only_chunked_ = true;    // and every one of them was "chunked"
};

}  // namespace conduit::net::http
