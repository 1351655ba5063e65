// fanout: one pipe to many outputs with tee(2); see fanout.hpp for the lanes and the rules.
//
// One round of the main loop: (1) refill the broker when the source is ours and empty;
// (2) make sure some lane consumes the source; (3) tee into every lane that is level with the
// consumed position; (4) drain the lanes' own pipes to their outputs, completely, so the next
// tee always finds them empty; (5) let the consumer take what every lane already has.
// Everything blocks in the kernel (tee waits for data or for room in an output pipe), except
// fds someone left O_NONBLOCK, whose EAGAIN is waited out with poll().
#include "conduit/fanout.hpp"

#include <fcntl.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <limits>

#include "conduit/probe.hpp"
#include "conduit/progress.hpp"
#include "conduit/sys.hpp"

namespace conduit {

struct Fanout::Output {
  int fd = -1;
  FdInfo info;
  bool live = true;
  std::size_t lane = std::numeric_limits<std::size_t>::max();
};

struct Fanout::Lane {
  enum class Kind : std::uint8_t { Direct, Splice, Copy };
  Kind kind = Kind::Splice;
  bool consumer = false;
  bool live = true;
  PathProbe in;             // a tee into it (or, for the consumer, a splice) has worked
  PathProbe out;            // a splice out of its pipe has worked
  std::vector<std::size_t> outputs;
  Pipe pipe;                // Splice and Copy lanes that are not the consumer
  std::uint64_t pos = 0;    // source bytes this lane has been given
  std::size_t pending = 0;  // bytes waiting in `pipe`
};

namespace {

constexpr std::size_t kNoLane = std::numeric_limits<std::size_t>::max();
// Per call on an external source pipe; tee/splice return what the pipe holds anyway.
constexpr std::size_t kChunk = 1u << 30;

bool pollable(const FdInfo& info) noexcept {
  return info.kind != FdKind::Regular && info.kind != FdKind::BlockDevice;
}

}  // namespace

Fanout::Fanout(FanoutOptions options, Stats* stats, Progress* progress)
    : options_(options), stats_(stats ? stats : &local_stats_), progress_(progress) {}

Fanout::~Fanout() = default;

std::size_t Fanout::add_output(int fd, const FdInfo& info) {
  Output out;
  out.fd = fd;
  out.info = info;
  outputs_.push_back(out);
  return outputs_.size() - 1;
}

std::size_t Fanout::live_outputs() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(outputs_.begin(), outputs_.end(), [](const Output& o) { return o.live; }));
}

FanoutRoute Fanout::route(std::size_t output) const {
  const Output& o = outputs_.at(output);
  if (!o.live) return FanoutRoute::Closed;
  if (copy_mode_ || o.lane == kNoLane) return FanoutRoute::Copy;
  const Lane& lane = *lanes_[o.lane];
  if (lane.consumer) return lane.kind == Lane::Kind::Copy ? FanoutRoute::Copy : FanoutRoute::Consume;
  switch (lane.kind) {
    case Lane::Kind::Direct: return FanoutRoute::TeeDirect;
    case Lane::Kind::Splice: return FanoutRoute::TeeSplice;
    case Lane::Kind::Copy: return FanoutRoute::TeeCopy;
  }
  return FanoutRoute::Copy;
}

FanoutResult Fanout::run(int in, const FdInfo& in_info, const ErrorHandler& on_error) {
  on_error_ = &on_error;
  in_ = in;
  in_info_ = in_info;
  src_ = in;
  if (options_.zero_copy) {
    if (in_info.kind == FdKind::Pipe) {
      grow_pipe(in, options_.pipe_size);
      long size = pipe_size(in);
      src_capacity_ = size > 0 ? static_cast<std::size_t>(size) : 65536;
    } else if (broker_.open() == 0) {
      broker_.grow(options_.pipe_size);
      src_ = broker_.read_fd();
      src_capacity_ = broker_.capacity();
      use_broker_ = true;
    } else {
      copy_mode_ = true;
    }
    if (!copy_mode_ && !plan()) copy_mode_ = true;
  } else {
    copy_mode_ = true;
  }

  while (!stop_ && !eof_ && input_error_ == 0 && live_outputs() > 0) {
    if (copy_mode_) {
      run_copy();
      break;
    }
    if (use_broker_ && consumed_ == end_ && !refill()) continue;
    promote_consumer();
    if (stop_ || input_error_ != 0) break;
    tee_round();
    if (stop_ || copy_mode_) continue;
    drain_lanes();
    if (stop_ || eof_) continue;
    consume();
  }
  on_error_ = nullptr;
  return FanoutResult{consumed_, input_error_, stop_};
}

