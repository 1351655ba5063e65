// net/http_ranges: byte range sets as nginx answers them (ignored, 416, dropped, coalesced,
// capped), values past 4 GiB and 2^64, and multipart/byteranges lengths that match the bytes.
#include "conduit/net/http_ranges.hpp"

#include <gtest/gtest.h>

using namespace conduit::net::http;

namespace {
RangeSet p(const char* h, std::uint64_t size) { return parse_ranges(std::string_view(h), size); }
}  // namespace

TEST(NetHttpRanges, SingleRanges) {
  EXPECT_EQ(parse_ranges(std::nullopt, 100).kind, RangeSet::Kind::Full);
  RangeSet r = p("bytes=0-9", 100);
  ASSERT_EQ(r.kind, RangeSet::Kind::Partial);
  EXPECT_EQ(r.ranges, (std::vector<ByteRange>{{0, 10}}));
  EXPECT_EQ(p("bytes=90-", 100).ranges, (std::vector<ByteRange>{{90, 10}}));
  EXPECT_EQ(p("bytes=-10", 100).ranges, (std::vector<ByteRange>{{90, 10}}));
  EXPECT_EQ(p("bytes=-1000", 100).ranges, (std::vector<ByteRange>{{0, 100}}));
  EXPECT_EQ(p("bytes=50-1000", 100).ranges, (std::vector<ByteRange>{{50, 50}}));
  EXPECT_EQ(p("Bytes = 1-1", 100).ranges, (std::vector<ByteRange>{{1, 1}}));
}

TEST(NetHttpRanges, AsNginxDecides) {
  EXPECT_EQ(p("items=0-9", 100).kind, RangeSet::Kind::Full);           // another unit: ignored
  EXPECT_EQ(p("bytes=5-2", 100).kind, RangeSet::Kind::Unsatisfiable);  // last before first
  EXPECT_EQ(p("bytes=99999999999999999999-", 100).kind, RangeSet::Kind::Unsatisfiable);
  EXPECT_EQ(p("bytes=0-99999999999999999999", 100).kind, RangeSet::Kind::Unsatisfiable);
  EXPECT_EQ(p("bytes=x-1", 100).kind, RangeSet::Kind::Unsatisfiable);
  EXPECT_EQ(p("bytes=", 100).kind, RangeSet::Kind::Unsatisfiable);
  EXPECT_EQ(p("bytes=100-", 100).kind, RangeSet::Kind::Unsatisfiable);
  EXPECT_EQ(p("bytes=-0", 100).kind, RangeSet::Kind::Unsatisfiable);
  EXPECT_EQ(p("bytes=0-", 0).kind, RangeSet::Kind::Full);  // an empty file: sent whole
  EXPECT_EQ(p("bytes=-5", 0).kind, RangeSet::Kind::Full);
  // an unsatisfiable range among satisfiable ones is dropped
  EXPECT_EQ(p("bytes=200-300,0-0", 100).ranges, (std::vector<ByteRange>{{0, 1}}));
}

TEST(NetHttpRanges, PastFourGiB) {
  std::uint64_t size = 6ull << 30;
  RangeSet r = p("bytes=5368709120-5368709129", size);
  EXPECT_EQ(r.ranges, (std::vector<ByteRange>{{5368709120ull, 10}}));
  EXPECT_EQ(content_range(r.ranges[0], size), "bytes 5368709120-5368709129/6442450944");
  EXPECT_EQ(p("bytes=-4294967297", size).ranges, (std::vector<ByteRange>{{size - 4294967297ull, 4294967297ull}}));
}

TEST(NetHttpRanges, CoalescesOverlappingAndAdjacentKeepsOrder) {
  EXPECT_EQ(p("bytes=0-9,10-19", 100).ranges, (std::vector<ByteRange>{{0, 20}}));
  EXPECT_EQ(p("bytes=0-9,5-14", 100).ranges, (std::vector<ByteRange>{{0, 15}}));
  EXPECT_EQ(p("bytes=50-59,0-9", 100).ranges, (std::vector<ByteRange>{{50, 10}, {0, 10}}));
  // a later range bridging two earlier ones joins all three, in the first one's place
  EXPECT_EQ(p("bytes=40-49,0-9,20-29,5-45", 100).ranges, (std::vector<ByteRange>{{0, 50}}));
  EXPECT_EQ(p("bytes=0-0,0-0,0-0", 100).ranges, (std::vector<ByteRange>{{0, 1}}));
  EXPECT_EQ(p("bytes=0-1,,4-5", 100).ranges, (std::vector<ByteRange>{{0, 2}, {4, 2}}));
}

TEST(NetHttpRanges, TooManyRangesGetTheWholeFile) {
  std::string h = "bytes=";
  for (int i = 0; i < 17; ++i) h += std::to_string(i * 10) + "-" + std::to_string(i * 10 + 1) + ",";
  EXPECT_EQ(parse_ranges(std::string_view(h), 1000).kind, RangeSet::Kind::Full);
  EXPECT_EQ(parse_ranges(std::string_view(h), 1000, 17).ranges.size(), 17u);
}

TEST(NetHttpRanges, MultipartLayout) {
  std::vector<ByteRange> rs{{0, 10}, {50, 5}};
  Multipart m = multipart_layout(rs, 100, "video/mp4", "XYZ");
  ASSERT_EQ(m.part_heads.size(), 2u);
  EXPECT_EQ(m.part_heads[0], "\r\n--XYZ\r\nContent-Type: video/mp4\r\nContent-Range: bytes 0-9/100\r\n\r\n");
  EXPECT_EQ(m.part_heads[1], "\r\n--XYZ\r\nContent-Type: video/mp4\r\nContent-Range: bytes 50-54/100\r\n\r\n");
  EXPECT_EQ(m.tail, "\r\n--XYZ--\r\n");
  EXPECT_EQ(m.content_length, m.part_heads[0].size() + 10 + m.part_heads[1].size() + 5 + m.tail.size());
  EXPECT_NE(new_boundary(), new_boundary());
  EXPECT_EQ(new_boundary().size(), 20u);
}
