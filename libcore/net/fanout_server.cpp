// net/fanout_server: the loop around the stream (the data is in fanout_stream.cpp; the header has
// the design and the loop's rules).
#include "conduit/net/fanout_server.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "conduit/net/socket.hpp"

namespace conduit::net {

namespace {
constexpr auto kTick = std::chrono::milliseconds(200);
}  // namespace

namespace {

FanoutOptions engine_options(const FanoutServerSettings& s) {
  FanoutOptions o;
  o.zero_copy = s.zero_copy;
  o.pipe_size = s.pipe_size;
  o.pacing = s.slow == FanoutServerSettings::Slow::Block ? FanoutPacing::Block : FanoutPacing::Drop;
  return o;
}

}  // namespace

FanoutServer::FanoutServer(FanoutServerSettings settings, OnEvent on_event)
    : settings_(std::move(settings)), on_event_(std::move(on_event)),
      fan_(engine_options(settings_), &stats_),
      server_loop_(*this, loop_, {kTick, settings_.max_clients, false, settings_.address}) {
  // An output failed (its socket, its TLS session): that client ends, the others go on.
  fan_.on_error([this](Fanout::Id out, int err) {
    if (Member* m = member_of(out)) kill(*m, io_error(*m, err));
    return FanoutAction::Drop;
  });
  fan_.on_slow([this](Fanout::Id out, std::uint64_t behind) {
    if (Member* m = member_of(out)) {
      m->slow_drop = true;
      kill(*m, "dropped: " + std::to_string(behind) + " bytes behind");
    }
  });
}

FanoutServer::~FanoutServer() = default;

void FanoutServer::fail(std::string_view call, int error) {
  FanoutServerEvent e{FanoutServerEvent::Kind::Failed};
  e.call = call;
  e.error = error;
  emit(e);
}

int FanoutServer::run(Fd listener, Fd signals) { return server_loop_.run(std::move(listener), std::move(signals)); }

void FanoutServer::stop(int signal) { server_loop_.stop(signal); }

int FanoutServer::start() {
  fan_.hold_input(true);
  if (int rc = fan_.start(settings_.input, settings_.input_info); rc < 0 && settings_.zero_copy) {
    fail("pipe", -rc);
    return rc;
  }
  started_ = started_ || settings_.min_clients == 0;
  fan_.hold_input(!started_);
  return 0;
}

// Before each wait: the data path, the clients it finished or gave up on, the input's watch.
bool FanoutServer::turn(Clock::time_point now) {
  pump();
  finish_members(now);
  reap();
  update_input();
  return again_;
}

void FanoutServer::accept(Fd sock, std::string peer, Clock::time_point now) {
  auto m = std::make_unique<Member>();
  m->sock = std::move(sock);
  m->peer = std::move(peer);
  m->started = now;
  m->awaiting = settings_.http || settings_.tls;  // not in the stream before its handshake/request
  m->handshaking = settings_.tls != nullptr;
  if (!m->awaiting) {
    if (int rc = enter_stream(*m); rc < 0) {
      FanoutServerEvent e{FanoutServerEvent::Kind::Warning};
      e.peer = m->peer;
      e.call = "pipe";
      e.error = -rc;
      emit(e);
      return;  // the connection closes as `m` goes out of scope
    }
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
  fan_.hold_input(!started_);
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
  if (!m.dead && m.out >= 0 && ((events & EPOLLOUT) || (m.session && (events & EPOLLIN))))
    fan_.writable(static_cast<Fanout::Id>(m.out));
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

void FanoutServer::on_input(std::uint32_t events) { fan_.input_ready((events & EPOLLHUP) != 0); }

void FanoutServer::update_input() {
  bool want = fan_.wants_input();
  if (want == input_watched_) return;
  if (!want) {
    loop_.remove(settings_.input);
    input_watched_ = false;
    return;
  }
  int rc = loop_.add(settings_.input, EPOLLIN, [this](std::uint32_t events) { on_input(events); });
  if (rc == -EPERM) {  // a file or device epoll cannot watch: reads on it never wait
    fan_.set_input_always_ready();
    again_ = true;
  } else if (rc < 0) {
    FanoutServerEvent e{FanoutServerEvent::Kind::InputFailed};
    e.error = -rc;
    emit(e);
    input_reported_ = true;
    fan_.end_input();
  } else {
    input_watched_ = true;
  }
}

void FanoutServer::kill(Member& m, std::string why) {
  if (m.dead) return;
  m.dead = true;
  m.ending = std::move(why);
}

FanoutServer::Member* FanoutServer::member_of(Fanout::Id out) {
  auto it = by_output_.find(out);
  if (it == by_output_.end()) return nullptr;
  auto m = members_.find(it->second);
  return m == members_.end() ? nullptr : m->second.get();
}

// Makes the client an output of the engine, from the stream's current position: its socket, or
// (user-space TLS) its session as the writer. 0, or -errno (no pipe for it).
int FanoutServer::enter_stream(Member& m) {
  FdInfo info;
  classify(m.sock.get(), info);
  Fanout::Writer writer;
  if (m.session && !m.session->ktls_send()) {
    tls::Session* session = &*m.session;  // lives in the Member, which outlives the output
    writer = [session](std::span<const std::byte> data) { return session->write(data); };
  }
  long out = fan_.add_output(m.sock.get(), info, std::move(writer));
  if (out < 0) return static_cast<int>(out);
  m.out = out;
  by_output_[static_cast<Fanout::Id>(out)] = m.sock.get();
  return 0;
}

std::uint64_t FanoutServer::queued(const Member& m) const {
  return m.out >= 0 ? fan_.queued(static_cast<Fanout::Id>(m.out)) : 0;
}

// Steps the engine while it moves bytes (a bounded number of times: then the listener and the
// other events have a turn), closing the clients it gave up on and reporting the input.
void FanoutServer::pump() {
  constexpr int kStepsPerPump = 64;
  again_ = false;
  reap();
  for (int i = 0; i < kStepsPerPump; ++i) {
    bool moved = fan_.step();
    if (fan_.consumed() > reported_) {
      FanoutServerEvent e{FanoutServerEvent::Kind::Input};
      e.bytes = fan_.consumed() - reported_;
      reported_ = fan_.consumed();
      emit(e);
    }
    if (fan_.input_error() != 0 && !input_reported_) {
      input_reported_ = true;
      FanoutServerEvent e{FanoutServerEvent::Kind::InputFailed};
      e.error = fan_.input_error();
      emit(e);
    }
    reap();
    if (!moved) return;
  }
  again_ = true;
}

void FanoutServer::reap() {
  Clock::time_point now = Clock::now();
  for (auto it = members_.begin(); it != members_.end();) {
    if (!it->second->dead) {
      ++it;
      continue;
    }
    // Out of the table first: the event's handler may call stop(), which counts what is held.
    std::unique_ptr<Member> owned = std::move(it->second);
    int fd = it->first;
    it = members_.erase(it);
    Member& m = *owned;
    loop_.remove(fd);
    std::uint64_t sent = 0;
    if (m.out >= 0) {
      auto out = static_cast<Fanout::Id>(m.out);
      sent = fan_.sent(out);
      fan_.remove_output(out);
      by_output_.erase(out);
    }
    // Cut off before the end of the stream (dropped as slow, a second stop, an error): a
    // reset, so that the client cannot take what it got for the whole stream.
    if (!m.lingering) reset_on_close(fd);
    if (m.slow_drop) ++dropped_;
    FanoutServerEvent e{FanoutServerEvent::Kind::Closed};
    e.peer = m.peer;
    e.bytes = sent + m.head_sent;
    e.request = m.request;
    e.seconds = std::chrono::duration<double>(now - m.started).count();
    e.reason = m.ending;
    e.slow_drop = m.slow_drop;
    emit(e);
  }
}

// Once the stream has ended, a client that has sent everything it holds gets our half-close.
void FanoutServer::finish_members(Clock::time_point now) {
  if (!fan_.ended()) return;
  for (auto& [fd, m] : members_) {
    if (!active(*m) || queued(*m) > 0) continue;
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
               queued(*m) > 0 &&
               now - fan_.last_progress(static_cast<Fanout::Id>(m->out)) >= *settings_.block_timeout) {
      auto out = static_cast<Fanout::Id>(m->out);
      m->slow_drop = true;
      kill(*m, "dropped: took nothing for " +
                   format_seconds(static_cast<double>(settings_.block_timeout->count()) / 1000) + " s (" +
                   std::to_string(fan_.head() - fan_.joined(out) - fan_.sent(out)) + " bytes behind)");
    }
  }
  reap();
}

void FanoutServer::drop_all() {
  for (auto& [fd, m] : members_) kill(*m, "dropped: stopping");
  reap();
}

}  // namespace conduit::net