// Assigns every output a lane. False when the engine cannot set up (no pipes, or no output
// that takes splice): the caller then copies everything by read/write.
bool Fanout::plan() {
  std::size_t copy_lane = kNoLane;
  std::size_t consumer = kNoLane;
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    Output& o = outputs_[i];
    if (!o.live) continue;
    bool copies = o.info.append || o.info.kind == FdKind::Tty;
    if (copies && copy_lane != kNoLane) {
      lanes_[copy_lane]->outputs.push_back(i);
      o.lane = copy_lane;
      continue;
    }
    auto lane = std::make_unique<Lane>();
    lane->kind = copies ? Lane::Kind::Copy
                        : (o.info.kind == FdKind::Pipe ? Lane::Kind::Direct : Lane::Kind::Splice);
    lane->outputs.push_back(i);
    o.lane = lanes_.size();
    if (copies) copy_lane = o.lane;
    else consumer = o.lane;  // the last output that can take splice
    if (lane->kind == Lane::Kind::Direct) grow_pipe(o.fd, options_.pipe_size);
    lanes_.push_back(std::move(lane));
  }
  if (consumer == kNoLane) return false;  // nothing to gain over plain copying
  lanes_[consumer]->consumer = true;
  for (auto& lane : lanes_) {
    if (lane->consumer || lane->kind == Lane::Kind::Direct) continue;
    if (lane->pipe.open() != 0) return false;
    lane->pipe.grow(std::max(src_capacity_, options_.pipe_size));
  }
  return true;
}

bool Fanout::refill() {
  stats_->count(Call::Splice);
  ssize_t n = sys::splice(in_, nullptr, broker_.write_fd(), nullptr, broker_.capacity(),
                          SPLICE_F_MOVE);
  if (n == -EAGAIN) {
    if (int w = wait(in_, -1, nullptr); w < 0) input_error_ = -w;
    return false;
  }
  if (input_.falls_back(n, *stats_)) {
    copy_mode_ = true;  // the broker is empty: nothing is lost by switching now
    return false;
  }
  if (n < 0) {
    input_error_ = static_cast<int>(-n);
    return false;
  }
  if (n == 0) {
    eof_ = true;
    return false;
  }
  end_ += static_cast<std::uint64_t>(n);
  return true;
}

std::uint64_t Fanout::lane_limit() const {
  std::uint64_t limit = std::numeric_limits<std::uint64_t>::max();
  for (const auto& lane : lanes_)
    if (lane->live && !lane->consumer) limit = std::min(limit, lane->pos);
  return limit;
}

bool Fanout::anyone_proven() const {
  return std::any_of(lanes_.begin(), lanes_.end(), [](const auto& l) { return l->in.proven(); });
}

// After the consumer failed, the next lane level with the source takes over; lanes that are all
// ahead of it already have the bytes in between, which are then read and dropped.
void Fanout::promote_consumer() {
  Lane* best = nullptr;
  bool any = false;
  for (auto& lane : lanes_) {
    if (!lane->live) continue;
    if (lane->consumer) return;
    any = true;
    if (lane->pos != consumed_ || lane->pending != 0) continue;
    if (!best || (best->kind == Lane::Kind::Copy && lane->kind != Lane::Kind::Copy))
      best = lane.get();
  }
  if (!any) return;
  if (best) {
    best->consumer = true;
    best->pipe = Pipe{};
    return;
  }
  if (buffer_.empty()) buffer_.resize(options_.buffer_size);
  std::uint64_t left = lane_limit() - consumed_;
  while (left > 0) {
    stats_->count(Call::Read);
    ssize_t n = sys::read(src_, std::span(buffer_).first(std::min<std::uint64_t>(left, buffer_.size())));
    if (n == -EAGAIN) {
      if (int w = wait(src_, -1, nullptr); w < 0) {
        input_error_ = -w;
        return;
      }
      continue;
    }
    if (n <= 0) {
      input_error_ = n < 0 ? static_cast<int>(-n) : EIO;
      return;
    }
    left -= static_cast<std::uint64_t>(n);
    consumed_ += static_cast<std::uint64_t>(n);
    if (progress_) progress_->advance(static_cast<std::uint64_t>(n));
  }
}

