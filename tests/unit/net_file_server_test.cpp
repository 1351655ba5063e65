// net/file_server (and net/acceptor, net/serve_client under it), driven directly: a server on
// 127.0.0.1:0 in a thread, a client socket here, and the event callback's record.
#include "conduit/net/file_server.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <cerrno>
#include <string>
#include <vector>

#include "net_server_util.hpp"
#include "test_util.hpp"

using namespace conduit;
using namespace conduit::net;
using testutil::connect_client;
using testutil::drain;
using testutil::Listener;
using testutil::of_kind;
using testutil::pattern;
using testutil::send_all;
using TempFile = testutil::ServedFile;
using Running = testutil::Running<FileServer>;

namespace {

// What the callback saw, copied (the event's views die with the call).
struct Record {
  FileServerEvent::Kind kind;
  std::string peer{}, last_request{}, reason{};
  std::uint64_t bytes = 0;
  unsigned requests = 0;
  std::size_t open = 0;
  int signal = 0;
  std::string request_line{};
  int status = 0;
  bool complete = false;
};

Record record(const FileServerEvent& e) {
  return Record{e.kind,     std::string(e.peer), std::string(e.last_request), std::string(e.reason),
                e.bytes,    e.requests,          e.open,                      e.signal,
                std::string(e.request_line),     e.status,                    e.complete};
}

// The recording callback; stops the server after `stop_after` closed connections.
FileServer::OnEvent recorder(std::vector<Record>& records, FileServer*& server, int stop_after = 1) {
  return [&records, &server, stop_after, closed = 0](const FileServerEvent& e) mutable {
    records.push_back(record(e));
    if (e.kind == FileServerEvent::Kind::Closed && ++closed == stop_after) server->stop();
  };
}

}  // namespace

TEST(NetFileServer, PlainSendsHeaderAndFileAndReportsTheConnection) {
  const std::string content = pattern(300 * 1024);
  TempFile file(content);
  Listener listener;
  FileServerSettings s;
  s.file = file.fd.get();
  s.file_label = "'f'";
  s.header = "HEAD\n";
  std::vector<Record> records;
  FileServer* self = nullptr;
  FileServer server(s, recorder(records, self));
  self = &server;
  Running running(server, std::move(listener.fd));

  Fd client = connect_client(listener.address);
  std::string got = conduit::testutil::read_all(client.get());
  client.reset();
  ASSERT_EQ(running.join(), 0);

  EXPECT_EQ(got, "HEAD\n" + content);
  auto opened = of_kind(records, FileServerEvent::Kind::Opened);
  auto closed = of_kind(records, FileServerEvent::Kind::Closed);
  ASSERT_EQ(opened.size(), 1u);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(opened[0].peer, closed[0].peer);
  EXPECT_TRUE(closed[0].peer.starts_with("127.0.0.1:")) << closed[0].peer;
  EXPECT_EQ(closed[0].bytes, got.size());
  EXPECT_EQ(closed[0].reason, "done");
  std::uint64_t counted = 0;
  for (const Record& r : of_kind(records, FileServerEvent::Kind::Bytes)) counted += r.bytes;
  EXPECT_EQ(counted, got.size());
  auto stopping = of_kind(records, FileServerEvent::Kind::Stopping);
  ASSERT_EQ(stopping.size(), 1u);
  EXPECT_EQ(stopping[0].signal, 0);
  EXPECT_EQ(stopping[0].open, 0u);
  EXPECT_EQ(server.stats().total_bytes(), got.size());
  EXPECT_FALSE(server.file_changed());
}

// A mime.types that cannot be read is a Warning naming it (splice-net: "/etc/mime.types: Is a
// directory"); one that is not there is the built-in table, silently.
TEST(NetFileServer, UnreadableMimeTypesIsAWarningAndAMissingOneIsSilent) {
  TempFile file("x");
  struct Seen {
    FileServerEvent::Kind kind;
    std::string call;
    int error;
  };
  std::vector<Seen> seen;
  auto note = [&seen](const FileServerEvent& e) { seen.push_back({e.kind, std::string(e.call), e.error}); };
  FileServerSettings s;
  s.file = file.fd.get();
  s.http = true;
  s.mime_types = "/";  // a directory
  { FileServer server(s, note); }
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, FileServerEvent::Kind::Warning);
  EXPECT_EQ(seen[0].call, "/");
  EXPECT_EQ(seen[0].error, EISDIR);

  seen.clear();
  s.mime_types = "/nonexistent/mime.types";
  { FileServer server(s, note); }
  EXPECT_TRUE(seen.empty());
}

