// serve --follow, driven through the library: net::FileServer with `follow` (net/followed_file,
// net/serve_follow.cpp) sends a growing file to plain and HTTP clients, live, and ends following
// for the reasons followed_file.hpp lists; file_watch's writer probe on its own.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "conduit/file_watch.hpp"
#include "conduit/net/file_server.hpp"
#include "conduit/net/socket.hpp"
#include "net_server_util.hpp"
#include "test_util.hpp"

using namespace conduit;
using namespace conduit::net;
using namespace std::chrono_literals;
using conduit::testutil::TempFile;
using conduit::testutil::connect_client;
using conduit::testutil::Listener;

namespace {

// Reads exactly n bytes (or what comes before the end).
std::string read_n(int fd, std::size_t n) {
  std::string out;
  char buf[65536];
  while (out.size() < n) {
    ssize_t got = ::read(fd, buf, std::min(sizeof buf, n - out.size()));
    if (got <= 0) break;
    out.append(buf, static_cast<std::size_t>(got));
  }
  return out;
}

// Whether the socket stays without data and without end of file for `ms`.
bool quiet_for(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 0;
}

// Decodes a chunked body; false if it is malformed or has no last chunk.
bool dechunk(std::string_view body, std::string& out) {
  for (;;) {
    auto crlf = body.find("\r\n");
    if (crlf == std::string_view::npos) return false;
    std::size_t n = std::stoul(std::string(body.substr(0, crlf)), nullptr, 16);
    body.remove_prefix(crlf + 2);
    if (n == 0) return body == "\r\n";
    if (body.size() < n + 2 || body.substr(n, 2) != "\r\n") return false;
    out.append(body.substr(0, n));
    body.remove_prefix(n + 2);
  }
}

struct Record {
  FileServerEvent::Kind kind;
  std::string reason;
  FollowedFile::End follow_end = FollowedFile::End::None;
  bool writers_checked = false;
};

// A following server on its own thread; it stops after `stop_after` closed connections.
struct Server {
  TempFile file;
  Fd fd;
  Listener listener;
  FileServerSettings settings;
  std::mutex lock;
  std::vector<Record> records;
  std::unique_ptr<FileServer> server;
  std::thread thread;
  int rc = 1;

  explicit Server(const std::string& content) : file(content), fd(file.open(O_RDONLY)) {
    settings.file = fd.get();
    settings.file_label = "'rec'";
    settings.follow = true;
    settings.follow_path = file.path();
    settings.follow_idle = 200ms;
  }
  void start(Fd signals = {}) {
    server = std::make_unique<FileServer>(settings, [this](const FileServerEvent& e) {
      {
        std::lock_guard<std::mutex> g(lock);
        records.push_back({e.kind, std::string(e.reason), e.follow_end, e.writers_checked});
      }
      if (e.kind == FileServerEvent::Kind::Closed) server->stop();
    });
    thread = std::thread([this, l = std::move(listener.fd), sig = std::move(signals)]() mutable {
      rc = server->run(std::move(l), std::move(sig));
    });
  }
  int join() {
    if (thread.joinable()) thread.join();
    return rc;
  }
  ~Server() { join(); }
  std::vector<Record> of_kind(FileServerEvent::Kind kind) {
    std::lock_guard<std::mutex> g(lock);
    std::vector<Record> out;
    for (const Record& r : records)
      if (r.kind == kind) out.push_back(r);
    return out;
  }
  Fd writer() const { return file.open(O_WRONLY | O_APPEND); }
};

void write_all(int fd, const std::string& s) {
  ASSERT_EQ(::write(fd, s.data(), s.size()), static_cast<ssize_t>(s.size()));
}

// The answer to one GET with `range` from `s` serving and following its file over HTTP, its
// writer open all along (following ends by the server's stop() after the one connection).
std::string get_with_range(Server& s, const std::string& range) {
  s.settings.http = true;
  s.settings.follow_idle = 3600s;
  Fd w = s.writer();
  s.start();
  Fd client = connect_client(s.listener.address);
  testutil::send_all(client.get(), "GET / HTTP/1.1\r\nHost: x\r\nRange: " + range + "\r\nConnection: close\r\n\r\n");
  std::string got = testutil::read_all(client.get());
  client.reset();
  EXPECT_EQ(s.join(), 0);
  return got;
}

}  // namespace

