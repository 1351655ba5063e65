// net/fanout_stream: the fan-out server's data path (see fanout_server.hpp for positions).
//
// One step of the splice path: (1) splice each client's pipe to its socket until the socket
// would block; (2) refill the broker while it has room; (3) tee the source into every client
// level with its head (SPLICE_F_NONBLOCK: a full client pipe is EAGAIN, never a wait);
// (4) consume the source up to the slowest client. pump() repeats steps while they move bytes.
//
// A slow client is one whose pipe cannot take the next tee. It holds the source's head: the
// clients ahead of it get nothing new and the input backs up into the source pipe. --slow=drop
// disconnects it once the source is half full (it is then a whole pipe, its socket buffer and
// half the source behind the stream; a client that merely lags for a moment is not); --slow=block
// waits for its socket. The read/write path does the same with a backlog of --pipe-size per
// client and "input is waiting" for a half-full source.
//
// Rules from KERNEL-NOTES.md: an error on the first call of a path (tee, splice from stdin, into
// a socket, into /dev/null) means "unsupported": the whole run moves to read/write, keeping
// every byte already given to a client (to_copy_mode). After a path has worked, an error is real.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <span>

#include "conduit/diag.hpp"
#include "conduit/net/fanout_server.hpp"
#include "conduit/net/socket.hpp"
#include "conduit/sys.hpp"