TEST(NetFileServer, NoZeroCopyGoesByPreadAndSend) {
  const std::string content = pattern(200 * 1024 + 3);
  TempFile file(content);
  Listener listener;
  FileServerSettings s;
  s.file = file.fd.get();
  s.zero_copy = false;
  std::vector<Record> records;
  FileServer* self = nullptr;
  FileServer server(s, recorder(records, self));
  self = &server;
  Running running(server, std::move(listener.fd));
  Fd client = connect_client(listener.address);
  EXPECT_EQ(conduit::testutil::read_all(client.get()), content);
  client.reset();
  ASSERT_EQ(running.join(), 0);
  EXPECT_EQ(server.stats().bytes_of(Path::Sendfile), 0u);
  EXPECT_EQ(server.stats().bytes_of(Path::ReadWrite), content.size());
}

TEST(NetFileServer, HttpRangeRequestGets206AndTheEventNamesIt) {
  const std::string content = pattern(4096);
  TempFile file(content);
  Listener listener;
  FileServerSettings s;
  s.file = file.fd.get();
  s.http = true;
  s.content_type = "text/plain";
  s.server_name = "test-server/1";
  std::vector<Record> records;
  FileServer* self = nullptr;
  FileServer server(s, recorder(records, self));
  self = &server;
  Running running(server, std::move(listener.fd));

  Fd client = connect_client(listener.address);
  send_all(client.get(), "GET /f HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\nConnection: close\r\n\r\n");
  std::string got = conduit::testutil::read_all(client.get());
  client.reset();
  ASSERT_EQ(running.join(), 0);

  EXPECT_TRUE(got.starts_with("HTTP/1.1 206")) << got;
  EXPECT_NE(got.find("Content-Range: bytes 10-19/4096\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Content-Type: text/plain\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("\r\nServer: test-server/1\r\n"), std::string::npos) << got;
  auto body = got.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_EQ(got.substr(body + 4), content.substr(10, 10));
  auto closed = of_kind(records, FileServerEvent::Kind::Closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].requests, 1u);
  EXPECT_EQ(closed[0].last_request, "GET /f 206");
  EXPECT_EQ(closed[0].bytes, got.size());
}

TEST(NetFileServer, IdleClientIsClosedWithTheReason) {
  TempFile file("x");
  Listener listener;
  FileServerSettings s;
  s.file = file.fd.get();
  s.http = true;  // waits for a request that never comes
  s.idle_timeout = std::chrono::milliseconds(100);
  std::vector<Record> records;
  FileServer* self = nullptr;
  FileServer server(s, recorder(records, self));
  self = &server;
  Running running(server, std::move(listener.fd));
  Fd client = connect_client(listener.address);
  EXPECT_EQ(conduit::testutil::read_all(client.get()), "");  // the server closes it
  ASSERT_EQ(running.join(), 0);
  auto closed = of_kind(records, FileServerEvent::Kind::Closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].reason, "idle for 0.1 s");
  EXPECT_EQ(closed[0].requests, 0u);
}

TEST(NetFileServer, SecondStopDropsWhatTheFirstLeftToFinish) {
  // A client that reads nothing holds its response open; the first stop finishes it (nothing
  // happens), the second drops it with the reason, and run() returns.
  const std::string content = pattern(16 << 20);
  TempFile file(content);
  Listener listener;
  FileServerSettings s;
  s.file = file.fd.get();
  std::vector<Record> records;
  FileServer* server_ptr = nullptr;
  FileServer server(s, [&](const FileServerEvent& e) {
    records.push_back(record(e));
    if (e.kind == FileServerEvent::Kind::Opened) {
      server_ptr->stop(15);
      server_ptr->stop(2);
    }
  });
  server_ptr = &server;
  // Connected (through the listen queue) before the server runs: its reset cannot race the
  // client's own connect.
  Fd client = connect_client(listener.address);
  ASSERT_TRUE(client.valid());
  Running running(server, std::move(listener.fd));
  ASSERT_EQ(running.join(), 0);
  auto stopping = of_kind(records, FileServerEvent::Kind::Stopping);
  auto dropping = of_kind(records, FileServerEvent::Kind::Dropping);
  ASSERT_EQ(stopping.size(), 1u);
  EXPECT_EQ(stopping[0].signal, 15);
  EXPECT_EQ(stopping[0].open, 1u);
  ASSERT_EQ(dropping.size(), 1u);
  EXPECT_EQ(dropping[0].signal, 2);
  auto closed = of_kind(records, FileServerEvent::Kind::Closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].reason, "dropped: server stopping");
  // Cut off mid-response: a reset, not a clean end of file that would pass for the whole file.
  EXPECT_EQ(drain(client.get()).error, ECONNRESET);
}

