// net/http_validators: Last-Modified, ETag and Date, and the conditional requests built on them
// (RFC 9110 8.8 and 13), as pure functions of the request's header values and the file's stat.
//
//  - The ETag is strong and nginx-like: "INODE-SIZE-MTIME" in hex (nginx: "MTIME-SIZE"; the inode
//    tells a file replaced by rename from one rewritten in place within the same second).
//  - evaluate_preconditions() follows RFC 9110 13.2.2's order: If-Match (else If-Unmodified-Since)
//    -> 412; If-None-Match (else If-Modified-Since, GET/HEAD only) -> 304 for GET/HEAD, 412 else.
//  - if_range_matches(): If-Range holds an entity tag (strong comparison) or an HTTP-date (equal to
//    Last-Modified, as nginx compares); otherwise the Range header is ignored: the whole file, 200.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace conduit::net::http {

struct Validators {
  std::string etag;            // "\"...\"" with the quotes
  std::time_t last_modified = 0;
};

Validators validators_for(const struct stat& st);

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_http_date(std::time_t t);
// The Date header's value for now, formatted once per second per thread.
const std::string& current_http_date();
// IMF-fixdate, RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") or asctime ("Sun Nov  6 08:49:37 1994").
std::optional<std::time_t> parse_http_date(std::string_view text);

// The conditional header fields of a request, values as received (absent: nullopt).
struct Conditions {
  std::optional<std::string_view> if_match, if_none_match, if_modified_since, if_unmodified_since;
};

enum class Precondition : unsigned char { Proceed, NotModified, Failed };

Precondition evaluate_preconditions(const Conditions& c, const Validators& v, bool get_or_head);

bool if_range_matches(std::string_view if_range, const Validators& v);

}  // namespace conduit::net::http
