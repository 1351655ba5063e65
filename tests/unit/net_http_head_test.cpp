// net/http_head through parse_request: each rejection of RFC 9112 (and where nginx chose), the
// limits while a head is still arriving, the framing fields, absolute-form, Expect.
#include "conduit/net/http_head.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace conduit::net::http;

namespace {

ParseStatus status(const std::string& head) { return parse_request(head).status; }

std::string get_with(const std::string& fields) { return "GET /f HTTP/1.1\r\n" + fields + "\r\n"; }

}  // namespace

TEST(NetHttpHead, EachMalformedHeadIs400) {
  struct Case {
    const char* what;
    std::string head;
  };
  const Case cases[] = {
      {"two Host fields", get_with("Host: a\r\nHost: b\r\n")},
      {"the same Host twice", get_with("Host: a\r\nHost: a\r\n")},
      {"HTTP/1.1 without Host", get_with("")},
      {"empty Host", get_with("Host:\r\n")},
      {"Host with a slash", get_with("Host: a/b\r\n")},
      {"Host with ..", get_with("Host: a..b\r\n")},
      {"Host with a space inside", get_with("Host: a b\r\n")},
      {"differing Content-Length", get_with("Host: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n")},
      {"repeated Content-Length", get_with("Host: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n")},
      {"Content-Length list", get_with("Host: a\r\nContent-Length: 1, 1\r\n")},
      {"Content-Length with a sign", get_with("Host: a\r\nContent-Length: +1\r\n")},
      {"Content-Length not a number", get_with("Host: a\r\nContent-Length: x\r\n")},
      {"Content-Length empty", get_with("Host: a\r\nContent-Length:\r\n")},
      {"Content-Length of 20 digits", get_with("Host: a\r\nContent-Length: 99999999999999999999\r\n")},
      {"Content-Length and Transfer-Encoding",
       get_with("Host: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n")},
      {"Transfer-Encoding in HTTP/1.0", "GET /f HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"},
      {"empty Transfer-Encoding", get_with("Host: a\r\nTransfer-Encoding: \r\n")},
      {"bare CR in a value", get_with("Host: a\r\nX: a\rb\r\n")},
      {"CR before the CRLF", get_with("Host: a\r\nX: a\r\r\n")},
      {"NUL in a value", get_with("Host: a\r\nX: a" + std::string(1, '\0') + "b\r\n")},
      {"control in a value", get_with("Host: a\r\nX: a\x01z\r\n")},
      {"escape in a value", get_with("Host: a\r\nX: \x1b[31m\r\n")},
      {"DEL in a value", get_with("Host: a\r\nX: a\x7f\r\n")},
      {"whitespace before the colon", get_with("Host: a\r\nX : b\r\n")},
      {"tab before the colon", get_with("Host: a\r\nX\t: b\r\n")},
      {"obs-fold", get_with("Host: a\r\nX: b\r\n c\r\n")},
      {"obs-fold by tab", get_with("Host: a\r\nX: b\r\n\tc\r\n")},
      {"whitespace after the request line", get_with(" Host: a\r\n")},
      {"empty field name", get_with("Host: a\r\n: b\r\n")},
      {"field name not a token", get_with("Host: a\r\nX(y): b\r\n")},
      {"no colon", get_with("Host: a\r\nNo colon here\r\n")},
      {"NUL in the field name", get_with("Host: a\r\nX" + std::string(1, '\0') + "Y: b\r\n")},
      {"GET *", "GET * HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"HEAD *", "HEAD * HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"target without a slash", "GET f HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"authority-form for GET", "GET a:80 HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"absolute-form without authority", "GET http:///f HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"control in the target", "GET /f\x01 HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"DEL in the target", "GET /f\x7f HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"NUL in the target", "GET /f" + std::string(1, '\0') + " HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"tab as a separator", "GET\t/f HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"lower-case version", "GET /f http/1.1\r\nHost: a\r\n\r\n"},
      {"HTTP/0.9 with a version", "GET /f HTTP/0.9\r\n\r\n"},
      {"method not a token", "G(T /f HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"no version", "GET /f\r\n\r\n"},
      {"two spaces", "GET  /f HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"version of three digits", "GET /f HTTP/1.10\r\nHost: a\r\n\r\n"},
  };
  for (const Case& c : cases) EXPECT_EQ(status(c.head), ParseStatus::Bad) << c.what;
  EXPECT_EQ(status_of(ParseStatus::Bad), 400);
}

TEST(NetHttpHead, WhatIsAcceptedStays) {
  for (const std::string& head : {
           get_with("Host: a\r\nX: a\tb\r\n"),            // HTAB inside a value
           get_with("Host: a\r\nX: caf\xc3\xa9\r\n"),     // obs-text
           get_with("Host: [::1]:8080\r\n"),
           get_with("Host: example.com:80\r\nX-Empty:\r\n"),
           get_with("Host: a\r\nContent-Length: 0\r\n"),
           std::string("GET /f HTTP/1.0\r\n\r\n"),        // 1.0 needs no Host
           std::string("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"),
           std::string("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"),
       })
    EXPECT_EQ(status(head), ParseStatus::Ok) << head;
}

TEST(NetHttpHead, UnknownTransferCodingsAre501) {
  for (const char* te : {"gzip", "gzip, chunked", "chunked, gzip", "chunked, chunked", "x-custom"})
    EXPECT_EQ(status(get_with(std::string("Host: a\r\nTransfer-Encoding: ") + te + "\r\n")),
              ParseStatus::NotImplemented)
        << te;
  // Two fields are one list: chunked applied twice is still not something we decode.
  EXPECT_EQ(status(get_with("Host: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")),
            ParseStatus::NotImplemented);
  EXPECT_EQ(status_of(ParseStatus::NotImplemented), 501);
  ParseResult r = parse_request(get_with("Host: a\r\nTransfer-Encoding: Chunked\r\n"));
  ASSERT_EQ(r.status, ParseStatus::Ok);
  EXPECT_TRUE(r.request.chunked);
  EXPECT_TRUE(r.request.has_body);
  EXPECT_EQ(r.request.content_length, 0u);
}

TEST(NetHttpHead, VersionsBeyondOneAre505) {
  EXPECT_EQ(status("GET /f HTTP/2.0\r\nHost: a\r\n\r\n"), ParseStatus::BadVersion);
  EXPECT_EQ(status("GET /f HTTP/3.0\r\nHost: a\r\n\r\n"), ParseStatus::BadVersion);
  EXPECT_EQ(status_of(ParseStatus::BadVersion), 505);
}

TEST(NetHttpHead, LongRequestLineIs414EvenBeforeItEnds) {
  const std::string line = "GET /" + std::string(9000, 'a');
  EXPECT_EQ(status(line), ParseStatus::UriTooLong);                      // still arriving
  EXPECT_EQ(status(line + " HTTP/1.1\r\nHost: a\r\n\r\n"), ParseStatus::UriTooLong);
  EXPECT_EQ(status("GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n"),
            ParseStatus::UriTooLong);
  // Up to the limit it is fine (nginx: 8 KiB).
  const std::string fits = "GET /" + std::string(8192 - 14, 'a') + " HTTP/1.1";
  ASSERT_EQ(fits.size(), 8192u);
  EXPECT_EQ(status(fits + "\r\nHost: a\r\n\r\n"), ParseStatus::Ok);
  EXPECT_EQ(status(fits.substr(0, 4) + "a" + fits.substr(4) + "\r\nHost: a\r\n\r\n"), ParseStatus::UriTooLong);
  EXPECT_EQ(status_of(ParseStatus::UriTooLong), 414);
}

TEST(NetHttpHead, LargeFieldOrHeadIs431EvenBeforeItEnds) {
  const std::string start = "GET /f HTTP/1.1\r\nHost: a\r\n";
  EXPECT_EQ(status(start + "X: " + std::string(9000, 'a')), ParseStatus::TooLarge);  // still arriving
  EXPECT_EQ(status(start + "X: " + std::string(9000, 'a') + "\r\n\r\n"), ParseStatus::TooLarge);
  std::string many = start;
  for (int i = 0; i < 7; ++i) many += "X" + std::to_string(i) + ": " + std::string(4000, 'a') + "\r\n";
  EXPECT_EQ(status(many + "\r\n"), ParseStatus::Ok);  // 28 KB in lines of 4 KB: fine
  for (int i = 7; i < 10; ++i) many += "X" + std::to_string(i) + ": " + std::string(4000, 'a') + "\r\n";
  EXPECT_EQ(status(many), ParseStatus::TooLarge);  // 40 KB and no end in sight
  EXPECT_EQ(status(many + "\r\n"), ParseStatus::TooLarge);
  EXPECT_EQ(status(std::string(40000, '\n')), ParseStatus::TooLarge);  // empty lines count too
  EXPECT_EQ(status_of(ParseStatus::TooLarge), 431);
}

TEST(NetHttpHead, FramingFieldsSetTheBody) {
  ParseResult r = parse_request(get_with("Host: a\r\nContent-Length: 12\r\n"));
  ASSERT_EQ(r.status, ParseStatus::Ok);
  EXPECT_EQ(r.request.content_length, 12u);
  EXPECT_TRUE(r.request.has_body);
  EXPECT_FALSE(r.request.chunked);
  EXPECT_TRUE(r.request.keep_alive);  // a known length can be skipped: the connection can go on
}

TEST(NetHttpHead, AbsoluteFormNamesItsPath) {
  ParseResult r = parse_request("GET http://example.com:8080/a/b?q=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::Ok);
  EXPECT_EQ(r.request.target, "/a/b?q=1");
  EXPECT_EQ(r.request.request_line, "GET http://example.com:8080/a/b?q=1 HTTP/1.1");
  r = parse_request("HEAD HTTPS://example.com HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::Ok);
  EXPECT_EQ(r.request.target, "/");
}

TEST(NetHttpHead, ExpectContinue) {
  ParseResult r = parse_request(get_with("Host: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n"));
  ASSERT_EQ(r.status, ParseStatus::Ok);
  EXPECT_TRUE(r.request.expect_continue);
  r = parse_request(get_with("Host: a\r\nExpect: something-else\r\n"));  // ignored, as nginx
  ASSERT_EQ(r.status, ParseStatus::Ok);
  EXPECT_FALSE(r.request.expect_continue);
  r = parse_request("GET /f HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");  // 1.0 knows no 100
  ASSERT_EQ(r.status, ParseStatus::Ok);
  EXPECT_FALSE(r.request.expect_continue);
}

TEST(NetHttpHead, RequestLineIsKeptForTheLog) {
  ParseResult r = parse_request("\r\nGET /x?y HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::Ok);
  EXPECT_EQ(r.request.request_line, "GET /x?y HTTP/1.1");
}

TEST(NetHttpHead, PiecesDirectly) {
  std::string_view name, value;
  EXPECT_TRUE(split_field_line("Accept:  text/html \t", name, value));
  EXPECT_EQ(name, "Accept");
  EXPECT_EQ(value, "text/html");
  EXPECT_FALSE(split_field_line(" Accept: x", name, value));
  Request req;
  EXPECT_EQ(parse_request_line("GET /a HTTP/1.1", req), ParseStatus::Ok);
  EXPECT_EQ(req.target, "/a");
  std::size_t start = 0, end = 0;
  EXPECT_EQ(find_head("\r\nGET / HTTP/1.0\r\n\r\nrest", {}, start, end), ParseStatus::Ok);
  EXPECT_EQ(start, 2u);
  EXPECT_EQ(end, 20u);
}
