// net/fanout_server, driven directly: a stream written into a pipe by a thread here, the server
// on 127.0.0.1:0 in another, client sockets here, and the event callback's record.
#include "conduit/net/fanout_server.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "conduit/net/socket.hpp"
#include "conduit/pipe.hpp"
#include "net_server_util.hpp"
#include "test_util.hpp"

using namespace conduit;
using namespace conduit::net;
using testutil::connect_client;
using testutil::Listener;
using testutil::of_kind;
using Running = testutil::Running<FanoutServer>;

namespace {

using Kind = FanoutServerEvent::Kind;

// What the callback saw, copied (the event's views die with the call).
struct Record {
  Kind kind;
  std::string peer{}, reason{}, call{};
  std::uint64_t bytes = 0;
  bool slow_drop = false;
  std::size_t open = 0;
  int signal = 0;
};

// The stream: `content` written into a pipe by a thread, then the write end closed. `paced`: a
// live stream, 64 KiB every 4 ms (16 MiB/s), that a reading client keeps up with.
struct Source {
  Pipe pipe;
  std::thread writer;
  explicit Source(const std::string& content, bool paced = false) {
    EXPECT_EQ(pipe.open(), 0);
    writer = std::thread([this, content, paced] {
      std::size_t done = 0;
      while (done < content.size()) {
        std::size_t len = content.size() - done;
        if (paced) {
          len = std::min<std::size_t>(len, 65536);
          std::this_thread::sleep_for(std::chrono::milliseconds(4));
        }
        ssize_t n = ::write(pipe.write_fd(), content.data() + done, len);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
      }
      pipe.write_end().reset();
    });
  }
  ~Source() {
    if (writer.joinable()) writer.join();
  }
  FanoutServerSettings settings() {
    FanoutServerSettings s;
    s.input = pipe.read_fd();
    EXPECT_EQ(classify(s.input, s.input_info), 0);
    s.pipe_size = 64 * 1024;
    return s;
  }
};

FanoutServer::OnEvent recorder(std::vector<Record>& records) {
  return [&records](const FanoutServerEvent& e) {
    records.push_back(Record{e.kind, std::string(e.peer), std::string(e.reason), std::string(e.call), e.bytes,
                             e.slow_drop, e.open, e.signal});
  };
}

// Reads every client to its end at once (each in its own thread).
std::vector<std::string> read_clients(std::vector<Fd>& clients) {
  std::vector<std::string> got(clients.size());
  std::vector<std::thread> readers;
  for (std::size_t i = 0; i < clients.size(); ++i)
    readers.emplace_back([&, i] { got[i] = testutil::read_all(clients[i].get()); });
  for (auto& t : readers) t.join();
  return got;
}

void every_client_gets_the_stream(bool zero_copy) {
  const std::string content = testutil::random_bytes(3 << 20);
  Source source(content);
  Listener listener;
  FanoutServerSettings s = source.settings();
  s.zero_copy = zero_copy;
  s.min_clients = 3;  // nothing is read before all three are there: each gets the whole stream
  s.slow = FanoutServerSettings::Slow::Block;
  std::vector<Record> records;
  FanoutServer server(s, recorder(records));
  std::vector<Fd> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(connect_client(listener.address));
  Running running(server, std::move(listener.fd));
  std::vector<std::string> got = read_clients(clients);
  clients.clear();
  ASSERT_EQ(running.join(), 0);

  for (const std::string& g : got) EXPECT_TRUE(g == content) << g.size() << " bytes, not " << content.size();
  EXPECT_EQ(server.consumed(), content.size());
  EXPECT_EQ(server.served(), 3u);
  EXPECT_EQ(server.dropped(), 0u);
  EXPECT_EQ(server.input_error(), 0);
  EXPECT_EQ(of_kind(records, Kind::Opened).size(), 3u);
  auto closed = of_kind(records, Kind::Closed);
  ASSERT_EQ(closed.size(), 3u);
  for (const Record& c : closed) {
    EXPECT_EQ(c.reason, "done");
    EXPECT_EQ(c.bytes, content.size());
    EXPECT_FALSE(c.slow_drop);
    EXPECT_TRUE(c.peer.starts_with("127.0.0.1:")) << c.peer;
  }
  std::uint64_t input = 0;
  for (const Record& r : of_kind(records, Kind::Input)) input += r.bytes;
  EXPECT_EQ(input, content.size());
  if (zero_copy) {
    EXPECT_EQ(server.stats().bytes_of(Path::Tee), 3 * content.size());
    EXPECT_EQ(server.stats().bytes_of(Path::ReadWrite), 0u);
  } else {
    EXPECT_EQ(server.stats().bytes_of(Path::Tee), 0u);
    EXPECT_EQ(server.stats().bytes_of(Path::ReadWrite), 3 * content.size());
  }
}

}  // namespace

TEST(NetFanoutServer, EveryClientGetsTheWholeStreamByTee) { every_client_gets_the_stream(true); }

TEST(NetFanoutServer, EveryClientGetsTheWholeStreamByReadWrite) { every_client_gets_the_stream(false); }

