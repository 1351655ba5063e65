// net/http_responder with net/mime_types and net/http_resources: statuses for what a target
// names, headers, conditionals, If-Range, single and multipart ranges, and the file form's
// prefix counted in lengths and ranges (a range may start inside it).
#include "conduit/net/http_responder.hpp"

#include <fcntl.h>

#include <gtest/gtest.h>

#include <cerrno>

#include "test_util.hpp"

using namespace conduit;
using namespace conduit::net::http;

namespace {

// The bytes a plan's body sends, read from `file`.
std::string body_of(const ResponsePlan& plan, int file) {
  std::string out;
  for (const BodyPiece& p : plan.body) {
    out += p.text;
    std::string buf(p.file_length, '\0');
    if (p.file_length) {
      EXPECT_EQ(::pread(file, buf.data(), buf.size(), static_cast<off_t>(p.file_first)),
                static_cast<ssize_t>(buf.size()));
    }
    out += buf;
  }
  return out;
}

std::string header(const std::string& head, const std::string& name) {
  auto at = head.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  at += name.size() + 4;
  return head.substr(at, head.find("\r\n", at) - at);
}

struct Fixture {
  testutil::TempFile file{"0123456789abcdefghij"};
  Fd fd{::open(file.path().c_str(), O_RDONLY | O_CLOEXEC)};
  MimeTypes mime;
  ResponderOptions options;
  Fixture() { options.mime = &mime; }
  Resources files(std::string prefix = {}) { return Resources::files({{"v.mp4", fd.get()}}, false, std::move(prefix)); }
  ResponsePlan get(const Resources& r, const char* target, std::optional<std::string_view> range = {},
                   RequestFields f = {}, bool head = false) {
    return plan_response(head, r.lookup(target), range, f, options, true);
  }
};

}  // namespace

TEST(NetHttpMime, TableAndValidation) {
  MimeTypes m;
  EXPECT_EQ(m.lookup("a/b/clip.MP4"), "video/mp4");
  EXPECT_EQ(m.lookup("noext"), "application/octet-stream");
  EXPECT_EQ(m.lookup("x.unknownext", "z/z"), "z/z");
  m.add_text("# comment\napplication/x-test\ttst tst2\nbad\x01type foo\n");
  EXPECT_EQ(m.lookup("f.tst2"), "application/x-test");
  EXPECT_EQ(m.lookup("f.foo"), "application/octet-stream");
  (void)m.load("/etc/mime.types");  // present where media-types is installed
  EXPECT_EQ(m.load("/nonexistent/mime.types").error, ENOENT);
  EXPECT_EQ(m.load("/").error, EISDIR);
  EXPECT_EQ(m.lookup("f.tst2"), "application/x-test");  // the table is unchanged
  EXPECT_TRUE(valid_header_value("text/html; charset=utf-8"));
  EXPECT_FALSE(valid_header_value("text/html\r\nX-Evil: 1"));
  EXPECT_FALSE(valid_header_value("a\nb"));
  EXPECT_FALSE(valid_header_value(""));
}

TEST(NetHttpResponder, FilesByNameAndHeaders) {
  Fixture x;
  Resources r = x.files();
  ResponsePlan p = x.get(r, "/v.mp4");
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(header(p.head, "Content-Type"), "video/mp4");
  EXPECT_EQ(header(p.head, "Content-Length"), "20");
  EXPECT_FALSE(header(p.head, "ETag").empty());
  EXPECT_FALSE(header(p.head, "Last-Modified").empty());
  EXPECT_FALSE(header(p.head, "Date").empty());
  EXPECT_EQ(header(p.head, "Content-Disposition"), "");
  EXPECT_EQ(body_of(p, p.file), "0123456789abcdefghij");
  EXPECT_EQ(x.get(r, "/other").status, 404);
  EXPECT_EQ(x.get(r, "/").status, 403);
  EXPECT_EQ(x.get(r, "/v.mp4/").status, 404);
  EXPECT_EQ(x.get(r, "*").status, 400);
  EXPECT_TRUE(x.get(r, "/v.mp4", {}, {}, true).body.empty());  // HEAD
  x.options.content_type = "text/plain";
  x.options.disposition = "attachment";
  p = x.get(r, "/v.mp4");
  EXPECT_EQ(header(p.head, "Content-Type"), "text/plain");
  EXPECT_EQ(header(p.head, "Content-Disposition"), "attachment; filename=\"v.mp4\"");
  EXPECT_EQ(content_disposition("inline", "a\"b\xc3\xa9"),
            "inline; filename=\"a\\\"b__\"; filename*=UTF-8''a%22b%C3%A9");
  // filename*= says UTF-8: only for a name that is (RFC 8187); else the ASCII fallback alone.
  EXPECT_EQ(content_disposition("inline", "bad\xff.txt"), "inline; filename=\"bad_.txt\"");
  EXPECT_EQ(content_disposition("inline", "\xc0\xaf"), "inline; filename=\"__\"");        // overlong
  EXPECT_EQ(content_disposition("inline", "\xed\xa0\x80"), "inline; filename=\"___\"");  // surrogate
  EXPECT_EQ(content_disposition("inline", "\xf4\x90\x80\x80"), "inline; filename=\"____\"");  // > U+10FFFF
  EXPECT_EQ(content_disposition("inline", "\xc3"), "inline; filename=\"_\"");  // cut short
  EXPECT_EQ(content_disposition("inline", "\xf0\x9f\x98\x80"),
            "inline; filename=\"____\"; filename*=UTF-8''%F0%9F%98%80");
  Resources listed = Resources::files({{"v.mp4", x.fd.get()}, {"<b>", x.fd.get()}}, true);
  p = x.get(listed, "/");
  EXPECT_EQ(p.status, 200);
  std::string html = body_of(p, -1);
  EXPECT_NE(html.find("<a href=\"%3Cb%3E\">&lt;b&gt;</a>"), std::string::npos) << html;
}

