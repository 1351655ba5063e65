// size: suffix parsing as users type sizes, and rejection of everything else.
#include "conduit/size.hpp"

#include <gtest/gtest.h>

using conduit::format_bytes;
using conduit::parse_size;

TEST(ParseSize, PlainAndBinarySuffixes) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("64K"), 65536u);
  EXPECT_EQ(parse_size("64k"), 65536u);
  EXPECT_EQ(parse_size("1M"), 1048576u);
  EXPECT_EQ(parse_size("1MiB"), 1048576u);
  EXPECT_EQ(parse_size("2G"), 2147483648u);
  EXPECT_EQ(parse_size("1T"), 1099511627776u);
}

TEST(ParseSize, DecimalSuffixes) {
  EXPECT_EQ(parse_size("1KB"), 1000u);
  EXPECT_EQ(parse_size("5MB"), 5000000u);
}

TEST(ParseSize, RejectsJunkAndOverflow) {
  EXPECT_FALSE(parse_size(""));
  EXPECT_FALSE(parse_size("-1"));
  EXPECT_FALSE(parse_size("K"));
  EXPECT_FALSE(parse_size("1X"));
  EXPECT_FALSE(parse_size("1Kx"));
  EXPECT_FALSE(parse_size(" 1"));
  EXPECT_FALSE(parse_size("99999999999999999999"));
  EXPECT_FALSE(parse_size("20000000E"));
}

TEST(FormatBytes, HumanUnits) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(3u << 30), "3.0 GiB");
}
