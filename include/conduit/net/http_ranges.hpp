// net/http_ranges: the Range header (RFC 9110 14.1-14.2) against a representation of `size`
// bytes, and the layout of a multipart/byteranges body (14.6).
//
// As nginx decides: a header whose unit is not "bytes", or any on an empty file, is ignored (the
// whole file, 200); a malformed byte range set ("bytes=5-2", "bytes=x", a value past 2^64) is
// unsatisfiable (416); unsatisfiable ranges among satisfiable ones are dropped; more than
// `max_ranges` ranges, an abuse (a thousand tiny overlapping ranges), get the whole file with
// 200. Overlapping and
// adjacent ranges are coalesced (14.6 allows it; it also bounds what a client can make us send to
// the size of the file); the others keep the order they were asked in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace conduit::net::http {

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t length = 0;
  bool operator==(const ByteRange&) const = default;
};

struct RangeSet {
  enum class Kind : unsigned char { Full, Partial, Unsatisfiable };
  Kind kind = Kind::Full;
  std::vector<ByteRange> ranges;  // Partial: at least one, none overlapping or adjacent
};

inline constexpr std::size_t kMaxRanges = 16;

RangeSet parse_ranges(std::optional<std::string_view> header, std::uint64_t size,
                      std::size_t max_ranges = kMaxRanges);

// "bytes FIRST-LAST/SIZE"
std::string content_range(const ByteRange& r, std::uint64_t size);

// A multipart/byteranges body: before each range its part head (the first one starting with
// CRLF, as nginx), after the last the closing delimiter. Content-Length = the heads, the tail
// and the ranges' lengths.
struct Multipart {
  std::string boundary;
  std::vector<std::string> part_heads;  // one per range
  std::string tail;
  std::uint64_t content_length = 0;
};

Multipart multipart_layout(const std::vector<ByteRange>& ranges, std::uint64_t size,
                           std::string_view content_type, std::string boundary);

// A boundary unlikely to occur in any file: 20 hex digits from a per-process random value and a
// counter.
std::string new_boundary();

}  // namespace conduit::net::http