namespace conduit::net {

namespace {

// Per call on the stdin pipe: tee/splice return what the pipe holds anyway.
constexpr std::size_t kChunk = 1u << 30;
constexpr std::size_t kCopyBuffer = 128 * 1024;
constexpr int kStepsPerPump = 64;  // then let the listener and the other events have a turn

}  // namespace

// 0, or -errno (reported) when no broker pipe could be made.
int FanoutServer::open_source() {
  const FdInfo& info = settings_.input_info;
  devnull_.reset(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  copy_mode_ = !settings_.zero_copy || !devnull_;
  input_always_ready_ = info.kind == FdKind::Regular || info.kind == FdKind::BlockDevice;
  if (copy_mode_) {
    buffer_.resize(kCopyBuffer);
    return 0;
  }
  if (int rc = source_.open(in_, info, settings_.pipe_size, O_NONBLOCK); rc < 0) {
    fail("pipe", -rc);
    return rc;
  }
  return 0;
}

void FanoutServer::pump() {
  again_ = false;
  for (int i = 0; i < kStepsPerPump; ++i) {
    bool moved = copy_mode_ ? copy_step() : splice_step();
    reap();
    if (!moved) return;
  }
  again_ = true;
}

// Bytes in the source pipe now.
std::uint64_t FanoutServer::source_bytes() const { return copy_mode_ ? 0 : source_.held(); }

// The newest stream offset we hold (what a client is "behind" from).
std::uint64_t FanoutServer::head() const { return source_.consumed() + source_bytes(); }

void FanoutServer::input_failed(int err) {
  if (input_error_ != 0) return;
  input_error_ = err;
  FanoutServerEvent e{FanoutServerEvent::Kind::InputFailed};
  e.error = err;
  emit(e);
}

// `n` bytes left the source: every client has them.
void FanoutServer::took(std::uint64_t n) {
  source_.take(n);
  FanoutServerEvent e{FanoutServerEvent::Kind::Input};
  e.bytes = n;
  emit(e);
}

// The stream is being held back: the source pipe is half full (read/write path: input waits).
bool FanoutServer::input_held() const {
  if (!copy_mode_) return source_bytes() >= source_.capacity() / 2;
  if (source_.brokered() && source_.end() > source_.consumed()) return true;
  return input_always_ready_ || sys::wait_fd(in_, POLLIN, 0) == 1;
}

// --slow=drop: the clients in `full` go once they hold the stream back; --slow=block: they stay.
void FanoutServer::drop_slow(std::vector<Member*>& full) {
  if (full.empty() || settings_.slow != FanoutServerSettings::Slow::Drop || !input_held()) return;
  std::uint64_t now_head = head();
  for (Member* m : full)
    if (!m->dead) {
      m->slow_drop = true;
      kill(*m, "dropped: " + std::to_string(now_head - m->join - m->sent) + " bytes behind");
    }
}

bool FanoutServer::want_input() {
  if (!reading() || input_always_ready_) return false;
  if (copy_mode_) {
    if (source_.brokered() && source_.end() > source_.consumed()) return false;  // leftovers first, no waiting
    for (const auto& [fd, m] : members_)
      if (active(*m) && m->queued() >= settings_.pipe_size + (m->pos - source_.consumed())) return false;
    return true;
  }
  if (source_.brokered()) return !input_end_ && source_.held() < source_.capacity();
  return source_bytes() == 0;
}

// ---- the splice path ----

bool FanoutServer::splice_step() {
  // Drain first: a client whose socket has just become writable must not look slow to the tee.
  bool moved = false;
  for (auto& [fd, m] : members_) {
    if (!m->dead && m->writable && m->queued() > 0) moved |= drain(*m);
    if (copy_mode_) return true;
  }
  if (source_.brokered() && reading() && !input_end_ && source_.held() < source_.capacity() &&
      (input_ready_ || input_always_ready_))
    moved |= refill();
  if (copy_mode_) return true;
  if (reading()) moved |= tee_round();
  if (copy_mode_) return true;
  moved |= consume();
  if (input_end_ && source_.end() == source_.consumed()) eof_ = true;
  return moved || copy_mode_;
}

bool FanoutServer::refill() {
  // A tty or socket that someone left blocking would block the loop on a second call: call
  // again only after epoll says readable.
  input_ready_ = false;
  stats_.count(Call::Splice);
  ssize_t n = source_.refill(SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  if (n > 0) {
    in_probe_.prove();
    return true;
  }
  if (n == 0) input_end_ = true;  // the end of the stream once the broker is empty
  else if (n == -EAGAIN) return false;
  else if (in_probe_.falls_back(n, stats_)) to_copy_mode();
  else input_failed(static_cast<int>(-n));
  return false;
}

bool FanoutServer::tee_round() {
  bool moved = false;
  full_.clear();
  for (auto& [fd, mp] : members_) {
    Member& m = *mp;
    if (!active(m) || m.pos != source_.consumed()) continue;
    std::size_t len = source_.brokered() ? static_cast<std::size_t>(source_.held()) : kChunk;
    if (len == 0) break;
    stats_.count(Call::Tee);
    ssize_t n = sys::tee(source_.fd(), m.pipe.write_fd(), len, SPLICE_F_NONBLOCK);
    if (n > 0) {
      if (m.queued() == 0) m.last_progress = Clock::now();  // its idle clock starts now
      m.pos += static_cast<std::uint64_t>(n);
      stats_.add(Path::Tee, static_cast<std::uint64_t>(n));
      tee_probe_.prove();
      moved = true;
    } else if (n == 0) {
      eof_ = true;  // no writer and nothing queued: the end of the stream
      return moved;
    } else if (n == -EAGAIN) {
      if (source_bytes() > 0) full_.push_back(&m);  // its pipe is full
    } else if (tee_probe_.falls_back(n, stats_)) {
      to_copy_mode();
      return true;
    } else {
      kill(m, errno_text(static_cast<int>(-n)));
    }
  }
  drop_slow(full_);
  return moved;
}

bool FanoutServer::drain(Member& m) {
  if (user_tls(m)) return tls_drain(m);  // the socket cannot take splice
  bool moved = false;
  while (m.queued() > 0) {
    stats_.count(Call::Splice);
    ssize_t n = sys::splice(m.pipe.read_fd(), nullptr, m.sock.get(), nullptr,
                            static_cast<std::size_t>(m.queued()), SPLICE_F_NONBLOCK);
    if (n > 0) {
      out_probe_.prove();
      m.sent += static_cast<std::uint64_t>(n);
      m.last_progress = Clock::now();
      stats_.add(Path::Splice, static_cast<std::uint64_t>(n));
      moved = true;
      continue;
    }
    if (n == -EAGAIN) {
      m.writable = false;
    } else if (n < 0 && out_probe_.falls_back(n, stats_)) {
      to_copy_mode();  // the bytes already teed go out by read/write
      moved = true;
    } else {
      kill(m, connection_error(n < 0 ? static_cast<int>(-n) : EPIPE));
    }
    break;
  }
  return moved;
}

bool FanoutServer::consume() {
  std::uint64_t limit = std::numeric_limits<std::uint64_t>::max();
  bool anyone = false;
  for (const auto& [fd, m] : members_) {
    if (!active(*m)) continue;
    anyone = true;
    limit = std::min(limit, m->pos);
  }
  std::uint64_t len = 0;
  if (anyone) len = limit - source_.consumed();
  else if (reading()) len = source_.brokered() ? source_.held() : kChunk;  // nobody: a live stream is discarded
  if (len == 0) return false;
  stats_.count(Call::Splice);
  ssize_t n = sys::splice(source_.fd(), nullptr, devnull_.get(), nullptr,
                          static_cast<std::size_t>(len), SPLICE_F_NONBLOCK);
  if (n > 0) {
    consume_probe_.prove();
    took(static_cast<std::uint64_t>(n));
    return true;
  }
  if (n == 0) {
    if (!source_.brokered()) eof_ = true;
  } else if (n == -EAGAIN) {
    return false;
  } else if (consume_probe_.falls_back(n, stats_)) {
    to_copy_mode();
    return true;
  } else {
    input_failed(static_cast<int>(-n));
  }
  return false;
}

// Moves every client's queued pages into its backlog; from here on the source pipe (what is
// left in it) and then stdin are read with read(2).
// (The probe that ordered it has counted the fallback.)
void FanoutServer::to_copy_mode() {
  copy_mode_ = true;
  buffer_.resize(kCopyBuffer);
  for (auto& [fd, m] : members_) {
    if (m->dead || !m->pipe.valid()) continue;
    std::uint64_t left = m->queued();
    // user-space TLS: what was read from the pipe and not yet taken by SSL_write goes first
    m->backlog.assign(m->plain.begin() + static_cast<std::ptrdiff_t>(m->plain_off), m->plain.end());
    left -= m->backlog.size();
    m->plain.clear();
    m->plain_off = 0;
    m->backlog_off = 0;
    while (left > 0) {
      std::size_t old = m->backlog.size();
      m->backlog.resize(old + static_cast<std::size_t>(left));
      stats_.count(Call::Read);
      ssize_t n = sys::read(m->pipe.read_fd(),
                            std::as_writable_bytes(std::span(m->backlog).subspan(old)));
      m->backlog.resize(old + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
      if (n <= 0) {  // our own pipe with bytes in it: only memory trouble gets here
        kill(*m, errno_text(n < 0 ? static_cast<int>(-n) : EIO));
        break;
      }
      left -= static_cast<std::uint64_t>(n);
    }
    m->pipe = Pipe{};
  }
}

// ---- the read/write path ----

bool FanoutServer::copy_step() {
  bool moved = false;
  for (auto& [fd, m] : members_)  // first, as on the splice path
    if (!m->dead && m->writable && m->queued() > 0) moved |= copy_drain(*m);
  bool leftovers = source_.brokered() && source_.end() > source_.consumed();
  if (reading() && (leftovers || input_ready_ || input_always_ready_)) moved |= copy_read();
  return moved;
}

bool FanoutServer::copy_read() {
  // The most every client can take: its backlog is bounded by --pipe-size. A client ahead of
  // the consumed position (it had pages teed before a fallback) skips what it already has.
  full_.clear();
  std::size_t want = buffer_.size();
  for (auto& [fd, m] : members_) {
    if (!active(*m)) continue;
    std::uint64_t room = settings_.pipe_size + (m->pos - source_.consumed());
    room = room > m->queued() ? room - m->queued() : 0;
    if (room == 0) full_.push_back(m.get());
    else want = static_cast<std::size_t>(std::min<std::uint64_t>(want, room));
  }
  if (!full_.empty()) {
    drop_slow(full_);
    for (Member* m : full_)
      if (!m->dead) return false;  // --slow=block, or nobody is waiting for it yet
  }
  bool from_broker = source_.brokered() && source_.end() > source_.consumed();
  if (!from_broker && input_end_) {  // stdin ended before the fallback: do not read it again
    eof_ = true;
    return false;
  }
  if (from_broker) want = static_cast<std::size_t>(std::min<std::uint64_t>(want, source_.held()));
  else input_ready_ = false;  // one read per readiness: stdin may be a blocking tty or socket
  stats_.count(Call::Read);
  ssize_t n = sys::read(from_broker ? source_.fd() : in_,
                        std::as_writable_bytes(std::span(buffer_).first(want)));
  if (n == 0) {
    eof_ = true;
    return false;
  }
  if (n == -EAGAIN) return false;
  if (n < 0) {
    input_failed(static_cast<int>(-n));
    return false;
  }
  auto got = static_cast<std::uint64_t>(n);
  for (auto& [fd, m] : members_) {
    if (!active(*m)) continue;
    std::uint64_t skip = std::min(got, m->pos - std::min(m->pos, source_.consumed()));
    if (m->backlog_off > 0) {  // keep the backlog compact: at most --pipe-size + one buffer
      m->backlog.erase(m->backlog.begin(),
                       m->backlog.begin() + static_cast<std::ptrdiff_t>(m->backlog_off));
      m->backlog_off = 0;
    }
    if (m->queued() == 0 && skip < got) m->last_progress = Clock::now();
    m->backlog.insert(m->backlog.end(), buffer_.begin() + static_cast<std::ptrdiff_t>(skip),
                      buffer_.begin() + n);
    m->pos = std::max(m->pos, source_.consumed() + got);
  }
  took(got);
  if (!from_broker) source_.skip_broker();
  return true;
}

bool FanoutServer::copy_drain(Member& m) {
  bool moved = false;
  while (m.backlog_off < m.backlog.size()) {
    stats_.count(Call::Write);
    ssize_t n = member_send(m, m.backlog.data() + m.backlog_off, m.backlog.size() - m.backlog_off);
    if (n > 0) {
      m.backlog_off += static_cast<std::size_t>(n);
      m.sent += static_cast<std::uint64_t>(n);
      m.last_progress = Clock::now();
      stats_.add(Path::ReadWrite, static_cast<std::uint64_t>(n));
      moved = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) m.writable = false;
    else kill(m, io_error(m, n < 0 ? errno : EPIPE));
    break;
  }
  if (m.backlog_off == m.backlog.size()) {
    m.backlog.clear();
    m.backlog_off = 0;
  }
  return moved;
}

}  // namespace conduit::net
