// net/http_validators: validators and RFC 9110 13 preconditions (see the header).
#include "conduit/net/http_validators.hpp"

#include <cstdio>
#include <cstring>

namespace conduit::net::http {

namespace {

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int month_of(std::string_view m) {
  for (int i = 0; i < 12; ++i)
    if (m == kMonths[i]) return i;
  return -1;
}

bool number(std::string_view s, int& out) {
  if (s.empty() || s.size() > 4) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

// "HH:MM:SS"
bool clock_of(std::string_view s, std::tm& tm) {
  if (s.size() != 8 || s[2] != ':' || s[5] != ':') return false;
  return number(s.substr(0, 2), tm.tm_hour) && number(s.substr(3, 2), tm.tm_min) &&
         number(s.substr(6, 2), tm.tm_sec) && tm.tm_hour < 24 && tm.tm_min < 60 && tm.tm_sec < 61;
}

// An entity-tag: optional W/, then a quoted string without '"'. `weak` tells which.
bool parse_etag(std::string_view& list, std::string_view& tag, bool& weak) {
  list = trim(list);
  weak = false;
  if (list.starts_with("W/")) {
    weak = true;
    list.remove_prefix(2);
  }
  if (list.empty() || list.front() != '"') return false;
  auto close = list.find('"', 1);
  if (close == std::string_view::npos) return false;
  tag = list.substr(0, close + 1);
  list.remove_prefix(close + 1);
  return true;
}

// Does the list ("*" or comma-separated entity-tags) match? Strong comparison: neither weak.
bool list_matches(std::string_view list, std::string_view etag, bool strong) {
  if (trim(list) == "*") return true;
  while (!trim(list).empty()) {
    std::string_view tag;
    bool weak = false;
    if (!parse_etag(list, tag, weak)) return false;  // malformed: matches nothing
    if (tag == etag && !(strong && weak)) return true;
    list = trim(list);
    if (list.empty()) break;
    if (list.front() != ',') return false;
    list.remove_prefix(1);
  }
  return false;
}

}  // namespace

Validators validators_for(const struct stat& st) {
  char buf[80];
  std::snprintf(buf, sizeof buf, "\"%llx-%llx-%llx\"", static_cast<unsigned long long>(st.st_ino),
                static_cast<unsigned long long>(st.st_size),
                static_cast<unsigned long long>(st.st_mtim.tv_sec));
  return {buf, st.st_mtim.tv_sec};
}

std::string format_http_date(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

const std::string& current_http_date() {
  thread_local std::time_t cached_at = -1;
  thread_local std::string cached;
  std::time_t now = std::time(nullptr);
  if (now != cached_at) {
    cached = format_http_date(now);
    cached_at = now;
  }
  return cached;
}

std::optional<std::time_t> parse_http_date(std::string_view text) {
  text = trim(text);
  std::tm tm{};
  int year = 0;
  auto comma = text.find(',');
  if (comma == 3) {
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    if (text.size() != 29 || text[4] != ' ' || text[7] != ' ' || text[11] != ' ' || text[16] != ' ' ||
        text[25] != ' ' || text.substr(26) != "GMT")
      return std::nullopt;
    if (!number(text.substr(5, 2), tm.tm_mday) || (tm.tm_mon = month_of(text.substr(8, 3))) < 0 ||
        !number(text.substr(12, 4), year) || !clock_of(text.substr(17, 8), tm))
      return std::nullopt;
  } else if (comma != std::string_view::npos && comma > 3) {
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
    std::string_view rest = text.substr(comma + 1);
    if (rest.size() != 23 || rest[0] != ' ' || rest[3] != '-' || rest[7] != '-' || rest[10] != ' ' ||
        rest.substr(19) != " GMT")
      return std::nullopt;
    if (!number(rest.substr(1, 2), tm.tm_mday) || (tm.tm_mon = month_of(rest.substr(4, 3))) < 0 ||
        !number(rest.substr(8, 2), year) || !clock_of(rest.substr(11, 8), tm))
      return std::nullopt;
    year += year < 70 ? 2000 : 1900;  // RFC 9110 5.6.7: 50 years ahead is the past
  } else {
    // asctime: "Sun Nov  6 08:49:37 1994"
    if (text.size() != 24 || text[3] != ' ' || text[7] != ' ' || text[10] != ' ' || text[19] != ' ')
      return std::nullopt;
    std::string_view day = trim(text.substr(8, 2));
    if ((tm.tm_mon = month_of(text.substr(4, 3))) < 0 || !number(day, tm.tm_mday) ||
        !clock_of(text.substr(11, 8), tm) || !number(text.substr(20, 4), year))
      return std::nullopt;
  }
  if (tm.tm_mday < 1 || tm.tm_mday > 31 || year < 1900) return std::nullopt;
  tm.tm_year = year - 1900;
  std::time_t t = ::timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return t;
}

Precondition evaluate_preconditions(const Conditions& c, const Validators& v, bool get_or_head) {
  // Step 1 and 2: If-Match, else If-Unmodified-Since (an invalid date is ignored).
  if (c.if_match) {
    if (!list_matches(*c.if_match, v.etag, true)) return Precondition::Failed;
  } else if (c.if_unmodified_since) {
    auto t = parse_http_date(*c.if_unmodified_since);
    if (t && v.last_modified > *t) return Precondition::Failed;
  }
  // Step 3 and 4: If-None-Match (weak comparison), else If-Modified-Since (GET and HEAD only).
  if (c.if_none_match) {
    if (list_matches(*c.if_none_match, v.etag, false))
      return get_or_head ? Precondition::NotModified : Precondition::Failed;
  } else if (c.if_modified_since && get_or_head) {
    auto t = parse_http_date(*c.if_modified_since);
    if (t && v.last_modified <= *t) return Precondition::NotModified;
  }
  return Precondition::Proceed;
}

bool if_range_matches(std::string_view if_range, const Validators& v) {
  if_range = trim(if_range);
  if (if_range.starts_with("\"") || if_range.starts_with("W/")) {
    std::string_view list = if_range, tag;
    bool weak = false;
    // A weak tag never matches (RFC 9110 13.1.5: If-Range needs a strong validator).
    return parse_etag(list, tag, weak) && trim(list).empty() && !weak && tag == v.etag;
  }
  auto t = parse_http_date(if_range);
  return t && *t == v.last_modified;
}

}  // namespace conduit::net::http