TEST(NetFanoutServer, SlowDropDisconnectsAStalledClientWithAResetAndTheOtherFinishes) {
  const std::string content = testutil::random_bytes(8 << 20);
  Source source(content, true);
  Listener listener;
  FanoutServerSettings s = source.settings();
  s.pipe_size = 1 << 20;  // a reader that lags for a moment is not "slow"
  s.min_clients = 2;
  std::vector<Record> records;
  FanoutServer server(s, recorder(records));
  std::vector<Fd> reader;
  reader.push_back(connect_client(listener.address));
  Fd stalled = connect_client(listener.address, 4096);
  Running running(server, std::move(listener.fd));
  std::vector<std::string> got = read_clients(reader);
  reader.clear();
  ASSERT_EQ(running.join(), 0);

  EXPECT_TRUE(got[0] == content) << got[0].size() << " bytes, not " << content.size();
  EXPECT_EQ(server.dropped(), 1u);
  auto closed = of_kind(records, Kind::Closed);
  ASSERT_EQ(closed.size(), 2u);
  int drops = 0;
  for (const Record& c : closed) {
    if (!c.slow_drop) {
      EXPECT_EQ(c.reason, "done");
      continue;
    }
    ++drops;
    EXPECT_TRUE(c.reason.starts_with("dropped: ") && c.reason.ends_with(" bytes behind")) << c.reason;
    EXPECT_LT(c.bytes, content.size());
  }
  EXPECT_EQ(drops, 1);
  // Cut off mid-stream: the stalled client sees a reset once it reads what it was given.
  EXPECT_EQ(testutil::drain(stalled.get()).error, ECONNRESET);
}

TEST(NetFanoutServer, StopEndsTheStreamAndASecondStopDropsTheClients) {
  // The writer never ends the stream; a client that reads nothing holds it. stop() ends the
  // stream (the client still holds bytes), the second stop drops it, and run() returns.
  Pipe input;
  ASSERT_EQ(input.open(), 0);
  const std::string chunk = testutil::random_bytes(4096);
  ASSERT_EQ(::write(input.write_fd(), chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
  Listener listener;
  FanoutServerSettings s;
  s.input = input.read_fd();
  ASSERT_EQ(classify(s.input, s.input_info), 0);
  s.min_clients = 1;
  std::vector<Record> records;
  FanoutServer* self = nullptr;
  FanoutServer server(s, [&](const FanoutServerEvent& e) {
    recorder(records)(e);
    if (e.kind == Kind::Input) {
      self->stop(15);
      self->stop(2);
    }
  });
  self = &server;
  Fd client = connect_client(listener.address, 4096);
  Running running(server, std::move(listener.fd));
  ASSERT_EQ(running.join(), 0);
  auto stopping = of_kind(records, Kind::Stopping);
  auto dropping = of_kind(records, Kind::Dropping);
  ASSERT_EQ(stopping.size(), 1u);
  EXPECT_EQ(stopping[0].signal, 15);
  EXPECT_EQ(stopping[0].open, 1u);
  ASSERT_EQ(dropping.size(), 1u);
  EXPECT_EQ(dropping[0].signal, 2);
  auto closed = of_kind(records, Kind::Closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].reason, "dropped: stopping");
  EXPECT_FALSE(closed[0].slow_drop);
}

TEST(NetFanoutServer, AnInputErrorIsReportedAndEndsTheStream) {
  // A directory as the input: splice refuses it on the first call (the read/write path takes
  // over) and read() fails with EISDIR, a real error.
  for (bool zero_copy : {true, false}) {
    Fd in(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(in.valid());
    Listener listener;
    FanoutServerSettings s;
    s.input = in.get();
    ASSERT_EQ(classify(s.input, s.input_info), 0);
    s.zero_copy = zero_copy;
    std::vector<Record> records;
    FanoutServer server(s, recorder(records));
    Running running(server, std::move(listener.fd));
    ASSERT_EQ(running.join(), 0);
    EXPECT_EQ(server.consumed(), 0u);
    EXPECT_EQ(server.input_error(), EISDIR);
    auto failed = of_kind(records, Kind::InputFailed);
    ASSERT_EQ(failed.size(), 1u);
  }
}

TEST(NetFanoutServer, HttpClientsGetAHeadThenTheStreamAndHeadDoesNotJoin) {
  const std::string content = testutil::random_bytes(1 << 20);
  Source source(content);
  Listener listener;
  FanoutServerSettings s = source.settings();
  s.http = true;
  s.content_type = "video/mp2t";
  s.slow = FanoutServerSettings::Slow::Block;  // this thread reads it after the HEAD client
  s.min_clients = 1;  // counts the clients in the stream: HEAD is not one
  std::vector<Record> records;
  FanoutServer server(s, recorder(records));
  Running running(server, std::move(listener.fd));

  Fd head = connect_client(listener.address);
  const std::string head_request = "HEAD /live.ts HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(head.get(), head_request.data(), head_request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(head_request.size()));
  std::string head_answer = testutil::read_all(head.get());
  head.reset();
  Fd get = connect_client(listener.address);
  const std::string request = "GET /live.ts HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(get.get(), request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  std::string got = testutil::read_all(get.get());
  get.reset();
  ASSERT_EQ(running.join(), 0);

  EXPECT_TRUE(head_answer.starts_with("HTTP/1.1 200 OK\r\n")) << head_answer;
  EXPECT_TRUE(head_answer.ends_with("\r\n\r\n")) << head_answer;
  auto split = got.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  EXPECT_EQ(got.substr(0, split + 4), head_answer);  // the same head, then the whole stream
  EXPECT_TRUE(got.substr(split + 4) == content) << got.size() - split - 4 << " bytes of body";
  auto closed = of_kind(records, Kind::Closed);
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].bytes, head_answer.size());
  EXPECT_EQ(closed[1].bytes, got.size());
  EXPECT_EQ(closed[0].reason, "done");
  EXPECT_EQ(closed[1].reason, "done");
  EXPECT_EQ(server.consumed(), content.size());
}
