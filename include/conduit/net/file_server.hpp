// net/file_server: a single-threaded epoll server that gives every client one regular file
// (optionally after a constant header), or serves it over HTTP/1.1 (GET/HEAD, ranges, keep-alive).
// The per-client work is in net/serve_client, the listener's (connection limit, EMFILE back-off)
// in net/acceptor, the loop, signals and stop in net/server_loop; this engine owns the clock:
//  - every client that makes no progress for `idle_timeout` is closed; lingering closes are
//    bounded by `linger_limit`; HTTP: a request head not complete within `head_timeout` (from
//    the connection's start, or a later request's first byte) gets 408 and the connection closes,
//    however steadily its bytes trickle in;
//  - stop() (or a signal read from the signal fd given to run()): stop accepting, then finish or
//    drop what is in flight (`drop_on_stop`); a second stop drops it. A client cut off in the
//    middle of a response (drop, idle timeout) gets a reset, never a clean end of file.
// With `follow`, the file is followed as it grows (net/followed_file): a
// response for the whole file sends what is appended until following ends (FollowEnded).
// It never prints: everything worth reporting arrives as a FileServerEvent.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conduit/fd.hpp"
#include "conduit/net/address.hpp"
#include "conduit/net/event_loop.hpp"
#include "conduit/net/followed_file.hpp"
#include "conduit/net/http_resources.hpp"
#include "conduit/net/serve_client.hpp"
#include "conduit/net/server_loop.hpp"
#include "conduit/stats.hpp"

namespace conduit::net {

struct FileServerSettings {
  int file = -1;                    // a regular file, borrowed: sent from any offset, never moved
  std::string file_label;           // how reasons name it (already quoted if it needs to be)
  std::string header;               // plain mode: sent to every client before the file
  bool http = false;                // HTTP/1.1 instead of the plain header + file
  // HTTP: what request targets name (net/http_resources: a directory tree, or files by name);
  // none: `file` answers every target.
  std::optional<http::Resources> resources;
  std::string content_type;         // HTTP: overrides the type by extension when not empty
  std::string mime_types = "/etc/mime.types";  // HTTP: types by extension (built-in ones
                                               // without it; unreadable: a Warning)
  std::string disposition;          // HTTP: "attachment" or "inline" sends Content-Disposition
  std::string server_name;          // HTTP "Server:" header ("splice-net"); none when empty
  bool zero_copy = true;            // sendfile(2); false: pread + send
  std::size_t max_clients = 1000;   // connections at once; more wait in the listen queue
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds head_timeout{10000};  // HTTP: the whole request head
  std::chrono::milliseconds linger_limit{2000};
  bool drop_on_stop = false;        // the first stop drops the connections instead of finishing them
  Address address;                  // what the listener is bound to: a Unix socket's file goes on stop
  // TLS on every connection (borrowed; outlives run()). The handshake counts as activity for
  // idle_timeout. OpenSSL writes with write(2): the process must ignore SIGPIPE.
  const tls::Context* tls = nullptr;
  bool follow = false;              // send what is appended to `file` (net/followed_file.hpp)
  std::string follow_path;          // its name, to see it deleted or replaced
  std::chrono::milliseconds follow_idle{10000};  // writers gone and no growth for this long: the end
};

struct FileServerEvent {
  enum class Kind {
    Opened,        // a connection was accepted: peer
    Bytes,         // bytes were sent to some client (heads included): bytes
    Request,       // HTTP: a response ended: peer, request_line, status, bytes (body), seconds,
                   // complete
    Closed,        // a connection ended: the fields below
    AcceptPaused,  // accept() failed for want of descriptors: error, open
    Stopping,      // the first stop: signal (0 for stop()), open, drop
    Dropping,      // a second stop drops everything: signal, open
    Warning,       // a call failed, the server goes on: call, error
    Failed,        // a call failed, the server ends: call, error
    FollowEnded,   // --follow: the file is no longer followed: follow_end, error, writers_checked
  };
  Kind kind;
  std::string_view peer{};          // Opened, Closed, Request
  std::string_view request_line{};  // Request: as received ("" when none arrived whole)
  int status = 0;                   // Request: the response's status
  // Request: the whole response went out, head and body as the head announced them (a whole
  // file, a range, a HEAD's or a 304's head alone, an error page). false: it was cut short (the
  // client hung up mid-body, an idle timeout, a dropping stop, the file shrank); `status` is
  // still the one sent and `bytes` what went out, as nginx logs such a response (its
  // $request_completion is "OK" only for the former). Sent means handed to the kernel: it says
  // nothing of what the client read.
  bool complete = false;
  std::uint64_t bytes = 0;        // Bytes: just sent; Closed: sent on the connection
  unsigned requests = 0;          // Closed (HTTP): requests answered
  std::string_view last_request{};  // Closed (HTTP): "GET /x 206", "malformed request, 400"
  double seconds = 0;             // Closed: the connection's lifetime
  std::string_view reason{};        // Closed: how it ended ("done", "closed by peer", "idle for 60 s" ...)
  std::string_view note{};          // Closed: a warning ("FILE changed size while being sent ...")
  bool noteworthy = false;        // Closed: worth reporting even when connections are not logged
  int error = 0;                  // AcceptPaused, Warning, Failed: positive errno
  std::string_view call{};          // Warning, Failed: "epoll", "epoll_wait", "epoll_ctl"; or
                                    // the mime_types file that cannot be read (Warning, from
                                    // the constructor)
  std::size_t open = 0;           // AcceptPaused, Stopping, Dropping: connections held
  int signal = 0;                 // Stopping, Dropping
  bool drop = false;              // Stopping: the connections are dropped, not finished
  FollowedFile::End follow_end = FollowedFile::End::None;  // FollowEnded: why
  bool writers_checked = false;   // FollowEnded, End::Idle: no writer was seen (else: unknown)
};

class FileServer : private ServerLoop::Engine {
 public:
  using Clock = std::chrono::steady_clock;
  // Called on the server's thread, inside run() (a Warning that the mime_types file cannot be
  // read: inside the constructor); may call stop() (not from the constructor). The event's
  // string_views point into the engine: valid only during the call. The process must ignore
  // SIGPIPE: splice and sendfile to a socket the peer closed raise it (docs/LIBRARY.md).
  using OnEvent = std::function<void(const FileServerEvent&)>;

