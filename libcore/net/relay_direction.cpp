// net/relay_direction: socket -> pipe -> socket by splice, or by read/write (see the header).
#include "conduit/net/relay_direction.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <span>

#include "conduit/sys.hpp"

namespace conduit::net {

namespace {

constexpr unsigned kSpliceFlags = SPLICE_F_NONBLOCK | SPLICE_F_MOVE;
// The read/write fallback's buffer: allocated once per direction, only when it is used.
constexpr std::size_t kBufferSize = 64 * 1024;

}  // namespace

RelayDirection::~RelayDirection() { shared_.grown -= grown_; }

RelayDirection::Result RelayDirection::pump(std::uint64_t budget) {
  if (done_) return Result::Done;
  std::uint64_t moved = 0;
  for (;;) {
    bool progress = false;
    // Drain first: room in the pipe is what lets the next read in.
    if (queued() > 0) {
      ssize_t n = drain();
      if (n > 0) {
        auto delivered = static_cast<std::uint64_t>(n);
        bytes_ += delivered;
        moved += delivered;
        if (shared_.on_bytes) shared_.on_bytes(delivered, up_);
        progress = true;
      } else if (n < 0 && n != -EAGAIN) {
        return fail(false, n);
      }
    }
    if (eof_ && queued() == 0) {
      // ENOTCONN here means the peer is gone already; the other direction will say how.
      ssize_t end = end_destination();
      if (end == -EAGAIN) return Result::Blocked;  // a close_notify waits for room
      if (end < 0) return fail(false, end);
      done_ = true;
      release_pipe();
      buf_.reset();
      return Result::Done;
    }
    bool room = mode_ == Mode::Splice ? pipe_queued_ < pipe_.capacity() || !pipe_.valid()
                                      : buf_off_ == buf_len_;
    if (!eof_ && room) {
      ssize_t n = fill();
      if (n == 0) eof_ = true;
      if (n >= 0) progress = true;
      else if (n != -EAGAIN) return fail(true, n);
    }
    // Neither side moved: both would block (or the pipe is full and the destination blocks).
    if (!progress) return Result::Blocked;
    if (moved >= budget) return Result::Again;
  }
}

ssize_t RelayDirection::fill() {
  if (mode_ == Mode::Splice) {
    if (!pipe_.valid() && pipe_.open(O_NONBLOCK) < 0) {
      // Out of descriptors for a pipe: this direction goes by read/write (no pipe needed).
      mode_ = Mode::ReadWrite;
      shared_.stats.fallbacks++;
      return fill();
    }
    std::size_t room = pipe_.capacity() - pipe_queued_;
    shared_.stats.count(Call::Splice);
    ssize_t n = sys::splice(from_, nullptr, pipe_.write_fd(), nullptr, room, kSpliceFlags);
    if (n > 0) {
      fill_probe_.prove();
      pipe_queued_ += static_cast<std::size_t>(n);
      maybe_grow(static_cast<std::size_t>(n));
    } else if (n <= 0 && (to_user_tls(n) || (n < 0 && fall_back(n, fill_probe_)))) {
      return fill();
    }
    return n;
  }
  if (!buf_) buf_ = std::make_unique<std::byte[]>(kBufferSize);
  // Bytes left in the pipe when splice out was refused go first, to keep the order.
  bool from_pipe = pipe_queued_ > 0;
  shared_.stats.count(Call::Read);
  ssize_t n = from_pipe ? sys::read(pipe_.read_fd(), std::span(buf_.get(), std::min(kBufferSize, pipe_queued_)))
                        : read_source(std::span(buf_.get(), kBufferSize));
  if (n > 0) {
    buf_off_ = 0;
    buf_len_ = static_cast<std::size_t>(n);
    if (from_pipe) pipe_queued_ -= buf_len_;
  }
  return n;
}

ssize_t RelayDirection::drain() {
  if (mode_ == Mode::Splice && pipe_queued_ > 0) {
    shared_.stats.count(Call::Splice);
    ssize_t n = sys::splice(pipe_.read_fd(), nullptr, to_, nullptr, pipe_queued_, kSpliceFlags);
    if (n > 0) {
      drain_probe_.prove();
      pipe_queued_ -= static_cast<std::size_t>(n);
      shared_.stats.add(Path::SpliceBroker, static_cast<std::uint64_t>(n));
    } else if (n < 0 && fall_back(n, drain_probe_)) {
      return 0;  // the pipe's bytes go through the buffer from now on (fill reads them first)
    }
    return n;
  }
  if (buf_off_ == buf_len_) return 0;
  shared_.stats.count(Call::Write);
  ssize_t n = write_destination(std::span<const std::byte>(buf_.get() + buf_off_, buf_len_ - buf_off_));
  if (n > 0) {
    buf_off_ += static_cast<std::size_t>(n);
    if (buf_off_ == buf_len_) buf_off_ = buf_len_ = 0;
    shared_.stats.add(Path::ReadWrite, static_cast<std::uint64_t>(n));
  }
  return n;
}

// The first-call rule (KERNEL-NOTES): splice refused before it ever worked in this direction
// means "not supported here", so the same bytes go by read/write; after that, a real error.
bool RelayDirection::fall_back(ssize_t rc, PathProbe& probe) {
  if (!probe.falls_back(rc, shared_.stats)) return false;  // counts the fallback
  mode_ = Mode::ReadWrite;
  if (pipe_queued_ == 0) release_pipe();  // nothing left in it: give its descriptors back
  return true;
}

void RelayDirection::release_pipe() {
  pipe_ = Pipe();
  shared_.grown -= grown_;
  grown_ = 0;
}

void RelayDirection::maybe_grow(std::size_t filled) {
  // One fill of at least half the pipe: a bulk transfer, worth a bigger pipe (tried once).
  if (grow_tried_ || filled < pipe_.capacity() / 2 || shared_.pipe_want <= pipe_.capacity()) return;
  grow_tried_ = true;
  std::size_t before = pipe_.capacity();
  std::size_t left = shared_.grow_budget > shared_.grown ? shared_.grow_budget - shared_.grown : 0;
  std::size_t want = std::min(shared_.pipe_want, before + left);
  if (want <= before) return;
  long after = pipe_.grow(want);
  if (after > static_cast<long>(before)) {
    std::size_t added = static_cast<std::size_t>(after) - before;
    grown_ += added;
    shared_.grown += added;
  }
}

RelayDirection::Result RelayDirection::fail(bool at_source, ssize_t rc) {
  error_ = static_cast<int>(-rc);
  failed_at_source_ = at_source;
  return Result::Failed;
}

}  // namespace conduit::net
