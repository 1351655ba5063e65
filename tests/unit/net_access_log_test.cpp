// net/access_log: the Common Log Format line (peer host, local time in English, the escaped
// request line, status, body bytes) and its writer's -errno results.
#include "conduit/net/access_log.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <stdlib.h>

#include <cerrno>
#include <string>

#include "test_util.hpp"

namespace conduit::net {
namespace {

FileServerEvent request(std::string_view peer, std::string_view line, int status,
                        std::uint64_t bytes) {
  FileServerEvent e{FileServerEvent::Kind::Request};
  e.peer = peer;
  e.request_line = line;
  e.status = status;
  e.bytes = bytes;
  return e;
}

// Runs `fn` with TZ set to `tz`, restoring the old value.
template <class Fn>
void with_tz(const char* tz, Fn fn) {
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  ::setenv("TZ", tz, 1);
  ::tzset();
  fn();
  if (old) ::setenv("TZ", saved.c_str(), 1);
  else ::unsetenv("TZ");
  ::tzset();
}

TEST(NetAccessLog, CommonLogFormatLine) {
  with_tz("UTC", [] {
    EXPECT_EQ(access_log_line(request("127.0.0.1:5000", "GET /v.mp4 HTTP/1.1", 206, 1000), 1795886149),
              "127.0.0.1 - - [28/Nov/2026:17:15:49 +0000] \"GET /v.mp4 HTTP/1.1\" 206 1000\n");
    // IPv6 loses its brackets and port, a Unix peer stays whole; no body is "-".
    EXPECT_EQ(access_log_line(request("[::1]:80", "HEAD / HTTP/1.1", 200, 0), 0),
              "::1 - - [01/Jan/1970:00:00:00 +0000] \"HEAD / HTTP/1.1\" 200 -\n");
    EXPECT_EQ(access_log_line(request("unix:/run/s", "", 400, 150), 0),
              "unix:/run/s - - [01/Jan/1970:00:00:00 +0000] \"-\" 400 150\n");
  });
  with_tz("EST5", [] {  // a zone west of Greenwich: a negative offset
    EXPECT_EQ(access_log_line(request("10.0.0.1:1", "GET / HTTP/1.0", 200, 1), 0),
              "10.0.0.1 - - [31/Dec/1969:19:00:00 -0500] \"GET / HTTP/1.0\" 200 1\n");
  });
}

TEST(NetAccessLog, RequestLineEscapedAsNginx) {
  with_tz("UTC", [] {
    static const char kLine[] = "GET /\"a\\b\x1b[31m\n\xff HTTP/1.1";
    std::string line = access_log_line(
        request("1.2.3.4:5", std::string_view(kLine, sizeof kLine - 1), 404, 0), 0);
    EXPECT_EQ(line, "1.2.3.4 - - [01/Jan/1970:00:00:00 +0000] "
                    "\"GET /\\x22a\\x5Cb\\x1B[31m\\x0A\\xFF HTTP/1.1\" 404 -\n");
  });
}

TEST(NetAccessLog, WritesOneLinePerRequestAndReportsFailures) {
  testutil::TempFile file("old line\n");
  AccessLog log;
  ASSERT_EQ(log.open(file.path()), 0);
  ASSERT_EQ(log.write(request("127.0.0.1:1", "GET /a HTTP/1.1", 200, 3)), 0);
  ASSERT_EQ(log.write(request("127.0.0.1:2", "GET /b HTTP/1.1", 200, 4)), 0);
  std::string content = testutil::file_content(file.path());
  EXPECT_TRUE(content.starts_with("old line\n127.0.0.1 - - ["));  // appended
  EXPECT_NE(content.find("\"GET /b HTTP/1.1\" 200 4\n"), std::string::npos);

  EXPECT_EQ(log.open("/nonexistent/dir/log"), -ENOENT);
  Fd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
  AccessLog to_full(full.get());
  EXPECT_EQ(to_full.write(request("127.0.0.1:1", "GET / HTTP/1.1", 200, 1)), -ENOSPC);
}

}  // namespace
}  // namespace conduit::net
