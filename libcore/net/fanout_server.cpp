// net/fanout_server: the loop around the stream (the data is in fanout_stream.cpp; the header has
// the design and the loop's rules).
#include "conduit/net/fanout_server.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "conduit/net/signals.hpp"
#include "conduit/net/socket.hpp"

namespace conduit::net {

namespace {
constexpr auto kTick = std::chrono::milliseconds(200);
}  // namespace

FanoutServer::FanoutServer(FanoutServerSettings settings, OnEvent on_event)
    : settings_(std::move(settings)), on_event_(std::move(on_event)),
      acceptor_(loop_, settings_.address, settings_.max_clients) {}

FanoutServer::~FanoutServer() = default;

void FanoutServer::fail(std::string_view call, int error) {
  FanoutServerEvent e{FanoutServerEvent::Kind::Failed};
  e.call = call;
  e.error = error;
  emit(e);
}

int FanoutServer::run(Fd listener, Fd signals) {
  signals_ = std::move(signals);
  in_ = settings_.input;
  if (int rc = loop_.open(); rc < 0) {
    fail("epoll", -rc);
    return rc;
  }
  if (int rc = open_source(); rc < 0) return rc;
  acceptor_.start(
      std::move(listener),
      [this](Fd fd, std::string peer, Clock::time_point now) { add_member(std::move(fd), std::move(peer), now); },
      [this] { return members_.size(); },
      [this](int err, std::size_t open) {
        FanoutServerEvent e{FanoutServerEvent::Kind::AcceptPaused};
        e.error = err;
        e.open = open;
        emit(e);
      });
  if (signals_) loop_.add(signals_.get(), EPOLLIN, [this](std::uint32_t) { on_signal(); });
  started_ = started_ || settings_.min_clients == 0;

  int result = 0;
  Clock::time_point last_tick = Clock::now();
  for (;;) {
    pump();
    Clock::time_point now = Clock::now();
    finish_members(now);
    reap();
    if (finished()) acceptor_.stop();
    if (finished() && members_.empty()) break;
    update_input();
    acceptor_.update(now);

    long timeout = again_ ? 0 : acceptor_.wait_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(kTick).count(), now);
    if (int rc = loop_.run_once(static_cast<int>(timeout)); rc < 0) {
      fail("epoll_wait", -rc);
      result = rc;
      break;
    }
    now = Clock::now();
    if (now - last_tick >= kTick) {
      sweep(now);
      last_tick = now;
    }
  }
  acceptor_.stop();
  return result;
}

void FanoutServer::add_member(Fd sock, std::string peer, Clock::time_point now) {
  auto m = std::make_unique<Member>();
  m->sock = std::move(sock);
  m->peer = std::move(peer);
  m->started = m->last_progress = now;
  m->join = m->pos = source_.consumed();
  m->awaiting = settings_.http || settings_.tls;  // not in the stream before its handshake/request
  m->handshaking = settings_.tls != nullptr;
  if (!copy_mode_) {
    if (int rc = m->pipe.open(O_NONBLOCK); rc < 0) {
      FanoutServerEvent e{FanoutServerEvent::Kind::Warning};
      e.peer = m->peer;
      e.call = "pipe";
      e.error = -rc;
      emit(e);
      return;  // the connection closes as `m` goes out of scope
    }
    m->pipe.grow(settings_.pipe_size);
  }
  int fd = m->sock.get();
  if (int rc = loop_.add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                         [this, fd](std::uint32_t events) { on_member(fd, events); });
      rc < 0) {
    FanoutServerEvent e{FanoutServerEvent::Kind::Warning};
    e.call = "epoll_ctl";
    e.error = -rc;
    emit(e);
    return;
  }
  FanoutServerEvent e{FanoutServerEvent::Kind::Opened};
  e.peer = m->peer;
  bool m_awaits = m->awaiting;
  members_.emplace(fd, std::move(m));
  ++served_;
  if (!m_awaits && members_.size() >= settings_.min_clients) started_ = true;
  emit(e);
}

void FanoutServer::on_member(int fd, std::uint32_t events) {
  auto it = members_.find(fd);
  if (it == members_.end() || it->second->dead) return;
  Member& m = *it->second;
  if (m.handshaking && !tls_handshake(m)) return;  // still shaking hands, or gone
  if (m.awaiting) {
    on_request(m, events);
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) recv_discard(m);
  if (!m.dead && (events & EPOLLERR)) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    kill(m, connection_error(err != 0 ? err : ECONNRESET));
  } else if (!m.dead && (events & EPOLLHUP)) {
    kill(m, m.lingering ? "done" : connection_error(EPIPE));
  }
  // (TLS: a write that wanted the peer's bytes, a key update, waits for readable)
  if ((events & EPOLLOUT) || (m.session && (events & EPOLLIN))) m.writable = true;
}

