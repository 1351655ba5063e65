// net/serve_client: one client of the file server (net/file_server.hpp), as a non-blocking state
// machine. The file server owns and drives these; other programs use FileServer.
//
//   ReadRequest (--http only) -> SendHead -> SendBody -> (keep-alive: ReadRequest)
//                                                     -> Linger -> closed
// The head goes out by send(MSG_MORE) so it shares a segment with the first file bytes; the
// body by sendfile(2) from the file at this client's own offset (pread + send when sendfile is
// refused or --no-splice). HTTP: a body of 16 KiB or less is read into the head's buffer and
// goes out with it in one send (serve_client_inline.cpp). Each call to advance() works until the socket would block, the
// connection ends, or the client has had its turn (4 MiB, or 8 requests: so one fast reader or
// a pipelining client cannot starve the rest).
// Linger: after our last byte we shut down writing and read until the peer closes, because
// closing with unread input would send a reset that can destroy the tail of the file in flight.
// A connection closed in the middle of a response (idle timeout, a dropping stop, a second stop,
// a file that shrank) is reset instead: in plain mode a clean end of file after part of the file
// would pass for the whole of it.
// HTTP: the head is read strictly (net/http_head.hpp); a malformed one gets its error status and
// a short HTML page (net/http_error_page.hpp), then the connection closes. A Content-Length body
// is read and thrown away before the next request (never parsed as one), and so is a chunked
// body, decoded to find its end (net/http_chunked.hpp; malformed: 400, or a close once answered).
// "Expect: 100-continue" gets a 100 before the response to an accepted request. Every response
// is reported once through ServeContext::on_request.
// --follow (ctx.follow set): a response for the whole file follows it as it grows (plain: raw
// bytes; HTTP/1.1: chunked; HTTP/1.0: until the close), waiting without a call while the file
// is not growing (the server wakes it); libcore/net/serve_follow.cpp.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "conduit/fd.hpp"
#include "conduit/net/http_chunked.hpp"
#include "conduit/net/http_responder.hpp"
#include "conduit/probe.hpp"
#include "conduit/net/tls.hpp"
#include "conduit/stats.hpp"

namespace conduit::net {

class FollowedFile;

using Clock = std::chrono::steady_clock;

// What every client shares: the file, the header, the settings, the counters.
// One answered HTTP request, for an access log (views valid during the call only).
struct RequestRecord {
  std::string_view peer;
  std::string_view request_line;   // as received ("" when none arrived whole)
  int status = 0;
  std::uint64_t body_bytes = 0;    // bytes of the response's body sent (heads not counted)
  double seconds = 0;              // from the head's first byte to the response's last
  bool complete = false;           // the whole response was sent (else it was cut short)
};

struct ServeContext {
  int file = -1;
  std::string file_name;            // quoted, for messages
  std::string header;               // plain mode: sent before the file
  bool http = false;
  std::string server_name;          // HTTP "Server:" header; none when empty
  const http::Resources* resources = nullptr;  // HTTP targets; none: `file` for every target
  http::ResponderOptions responder;  // HTTP: content type, MIME table, Server, disposition
  bool zero_copy = true;            // false: pread + send (asked for, or sendfile refused)
  PathProbe sendfile;               // once sendfile has worked, its errors are real errors
  bool stopping = false;            // the server stops: finish the current response, then close
  std::chrono::milliseconds linger_limit{2000};
  Stats stats;
  std::function<void(std::uint64_t)> on_bytes;  // bytes sent to some client, heads included
  std::function<void(const RequestRecord&)> on_request;  // a response ended (sent or cut short)
  std::vector<char> scratch = std::vector<char>(128 * 1024);
  bool file_changed = false;        // a file that changed size while served was seen
  const tls::Context* tls = nullptr;  // TLS on every connection (serve_client_tls.cpp)
  const FollowedFile* follow = nullptr;  // --follow: the file as it grows
};

class ServeClient {
 public:
  // Wait: for the socket (epoll says when); Again: turn over, call again soon; Close: done.
  // Continue is internal (the state changed: go on).
  enum class Step { Wait, Again, Close, Continue };
  enum class State { ReadRequest, SendHead, SendBody, Linger };

  ServeClient(Fd fd, std::string peer, ServeContext& context, Clock::time_point now);

  // Moves the connection on; on Close, ending() says why.
  Step advance(Clock::time_point now);

  int fd() const noexcept { return fd_.get(); }
  State state() const noexcept { return state_; }
  // A response is due or under way: closing now cuts it short, and must say so by a reset.
  bool mid_response() const noexcept { return state_ == State::SendHead || state_ == State::SendBody; }
  // Between requests with nothing buffered: a stopping server may close it at once.
  bool idle_between_requests() const noexcept { return state_ == State::ReadRequest && in_.empty(); }
  // Following the file, everything so far sent: only the file's growth (or end) moves it on.
  bool awaiting_growth() const noexcept { return awaiting_growth_; }
  Clock::time_point last_active() const noexcept { return last_active_; }
  // HTTP: a request head is under way (from the connection's start, or from a later request's
  // first byte) and has taken `limit` or more: slowloris, whom the idle timer never catches.
  bool head_overdue(Clock::time_point now, std::chrono::milliseconds limit) const noexcept {
    return state_ == State::ReadRequest && head_pending_ && now - head_started_ >= limit;
  }
  // Ends an overdue head: true when a 408 response is now due (part of a head arrived: advance()
  // sends it), false when nothing came and the connection should just close. `why` is its ending.
  bool expire_head(const std::string& why);
  // Reports the response under way, if any, through on_request: `complete` when its last byte
  // went out (a finished response reports itself so), not when the server cuts the connection
  // short (the server calls it then: the peer hung up, a timeout, a drop, the file shrank).
  void report_request(Clock::time_point now, bool complete = false);
  Clock::time_point linger_deadline() const noexcept { return linger_deadline_; }
  void set_ending(std::string why) { ending_ = std::move(why); }
  bool noteworthy() const noexcept { return !note_.empty() || ending_.find(" shrank ") != std::string::npos; }
  // What the connection's report says: who, how many requests (the last one as
  // "GET /x 206"), bytes sent (heads included), since when, how it ended, and a warning.
  const std::string& peer() const noexcept { return peer_; }
  unsigned requests() const noexcept { return requests_; }
  const std::string& last_request() const noexcept { return last_request_; }
  std::uint64_t sent() const noexcept { return sent_; }
  Clock::time_point started() const noexcept { return started_; }
  const std::string& ending() const noexcept { return ending_; }
  const std::string& note() const noexcept { return note_; }

