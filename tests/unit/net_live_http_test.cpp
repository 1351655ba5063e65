// net/live_http: what a live stream answers to a request head.
#include "conduit/net/live_http.hpp"

#include <gtest/gtest.h>

using namespace conduit::net::http;

namespace {
constexpr std::time_t kThen = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example)
}

TEST(NetLiveHttp, GetStreamsAfterAHeadWithoutLength) {
  LiveAnswer a = answer_live("GET /live.ts HTTP/1.1\r\nHost: x\r\n\r\n", "video/mp2t", "splice-net", kThen);
  EXPECT_EQ(a.kind, LiveAnswer::Kind::Stream);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.request, "GET /live.ts 200");
  EXPECT_EQ(a.head,
            "HTTP/1.1 200 OK\r\nServer: splice-net\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: video/mp2t\r\nCache-Control: no-cache, no-store\r\nConnection: close\r\n\r\n");
}

TEST(NetLiveHttp, HeadGetsTheSameHeadOnly) {
  LiveAnswer get = answer_live("GET / HTTP/1.0\r\n\r\n", "a/b", "", kThen);
  LiveAnswer head = answer_live("HEAD / HTTP/1.0\r\n\r\n", "a/b", "", kThen);
  EXPECT_EQ(head.kind, LiveAnswer::Kind::HeadOnly);
  EXPECT_EQ(head.head, get.head);
  EXPECT_EQ(head.head.find("Server:"), std::string::npos);  // none asked for
}

TEST(NetLiveHttp, IncompleteHeadWaitsForMore) {
  EXPECT_EQ(answer_live("GET / HTTP/1.1\r\nHost: x\r\n", "a/b", "", kThen).kind, LiveAnswer::Kind::Incomplete);
  EXPECT_EQ(answer_live("", "a/b", "", kThen).kind, LiveAnswer::Kind::Incomplete);
}

TEST(NetLiveHttp, ErrorsCloseAfterAShortBody) {
  LiveAnswer post = answer_live("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx", "a/b", "", kThen);
  EXPECT_EQ(post.kind, LiveAnswer::Kind::HeadOnly);
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.request, "POST /x 405");
  EXPECT_NE(post.head.find("\r\nAllow: GET, HEAD\r\n"), std::string::npos) << post.head;
  EXPECT_NE(post.head.find("\r\nConnection: close\r\n"), std::string::npos) << post.head;
  EXPECT_TRUE(post.head.ends_with("\r\nContent-Length: 23\r\nConnection: close\r\n\r\n405 Method Not Allowed\n"))
      << post.head;

  LiveAnswer bad = answer_live("hello\r\n\r\n", "a/b", "", kThen);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.request, "malformed request 400");
  EXPECT_EQ(answer_live("GET / HTTP/2.0\r\n\r\n", "a/b", "", kThen).status, 505);
  std::string huge = "GET / HTTP/1.1\r\nX: " + std::string(20000, 'a');
  EXPECT_EQ(answer_live(huge, "a/b", "", kThen).status, 431);
}