// Reads and forgets what the client sends (we only write to it). A 0 is its half-close; once we
// have shut down our side too, that is the clean end of the connection.
void FanoutServer::recv_discard(Member& m) {
  char scratch[16384];
  for (;;) {
    ssize_t n = member_recv(m, scratch, sizeof scratch);
    if (n > 0) continue;
    if (n == 0) {
      if (m.lingering) kill(m, "done");
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) kill(m, io_error(m, errno));
    return;
  }
}

void FanoutServer::on_input(std::uint32_t events) {
  input_ready_ = true;
  // The input pipe itself is the source: no writer left and nothing in it is the end (tee
  // cannot say so while the client it is tried on has a full pipe).
  if (!copy_mode_ && !source_.brokered() && (events & EPOLLHUP) && source_bytes() == 0) eof_ = true;
}

void FanoutServer::update_input() {
  bool want = want_input();
  if (want == input_watched_) return;
  if (!want) {
    loop_.remove(in_);
    input_watched_ = false;
    return;
  }
  int rc = loop_.add(in_, EPOLLIN, [this](std::uint32_t events) { on_input(events); });
  if (rc == -EPERM) {  // a file or device epoll cannot watch: reads on it never wait
    input_always_ready_ = true;
    again_ = true;
  } else if (rc < 0) {
    input_failed(-rc);
  } else {
    input_watched_ = true;
  }
}

void FanoutServer::kill(Member& m, std::string why) {
  if (m.dead) return;
  m.dead = true;
  m.ending = std::move(why);
}

void FanoutServer::reap() {
  Clock::time_point now = Clock::now();
  for (auto it = members_.begin(); it != members_.end();) {
    if (!it->second->dead) {
      ++it;
      continue;
    }
    // Out of the table first: the event's handler may call stop(), which walks the table.
    std::unique_ptr<Member> owned = std::move(it->second);
    int fd = it->first;
    it = members_.erase(it);
    Member& m = *owned;
    loop_.remove(fd);
    // Cut off before the end of the stream (dropped as slow, a second stop, an error): a
    // reset, so that the client cannot take what it got for the whole stream.
    if (!m.lingering) reset_on_close(fd);
    if (m.slow_drop) ++dropped_;
    FanoutServerEvent e{FanoutServerEvent::Kind::Closed};
    e.peer = m.peer;
    e.bytes = m.sent + m.head_sent;
    e.request = m.request;
    e.seconds = std::chrono::duration<double>(now - m.started).count();
    e.reason = m.ending;
    e.slow_drop = m.slow_drop;
    emit(e);
  }
}

// Once the stream has ended, a client that has sent everything it holds gets our half-close.
void FanoutServer::finish_members(Clock::time_point now) {
  if (!finished()) return;
  for (auto& [fd, m] : members_) {
    if (!active(*m) || m->queued() > 0) continue;
    end_connection(*m);
    m->lingering = true;
    m->linger_until = now + settings_.linger_limit;
    recv_discard(*m);  // it may have closed already
  }
}

void FanoutServer::sweep(Clock::time_point now) {
  for (auto& [fd, m] : members_) {
    if (m->dead) continue;
    if (m->lingering) {
      if (now >= m->linger_until) kill(*m, "done");
    } else if (m->handshaking) {
      if (now - m->started >= settings_.handshake_timeout)
        kill(*m, "TLS handshake not finished after " +
                     format_seconds(static_cast<double>(settings_.handshake_timeout.count()) / 1000) + " s");
    } else if (m->awaiting) {
      if (now - m->started >= settings_.request_timeout)
        kill(*m, "no request in " +
                     format_seconds(static_cast<double>(settings_.request_timeout.count()) / 1000) + " s");
    } else if (settings_.slow == FanoutServerSettings::Slow::Block && settings_.block_timeout &&
               m->queued() > 0 && now - m->last_progress >= *settings_.block_timeout) {
      m->slow_drop = true;
      kill(*m, "dropped: took nothing for " +
                   format_seconds(static_cast<double>(settings_.block_timeout->count()) / 1000) + " s (" +
                   std::to_string(head() - m->join - m->sent) + " bytes behind)");
    }
  }
  reap();
}

void FanoutServer::stop(int signal) {
  if (!stop_input_) {
    stop_input_ = true;
    acceptor_.stop();
    FanoutServerEvent e{FanoutServerEvent::Kind::Stopping};
    e.signal = signal;
    e.open = members_.size();
    emit(e);
  } else {
    FanoutServerEvent e{FanoutServerEvent::Kind::Dropping};
    e.signal = signal;
    e.open = members_.size();
    emit(e);
    for (auto& [fd, m] : members_) kill(*m, "dropped: stopping");
  }
}

void FanoutServer::on_signal() {
  for (;;) {
    int sig = read_signal(signals_.get());
    if (sig <= 0) return;
    stop(sig);
  }
}

}  // namespace conduit::net