  FileServer(FileServerSettings settings, OnEvent on_event);
  ~FileServer();
  FileServer(const FileServer&) = delete;
  FileServer& operator=(const FileServer&) = delete;

  // Serves on `listener` (a listening socket, non-blocking) until stopped and every connection
  // has ended. `signals` (optional): a signalfd whose every signal counts as a stop().
  // 0, or -errno when the loop itself failed (reported as a Failed event first).
  int run(Fd listener, Fd signals = {});
  // Stops accepting; finishes (or drops, per drop_on_stop) what is in flight. A second call
  // drops everything. `signal` is only reported. Only from the thread running run()
  // (from another thread: request_stop()).
  void stop(int signal = 0);
  // stop() from any thread or a signal handler (async-signal-safe), before or during run():
  // the first request is a first stop, a second drops. Reported with signal 0.
  void request_stop() noexcept { server_loop_.request_stop(); }

  const Stats& stats() const noexcept { return ctx_.stats; }
  // A response found the file changed in size (shrunk mid-body, or different at the end).
  bool file_changed() const noexcept { return ctx_.file_changed; }

 private:
  // ServerLoop::Engine
  void accept(Fd fd, std::string peer, Clock::time_point now) override;
  std::size_t open_count() const override { return clients_.size(); }
  void tick(Clock::time_point now) override;
  void drop_all() override;
  void report(const ServerLoopEvent& event) override { emit(as_server_event<FileServerEvent>(event)); }
  int start() override;
  void stopping() override;

  void on_file_change();
  void on_client(int fd);
  void close_client(int fd, const std::string* why = nullptr);
  void sweep(Clock::time_point now);
  void emit(const FileServerEvent& event) { if (on_event_) on_event_(event); }

  FileServerSettings settings_;
  OnEvent on_event_;
  http::MimeTypes mime_;
  ServeContext ctx_;
  EventLoop loop_;
  ServerLoop server_loop_;
  std::unordered_map<int, std::unique_ptr<ServeClient>> clients_;
  std::vector<int> doomed_;
  std::unique_ptr<FollowedFile> followed_;  // after loop_: leaves it before it closes
  bool follow_reported_ = false;
  std::vector<int> overdue_;
};

}  // namespace conduit::net
