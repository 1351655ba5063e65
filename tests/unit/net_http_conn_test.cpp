// The file server's HTTP connection handling, driven directly: error pages, Expect:
// 100-continue, request bodies thrown away (never parsed as requests), the head deadline, and one
// Request event per response for the access log.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "conduit/net/file_server.hpp"
#include "conduit/net/http_error_page.hpp"
#include "net_server_util.hpp"
#include "test_util.hpp"

using namespace conduit;
using namespace conduit::net;
using testutil::connect_client;
using testutil::send_all;

namespace {

struct Seen {
  FileServerEvent::Kind kind;
  std::string peer, request_line, reason;
  int status = 0;
  std::uint64_t bytes = 0;
};

// A server for `content` over HTTP that stops after `connections` have closed, and its events.
struct HttpServer {
  testutil::ServedFile file;
  testutil::Listener listener;
  std::vector<Seen> seen;
  std::unique_ptr<FileServer> server;
  std::unique_ptr<testutil::Running<FileServer>> running;

  // `start`: false leaves the server to start(), once clients have queued what they send.
  HttpServer(const std::string& content, int connections,
             std::chrono::milliseconds head_timeout = std::chrono::milliseconds(10000), bool start_now = true)
      : file(content) {
    FileServerSettings s;
    s.file = file.fd.get();
    s.http = true;
    s.server_name = "test-server";
    s.head_timeout = head_timeout;
    server = std::make_unique<FileServer>(s, [this, connections, closed = 0](const FileServerEvent& e) mutable {
      seen.push_back({e.kind, std::string(e.peer), std::string(e.request_line), std::string(e.reason),
                      e.status, e.bytes});
      if (e.kind == FileServerEvent::Kind::Closed && ++closed == connections) server->stop();
    });
    if (start_now) start();
  }
  void start() { running = std::make_unique<testutil::Running<FileServer>>(*server, std::move(listener.fd)); }
  int join() { return running->join(); }
  std::vector<Seen> of(FileServerEvent::Kind kind) const {
    std::vector<Seen> out;
    for (const Seen& s : seen)
      if (s.kind == kind) out.push_back(s);
    return out;
  }
};

// Reads until `text` has arrived (or the peer closes, or 30 s pass): what came.
std::string read_until(int fd, const std::string& text) {
  std::string got;
  char buf[65536];
  while (got.find(text) == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

// The value of header `name` in the first response head of `response`.
std::string header(const std::string& response, const std::string& name) {
  auto end = response.find("\r\n\r\n");
  auto at = response.find("\r\n" + name + ": ");
  if (at == std::string::npos || at > end) return "";
  at += name.size() + 4;
  return response.substr(at, response.find("\r\n", at) - at);
}

std::string body_of(const std::string& response) {
  auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

}  // namespace

TEST(NetHttpConn, MalformedHeadGetsItsStatusAndAnHtmlPage) {
  HttpServer srv("content", 1);
  Fd client = connect_client(srv.listener.address);
  send_all(client.get(), "GET * HTTP/1.1\r\nHost: a\r\n\r\n");
  std::string got = testutil::read_all(client.get());
  ASSERT_EQ(srv.join(), 0);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 400 Bad Request\r\n")) << got;
  EXPECT_EQ(header(got, "Content-Type"), "text/html");
  EXPECT_EQ(header(got, "Connection"), "close");
  std::string page = body_of(got);
  EXPECT_EQ(header(got, "Content-Length"), std::to_string(page.size()));
  EXPECT_NE(page.find("<h1>400 Bad Request</h1>"), std::string::npos) << page;
  EXPECT_NE(page.find("<center>test-server</center>"), std::string::npos) << page;
  auto requests = srv.of(FileServerEvent::Kind::Request);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].status, 400);
  EXPECT_EQ(requests[0].request_line, "GET * HTTP/1.1");
  EXPECT_EQ(requests[0].bytes, page.size());
}

TEST(NetHttpConn, EachRejectionHasItsStatus) {
  struct Case {
    std::string head;
    const char* status_line;
  };
  const Case cases[] = {
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", "HTTP/1.1 501 Not Implemented"},
      {"GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 414 URI Too Long"},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(9000, 'a') + "\r\n\r\n",
       "HTTP/1.1 431 Request Header Fields Too Large"},
      {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported"},
  };
  HttpServer srv("content", static_cast<int>(std::size(cases)));
  for (const Case& c : cases) {
    Fd client = connect_client(srv.listener.address);
    // The server may answer (and close) before it has read all of a long head.
    ::send(client.get(), c.head.data(), c.head.size(), MSG_NOSIGNAL);
    std::string got = read_until(client.get(), "</html>");
    EXPECT_TRUE(got.starts_with(std::string(c.status_line) + "\r\n")) << got.substr(0, 200);
    EXPECT_NE(body_of(got).find("<h1>" + std::string(c.status_line).substr(9) + "</h1>"), std::string::npos);
  }
  ASSERT_EQ(srv.join(), 0);
}

TEST(NetHttpConn, HeadErrorHasTheLengthButNoBody) {
  HttpServer srv("content", 1);
  Fd client = connect_client(srv.listener.address);
  send_all(client.get(), "HEAD * HTTP/1.1\r\nHost: a\r\n\r\n");
  std::string got = testutil::read_all(client.get());
  ASSERT_EQ(srv.join(), 0);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 400 Bad Request\r\n")) << got;
  EXPECT_TRUE(got.ends_with("\r\n\r\n")) << got;
  EXPECT_EQ(header(got, "Content-Length"), std::to_string(http::error_page(400, "test-server").size()));
}

TEST(NetHttpConn, UnsatisfiableRangeGetsAPageToo) {
  HttpServer srv("0123456789", 1);
  Fd client = connect_client(srv.listener.address);
  send_all(client.get(), "GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=50-\r\nConnection: close\r\n\r\n");
  std::string got = testutil::read_all(client.get());
  ASSERT_EQ(srv.join(), 0);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 416 Range Not Satisfiable\r\n")) << got;
  EXPECT_EQ(header(got, "Content-Range"), "bytes */10");
  EXPECT_EQ(header(got, "Content-Type"), "text/html");
  EXPECT_EQ(header(got, "Content-Length"), std::to_string(body_of(got).size()));
  EXPECT_NE(body_of(got).find("416 Range Not Satisfiable"), std::string::npos);
}

TEST(NetHttpConn, ExpectContinueGets100BeforeTheResponse) {
  HttpServer srv("0123456789", 1);
  Fd client = connect_client(srv.listener.address);
  send_all(client.get(), "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  // The 100 comes before the body is sent: a client that waits for it is not left waiting.
  std::string got = read_until(client.get(), "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_TRUE(got.starts_with("HTTP/1.1 100 Continue\r\n\r\n")) << got;
  send_all(client.get(), "hello" "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  got += testutil::read_all(client.get());
  ASSERT_EQ(srv.join(), 0);
  const std::string response = "HTTP/1.1 200 OK\r\n";
  auto first = got.find(response);
  ASSERT_NE(first, std::string::npos) << got;
  EXPECT_EQ(first, std::string("HTTP/1.1 100 Continue\r\n\r\n").size());
  EXPECT_NE(got.find(response, first + 1), std::string::npos) << got;  // the body was not a request
  EXPECT_EQ(srv.of(FileServerEvent::Kind::Request).size(), 2u);
}

TEST(NetHttpConn, RefusedExpectGetsTheFinalErrorAndNo100) {
  HttpServer srv("0123456789", 1);
  Fd client = connect_client(srv.listener.address);
  send_all(client.get(), "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  std::string got = testutil::read_all(client.get());
  ASSERT_EQ(srv.join(), 0);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 405 Method Not Allowed\r\n")) << got;
  EXPECT_EQ(got.find("100 Continue"), std::string::npos);
  EXPECT_EQ(header(got, "Connection"), "close");
}

TEST(NetHttpConn, BodyIsThrownAwayNeverParsedAsARequest) {
  const std::string content = testutil::pattern(1000);
  HttpServer srv(content, 1);
  Fd client = connect_client(srv.listener.address);
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
  // In one segment and split: the body may come with its head or after it.
  send_all(client.get(), "GET /one HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(smuggled.size()) +
                             "\r\n\r\n" + smuggled.substr(0, 10));
  std::string got = read_until(client.get(), content);
  send_all(client.get(), smuggled.substr(10) + "GET /two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  got += testutil::read_all(client.get());
  ASSERT_EQ(srv.join(), 0);
  auto requests = srv.of(FileServerEvent::Kind::Request);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].request_line, "GET /one HTTP/1.1");
  EXPECT_EQ(requests[1].request_line, "GET /two HTTP/1.1");
  EXPECT_EQ(requests[1].status, 200);
  EXPECT_EQ(got.find("smuggled"), std::string::npos);
}

TEST(NetHttpConn, ChunkedBodyIsDecodedAndThrownAwayAndTheConnectionKept) {
  HttpServer srv("0123456789", 1);
  Fd client = connect_client(srv.listener.address);
  // A body that holds a request as data, split across segments (one cut inside a chunk size,
  // one inside the data); then a second request on the same connection.
  send_all(client.get(),
           "GET /one HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
           "2");
  std::string got = read_until(client.get(), "0123456789");
  send_all(client.get(), "3\r\nGET /smuggled HTTP/1.1\r\nHost: a");
  send_all(client.get(), "\r\n\r\n\r\n0\r\nTrailer: x\r\n\r\n"
                         "GET /two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  got += testutil::read_all(client.get());
  ASSERT_EQ(srv.join(), 0);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_EQ(header(got, "Connection"), "keep-alive");
  auto requests = srv.of(FileServerEvent::Kind::Request);
  ASSERT_EQ(requests.size(), 2u) << got;
  EXPECT_EQ(requests[0].request_line, "GET /one HTTP/1.1");
  EXPECT_EQ(requests[1].request_line, "GET /two HTTP/1.1");
  EXPECT_EQ(requests[1].status, 200);
  EXPECT_EQ(got.find("400"), std::string::npos) << got;
}

TEST(NetHttpConn, MalformedChunkedBodyWithItsHeadGets400AndTheConnectionCloses) {
  HttpServer srv("0123456789", 1);
  Fd client = connect_client(srv.listener.address);
  send_all(client.get(),
           "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
           "zz\r\nhello\r\n0\r\n\r\n");
  std::string got = testutil::read_all(client.get());
  ASSERT_EQ(srv.join(), 0);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 400 Bad Request\r\n")) << got;
  EXPECT_EQ(header(got, "Connection"), "close");
  auto requests = srv.of(FileServerEvent::Kind::Request);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].status, 400);
}

TEST(NetHttpConn, MalformedChunkedBodyAfterTheResponseClosesWithoutAnotherAnswer) {
  HttpServer srv("0123456789", 1);
  Fd client = connect_client(srv.listener.address);
  send_all(client.get(), "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n");
  std::string got = read_until(client.get(), "0123456789");
  send_all(client.get(), "helloXXGET / HTTP/1.1\r\nHost: a\r\n\r\n");
  got += testutil::read_all(client.get());
  ASSERT_EQ(srv.join(), 0);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_EQ(got.find("HTTP/1.1", 1), std::string::npos) << got;  // one response, then the close
  // Nothing after the bad chunk is taken for a request ("XGET / HTTP/1.1" would be a 405).
  EXPECT_EQ(srv.of(FileServerEvent::Kind::Request).size(), 1u);
  auto closed = srv.of(FileServerEvent::Kind::Closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].reason, "malformed chunked request body");
}

TEST(NetHttpConn, TrickledHeadIsCutAtTheDeadlineWith408) {
  HttpServer srv("0123456789", 2, std::chrono::milliseconds(300));
  // One client sends nothing: closed without a word. One trickles a byte every 50 ms, each of
  // which would reset an idle timer: it gets 408 once its head has taken 300 ms.
  Fd silent = connect_client(srv.listener.address);
  Fd slow = connect_client(srv.listener.address);
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX-Padding: " + std::string(200, 'p');
  std::string got;
  for (char ch : head) {
    if (::send(slow.get(), &ch, 1, MSG_NOSIGNAL) != 1) break;
    pollfd p{slow.get(), POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) break;  // the server has answered
  }
  got = testutil::read_all(slow.get());
  EXPECT_TRUE(got.starts_with("HTTP/1.1 408 Request Timeout\r\n")) << got;
  EXPECT_EQ(header(got, "Connection"), "close");
  EXPECT_EQ(testutil::read_all(silent.get()), "");
  ASSERT_EQ(srv.join(), 0);
  auto closed = srv.of(FileServerEvent::Kind::Closed);
  ASSERT_EQ(closed.size(), 2u);
  for (const Seen& c : closed) EXPECT_EQ(c.reason, "request head not complete within 0.3 s");
  auto requests = srv.of(FileServerEvent::Kind::Request);
  ASSERT_EQ(requests.size(), 1u);  // the silent one made no request
  EXPECT_EQ(requests[0].status, 408);
}

TEST(NetHttpConn, DeadlineRestartsWithEachRequestNotWithEachByte) {
  // Keep-alive: the wait between requests is the idle timer's; a new head gets its own deadline.
  HttpServer srv("0123456789", 1, std::chrono::milliseconds(400));
  Fd client = connect_client(srv.listener.address);
  for (int i = 0; i < 3; ++i) {
    send_all(client.get(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    std::string got = read_until(client.get(), "0123456789");
    EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // 900 ms in all: over 400
  }
  client.reset();
  ASSERT_EQ(srv.join(), 0);
  EXPECT_EQ(srv.of(FileServerEvent::Kind::Request).size(), 3u);
}

TEST(NetHttpConn, OneRequestEventPerResponseOnAKeepAliveConnection) {
  const std::string content = testutil::pattern(10000);
  HttpServer srv(content, 1);
  Fd client = connect_client(srv.listener.address);
  send_all(client.get(),
           "GET /v.mp4 HTTP/1.1\r\nHost: a\r\nRange: bytes=0-99\r\n\r\n"
           "GET /v.mp4 HTTP/1.1\r\nHost: a\r\nRange: bytes=9000-\r\n\r\n"
           "GET /v.mp4 HTTP/1.1\r\nHost: a\r\nRange: bytes=100-199\r\nConnection: close\r\n\r\n");
  std::string got = testutil::read_all(client.get());
  ASSERT_EQ(srv.join(), 0);
  auto requests = srv.of(FileServerEvent::Kind::Request);
  ASSERT_EQ(requests.size(), 3u);
  const std::uint64_t lengths[] = {100, 1000, 100};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(requests[i].status, 206);
    EXPECT_EQ(requests[i].request_line, "GET /v.mp4 HTTP/1.1");
    EXPECT_EQ(requests[i].bytes, lengths[i]);
    EXPECT_TRUE(requests[i].peer.starts_with("127.0.0.1:"));
  }
  EXPECT_EQ(srv.of(FileServerEvent::Kind::Closed).size(), 1u);
}

TEST(NetHttpConn, APipeliningClientIsAnsweredAFewRequestsAtATime) {
  // 400 pipelined HEADs from one client and one GET from another, all queued in the kernel
  // before the server starts: the GET is answered after at most a turn of the first (8
  // requests), not after all 400 of them.
  HttpServer srv("0123456789", 2, std::chrono::milliseconds(10000), false);
  Fd busy = connect_client(srv.listener.address);
  std::string many;
  for (int i = 0; i < 400; ++i) many += "HEAD /busy HTTP/1.1\r\nHost: a\r\n\r\n";
  many += "HEAD /busy HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  send_all(busy.get(), many);
  Fd other = connect_client(srv.listener.address);
  send_all(other.get(), "GET /other HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  srv.start();
  std::thread reader([&busy] { testutil::read_all(busy.get()); });
  EXPECT_TRUE(body_of(testutil::read_all(other.get())) == "0123456789");
  reader.join();
  ASSERT_EQ(srv.join(), 0);
  auto requests = srv.of(FileServerEvent::Kind::Request);
  ASSERT_EQ(requests.size(), 402u);
  std::size_t at = 0;
  while (at < requests.size() && requests[at].request_line != "GET /other HTTP/1.1") ++at;
  EXPECT_LE(at, 16u) << "the other client's request was answered after " << at << " of the first's";
}
