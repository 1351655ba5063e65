// net/fanout_http: the fan-out server's `http` mode: a client's request head, the response head
// (net/live_http decides it), then the client joins the stream where it is, or closes.
#include <sys/socket.h>

#include <cerrno>
#include <ctime>

#include "conduit/diag.hpp"
#include "conduit/net/fanout_server.hpp"
#include "conduit/net/live_http.hpp"
#include "conduit/net/socket.hpp"

namespace conduit::net {

void FanoutServer::on_request(Member& m, std::uint32_t events) {
  if (events & EPOLLOUT) m.writable = true;
  if (events & EPOLLERR) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(m.sock.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    kill(m, connection_error(err != 0 ? err : ECONNRESET));
    return;
  }
  if (m.head.empty()) read_request(m);
  if (!m.dead && !m.head.empty() && m.writable) send_head(m);
}

// Reads until a whole head is there (answered at once; what follows it is never read as a
// request: the answer closes the connection), the client stops sending, or it is gone.
void FanoutServer::read_request(Member& m) {
  char buf[4096];
  for (;;) {
    ssize_t n = member_recv(m, buf, sizeof buf);
    if (n > 0) {
      m.in.append(buf, static_cast<std::size_t>(n));
      http::LiveAnswer a = http::answer_live(m.in, settings_.content_type, settings_.server_name,
                                             std::time(nullptr));
      if (a.kind == http::LiveAnswer::Kind::Incomplete) continue;
      m.head = std::move(a.head);
      m.head_off = 0;
      m.request = std::move(a.request);
      m.head_only = a.kind == http::LiveAnswer::Kind::HeadOnly;
      m.in = std::string();
      return;
    }
    if (n == 0) {
      kill(m, m.in.empty() ? "closed before a request" : "closed in the middle of a request");
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) kill(m, connection_error(errno));
    return;
  }
}

void FanoutServer::send_head(Member& m) {
  while (m.head_off < m.head.size()) {
    ssize_t n = member_send(m, m.head.data() + m.head_off, m.head.size() - m.head_off);
    if (n > 0) {
      m.head_off += static_cast<std::size_t>(n);
      m.head_sent += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      m.writable = false;
      return;
    }
    kill(m, io_error(m, n < 0 ? errno : EPIPE));
    return;
  }
  m.head = std::string();
  Clock::time_point now = Clock::now();
  if (!m.head_only) {
    join_stream(m, now);
    return;
  }
  // Answered in full: our half-close, then wait for the client's before closing (a reset could
  // destroy the answer still in flight).
  m.awaiting = false;
  end_connection(m);
  m.lingering = true;
  m.linger_until = now + settings_.linger_limit;
  recv_discard(m);
}

// The client takes the stream from where it is now, as a plain client does when it connects.
void FanoutServer::join_stream(Member& m, Clock::time_point) {
  m.awaiting = false;
  if (int rc = enter_stream(m); rc < 0) {
    kill(m, "pipe: " + errno_text(-rc));
    return;
  }
  std::size_t joined = 0;
  for (const auto& [fd, other] : members_)
    if (!other->awaiting && !other->dead) ++joined;
  if (joined >= settings_.min_clients) started_ = true;
  fan_.hold_input(!started_);
}

}  // namespace conduit::net
