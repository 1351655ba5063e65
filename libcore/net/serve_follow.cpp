// net/serve_follow: the file server's responses that follow a growing file (--follow), the part
// of ServeClient that knows about growth (serve_client.hpp has the state machine).
//
// A response for the whole file, while the file is followed, has no length to promise:
//  - plain: the file's bytes, as they come, until following ends;
//  - HTTP/1.1: 200 with Transfer-Encoding: chunked, one chunk per stretch that exists when it
//    is sent (its length is known then), the last chunk once following ends, so a client can
//    tell the whole recording from a broken connection; keep-alive goes on after it;
//  - HTTP/1.0 (no chunked coding): 200 without a length, ended by closing the connection.
// A request for "bytes=0-" asks for the same thing as no Range (ffmpeg sends it first), so it
// follows too; any other range of bytes that exist is answered as without --follow, a range
// beyond the end with 416, from the size known now. The preconditions (If-Match, If-None-Match,
// If-Unmodified-Since, If-Modified-Since) and If-Range are evaluated first, as without --follow,
// against the file as it is when the request comes: a failed one gets its 412 or 304, not the
// stream. Everything here goes out by sendfile(2) (or its fallback) from the file at the
// client's own offset; when the client has everything that exists, it waits without a call
// until the server wakes it (the file grew or following ended).
// A file truncated while followed breaks the stream: the client is cut off (a reset).
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

#include "conduit/net/followed_file.hpp"
#include "conduit/net/http.hpp"
#include "conduit/net/http_ranges.hpp"
#include "conduit/net/http_responder.hpp"
#include "conduit/net/http_validators.hpp"
#include "conduit/net/serve_client.hpp"
#include "conduit/sys.hpp"

namespace conduit::net {

namespace {

// One chunk at most: long enough that framing costs nothing, short enough that a chunk is
// never held for long by a slow client while the file grows.
constexpr std::uint64_t kMaxChunk = 16u << 20;

// "bytes=0-" (or a Range the file server ignores: another unit, too many ranges) asks for the
// whole file from its start. Read by the file server's own rules (net/http_ranges) against a
// file without an end, so that any other Range gets what it gets without --follow.
bool asks_from_start(std::optional<std::string_view> range) {
  constexpr auto kEndless = std::numeric_limits<std::uint64_t>::max();
  http::RangeSet r = http::parse_ranges(range, kEndless);
  return r.kind == http::RangeSet::Kind::Full ||
         (r.kind == http::RangeSet::Kind::Partial && r.ranges.size() == 1 &&
          r.ranges[0] == http::ByteRange{0, kEndless});
}

std::string hex(std::uint64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(n));
  return buf;
}

}  // namespace

void ServeClient::begin_follow(bool chunked, bool send_body) {
  head_sent_ = 0;
  file_ = ctx_.file;
  pieces_.clear();
  piece_ = 0;
  body_offset_ = 0;
  // Only a hint for the head's MSG_MORE: more follows at once if the file holds anything now.
  body_end_ = send_body ? ctx_.follow->size() : 0;
  body_size_ = 0;
  file_response_ = false;
  following_ = send_body;
  chunked_ = chunked;
  awaiting_growth_ = false;
  body_done_ = false;
  chunk_left_ = 0;
  frame_.clear();
  frame_sent_ = 0;
}

bool ServeClient::start_follow_response(const std::string& method, const std::string& target,
                                        const http::Lookup& found,
                                        std::optional<std::string_view> range,
                                        const http::RequestFields& fields, bool keep,
                                        int minor_version) {
  if (!ctx_.follow->following()) return false;
  // Served by name (net/http_resources): only the followed file's own name follows; any
  // other target gets what it would without --follow (404 ...).
  if (found.status != 200 || found.fd != ctx_.file) return false;
  // The preconditions, against the file as it is at this request (the lookup's stat), as
  // without --follow: one that fails is answered by the same plan as without it (412, 304,
  // from the same stat); an If-Range that does not match makes any Range the whole file.
  http::Validators v = http::validators_of(found);
  if (http::evaluate_preconditions(fields.conditions, v, true) != http::Precondition::Proceed)
    return false;
  if (range && fields.if_range && !http::if_range_matches(*fields.if_range, v)) range.reset();
  if (!asks_from_start(range)) return false;
  http::ResponseHead h;
  h.status = 200;
  h.framing = minor_version >= 1 ? http::ResponseHead::Framing::Chunked
                                 : http::ResponseHead::Framing::Close;
  const http::ResponderOptions& o = ctx_.responder;
  std::string_view fallback = "application/octet-stream";
  h.content_type = !o.content_type.empty() ? std::string_view(o.content_type)
                   : o.mime ? o.mime->lookup(ctx_.follow->path(), fallback) : fallback;
  h.keep_alive = keep && !ctx_.stopping && h.framing == http::ResponseHead::Framing::Chunked;
  h.server = ctx_.server_name;
  head_ = http::format_response_head(h);
  keep_alive_ = h.keep_alive;
  begin_follow(h.framing == http::ResponseHead::Framing::Chunked, method == "GET");
  status_ = 200;
  last_request_ = method + " " + target + " 200";
  state_ = State::SendHead;
  return true;
}

