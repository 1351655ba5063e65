// fanout: `splice-net fanout ADDRESS`, the loop around the stream (the data is in
// fanout_stream.cpp; fanout_server.hpp has the design). This file owns:
//  - the listener (acceptor.cpp: --max-clients, EMFILE back-off); it closes when the stream
//    ends, since a new client would get nothing;
//  - --min-clients: stdin is not read until that many clients are connected;
//  - client events: EPOLLOUT lets its pipe drain again; anything it sends is read and dropped,
//    and EPOLLRDHUP is only a half-close (`nc -N`, `splice-net send -r` still read), so a
//    client that went away is found by EPOLLERR/EPOLLHUP or by EPIPE/ECONNRESET on the next send;
//  - the end of the stream: each client gets what it holds, then shutdown(SHUT_WR), and we read
//    until it closes (bounded) before close(): closing with its input unread would send a reset
//    that can destroy the tail still in flight;
//  - SIGTERM/SIGINT/SIGHUP (signalfd): the stream ends there as if stdin had; a second signal
//    drops every client;
//  - a client dropped before the end of the stream (--slow=drop, -t, a second signal) is closed
//    with a reset (SO_LINGER 0), never a clean end of file that would pass for the whole stream;
//  - --slow=block with -t: a client that takes nothing for SECONDS while it has bytes waiting
//    is dropped (checked by a 200 ms tick);
//  - the same tick runs the data path again: while a full client holds the source's head, stdin
//    is not watched (its pipe is readable all along: level-triggered epoll would spin), so the
//    tick is what notices that the source has since filled up and the client must go (drop).
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>

#include "commands.hpp"
#include "conduit/net/signals.hpp"
#include "conduit/net/socket.hpp"
#include "fanout_server.hpp"

namespace splice_net {

namespace {

constexpr auto kTick = std::chrono::milliseconds(200);
constexpr auto kLinger = std::chrono::milliseconds(2000);

}  // namespace

int FanoutServer::run(conduit::Fd listener, conduit::Fd signals, int in,
                      const conduit::FdInfo& in_info) {
  signals_ = std::move(signals);
  in_ = in;
  in_info_ = in_info;
  if (int rc = loop_.open(); rc < 0) {
    diag_.error("epoll", -rc);
    return 1;
  }
  if (!open_source()) return 1;
  acceptor_.start(std::move(listener), [this](conduit::Fd fd, std::string peer, Clock::time_point now) {
        add_member(std::move(fd), std::move(peer), now);
      },
      [this] { return members_.size(); }, accept_pause_logger("clients"));
  loop_.add(signals_.get(), EPOLLIN, [this](std::uint32_t) { on_signal(); });
  started_ = o_.min_clients == 0;

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
      diag_.error("epoll_wait", -rc);
      break;
    }
    now = Clock::now();
    if (now - last_tick >= kTick) {
      sweep(now);
      last_tick = now;
    }
  }
  acceptor_.stop();
  if (progress_) progress_->finish();  // the meter's last line before the summary
  if (!o_.quiet || dropped_ > 0)
    log_line(std::string(kProg) + ": fanout: " + std::to_string(consumed_) +
             " bytes from standard input; " + std::to_string(served_) + " clients, " +
             std::to_string(dropped_) + " dropped as slow");
  return diag_.exit_status();
}

void FanoutServer::add_member(conduit::Fd sock, std::string peer, Clock::time_point now) {
  auto m = std::make_unique<Member>();
  m->sock = std::move(sock);
  m->peer = std::move(peer);
  m->started = m->last_progress = now;
  m->join = m->pos = consumed_;
  if (!copy_mode_) {
    if (int rc = m->pipe.open(O_NONBLOCK); rc < 0) {
      log_line(std::string(kProg) + ": " + m->peer + ": pipe: " + conduit::errno_text(-rc));
      return;  // the connection closes as `m` goes out of scope
    }
    m->pipe.grow(o_.common.pipe_size);
  }
  int fd = m->sock.get();
  if (int rc = loop_.add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                         [this, fd](std::uint32_t events) { on_member(fd, events); });
      rc < 0) {
    diag_.warn("epoll_ctl: " + conduit::errno_text(-rc));
    return;
  }
  members_.emplace(fd, std::move(m));
  ++served_;
  if (members_.size() >= o_.min_clients) started_ = true;
}

void FanoutServer::on_member(int fd, std::uint32_t events) {
  auto it = members_.find(fd);
  if (it == members_.end() || it->second->dead) return;
  Member& m = *it->second;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) recv_discard(m);
  if (!m.dead && (events & EPOLLERR)) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    kill(m, connection_error(err != 0 ? err : ECONNRESET));
  } else if (!m.dead && (events & EPOLLHUP)) {
    kill(m, m.lingering ? "done" : connection_error(EPIPE));
  }
  if (events & EPOLLOUT) m.writable = true;
}