TEST(NetFileServer, StopFromAnEventInsideAResponseDropsTheClientAfterItsTurn) {
  // The header lets a handler call stop(). A Bytes event comes from inside the client's own
  // advance(): with drop_on_stop, the drop must wait until advance() has returned, or the
  // client is destroyed under itself (ASan: heap-use-after-free).
  const std::string content = pattern(16 << 20);
  TempFile file(content);
  Listener listener;
  FileServerSettings s;
  s.file = file.fd.get();
  s.drop_on_stop = true;
  std::vector<Record> records;
  FileServer* server_ptr = nullptr;
  FileServer server(s, [&](const FileServerEvent& e) {
    records.push_back(record(e));
    if (e.kind == FileServerEvent::Kind::Bytes && of_kind(records, FileServerEvent::Kind::Bytes).size() == 1)
      server_ptr->stop(15);
  });
  server_ptr = &server;
  Fd client = connect_client(listener.address);
  ASSERT_TRUE(client.valid());
  Running running(server, std::move(listener.fd));
  ASSERT_EQ(running.join(), 0);
  auto closed = of_kind(records, FileServerEvent::Kind::Closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].reason, "dropped: server stopping");
  auto got = drain(client.get());
  EXPECT_LT(got.bytes, content.size());
  EXPECT_EQ(got.error, ECONNRESET);
}

TEST(NetFileServer, ARequestEventSaysWhetherTheWholeResponseWentOut) {
  // The process ignores SIGPIPE, as LIBRARY.md asks: sendfile to the client that hung up raises it.
  struct sigaction ignore {}, old {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old);
  const std::string content = pattern(32 << 20);
  TempFile file(content);
  Listener listener;
  FileServerSettings s;
  s.file = file.fd.get();
  s.http = true;
  std::vector<Record> records;
  FileServer* self = nullptr;
  FileServer server(s, recorder(records, self, 7));
  self = &server;
  Running running(server, std::move(listener.fd));

  auto ask = [&](const std::string& head) {
    Fd client = connect_client(listener.address);
    send_all(client.get(), head);
    return conduit::testutil::read_all(client.get());
  };
  std::string whole = ask("GET /f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(whole.starts_with("HTTP/1.1 200")) << whole.substr(0, 200);
  auto etag_at = whole.find("ETag: ");
  ASSERT_NE(etag_at, std::string::npos);
  std::string etag = whole.substr(etag_at + 6, whole.find("\r\n", etag_at) - etag_at - 6);
  ask("GET /f HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19,100-109\r\nConnection: close\r\n\r\n");
  ask("HEAD /f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ask("GET /f HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + etag + "\r\nConnection: close\r\n\r\n");
  ask("GET /f HTTP/1.1\r\nConnection: close\r\n\r\n");  // no Host: 400 and its page
  ask("GET /f HTTP/1.1\r\nHost: x\r\nRange: bytes=900000000-\r\nConnection: close\r\n\r\n");
  // A client that reads the head and a little of the body, then hangs up: the rest of its
  // receive queue unread, its close is a reset, and the server's next send fails.
  {
    Fd client = connect_client(listener.address, 4096);
    send_all(client.get(), "GET /f HTTP/1.1\r\nHost: x\r\n\r\n");
    char buf[1000];
    ASSERT_GT(::read(client.get(), buf, sizeof buf), 0);
  }
  ASSERT_EQ(running.join(), 0);
  ::sigaction(SIGPIPE, &old, nullptr);

  auto requests = of_kind(records, FileServerEvent::Kind::Request);
  ASSERT_EQ(requests.size(), 7u);
  struct Want {
    int status;
    bool complete;
  };
  const Want want[] = {{200, true}, {206, true}, {200, true}, {304, true},
                       {400, true}, {416, true}, {200, false}};
  for (std::size_t i = 0; i < requests.size(); ++i) {
    SCOPED_TRACE(requests[i].request_line);
    EXPECT_EQ(requests[i].status, want[i].status);
    EXPECT_EQ(requests[i].complete, want[i].complete);
  }
  EXPECT_EQ(requests[0].bytes, content.size());
  EXPECT_EQ(requests[2].bytes, 0u);  // HEAD: the head alone, whole
  // The cut one: the status that was sent, and the body bytes that went out, fewer than the file.
  EXPECT_GT(requests[6].bytes, 0u);
  EXPECT_LT(requests[6].bytes, content.size());
}