TEST(NetHttpResponder, Conditionals) {
  Fixture x;
  Resources r = x.files();
  std::string etag = header(x.get(r, "/v.mp4").head, "ETag");
  std::string lm = header(x.get(r, "/v.mp4").head, "Last-Modified");
  std::string head = "GET /v.mp4 HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + etag + "\r\nif-range: " + etag + "\r\n\r\n";
  RequestFields f = scan_fields(head);
  ASSERT_TRUE(f.conditions.if_none_match);
  EXPECT_EQ(*f.conditions.if_none_match, etag);
  ASSERT_TRUE(f.if_range);
  ResponsePlan p = x.get(r, "/v.mp4", {}, f);
  EXPECT_EQ(p.status, 304);
  EXPECT_EQ(p.head.find("Content-Length"), std::string::npos);
  EXPECT_EQ(header(p.head, "ETag"), etag);
  EXPECT_TRUE(p.body.empty());
  f = {};
  f.conditions.if_match = "\"stale\"";
  EXPECT_EQ(x.get(r, "/v.mp4", {}, f).status, 412);
  // If-Range: the current validator gets the range, a stale one the whole file
  f = {};
  f.if_range = etag;
  EXPECT_EQ(x.get(r, "/v.mp4", "bytes=0-1", f).status, 206);
  f.if_range = lm;
  EXPECT_EQ(x.get(r, "/v.mp4", "bytes=0-1", f).status, 206);
  f.if_range = "\"stale\"";
  p = x.get(r, "/v.mp4", "bytes=0-1", f);
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(body_of(p, p.file).size(), 20u);
}

TEST(NetHttpResponder, RangesAndMultipart) {
  Fixture x;
  Resources r = x.files();
  ResponsePlan p = x.get(r, "/v.mp4", "bytes=2-4");
  EXPECT_EQ(p.status, 206);
  EXPECT_EQ(header(p.head, "Content-Range"), "bytes 2-4/20");
  EXPECT_EQ(body_of(p, p.file), "234");
  p = x.get(r, "/v.mp4", "bytes=5-2");
  EXPECT_EQ(p.status, 416);
  EXPECT_EQ(header(p.head, "Content-Range"), "bytes */20");
  p = x.get(r, "/v.mp4", "bytes=0-1,10-11");
  EXPECT_EQ(p.status, 206);
  std::string type = header(p.head, "Content-Type");
  ASSERT_TRUE(type.starts_with("multipart/byteranges; boundary="));
  std::string b = type.substr(type.find('=') + 1);
  std::string body = body_of(p, p.file);
  EXPECT_EQ(std::to_string(body.size()), header(p.head, "Content-Length"));
  EXPECT_EQ(body, "\r\n--" + b + "\r\nContent-Type: video/mp4\r\nContent-Range: bytes 0-1/20\r\n\r\n01" +
                  "\r\n--" + b + "\r\nContent-Type: video/mp4\r\nContent-Range: bytes 10-11/20\r\n\r\nab" +
                  "\r\n--" + b + "--\r\n");
}

TEST(NetHttpResponder, PrefixIsTheStartOfTheBody) {
  Fixture x;
  Resources r = x.files("HDR:");
  ResponsePlan p = x.get(r, "/v.mp4");
  EXPECT_EQ(header(p.head, "Content-Length"), "24");
  EXPECT_EQ(body_of(p, p.file), "HDR:0123456789abcdefghij");
  p = x.get(r, "/v.mp4", "bytes=2-5");
  EXPECT_EQ(header(p.head, "Content-Range"), "bytes 2-5/24");
  EXPECT_EQ(body_of(p, p.file), "R:01");
  p = x.get(r, "/v.mp4", "bytes=-3");
  EXPECT_EQ(body_of(p, p.file), "hij");
  p = x.get(r, "/v.mp4", "bytes=0-0,22-");
  std::string body = body_of(p, p.file);
  EXPECT_NE(body.find("Content-Range: bytes 0-0/24\r\n\r\nH\r\n"), std::string::npos);
  EXPECT_NE(body.find("Content-Range: bytes 22-23/24\r\n\r\nij\r\n"), std::string::npos);
}
