// net/http_ranges: byte range sets and multipart layouts (see the header).
#include "conduit/net/http_ranges.hpp"

#include <sys/random.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>

namespace conduit::net::http {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();  // out of range: errc::result_out_of_range
}

bool touches(const ByteRange& a, const ByteRange& b) {
  return a.first <= b.first + b.length && b.first <= a.first + a.length;
}

ByteRange merge(const ByteRange& a, const ByteRange& b) {
  std::uint64_t first = std::min(a.first, b.first);
  std::uint64_t end = std::max(a.first + a.length, b.first + b.length);
  return {first, end - first};
}

}  // namespace

RangeSet parse_ranges(std::optional<std::string_view> header, std::uint64_t size, std::size_t max_ranges) {
  RangeSet full;
  if (!header) return full;
  std::string_view spec = trim(*header);
  auto eq = spec.find('=');
  if (eq == std::string_view::npos) return full;
  std::string_view unit = trim(spec.substr(0, eq));
  if (unit.size() != 5 || (unit[0] | 0x20) != 'b' || (unit[1] | 0x20) != 'y' || (unit[2] | 0x20) != 't' ||
      (unit[3] | 0x20) != 'e' || (unit[4] | 0x20) != 's')
    return full;  // another unit: ignored
  // An empty representation has no byte to range over: nginx sends it whole (200), where a 416
  // would tell a resuming client nothing it can act on.
  if (size == 0) return full;
  spec = spec.substr(eq + 1);
  RangeSet bad{RangeSet::Kind::Unsatisfiable, {}};
  std::vector<ByteRange> kept;
  std::size_t count = 0;
  while (true) {
    auto comma = spec.find(',');
    std::string_view one = trim(spec.substr(0, comma));
    spec.remove_prefix(comma == std::string_view::npos ? spec.size() : comma + 1);
    if (!one.empty()) {  // empty list elements are allowed (RFC 9110 5.6.1)
      if (++count > max_ranges) return full;
      auto dash = one.find('-');
      if (dash == std::string_view::npos) return bad;
      std::string_view a = trim(one.substr(0, dash)), b = trim(one.substr(dash + 1));
      ByteRange r;
      bool satisfiable = true;
      if (a.empty()) {  // suffix: the last N bytes
        std::uint64_t n = 0;
        if (!parse_u64(b, n)) return bad;
        if (n == 0 || size == 0) satisfiable = false;
        n = std::min(n, size);
        r = {size - n, n};
      } else {
        std::uint64_t first = 0, last = 0;
        if (!parse_u64(a, first)) return bad;
        if (b.empty()) {
          last = UINT64_MAX;
        } else if (!parse_u64(b, last) || last < first) {
          return bad;
        }
        if (first >= size) satisfiable = false;
        else r = {first, std::min(last, size - 1) - first + 1};
      }
      if (satisfiable) {
        // Coalesce with every kept range it overlaps or adjoins; the union takes the place of
        // the earliest of them.
        std::size_t at = kept.size();
        for (std::size_t i = 0; i < kept.size();) {
          if (touches(kept[i], r)) {
            r = merge(kept[i], r);
            kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(i));
            at = std::min(at, i);
            i = 0;  // the union may now touch an earlier one
            continue;
          }
          ++i;
        }
        kept.insert(kept.begin() + static_cast<std::ptrdiff_t>(std::min(at, kept.size())), r);
      }
    }
    if (comma == std::string_view::npos) break;
  }
  if (count == 0) return bad;  // "bytes=" alone
  if (kept.empty()) return bad;
  return {RangeSet::Kind::Partial, std::move(kept)};
}

std::string content_range(const ByteRange& r, std::uint64_t size) {
  return "bytes " + std::to_string(r.first) + "-" + std::to_string(r.first + r.length - 1) + "/" +
         std::to_string(size);
}

Multipart multipart_layout(const std::vector<ByteRange>& ranges, std::uint64_t size,
                           std::string_view content_type, std::string boundary) {
  Multipart m;
  m.boundary = std::move(boundary);
  for (const ByteRange& r : ranges) {
    std::string head = "\r\n--" + m.boundary + "\r\n";
    if (!content_type.empty()) {
      head += "Content-Type: ";
      head += content_type;
      head += "\r\n";
    }
    head += "Content-Range: " + content_range(r, size) + "\r\n\r\n";
    m.content_length += head.size() + r.length;
    m.part_heads.push_back(std::move(head));
  }
  m.tail = "\r\n--" + m.boundary + "--\r\n";
  m.content_length += m.tail.size();
  return m;
}

std::string new_boundary() {
  static const std::uint64_t seed = [] {
    std::uint64_t s = 0;
    if (::getrandom(&s, sizeof s, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof s))
      s = reinterpret_cast<std::uintptr_t>(&s) ^ 0x9e3779b97f4a7c15ull;
    return s;
  }();
  static std::atomic<std::uint32_t> counter{0};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx%04x", static_cast<unsigned long long>(seed),
                static_cast<unsigned>(counter.fetch_add(1) & 0xffff));
  return buf;
}

}  // namespace conduit::net::http
