// net/http_validators: HTTP dates (three formats), ETags, and RFC 9110 13.2.2's precedence.
#include "conduit/net/http_validators.hpp"

#include <gtest/gtest.h>

using namespace conduit::net::http;

namespace {
constexpr std::time_t k1994 = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
Validators v() { return {"\"1-2-3\"", k1994}; }
Conditions none() { return {}; }
}  // namespace

TEST(NetHttpValidators, Dates) {
  EXPECT_EQ(format_http_date(k1994), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), k1994);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), k1994);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), k1994);
  EXPECT_FALSE(parse_http_date("yesterday"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 CET"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"));
  EXPECT_EQ(current_http_date().size(), 29u);
}

TEST(NetHttpValidators, ETagFromInodeSizeMtime) {
  struct stat st {};
  st.st_ino = 0x1234;
  st.st_size = 0x10;
  st.st_mtim.tv_sec = 0x5f5e100;
  Validators x = validators_for(st);
  EXPECT_EQ(x.etag, "\"1234-10-5f5e100\"");
  EXPECT_EQ(x.last_modified, 0x5f5e100);
}

TEST(NetHttpValidators, PreconditionOrder) {
  Conditions c = none();
  EXPECT_EQ(evaluate_preconditions(c, v(), true), Precondition::Proceed);
  c.if_none_match = "\"1-2-3\"";
  EXPECT_EQ(evaluate_preconditions(c, v(), true), Precondition::NotModified);
  c.if_none_match = "W/\"1-2-3\"";  // weak comparison: matches
  EXPECT_EQ(evaluate_preconditions(c, v(), true), Precondition::NotModified);
  c.if_none_match = "\"x\", \"1-2-3\"";
  EXPECT_EQ(evaluate_preconditions(c, v(), true), Precondition::NotModified);
  c.if_none_match = "*";
  EXPECT_EQ(evaluate_preconditions(c, v(), true), Precondition::NotModified);
  EXPECT_EQ(evaluate_preconditions(c, v(), false), Precondition::Failed);
  c.if_none_match = "\"other\"";
  // If-None-Match present: If-Modified-Since is not looked at
  c.if_modified_since = "Sun, 06 Nov 1994 08:49:37 GMT";
  EXPECT_EQ(evaluate_preconditions(c, v(), true), Precondition::Proceed);
  c.if_none_match.reset();
  EXPECT_EQ(evaluate_preconditions(c, v(), true), Precondition::NotModified);
  c.if_modified_since = "Sun, 06 Nov 1994 08:49:36 GMT";
  EXPECT_EQ(evaluate_preconditions(c, v(), true), Precondition::Proceed);
  c.if_modified_since = "garbage";  // invalid: ignored
  EXPECT_EQ(evaluate_preconditions(c, v(), true), Precondition::Proceed);

  // If-Match beats everything after it; strong comparison
  c = none();
  c.if_match = "\"nope\"";
  c.if_none_match = "\"1-2-3\"";
  EXPECT_EQ(evaluate_preconditions(c, v(), true), Precondition::Failed);
  c.if_match = "W/\"1-2-3\"";
  EXPECT_EQ(evaluate_preconditions(c, v(), true), Precondition::Failed);
  c.if_match = "\"1-2-3\"";
  EXPECT_EQ(evaluate_preconditions(c, v(), true), Precondition::NotModified);
  c = none();
  c.if_match = "*";
  c.if_unmodified_since = "Sat, 05 Nov 1994 08:49:37 GMT";  // ignored: If-Match is there
  EXPECT_EQ(evaluate_preconditions(c, v(), true), Precondition::Proceed);
  c.if_match.reset();
  EXPECT_EQ(evaluate_preconditions(c, v(), true), Precondition::Failed);
  c.if_unmodified_since = "Sun, 06 Nov 1994 08:49:37 GMT";
  EXPECT_EQ(evaluate_preconditions(c, v(), true), Precondition::Proceed);
}

TEST(NetHttpValidators, IfRange) {
  EXPECT_TRUE(if_range_matches("\"1-2-3\"", v()));
  EXPECT_FALSE(if_range_matches("\"1-2-4\"", v()));
  EXPECT_FALSE(if_range_matches("W/\"1-2-3\"", v()));  // weak: never
  EXPECT_TRUE(if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT", v()));
  EXPECT_FALSE(if_range_matches("Sun, 06 Nov 1994 08:49:38 GMT", v()));
  EXPECT_FALSE(if_range_matches("junk", v()));
}
