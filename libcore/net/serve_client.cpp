// net/serve_client: the file server's per-connection state machine (see the header).
#include "conduit/net/serve_client.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>

#include "conduit/net/followed_file.hpp"
#include "conduit/net/http.hpp"
#include "conduit/net/http_chunked.hpp"
#include "conduit/net/http_error_page.hpp"
#include "conduit/net/socket.hpp"
#include "conduit/sys.hpp"

namespace conduit::net {

namespace {

// Bytes one client may move per turn before the others get theirs.
constexpr std::uint64_t kTurnBudget = 4u << 20;
// Requests one client may have answered per turn: a client whose next request is always there
// already (pipelined, or on a busy machine) must not hold the loop with small responses, which
// the byte budget hardly counts (nginx answers one pipelined request per round).
constexpr unsigned kTurnRequests = 8;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// What the access log keeps of a malformed request's first line.
constexpr std::size_t kLoggedLineMax = 1024;

// The first line of what a client sent (leading empty lines skipped), for the log.
std::string_view first_line(std::string_view in) {
  in.remove_prefix(std::min(in.size(), in.find_first_not_of("\r\n")));
  in = in.substr(0, std::min({in.find('\n'), in.size(), kLoggedLineMax}));
  if (!in.empty() && in.back() == '\r') in.remove_suffix(1);
  return in;
}

std::uint64_t file_size(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

}  // namespace

ServeClient::ServeClient(Fd fd, std::string peer, ServeContext& context, Clock::time_point now)
    : fd_(std::move(fd)), peer_(std::move(peer)), ctx_(context),
      state_(context.http ? State::ReadRequest : State::SendHead), started_(now), last_active_(now) {
  file_ = ctx_.file;
  // The first head's deadline runs from the connection's start (nginx's client_header_timeout):
  // a client that connects and sends nothing holds a slot no longer than a slow one.
  head_pending_ = ctx_.http;
  head_started_ = now;
  if (!ctx_.http) {
    head_ = ctx_.header;
    requests_ = 1;
    if (ctx_.follow && ctx_.follow->following()) {
      begin_follow(false, true);
      return;
    }
    body_size_ = file_size(ctx_.file);
    begin_body(0, body_size_, true);
    file_response_ = true;
  }
}

void ServeClient::begin_body(std::uint64_t first, std::uint64_t length, bool send_body) {
  head_sent_ = 0;
  body_offset_ = first;
  body_end_ = send_body ? first + length : first;
}

http::Lookup ServeClient::lookup(std::string_view target) const {
  if (ctx_.resources) return ctx_.resources->lookup(target);
  // No resources: the one file for every target, after the header.
  http::Lookup l;
  if (::fstat(ctx_.file, &l.st) != 0) {
    l.status = 500;
    return l;
  }
  l.status = 200;
  l.fd = ctx_.file;
  l.prefix_of_file = ctx_.header;
  return l;
}

bool ServeClient::next_piece() {
  if (piece_ + 1 >= pieces_.size()) {
    piece_ = pieces_.size();
    return false;
  }
  ++piece_;
  text_sent_ = 0;
  body_offset_ = pieces_[piece_].file_first;
  body_end_ = body_offset_ + pieces_[piece_].file_length;
  return true;
}

ServeClient::Step ServeClient::advance(Clock::time_point now) {
  std::uint64_t budget = kTurnBudget;
  turn_requests_ = 0;
  if (ctx_.tls && !(tls_ && tls_->handshake_done())) {
    if (Step step = tls_handshake(now); step != Step::Continue) return step;
  }
  for (;;) {
    Step step = Step::Close;
    switch (state_) {
      case State::ReadRequest: step = read_request(now); break;
      case State::SendHead: step = send_head(now); break;
      case State::SendBody: step = send_body(now, budget); break;
      case State::Linger: step = linger(now); break;
    }
    if (step != Step::Continue) return step;
  }
}

ServeClient::Step ServeClient::fail(int err) {
  if (ending_.empty()) ending_ = err == EPROTO && tls_ ? tls_->error() : connection_error(err);
  return Step::Close;
}

void ServeClient::begin_log(std::string_view request_line, Clock::time_point now) {
  request_line_.assign(request_line);
  reporting_ = true;
  request_started_ = head_pending_ ? head_started_ : now;
  head_pending_ = false;
  inline_body_ = 0;
  body_sent_ = 0;
}

// An error response: the status, nginx's short page (none for HEAD), and the connection closes
// (after a malformed head nothing that follows can be trusted to be a request).
void ServeClient::respond_error(int status) {
  if (!reporting_) begin_log(first_line(in_), last_active_);
  std::string page = http::error_page(status, ctx_.server_name);
  http::ResponseHead h;
  h.status = status;
  h.keep_alive = false;
  h.allow_header = status == 405;
  h.server = ctx_.server_name;
  h.content_type = http::kErrorPageType;
  h.content_length = page.size();  // HEAD too: the length a GET would get (RFC 9110 9.3.2)
  head_ = http::format_response_head(h);
  if (!request_line_.starts_with("HEAD ")) {
    head_ += page;
    inline_body_ = page.size();
  }
  status_ = status;
  keep_alive_ = false;
  file_response_ = false;
  in_.clear();
  pieces_.clear();
  begin_body(0, 0, false);
  last_request_ = "malformed request, " + std::to_string(status);
  state_ = State::SendHead;
}

bool ServeClient::expire_head(const std::string& why) {
  ending_ = why;
  if (in_.find_first_not_of("\r\n") == std::string::npos) {
    head_pending_ = false;
    return false;
  }
  respond_error(408);
  last_request_ = "incomplete request, 408";
  return true;
}

void ServeClient::report_request(Clock::time_point now, bool complete) {
  if (!reporting_) return;
  reporting_ = false;
  std::size_t head_part = head_.size() - std::min(head_.size(), inline_body_);
  RequestRecord record;
  record.peer = peer_;
  record.request_line = request_line_;
  record.status = status_;
  record.body_bytes = body_sent_ + (head_sent_ > head_part ? head_sent_ - head_part : 0);
  record.seconds = std::chrono::duration<double>(now - request_started_).count();
  record.complete = complete;
  if (ctx_.on_request) ctx_.on_request(record);
}

ServeClient::Step ServeClient::read_request(Clock::time_point now) {
  for (;;) {
    // The previous request's body, already here (pipelined): thrown away, never parsed.
    std::size_t skip = static_cast<std::size_t>(std::min<std::uint64_t>(discard_, in_.size()));
    in_.erase(0, skip);
    discard_ -= skip;
    if (chunked_in_ && !in_.empty()) {
      if (!skip_chunked(in_, skip, now)) return Step::Continue;  // on to Linger
      in_.erase(0, skip);
    }
    if (!head_pending_ && !in_.empty()) {  // a later request's first byte starts its deadline
      head_pending_ = true;
      head_started_ = now;
    }
    if (turn_requests_ >= kTurnRequests) return Step::Again;
    http::ParseResult r = http::parse_request(in_);
    switch (r.status) {
      default: respond_error(http::status_of(r.status)); return Step::Continue;
      case http::ParseStatus::Ok: {
        ++requests_;
        ++turn_requests_;
        const http::Request& req = r.request;
        begin_log(req.request_line, now);
        bool expect_continue = req.expect_continue;
        std::string method(req.method);
        std::string target(req.target.substr(0, 80));
        // The log line must not carry a client's escape sequences to a terminal.
        for (char& ch : target)
          if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
        // `req` and `fields` point into in_, erased only once the plan holds what it needs.
        std::string target_full(req.target);
        std::optional<std::string_view> range = req.range;
        http::RequestFields fields = http::scan_fields(std::string_view(in_).substr(0, r.consumed));
        // A body is read and thrown away after the response (a chunked one decoded to find its
        // end), so the connection can take the next request, as nginx does.
        bool keep = req.keep_alive;
        discard_ = req.content_length;
        if (method != "GET" && method != "HEAD") {
          in_.erase(0, r.consumed);
          respond_error(405);  // refused: no 100 (Continue), and the body is never read
          last_request_ = method + " " + target + " 405";
          return Step::Continue;
        }
        // What of a chunked body came with the head: a malformed one is answered with 400
        // instead of the file (what comes later can only close the connection).
        std::size_t body_here = 0;
        if (req.chunked) {
          chunked_in_.emplace();
          http::ChunkedBody::Result b = chunked_in_->feed(std::string_view(in_).substr(r.consumed));
          if (b.status == http::ChunkedBody::Status::Bad) {
            chunked_in_.reset();
            respond_error(400);
            last_request_ = method + " " + target + " 400";
            return Step::Continue;
          }
          body_here = b.consumed;
          if (b.status == http::ChunkedBody::Status::Done) chunked_in_.reset();
        }
        if (ctx_.follow && start_follow_response(method, target, target_full, range, keep,
                                                   req.minor_version)) {
          in_.erase(0, r.consumed);
          return Step::Continue;
        }
        http::ResponsePlan plan = http::plan_response(
            method == "HEAD", lookup(target_full), range, fields, ctx_.responder, keep && !ctx_.stopping);
        head_ = std::move(plan.head);
        // The request is accepted: the client may send the body it announced (which is then
        // thrown away), and the 100 goes ahead of the response in the same segment.
        if (expect_continue) head_.insert(0, kContinue);
        status_ = plan.status;
        keep_alive_ = plan.keep_alive;
        response_file_ = std::move(plan.owned);
        label_ = std::move(plan.label);
        file_ = plan.file;
        body_size_ = plan.file_size;
        file_response_ = plan.file_response;
        pieces_ = std::move(plan.body);
        piece_ = 0;
        text_sent_ = 0;
        head_sent_ = 0;
        body_offset_ = body_end_ = 0;
        if (!pieces_.empty()) {
          body_offset_ = pieces_[0].file_first;
          body_end_ = body_offset_ + pieces_[0].file_length;
        }
        inline_small_body();
        last_request_ = method + " " + target + " " + std::to_string(plan.status);
        in_.erase(0, r.consumed + body_here);
        state_ = State::SendHead;
        return Step::Continue;
      }
      case http::ParseStatus::Incomplete:
        break;
    }
    if (ctx_.stopping && in_.empty()) {
      ending_ = "server stopping";
      return Step::Close;
    }
    char* buf = ctx_.scratch.data();
    // A head comes in small reads (a client cannot make the server hold much for it); a body
    // being thrown away in large ones.
    ssize_t n = io_recv(buf, discard_ || chunked_in_ ? ctx_.scratch.size() : std::size_t{4096});
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return errno == EAGAIN ? Step::Wait : Step::Continue;
    if (n < 0) return fail(errno);
    if (n == 0) {
      bool blank = in_.find_first_not_of("\r\n") == std::string::npos;
      ending_ = blank ? "closed by peer" : "closed by peer in the middle of a request";
      return Step::Close;
    }
    auto got = static_cast<std::size_t>(n);
    std::size_t body = static_cast<std::size_t>(std::min<std::uint64_t>(discard_, got));
    discard_ -= body;
    last_active_ = now;
    if (chunked_in_ && body < got) {  // decoded where it landed: never copied into in_
      std::size_t used = 0;
      if (!skip_chunked(std::string_view(buf + body, got - body), used, now)) return Step::Continue;
      body += used;
    }
    in_.append(buf + body, got - body);
  }
}

// The next bytes of a chunked body being thrown away: `used` of `data` were body. True: go on
// reading requests. False: the body was malformed (after its response was sent), and the
// connection now closes, lingering: nothing can be answered to a stream that no longer parses,
// as nginx closes it.
bool ServeClient::skip_chunked(std::string_view data, std::size_t& used, Clock::time_point now) {
  http::ChunkedBody::Result b = chunked_in_->feed(data);
  used = b.consumed;
  if (b.status == http::ChunkedBody::Status::More) return true;
  chunked_in_.reset();
  if (b.status == http::ChunkedBody::Status::Done) return true;
  ending_ = "malformed chunked request body";
  in_.clear();
  close_after_response(now);
  return false;
}

ServeClient::Step ServeClient::send_head(Clock::time_point now) {
  bool body_follows = body_offset_ < body_end_ || !pieces_.empty();
  while (head_sent_ < head_.size()) {
    int flags = MSG_NOSIGNAL | (body_follows ? MSG_MORE : 0);
    ctx_.stats.count(Call::Write);
    ssize_t n = io_send(head_.data() + head_sent_, head_.size() - head_sent_, flags);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return Step::Wait;
    if (n < 0) return fail(errno);
    auto moved = static_cast<std::uint64_t>(n);
    head_sent_ += static_cast<std::size_t>(n);
    sent_ += moved;
    ctx_.stats.add(Path::ReadWrite, moved);
    if (ctx_.on_bytes) ctx_.on_bytes(moved);
    last_active_ = now;
  }
  state_ = State::SendBody;
  return Step::Continue;
}

// One sendfile(2) (pread + send where sendfile is refused) of up to `want` bytes of file_ at
// body_offset_: > 0 bytes sent, 0 where the file ends, -EAGAIN when the socket is full, else
// -errno, `file_side` telling whether the file (not the socket) failed.
ssize_t ServeClient::send_file_bytes(std::size_t want, Path& path, bool& file_side) {
  file_side = false;
  for (;;) {
    if (ctx_.zero_copy && can_sendfile()) {
      path = Path::Sendfile;
      auto offset = static_cast<off_t>(body_offset_);
      ctx_.stats.count(Call::Sendfile);
      ssize_t n = sys::sendfile(fd_.get(), file_, &offset, want);
      if (n != -EAGAIN && ctx_.sendfile.falls_back(n, ctx_.stats)) {
        // First-call rule: sendfile does not work here at all; every client goes by pread/send.
        ctx_.zero_copy = false;
        continue;
      }
      return n;
    }
    path = Path::ReadWrite;
    std::size_t chunk = std::min({want, ctx_.scratch.size(),
                                  tls_ ? tls::Session::kRecordPayload : ctx_.scratch.size()});
    ctx_.stats.count(Call::Read);
    ssize_t got = sys::pread(file_, std::as_writable_bytes(std::span(ctx_.scratch.data(), chunk)),
                             static_cast<off_t>(body_offset_));
    if (got <= 0) {
      file_side = got < 0;
      return got;
    }
    ctx_.stats.count(Call::Write);
    ssize_t n = io_send(ctx_.scratch.data(), static_cast<std::size_t>(got),
                        MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    return n < 0 ? -errno : n;
  }
}

void ServeClient::count_body(std::uint64_t moved, Path path, Clock::time_point now,
                             std::uint64_t& budget) {
  body_offset_ += moved;
  body_sent_ += moved;
  sent_ += moved;
  budget -= std::min(budget, moved);
  ctx_.stats.add(path, moved);
  if (ctx_.on_bytes) ctx_.on_bytes(moved);
  last_active_ = now;
}

ServeClient::Step ServeClient::send_body(Clock::time_point now, std::uint64_t& budget) {
 if (following_) return send_follow_body(now, budget);
 for (;;) {
  // A piece's text (a multipart part head, the file form's --header) goes before its file bytes.
  while (piece_ < pieces_.size() && text_sent_ < pieces_[piece_].text.size()) {
    const std::string& text = pieces_[piece_].text;
    bool more = body_offset_ < body_end_ || piece_ + 1 < pieces_.size();
    ctx_.stats.count(Call::Write);
    ssize_t n = io_send(text.data() + text_sent_, text.size() - text_sent_,
                        MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return Step::Wait;
    if (n < 0) return fail(errno);
    auto moved = static_cast<std::uint64_t>(n);
    text_sent_ += static_cast<std::size_t>(n);
    body_sent_ += moved;
    sent_ += moved;
    ctx_.stats.add(Path::ReadWrite, moved);
    if (ctx_.on_bytes) ctx_.on_bytes(moved);
    last_active_ = now;
  }
  while (body_offset_ < body_end_) {
    if (budget == 0) return Step::Again;
    std::size_t want = static_cast<std::size_t>(
        std::min<std::uint64_t>({body_end_ - body_offset_, budget, sys::kMaxRwCount}));
    Path path = Path::Sendfile;
    bool file_side = false;
    ssize_t n = send_file_bytes(want, path, file_side);
    if (n == -EAGAIN) return Step::Wait;
    if (n < 0 && file_side) {
      ending_ = file_label() + ": " + std::strerror(static_cast<int>(-n));
      return Step::Close;
    }
    if (n < 0) return fail(static_cast<int>(-n));
    if (n == 0) {
      ctx_.file_changed = true;
      ending_ = file_label() + " shrank while being sent (" + std::to_string(body_offset_) +
                " of " + std::to_string(body_size_) + " bytes)";
      return Step::Close;
    }
    count_body(static_cast<std::uint64_t>(n), path, now, budget);
  }
  if (!next_piece()) break;
 }
  return finish_response(now);
}

ServeClient::Step ServeClient::finish_response(Clock::time_point now) {
  if (file_response_) {
    std::uint64_t size = file_size(file_);
    // A followed file is meant to grow: only shrinking is a change worth a warning then.
    if (size != body_size_ && !(ctx_.follow && size > body_size_)) {
      ctx_.file_changed = true;
      keep_alive_ = false;
      note_ = file_label() + " changed size while being sent (" + std::to_string(body_size_) +
              " -> " + std::to_string(size) + " bytes)";
    }
  }
  if (ctx_.http) report_request(now, /*complete=*/true);
  head_.clear();
  head_sent_ = 0;
  inline_body_ = 0;
  pieces_.clear();
  piece_ = 0;
  response_file_.reset();
  label_.clear();
  file_ = ctx_.file;
  if (ctx_.http && keep_alive_ && !ctx_.stopping) {
    state_ = State::ReadRequest;
    return Step::Continue;
  }
  return close_after_response(now);
}

// Our last byte is out: shut down writing and linger until the peer closes (see the header).
ServeClient::Step ServeClient::close_after_response(Clock::time_point now) {
  end_of_data();
  ::shutdown(fd_.get(), SHUT_WR);
  state_ = State::Linger;
  linger_deadline_ = now + ctx_.linger_limit;
  return Step::Continue;
}

ServeClient::Step ServeClient::linger(Clock::time_point) {
  for (;;) {
    ssize_t n = ::recv(fd_.get(), ctx_.scratch.data(), ctx_.scratch.size(), 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return Step::Wait;
    if (ending_.empty()) ending_ = "done";
    return Step::Close;
  }
}

}  // namespace conduit::net
