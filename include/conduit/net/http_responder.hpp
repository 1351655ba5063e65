// net/http_responder: the response to a GET or HEAD, planned from what the target resolved to
// (net/http_resources) and the request's conditional and Range fields: status, head and the
// body as pieces (literal text, then a byte range of the file), which net/serve_client sends.
//
// Order, as RFC 9110 13.2.2 and nginx: a failed lookup answers with its status and a short HTML
// page; then the preconditions (412, 304); then If-Range (a stale validator: the whole file, 200);
// then Range (206 with one range, multipart/byteranges with several, 416). Every response has a
// Date; a file's also Last-Modified, ETag, Accept-Ranges and a Content-Type (`content_type`, or by
// extension from `mime`), Content-Disposition only when `disposition` is set.
// The representation is the file form's prefix (--header) followed by the file: the prefix is
// counted in Content-Length and in ranges, and a range may start or end inside it.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conduit/fd.hpp"
#include "conduit/net/http_ranges.hpp"
#include "conduit/net/http_resources.hpp"
#include "conduit/net/http_validators.hpp"
#include "conduit/net/mime_types.hpp"

namespace conduit::net::http {

// One piece of a body: `text` first, then `file_length` bytes of the file from `file_first`.
struct BodyPiece {
  std::string text;
  std::uint64_t file_first = 0;
  std::uint64_t file_length = 0;
};

// The fields of a request head this needs beyond net/http's Request (found by scan_fields).
struct RequestFields {
  Conditions conditions;
  std::optional<std::string_view> if_range;
};

// Finds If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since and If-Range in a
// request head (names case-insensitive, values trimmed; the views point into `head`). A field
// given twice: the first (If-Match and If-None-Match lists are rarely split; nginx takes one too).
RequestFields scan_fields(std::string_view head);

struct ResponderOptions {
  const MimeTypes* mime = nullptr;   // none: application/octet-stream
  std::string content_type;          // overrides the lookup by extension when not empty
  std::string disposition;           // "attachment" or "inline": Content-Disposition; empty: none
  std::string server;                // "Server:"; empty: none
  std::size_t max_ranges = kMaxRanges;
};

struct ResponsePlan {
  int status = 200;
  std::string head;
  std::vector<BodyPiece> body;    // empty for HEAD, 304 and bodiless answers
  int file = -1;                  // the file the pieces read (borrowed from `owned` or elsewhere)
  Fd owned;
  std::string label;              // the file form's or directory form's name for it, quoted
  std::uint64_t file_size = 0;    // the size promised: checked again when the body is sent
  bool file_response = false;
  bool keep_alive = true;
};

// The validators of what a lookup found (a file's header, if any, counted in its size).
Validators validators_of(const Lookup& lookup);

ResponsePlan plan_response(bool head_only, Lookup lookup, std::optional<std::string_view> range,
                           const RequestFields& fields, const ResponderOptions& options, bool keep_alive);

// "attachment; filename=\"...\"; filename*=UTF-8''..." for `name`: filename*= only for a name
// past ASCII that is valid UTF-8; filename= with every byte past ASCII or below 0x20 as '_'.
std::string content_disposition(std::string_view type, std::string_view name);

}  // namespace conduit::net::http