 private:
  Step start_response(Clock::time_point now);
  Step read_request(Clock::time_point now);
  Step send_head(Clock::time_point now);
  Step send_body(Clock::time_point now, std::uint64_t& budget);
  Step finish_response(Clock::time_point now);
  Step close_after_response(Clock::time_point now);
  bool skip_chunked(std::string_view data, std::size_t& used, Clock::time_point now);
  Step linger(Clock::time_point now);
  Step fail(int err);
  void respond_error(int status);
  void begin_log(std::string_view request_line, Clock::time_point now);
  void begin_body(std::uint64_t first, std::uint64_t length, bool send_body);
  http::Lookup lookup(std::string_view target) const;
  bool next_piece();
  // A small body into head_, to go in the same send (serve_client_inline.cpp).
  void inline_small_body();
  // The transport (serve_client_tls.cpp): the socket itself, or TLS over it. recv/send as the
  // system calls (-1 and errno; a TLS failure is EPROTO with tls_->error() saying why);
  // sendfile only where the kernel encrypts (kTLS) or there is no TLS.
  Step tls_handshake(Clock::time_point now);
  ssize_t io_recv(char* buf, std::size_t n);
  ssize_t io_send(const char* buf, std::size_t n, int flags);
  bool can_sendfile() const noexcept;
  void end_of_data();
  ssize_t send_file_bytes(std::size_t want, Path& path, bool& file_side);
  void count_body(std::uint64_t moved, Path path, Clock::time_point now, std::uint64_t& budget);
  // serve_follow.cpp
  void begin_follow(bool chunked, bool send_body);
  bool start_follow_response(const std::string& method, const std::string& target,
                             std::string_view target_full, std::optional<std::string_view> range,
                             bool keep, int minor_version);
  Step send_follow_body(Clock::time_point now, std::uint64_t& budget);
  Step send_frame(Clock::time_point now, bool more);

  Fd fd_;
  std::string peer_;
  ServeContext& ctx_;
  State state_;
  std::string in_;                 // request bytes not yet consumed (--http)
  std::string head_;               // this response's head
  std::size_t head_sent_ = 0;
  int file_ = -1;                  // the file this response reads (ctx_.file, or response_file_)
  Fd response_file_;               // opened for this response (directory form)
  std::string label_;              // how messages name that file (quoted); empty: ctx_.file_name
  const std::string& file_label() const noexcept { return label_.empty() ? ctx_.file_name : label_; }
  std::vector<http::BodyPiece> pieces_;  // HTTP: the body after the head, piece by piece
  std::size_t piece_ = 0;          // the piece being sent; its text goes before its file bytes
  std::size_t text_sent_ = 0;
  std::uint64_t body_offset_ = 0;  // next file byte to send
  std::uint64_t body_end_ = 0;     // one past the last file byte of this response
  std::uint64_t body_size_ = 0;    // the file size this response promised
  bool keep_alive_ = false;
  bool file_response_ = false;     // this response sends the file: check its size at the end
  std::uint64_t sent_ = 0;         // bytes sent on this connection, heads included
  unsigned requests_ = 0;
  unsigned turn_requests_ = 0;     // requests taken in this call of advance()
  std::string last_request_;       // "GET /x 206"
  std::string ending_;
  std::string note_;               // a warning for the log line (file changed size)
  std::uint64_t discard_ = 0;      // bytes of a request body still to throw away
  std::optional<http::ChunkedBody> chunked_in_;  // a chunked request body being thrown away
  bool head_pending_ = false;      // a request head is awaited since head_started_
  Clock::time_point head_started_{};
  // The response under way, for on_request (reporting_: there is one to report).
  bool reporting_ = false;
  std::string request_line_;
  int status_ = 0;
  std::size_t inline_body_ = 0;    // body bytes at the end of head_ (an error page, a small file)
  std::uint64_t body_sent_ = 0;    // file bytes of this response sent
  Clock::time_point request_started_{};
  Clock::time_point started_;
  Clock::time_point last_active_;
  Clock::time_point linger_deadline_{};
  std::optional<tls::Session> tls_;
  // --follow: this response follows the file; its framing and where it stands.
  bool following_ = false;
  bool chunked_ = false;
  bool awaiting_growth_ = false;
  bool body_done_ = false;         // the last chunk (or the end) is queued in frame_
  std::uint64_t chunk_left_ = 0;   // file bytes still due in the current chunk (raw: run)
  std::string frame_;              // chunk framing not yet sent
  std::size_t frame_sent_ = 0;
};

}  // namespace conduit::net