void Fanout::tee_round() {
  for (std::size_t li = 0; li < lanes_.size() && !stop_; ++li) {
    Lane& lane = *lanes_[li];
    if (!lane.live || lane.consumer || lane.pos != consumed_) continue;
    std::size_t len = use_broker_ ? static_cast<std::size_t>(end_ - consumed_) : kChunk;
    const Output& first = outputs_[lane.outputs.front()];
    int dst = lane.kind == Lane::Kind::Direct ? first.fd : lane.pipe.write_fd();
    stats_->count(Call::Tee);
    ssize_t n = sys::tee(src_, dst, len, 0);
    if (lane.in.falls_back(n, *stats_)) {
      if (!anyone_proven() && consumed_ == 0) {
        copy_mode_ = true;  // tee(2) itself is refused; nothing has moved yet
        return;
      }
      demote(lane);
      continue;
    }
    if (n > 0) {
      lane.pos += static_cast<std::uint64_t>(n);
      if (lane.kind != Lane::Kind::Direct) lane.pending += static_cast<std::size_t>(n);
      stats_->add(Path::Tee, static_cast<std::uint64_t>(n));
      continue;
    }
    if (n == 0) {  // no writer left and nothing queued: the end of the input
      if (!use_broker_) eof_ = true;
      return;
    }
    if (n == -EAGAIN) {
      bool direct = lane.kind == Lane::Kind::Direct;
      if (int w = wait(src_, direct ? dst : -1, direct ? &first.info : nullptr); w < 0)
        input_error_ = -w;
      continue;
    }
    std::vector<std::size_t> victims = lane.outputs;
    for (std::size_t o : victims) output_failed(o, static_cast<int>(-n));
  }
}

// Switches a lane that the kernel refused to the copying path, before it delivered anything
// (the lane's probe has counted the fallback).
bool Fanout::demote(Lane& lane) {
  if (lane.kind == Lane::Kind::Direct && !lane.consumer) {
    if (int rc = lane.pipe.open(); rc < 0) {
      std::vector<std::size_t> victims = lane.outputs;
      for (std::size_t o : victims) output_failed(o, -rc);
      return false;
    }
    lane.pipe.grow(src_capacity_);
  }
  lane.kind = Lane::Kind::Copy;
  return true;
}

void Fanout::drain_lanes() {
  for (std::size_t li = 0; li < lanes_.size() && !stop_; ++li) {
    Lane& lane = *lanes_[li];
    if (lane.live && !lane.consumer && lane.pending > 0) drain_lane(lane);
  }
}

bool Fanout::drain_lane(Lane& lane) {
  while (lane.live && lane.pending > 0 && !stop_) {
    if (lane.kind == Lane::Kind::Copy) {
      if (buffer_.empty()) buffer_.resize(options_.buffer_size);
      stats_->count(Call::Read);
      ssize_t n = sys::read(lane.pipe.read_fd(),
                            std::span(buffer_).first(std::min(lane.pending, buffer_.size())));
      if (n <= 0) {  // our own pipe with bytes in it: cannot happen short of memory trouble
        std::vector<std::size_t> victims = lane.outputs;
        for (std::size_t o : victims) output_failed(o, n < 0 ? static_cast<int>(-n) : EIO);
        return false;
      }
      lane.pending -= static_cast<std::size_t>(n);
      if (!write_outputs(lane.outputs, static_cast<std::size_t>(n))) return false;
      continue;
    }
    const Output& out = outputs_[lane.outputs.front()];
    std::size_t index = lane.outputs.front();
    stats_->count(Call::Splice);
    ssize_t n = sys::splice(lane.pipe.read_fd(), nullptr, out.fd, nullptr, lane.pending,
                            SPLICE_F_MOVE);
    if (lane.out.falls_back(n, *stats_)) {
      lane.kind = Lane::Kind::Copy;  // the bytes already teed go out by read/write
      continue;
    }
    if (n > 0) {
      lane.pending -= static_cast<std::size_t>(n);
      stats_->add(Path::Splice, static_cast<std::uint64_t>(n));
      continue;
    }
    if (n == -EAGAIN) {
      if (int w = wait(-1, out.fd, &out.info); w < 0) {
        output_failed(index, -w);
        return false;
      }
      continue;
    }
    output_failed(index, n < 0 ? static_cast<int>(-n) : EIO);
    return false;
  }
  return lane.live;
}

// Writes buffer_[0, n) to each output in `outputs` (a copy: failures edit the lane's list).
bool Fanout::write_outputs(const std::vector<std::size_t>& outputs, std::size_t n) {
  std::vector<std::size_t> list = outputs;
  auto data = std::span<const std::byte>(buffer_).first(n);
  for (std::size_t o : list) {
    if (stop_) return false;
    if (!outputs_[o].live) continue;
    std::size_t written = 0;
    stats_->count(Call::Write);
    ssize_t w = sys::write_all(outputs_[o].fd, data, &written);
    stats_->add(Path::ReadWrite, written);
    if (w < 0) output_failed(o, static_cast<int>(-w));
  }
  return !stop_;
}