TEST(NetFollow, WriterProbeSeesAnOpenWriter) {
  TempFile file("x");
  Fd reader = file.open(O_RDONLY);
  EXPECT_EQ(file_writers(reader.get()), Writers::None);
  Fd writer = file.open(O_WRONLY);
  EXPECT_EQ(file_writers(reader.get()), Writers::Some);
  writer.reset();
  EXPECT_EQ(file_writers(reader.get()), Writers::None);
}

TEST(NetFollow, PlainClientGetsTheFileThenEveryAppendUntilTheWriterClosesAndIdles) {
  std::string content = testutil::random_bytes(100000, 1);
  Server s(content);
  Fd w = s.writer();
  s.start();
  Fd client = connect_client(s.listener.address);
  EXPECT_EQ(read_n(client.get(), content.size()), content);
  for (int i = 0; i < 20; ++i) {  // odd sizes, each read back before the next
    std::string more = testutil::random_bytes(1 + i * 977, static_cast<unsigned>(i + 2));
    write_all(w.get(), more);
    content += more;
    EXPECT_EQ(read_n(client.get(), more.size()), more);
  }
  // Longer than --idle without growth, but a writer has the file open: still followed.
  EXPECT_TRUE(quiet_for(client.get(), 700));
  w.reset();
  EXPECT_EQ(testutil::read_all(client.get()), "");  // the end, once the idle time has passed
  client.reset();
  ASSERT_EQ(s.join(), 0);
  auto ended = s.of_kind(FileServerEvent::Kind::FollowEnded);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].follow_end, FollowedFile::End::Idle);
  EXPECT_TRUE(ended[0].writers_checked);
  auto closed = s.of_kind(FileServerEvent::Kind::Closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].reason, "done");
  EXPECT_FALSE(s.server->file_changed());
}

TEST(NetFollow, HttpClientGetsChunksAndTheLastChunkWhenTheFileIsDeleted) {
  std::string content = "first part|";
  Server s(content);
  s.settings.http = true;
  s.settings.follow_idle = 3600s;  // only the deletion ends it
  Fd w = s.writer();
  s.start();
  Fd client = connect_client(s.listener.address);
  std::string req = "GET /rec HTTP/1.1\r\nHost: x\r\nRange: bytes=0-\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(client.get(), req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string got;
  char buf[4096];
  while (got.find(content) == std::string::npos) {  // the first chunk: what existed
    ssize_t n = ::read(client.get(), buf, sizeof buf);
    ASSERT_GT(n, 0);
    got.append(buf, static_cast<std::size_t>(n));
  }
  write_all(w.get(), "second part");
  content += "second part";
  ASSERT_EQ(::unlink(s.file.path().c_str()), 0);
  got += testutil::read_all(client.get());
  client.reset();
  ASSERT_EQ(s.join(), 0);
  auto body = got.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  std::string head = got.substr(0, body + 2);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_NE(head.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  std::string decoded;
  EXPECT_TRUE(dechunk(std::string_view(got).substr(body + 4), decoded)) << got;
  EXPECT_EQ(decoded, content);
  auto ended = s.of_kind(FileServerEvent::Kind::FollowEnded);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].follow_end, FollowedFile::End::Deleted);
}