// Sends what is left of frame_; MSG_MORE when file bytes come right after it.
ServeClient::Step ServeClient::send_frame(Clock::time_point now, bool more) {
  while (frame_sent_ < frame_.size()) {
    ctx_.stats.count(Call::Write);
    ssize_t n = io_send(frame_.data() + frame_sent_, frame_.size() - frame_sent_,
                        MSG_NOSIGNAL | (more ? MSG_MORE : 0));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return Step::Wait;
    if (n < 0) return fail(errno);
    auto moved = static_cast<std::uint64_t>(n);
    frame_sent_ += static_cast<std::size_t>(n);
    sent_ += moved;
    ctx_.stats.add(Path::ReadWrite, moved);
    if (ctx_.on_bytes) ctx_.on_bytes(moved);
    last_active_ = now;
  }
  frame_.clear();
  frame_sent_ = 0;
  return Step::Continue;
}

ServeClient::Step ServeClient::send_follow_body(Clock::time_point now, std::uint64_t& budget) {
  awaiting_growth_ = false;
  const FollowedFile& file = *ctx_.follow;
  for (;;) {
    if (chunk_left_ == 0 && !body_done_) {
      std::uint64_t size = file.size();
      if (size > body_offset_) {
        chunk_left_ = size - body_offset_;
        if (chunked_) {
          chunk_left_ = std::min(chunk_left_, kMaxChunk);
          frame_ += hex(chunk_left_) + "\r\n";
        }
      } else if (!file.following()) {
        if (file.end() == FollowedFile::End::Truncated) {
          ctx_.file_changed = true;
          ending_ = ctx_.file_name + " was truncated while being followed (after " +
                    std::to_string(body_offset_) + " bytes)";
          return Step::Close;  // mid-response: a reset
        }
        if (chunked_) frame_ += "0\r\n\r\n";
        body_done_ = true;
      }
    }
    if (frame_sent_ < frame_.size()) {
      if (Step s = send_frame(now, chunk_left_ > 0); s != Step::Continue) return s;
    }
    if (body_done_) {
      following_ = false;
      return finish_response(now);
    }
    if (chunk_left_ == 0) {
      awaiting_growth_ = true;  // the server wakes us when the file grows or following ends
      return Step::Wait;
    }
    if (budget == 0) return Step::Again;
    std::size_t want = static_cast<std::size_t>(
        std::min<std::uint64_t>({chunk_left_, budget, sys::kMaxRwCount}));
    Path path = Path::Sendfile;
    bool file_side = false;
    ssize_t n = send_file_bytes(want, path, file_side);
    if (n == -EAGAIN) return Step::Wait;
    if (n < 0 && file_side) {
      ending_ = ctx_.file_name + ": " + std::strerror(static_cast<int>(-n));
      return Step::Close;
    }
    if (n < 0) return fail(static_cast<int>(-n));
    if (n == 0) {  // shorter than its known size: truncated under us
      ctx_.file_changed = true;
      ending_ = ctx_.file_name + " was truncated while being followed (after " +
                std::to_string(body_offset_) + " bytes)";
      return Step::Close;
    }
    auto moved = static_cast<std::uint64_t>(n);
    count_body(moved, path, now, budget);
    chunk_left_ -= moved;
    if (chunked_ && chunk_left_ == 0) frame_ = "\r\n";  // sent with the next chunk's size, or alone
  }
}

}  // namespace conduit::net