// Reads and forgets what the client sends (we only write to it). A 0 is its half-close; once we
// have shut down our side too, that is the clean end of the connection.
void FanoutServer::recv_discard(Member& m) {
  char scratch[16384];
  for (;;) {
    ssize_t n = ::recv(m.sock.get(), scratch, sizeof scratch, 0);
    if (n > 0) continue;
    if (n == 0) {
      if (m.lingering) kill(m, "done");
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) kill(m, connection_error(errno));
    return;
  }
}

void FanoutServer::on_input(std::uint32_t events) {
  input_ready_ = true;
  // The stdin pipe itself is the source: no writer left and nothing in it is the end (tee
  // cannot say so while the client it is tried on has a full pipe).
  if (!copy_mode_ && !use_broker_ && (events & EPOLLHUP) && source_bytes() == 0) eof_ = true;
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
    Member& m = *it->second;
    if (!m.dead) {
      ++it;
      continue;
    }
    loop_.remove(it->first);
    // Cut off before the end of the stream (dropped as slow, a second signal, an error): a
    // reset, so that the client cannot take what it got for the whole stream.
    if (!m.lingering) conduit::net::reset_on_close(it->first);
    if (m.slow_drop) ++dropped_;
    // A client dropped as slow lost part of the stream: worth a line even with -q.
    if (!o_.quiet || m.slow_drop) log_line(summary(m, now));
    it = members_.erase(it);
  }
}

// Once the stream has ended, a client that has sent everything it holds gets our half-close.
void FanoutServer::finish_members(Clock::time_point now) {
  if (!finished()) return;
  for (auto& [fd, m] : members_) {
    if (!active(*m) || m->queued() > 0) continue;
    ::shutdown(fd, SHUT_WR);
    m->lingering = true;
    m->linger_until = now + kLinger;
    recv_discard(*m);  // it may have closed already
  }
}

void FanoutServer::sweep(Clock::time_point now) {
  auto idle = std::chrono::milliseconds(timeout_ms(o_));
  for (auto& [fd, m] : members_) {
    if (m->dead) continue;
    if (m->lingering) {
      if (now >= m->linger_until) kill(*m, "done");
    } else if (o_.slow == SlowPolicy::Block && o_.timeout && m->queued() > 0 &&
               now - m->last_progress >= idle) {
      m->slow_drop = true;
      kill(*m, "dropped: took nothing for " + seconds_text(*o_.timeout) + " s (" +
                   std::to_string(head() - m->join - m->sent) + " bytes behind)");
    }
  }
  reap();
}

void FanoutServer::on_signal() {
  for (;;) {
    int sig = conduit::net::read_signal(signals_.get());
    if (sig <= 0) return;
    std::string name = std::string("SIG") + (sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
    std::string count = std::to_string(members_.size()) + " clients";
    if (!stop_input_) {
      stop_input_ = true;
      acceptor_.stop();
      log_line(std::string(kProg) + ": " + name + ": end of stream; finishing " + count);
    } else {
      log_line(std::string(kProg) + ": " + name + ": dropping " + count);
      for (auto& [fd, m] : members_) kill(*m, "dropped: stopping");
    }
  }
}

std::string FanoutServer::summary(const Member& m, Clock::time_point now) const {
  char time[32];
  std::snprintf(time, sizeof time, "%.3f", std::chrono::duration<double>(now - m.started).count());
  return std::string(kProg) + ": " + m.peer + ": sent " + std::to_string(m.sent) + " bytes in " +
         time + " s: " + (m.ending.empty() ? "closed" : m.ending);
}

int run_fanout(const Options& o) {
  auto start = Clock::now();
  conduit::Diag diag{std::string(kProg)};
  ::signal(SIGPIPE, SIG_IGN);  // splice to a closed socket: EPIPE, not death
  auto address = parse_or_report(o.address);
  if (!address) return 1;

  conduit::FdInfo in_info;
  if (int rc = conduit::classify(STDIN_FILENO, in_info); rc < 0) {
    diag.error("standard input", -rc);
    return 1;
  }
  if (!in_info.readable) {
    diag.error("standard input", EBADF);
    return 1;
  }
  auto listening = start_listening(o, *address, diag);
  if (!listening) return 1;

  std::optional<conduit::Progress> progress;
  if (o.common.progress) progress.emplace(std::string(kProg), std::nullopt);
  conduit::Stats stats;
  FanoutServer server(o, *address, diag, stats, progress ? &*progress : nullptr);
  int status = server.run(std::move(listening->listener), std::move(listening->signals), STDIN_FILENO, in_info);
  if (progress) progress->finish();
  report_stats(o, stats, std::chrono::duration<double>(Clock::now() - start).count());
  return status;
}

}  // namespace splice_net