TEST(NetFollow, Http10ClientGetsNoLengthAndTheEndOfTheConnection) {
  Server s("old");
  s.settings.http = true;
  s.start();
  Fd client = connect_client(s.listener.address);
  std::string req = "GET / HTTP/1.0\r\n\r\n";
  ASSERT_EQ(::send(client.get(), req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string got = testutil::read_all(client.get());  // ends after the idle time: no writer
  client.reset();
  ASSERT_EQ(s.join(), 0);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_EQ(got.find("Content-Length"), std::string::npos) << got;
  EXPECT_EQ(got.find("chunked"), std::string::npos) << got;
  EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos) << got;
  EXPECT_TRUE(got.ends_with("\r\n\r\nold")) << got;
}

TEST(NetFollow, RangeOfBytesThatExistIsAnsweredWithItsLength) {
  Server s("0123456789");
  std::string got = get_with_range(s, "bytes=2-");
  EXPECT_TRUE(got.starts_with("HTTP/1.1 206")) << got;
  EXPECT_NE(got.find("Content-Range: bytes 2-9/10\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Content-Length: 8\r\n"), std::string::npos) << got;
  EXPECT_TRUE(got.ends_with("\r\n\r\n23456789")) << got;
  EXPECT_EQ(s.of_kind(FileServerEvent::Kind::FollowEnded).size(), 1u);  // stop() ended it
}

TEST(NetFollow, MalformedRangeIsAnsweredAsWithoutFollow) {
  // The Range rules are the file server's (net/http_ranges): "bytes=5-2" is unsatisfiable
  // (416), as it is without --follow, not a request to follow from the start.
  Server s("0123456789");
  std::string got = get_with_range(s, "bytes=5-2");
  EXPECT_TRUE(got.starts_with("HTTP/1.1 416")) << got;
  EXPECT_NE(got.find("Content-Range: bytes */10\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.find("chunked"), std::string::npos) << got;
}

TEST(NetFollow, ReplacedFileEndsFollowingWithWhatTheOldFileHad) {
  Server s("old recording");
  s.settings.follow_idle = 3600s;
  s.start();
  Fd client = connect_client(s.listener.address);
  EXPECT_EQ(read_n(client.get(), 13), "old recording");
  TempFile other("new one");
  ASSERT_EQ(::rename(other.path().c_str(), s.file.path().c_str()), 0);
  EXPECT_EQ(testutil::read_all(client.get()), "");
  client.reset();
  ASSERT_EQ(s.join(), 0);
  auto ended = s.of_kind(FileServerEvent::Kind::FollowEnded);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].follow_end, FollowedFile::End::Replaced);
}

TEST(NetFollow, TruncatedFileCutsTheFollowingClientsOff) {
  Server s(std::string(5000, 'a'));
  s.settings.follow_idle = 3600s;
  s.start();
  Fd client = connect_client(s.listener.address);
  EXPECT_EQ(read_n(client.get(), 5000).size(), 5000u);
  ASSERT_EQ(::truncate(s.file.path().c_str(), 10), 0);
  char c;
  EXPECT_EQ(::read(client.get(), &c, 1), -1);  // a reset, not a clean end of file
  EXPECT_EQ(errno, ECONNRESET);
  client.reset();
  ASSERT_EQ(s.join(), 0);
  auto ended = s.of_kind(FileServerEvent::Kind::FollowEnded);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].follow_end, FollowedFile::End::Truncated);
  auto closed = s.of_kind(FileServerEvent::Kind::Closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_NE(closed[0].reason.find("truncated while being followed"), std::string::npos) << closed[0].reason;
}

TEST(NetFollow, WaitingClientIsNotClosedAsIdle) {
  Server s("a");
  s.settings.follow_idle = 3600s;
  s.settings.idle_timeout = 100ms;  // the client's own idleness: it is waiting for the file
  Fd w = s.writer();
  s.start();
  Fd client = connect_client(s.listener.address);
  EXPECT_EQ(read_n(client.get(), 1), "a");
  EXPECT_TRUE(quiet_for(client.get(), 600));
  write_all(w.get(), "b");
  EXPECT_EQ(read_n(client.get(), 1), "b");
  ASSERT_EQ(::unlink(s.file.path().c_str()), 0);
  EXPECT_EQ(testutil::read_all(client.get()), "");
  client.reset();
  ASSERT_EQ(s.join(), 0);
}

TEST(NetFollow, StopEndsFollowingWithWhatExistsAndTheLastChunk) {
  // The stop comes as a signal through a signalfd (stop() belongs to the server's thread).
  sigset_t usr1, old;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &usr1, &old), 0);  // the server thread inherits it
  Fd signals(::signalfd(-1, &usr1, SFD_NONBLOCK | SFD_CLOEXEC));
  ASSERT_TRUE(signals.valid());
  Server s("so far");
  s.settings.http = true;
  s.settings.follow_idle = 3600s;
  Fd w = s.writer();
  s.start(std::move(signals));
  Fd client = connect_client(s.listener.address);
  std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(client.get(), req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string got;
  char buf[4096];
  while (got.find("so far") == std::string::npos) {
    ssize_t n = ::read(client.get(), buf, sizeof buf);
    ASSERT_GT(n, 0);
    got.append(buf, static_cast<std::size_t>(n));
  }
  ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
  got += testutil::read_all(client.get());  // the last chunk, then the close (server stopping)
  client.reset();
  ASSERT_EQ(s.join(), 0);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  auto body = got.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  std::string decoded;
  EXPECT_TRUE(dechunk(std::string_view(got).substr(body + 4), decoded)) << got;
  EXPECT_EQ(decoded, "so far");
  auto ended = s.of_kind(FileServerEvent::Kind::FollowEnded);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].follow_end, FollowedFile::End::Stopped);
}
