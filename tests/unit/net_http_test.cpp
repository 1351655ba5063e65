// net/http: request heads (complete, partial, malformed, oversized), keep-alive rules, Range
// decisions (RFC 9110 14.1.2 examples and edge cases) and response heads.
#include "conduit/net/http.hpp"

#include <gtest/gtest.h>

using namespace conduit::net::http;

TEST(NetHttp, ParsesSimpleGet) {
  std::string req = "GET /file HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\nNEXT";
  ParseResult r = parse_request(req);
  ASSERT_EQ(r.status, ParseStatus::Ok);
  EXPECT_EQ(r.request.method, "GET");
  EXPECT_EQ(r.request.target, "/file");
  EXPECT_EQ(r.request.minor_version, 1);
  ASSERT_TRUE(r.request.range);
  EXPECT_EQ(*r.request.range, "bytes=0-9");
  EXPECT_TRUE(r.request.keep_alive);
  EXPECT_FALSE(r.request.has_body);
  EXPECT_EQ(req.substr(r.consumed), "NEXT");  // pipelined bytes stay for the next request
}

TEST(NetHttp, IncompleteUntilBlankLine) {
  std::string full = "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n";
  for (std::size_t n = 0; n < full.size(); ++n)
    EXPECT_EQ(parse_request(full.substr(0, n)).status, ParseStatus::Incomplete) << n;
  EXPECT_EQ(parse_request(full).status, ParseStatus::Ok);
}

TEST(NetHttp, BareLineFeedsAndLeadingBlankLines) {
  ParseResult r = parse_request("\r\nGET / HTTP/1.0\nUser-Agent: t\n\n");
  ASSERT_EQ(r.status, ParseStatus::Ok);
  EXPECT_EQ(r.request.minor_version, 0);
  EXPECT_FALSE(r.request.keep_alive);  // HTTP/1.0 closes unless asked
}

TEST(NetHttp, KeepAliveRules) {
  auto keep = [](const std::string& head) {
    ParseResult r = parse_request(head);
    EXPECT_EQ(r.status, ParseStatus::Ok) << head;
    return r.request.keep_alive;
  };
  EXPECT_TRUE(keep("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: a\r\nconnection: Upgrade, CLOSE\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}

TEST(NetHttp, BodiesAreNoticed) {
  EXPECT_TRUE(parse_request("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n").request.has_body);
  EXPECT_TRUE(parse_request("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n").request.has_body);
  EXPECT_FALSE(parse_request("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").request.has_body);
}

TEST(NetHttp, MalformedRequests) {
  for (const char* bad : {
           "GET /\r\n\r\n",                                   // no version
           "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",              // two spaces
           "GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n",
           "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",               // method not a token
           "GET / HTTP/1.1\r\nHost: a\r\nNo colon here\r\n\r\n",
           "GET / HTTP/1.1\r\nHost : a\r\n\r\n",              // space before the colon
           "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",    // obsolete folding
           "GET / HTTP/1.1\r\n\r\n",                          // 1.1 without Host
           "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n",
           "GET / HTTX/1.1\r\nHost: a\r\n\r\n",
       }) {
    EXPECT_EQ(parse_request(bad).status, ParseStatus::Bad) << bad;
  }
  EXPECT_EQ(parse_request("GET / HTTP/2.0\r\n\r\n").status, ParseStatus::BadVersion);
}

TEST(NetHttp, OversizedHead) {
  std::string big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(20000, 'a');
  EXPECT_EQ(parse_request(big).status, ParseStatus::TooLarge);  // a field line over 8 KiB
  EXPECT_EQ(parse_request(big + "\r\n\r\n").status, ParseStatus::TooLarge);
  HeadLimits roomy{8192, 65536, 65536};
  EXPECT_EQ(parse_request(big + "\r\n\r\n", roomy).status, ParseStatus::Ok);
}

TEST(NetHttp, ResponseHeads) {
  ResponseHead h;
  h.status = 206;
  h.content_length = 100;
  h.content_type = "text/plain";
  h.content_range = "bytes 0-99/1000";
  h.server = "conduit-test";
  std::string s = format_response_head(h);
  EXPECT_NE(s.find("\r\nServer: conduit-test\r\n"), std::string::npos);
  EXPECT_TRUE(s.starts_with("HTTP/1.1 206 Partial Content\r\n"));
  EXPECT_NE(s.find("\r\nContent-Length: 100\r\n"), std::string::npos);
  EXPECT_NE(s.find("\r\nContent-Range: bytes 0-99/1000\r\n"), std::string::npos);
  EXPECT_NE(s.find("\r\nContent-Type: text/plain\r\n"), std::string::npos);
  EXPECT_NE(s.find("\r\nConnection: keep-alive\r\n"), std::string::npos);
  EXPECT_TRUE(s.ends_with("\r\n\r\n"));

  ResponseHead e;
  e.status = 405;
  e.keep_alive = false;
  e.allow_header = true;
  s = format_response_head(e);
  EXPECT_TRUE(s.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_NE(s.find("\r\nAllow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_NE(s.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_EQ(s.find("Content-Type"), std::string::npos);
  EXPECT_EQ(s.find("Server:"), std::string::npos);  // the library names no program by itself
  EXPECT_EQ(reason_phrase(416), "Range Not Satisfiable");
}