void Fanout::consume() {
  Lane* lane = nullptr;
  bool others = false;
  for (auto& l : lanes_) {
    if (!l->live) continue;
    if (l->consumer) lane = l.get();
    else others = true;
  }
  if (!lane) return;
  std::uint64_t len = others ? lane_limit() - consumed_ : kChunk;
  if (use_broker_) len = std::min(len, end_ - consumed_);
  if (len == 0) return;  // a lane is level with the source and got nothing this round

  ssize_t n;
  if (lane->kind == Lane::Kind::Copy) {
    if (buffer_.empty()) buffer_.resize(options_.buffer_size);
    stats_->count(Call::Read);
    n = sys::read(src_, std::span(buffer_).first(std::min<std::uint64_t>(len, buffer_.size())));
    if (n == -EAGAIN) {
      if (int w = wait(src_, -1, nullptr); w < 0) input_error_ = -w;
      return;
    }
    if (n < 0) {
      input_error_ = static_cast<int>(-n);
      return;
    }
    if (n == 0) {
      eof_ = true;
      return;
    }
    consumed_ += static_cast<std::uint64_t>(n);
    if (progress_) progress_->advance(static_cast<std::uint64_t>(n));
    write_outputs(lane->outputs, static_cast<std::size_t>(n));
    return;
  }
  const Output& out = outputs_[lane->outputs.front()];
  std::size_t index = lane->outputs.front();
  stats_->count(Call::Splice);
  n = sys::splice(src_, nullptr, out.fd, nullptr, static_cast<std::size_t>(len), SPLICE_F_MOVE);
  if (lane->in.falls_back(n, *stats_)) {
    demote(*lane);
    return;
  }
  if (n > 0) {
    consumed_ += static_cast<std::uint64_t>(n);
    stats_->add(Path::Splice, static_cast<std::uint64_t>(n));
    if (progress_) progress_->advance(static_cast<std::uint64_t>(n));
    return;
  }
  if (n == 0) {
    if (!use_broker_) eof_ = true;
    return;
  }
  if (n == -EAGAIN) {
    if (int w = wait(src_, out.fd, &out.info); w < 0) input_error_ = -w;
    return;
  }
  output_failed(index, static_cast<int>(-n));
}

void Fanout::output_failed(std::size_t output, int err) {
  Output& o = outputs_[output];
  if (!o.live) return;
  o.live = false;
  if (o.lane != kNoLane) {
    Lane& lane = *lanes_[o.lane];
    std::erase(lane.outputs, output);
    if (lane.outputs.empty()) {
      lane.live = false;
      lane.pipe = Pipe{};  // bytes queued for a dead output are dropped with it
      lane.pending = 0;
    }
  }
  if (on_error_ && (*on_error_)(output, err) == FanoutAction::Stop) stop_ = true;
}

// Plain read/write to every live output: --no-splice, inputs that refuse splice, no tee(2).
// A broker that already holds input is emptied first, so no byte is lost or repeated.
void Fanout::run_copy() {
  if (buffer_.empty()) buffer_.resize(options_.buffer_size);
  std::vector<std::size_t> all;
  for (std::size_t i = 0; i < outputs_.size(); ++i) all.push_back(i);
  while (!stop_ && live_outputs() > 0) {
    bool from_broker = use_broker_ && consumed_ < end_;
    int fd = from_broker ? src_ : in_;
    std::size_t want = buffer_.size();
    if (from_broker) want = static_cast<std::size_t>(std::min<std::uint64_t>(want, end_ - consumed_));
    stats_->count(Call::Read);
    ssize_t n = sys::read(fd, std::span(buffer_).first(want));
    if (n == -EAGAIN) {
      if (int w = wait(fd, -1, nullptr); w < 0) {
        input_error_ = -w;
        return;
      }
      continue;
    }
    if (n < 0) {
      input_error_ = static_cast<int>(-n);
      return;
    }
    if (n == 0) {
      eof_ = true;
      return;
    }
    consumed_ += static_cast<std::uint64_t>(n);
    if (!from_broker) end_ = consumed_;
    if (progress_) progress_->advance(static_cast<std::uint64_t>(n));
    write_outputs(all, static_cast<std::size_t>(n));
  }
}

// Waits until `in_fd` is readable and `out_fd` writable (either may be -1); regular files are
// always ready. An EAGAIN does not say which end would block, so both are checked.
int Fanout::wait(int in_fd, int out_fd, const FdInfo* out_info) {
  bool need_in = in_fd >= 0;
  bool need_out = out_fd >= 0 && (!out_info || pollable(*out_info));
  while (need_in || need_out) {
    struct pollfd fds[2];
    nfds_t n = 0;
    if (need_in) fds[n++] = {in_fd, POLLIN, 0};
    if (need_out) fds[n++] = {out_fd, POLLOUT, 0};
    stats_->count(Call::Poll);
    int rc = ::poll(fds, n, -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    nfds_t i = 0;
    if (need_in && fds[i++].revents != 0) need_in = false;
    if (need_out && fds[i].revents != 0) need_out = false;
  }
  return 0;
}

}  // namespace conduit
