// fanout: the fan-out engine's rounds; see fanout.hpp for the lanes, the pacing and the rules.
//
// One step on the splice path: (1) drain the lanes' pipes to their outputs, so that an output
// that has just become writable does not look full to the tee; (2) refill the broker when the
// source is ours and has room; (3) tee into every lane level with the consumed position;
// (4) drain again, while the pages are hot; (5) consume what every lane already has (the
// consumer lane's splice, or a splice into /dev/null). Every call on a pipe is SPLICE_F_NONBLOCK:
// an empty source or a full pipe is EAGAIN, recorded in wait_ for the driver, never a wait here.
// The read/write path (copy_step) gives each output what it can take and keeps the rest in its
// backlog, at most pipe_size bytes ahead of it.
#include "conduit/fanout.hpp"

#include <fcntl.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <limits>

#include "conduit/progress.hpp"
#include "conduit/sys.hpp"

namespace conduit {

namespace {

constexpr std::size_t kNoLane = std::numeric_limits<std::size_t>::max();
// Per call on an external source pipe; tee/splice return what the pipe holds anyway.
constexpr std::size_t kChunk = 1u << 30;
constexpr unsigned kNonBlock = SPLICE_F_NONBLOCK;
// give(): the bytes are not new stream bytes for the outputs (their lane already counted them).
constexpr std::uint64_t kNoOffset = std::numeric_limits<std::uint64_t>::max();

}  // namespace

struct Fanout::Output {
  int fd = -1;
  FdInfo info;
  Writer writer;
  bool live = true;
  bool blocked = false;              // EAGAIN: waits for writable()
  std::size_t lane = kNoLane;
  std::uint64_t join = 0;            // stream offset of its first byte
  std::uint64_t pos = 0;             // stream offset up to which it has been given bytes
  std::uint64_t sent = 0;            // bytes written to it
  std::vector<std::byte> backlog;    // copying: given, not yet written (from backlog_off)
  std::size_t backlog_off = 0;
  Clock::time_point last_progress{};

  std::uint64_t queued() const noexcept { return pos - join - sent; }
  bool backlogged() const noexcept { return backlog_off < backlog.size(); }
};

struct Fanout::Lane {
  enum class Kind : std::uint8_t { Direct, Splice, Copy };
  Kind kind = Kind::Splice;
  bool consumer = false;
  bool live = true;
  PathProbe in;             // a tee into it (or, for the consumer, a splice) has worked
  PathProbe out;            // a splice out of its pipe has worked
  std::vector<Id> outputs;
  Pipe pipe;                // Splice and Copy lanes that are not the consumer
  std::uint64_t pos = 0;    // source bytes this lane has been given
  std::size_t pending = 0;  // bytes waiting in `pipe`
};

Fanout::Fanout(FanoutOptions options, Stats* stats, Progress* progress)
    : options_(options), stats_(stats ? stats : &local_stats_), progress_(progress) {}

Fanout::~Fanout() = default;

long Fanout::add_output(int fd, const FdInfo& info, Writer writer) {
  auto out = std::make_unique<Output>();
  out->fd = fd;
  out->info = info;
  out->writer = std::move(writer);
  out->join = out->pos = consumed();
  out->last_progress = Clock::now();
  Id id = outputs_.size();
  outputs_.push_back(std::move(out));
  if (started_ && !copy_mode_) {
    Output& o = *outputs_[id];
    bool copies = o.writer || o.info.append || o.info.kind == FdKind::Tty;
    if (int rc = new_lane(id, copies); rc < 0) {
      o.live = false;
      return rc;
    }
  }
  return static_cast<long>(id);
}

// A lane of its own for output `id`, level with the source. 0, or -errno (no pipe).
int Fanout::new_lane(Id id, bool copies) {
  Output& o = *outputs_[id];
  auto lane = std::make_unique<Lane>();
  lane->kind = copies ? Lane::Kind::Copy
                      : (o.info.kind == FdKind::Pipe ? Lane::Kind::Direct : Lane::Kind::Splice);
  lane->outputs.push_back(id);
  lane->pos = consumed();
  if (lane->kind == Lane::Kind::Direct) {
    grow_pipe(o.fd, options_.pipe_size);
  } else if (started_) {
    if (int rc = lane->pipe.open(O_NONBLOCK); rc < 0) return rc;
    lane->pipe.grow(std::max(source_.capacity(), options_.pipe_size));
  }
  o.lane = lanes_.size();
  lanes_.push_back(std::move(lane));
  return 0;
}

void Fanout::remove_output(Id id) {
  Output& o = *outputs_.at(id);
  if (!o.live) return;
  o.live = false;
  o.backlog = {};
  o.backlog_off = 0;
  if (o.lane == kNoLane) return;
  Lane& lane = *lanes_[o.lane];
  std::erase(lane.outputs, id);
  if (lane.outputs.empty()) {
    lane.live = false;
    lane.pipe = Pipe{};  // bytes queued for a dead output are dropped with it
    lane.pending = 0;
  }
}

std::size_t Fanout::live_outputs() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(outputs_.begin(), outputs_.end(), [](const auto& o) { return o->live; }));
}

FanoutRoute Fanout::route(Id id) const {
  const Output& o = *outputs_.at(id);
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

std::uint64_t Fanout::head() const noexcept {
  return consumed() + (copy_mode_ || !started_ ? 0 : source_.held());
}
std::uint64_t Fanout::queued(Id id) const noexcept { return outputs_[id]->queued(); }
std::uint64_t Fanout::sent(Id id) const noexcept { return outputs_[id]->sent; }
std::uint64_t Fanout::joined(Id id) const noexcept { return outputs_[id]->join; }
Fanout::Clock::time_point Fanout::last_progress(Id id) const noexcept {
  return outputs_[id]->last_progress;
}

void Fanout::input_ready(bool hup) noexcept {
  ready_ = true;
  // The input pipe itself is the source: no writer left and nothing in it is the end (tee
  // cannot say so while the lane it is tried on is full).
  if (hup && started_ && !copy_mode_ && !source_.brokered() && source_.held() == 0) eof_ = true;
}

void Fanout::writable(Id id) noexcept {
  if (id < outputs_.size()) outputs_[id]->blocked = false;
}

bool Fanout::done() const noexcept {
  if (stop_ || live_outputs() == 0) return true;
  if (!ended()) return false;
  return std::none_of(outputs_.begin(), outputs_.end(),
                      [](const auto& o) { return o->live && o->queued() > 0; });
}

int Fanout::start(int in, const FdInfo& in_info) {
  in_ = in;
  started_ = true;
  if (in_info.kind == FdKind::Regular || in_info.kind == FdKind::BlockDevice) always_ready_ = true;
  buffer_.resize(options_.buffer_size);
  if (!options_.zero_copy) {
    copy_mode_ = true;
    return 0;
  }
  if (int rc = source_.open(in, in_info, options_.pipe_size, O_NONBLOCK); rc < 0) {
    copy_mode_ = true;
    return rc;
  }
  if (!plan()) copy_mode_ = true;
  return 0;
}

// Assigns every output a lane. False when the engine cannot set up (no pipes; lockstep with no
// output that takes splice: nothing to gain over plain copying).
bool Fanout::plan() {
  const bool lockstep = options_.pacing == FanoutPacing::Lockstep;
  std::size_t copy_lane = kNoLane;
  std::size_t consumer = kNoLane;
  for (Id i = 0; i < outputs_.size(); ++i) {
    Output& o = *outputs_[i];
    if (!o.live) continue;
    bool copies = o.writer || o.info.append || o.info.kind == FdKind::Tty;
    if (copies && lockstep && copy_lane != kNoLane) {  // one read per round for all of them
      lanes_[copy_lane]->outputs.push_back(i);
      o.lane = copy_lane;
      continue;
    }
    started_ = false;  // new_lane: pipes are opened below, once the consumer is known
    new_lane(i, copies);
    started_ = true;
    if (copies) copy_lane = o.lane;
    else consumer = o.lane;  // the last output that can take splice
  }
  if (lockstep) {
    if (consumer == kNoLane) return false;
    lanes_[consumer]->consumer = true;
  } else {
    devnull_.reset(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    if (!devnull_) return false;
  }
  for (auto& lane : lanes_) {
    if (lane->consumer || lane->kind == Lane::Kind::Direct) continue;
    if (lane->pipe.open(O_NONBLOCK) != 0) return false;
    lane->pipe.grow(std::max(source_.capacity(), options_.pipe_size));
  }
  return true;
}

void Fanout::took(std::uint64_t n) {
  source_.take(n);
  if (progress_) progress_->advance(n);
}

void Fanout::wait_output(Output& o) {
  o.blocked = true;
  wait_.outputs.push_back(o.fd);
}

// The time of this step, read once: a step never blocks, so one clock read serves every output
// it moves (a clock read per splice showed in xtee's profile).
Fanout::Clock::time_point Fanout::step_now() {
  if (!now_) now_ = Clock::now();
  return *now_;
}

bool Fanout::step() {
  wait_.input = false;
  wait_.outputs.clear();  // keeps its buffer: no allocation per step
  now_.reset();
  if (!started_ || stop_) return false;
  if (copy_mode_) return copy_step();
  bool moved = drain_lanes();
  if (!copy_mode_ && source_.brokered()) moved |= refill();
  if (!copy_mode_ && options_.pacing == FanoutPacing::Lockstep) promote_consumer();
  if (!copy_mode_ && reading()) moved |= tee_round();
  if (!copy_mode_) moved |= drain_lanes();
  if (!copy_mode_) moved |= consume();
  if (copy_mode_) return true;  // switched: the next step copies
  if (input_end_ && source_.held() == 0) eof_ = true;
  return moved;
}

bool Fanout::refill() {
  if (!reading() || input_end_ || source_.room() == 0) return false;
  if (!ready_ && !always_ready_) {
    wait_.input = true;
    return false;
  }
  // A tty or socket that someone left blocking would block on a second call: call again only
  // after the driver saw it readable.
  ready_ = false;
  stats_->count(Call::Splice);
  ssize_t n = source_.refill(SPLICE_F_MOVE | kNonBlock);
  if (n > 0) {
    input_probe_.prove();
    return true;
  }
  if (n == 0) input_end_ = true;  // the end of the stream once the broker is empty
  else if (n == -EAGAIN) wait_.input = true;
  else if (input_probe_.falls_back(n, *stats_)) to_copy_mode();
  else input_error_ = static_cast<int>(-n);
  return false;
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

// Lockstep, after the consumer failed: the next lane level with the source takes over; when all
// are ahead of it they already have the bytes in between, which are then read and dropped.
void Fanout::promote_consumer() {
  Lane* best = nullptr;
  bool any = false;
  for (auto& lane : lanes_) {
    if (!lane->live) continue;
    if (lane->consumer) return;
    any = true;
    if (lane->pos != consumed() || lane->pending != 0) continue;
    if (std::any_of(lane->outputs.begin(), lane->outputs.end(),
                    [this](Id id) { return outputs_[id]->backlogged(); }))
      continue;
    if (!best || (best->kind == Lane::Kind::Copy && lane->kind != Lane::Kind::Copy))
      best = lane.get();
  }
  if (!any) return;
  if (best) {
    best->consumer = true;
    best->pipe = Pipe{};
    return;
  }
  std::uint64_t left = lane_limit() - consumed();
  while (left > 0) {
    stats_->count(Call::Read);
    ssize_t n = sys::read(source_.fd(),
                          std::span(buffer_).first(std::min<std::uint64_t>(left, buffer_.size())));
    if (n == -EAGAIN) {
      wait_.input = true;
      return;
    }
    if (n <= 0) {
      input_error_ = n < 0 ? static_cast<int>(-n) : EIO;
      return;
    }
    left -= static_cast<std::uint64_t>(n);
    took(static_cast<std::uint64_t>(n));
  }
}

bool Fanout::tee_round() {
  bool moved = false;
  full_.clear();
  for (std::size_t li = 0; li < lanes_.size() && !stop_; ++li) {
    Lane& lane = *lanes_[li];
    if (!lane.live || lane.consumer || lane.pos != consumed()) continue;
    std::size_t len = source_.brokered() ? static_cast<std::size_t>(source_.held()) : kChunk;
    if (len == 0) break;
    Output& first = *outputs_[lane.outputs.front()];
    int dst = lane.kind == Lane::Kind::Direct ? first.fd : lane.pipe.write_fd();
    stats_->count(Call::Tee);
    ssize_t n = sys::tee(source_.fd(), dst, len, kNonBlock);
    if (lane.in.falls_back(n, *stats_)) {
      if (!anyone_proven() && consumed() == 0) {
        to_copy_mode();  // tee(2) itself is refused; nothing has moved yet
        return true;
      }
      demote(lane);
      continue;
    }
    if (n > 0) {
      auto got = static_cast<std::uint64_t>(n);
      Clock::time_point now = step_now();
      lane.pos += got;
      for (Id id : lane.outputs) {
        Output& o = *outputs_[id];
        if (o.queued() == 0) o.last_progress = now;  // its idle clock starts now
        o.pos += got;
        if (lane.kind == Lane::Kind::Direct) o.sent += got;
      }
      if (lane.kind != Lane::Kind::Direct) lane.pending += static_cast<std::size_t>(n);
      stats_->add(Path::Tee, got);
      moved = true;
      continue;
    }
    if (n == 0) {  // no writer left and nothing queued: the end of the input
      if (!source_.brokered()) eof_ = true;
      return moved;
    }
    if (n == -EAGAIN) {
      if (source_.held() == 0) {
        wait_.input = true;  // the source is empty
        break;
      }
      full_.push_back(&lane);  // its pipe is full
      if (lane.kind == Lane::Kind::Direct) wait_output(first);
      continue;
    }
    std::vector<Id> victims = lane.outputs;
    for (Id o : victims) output_failed(o, static_cast<int>(-n));
  }
  drop_slow();
  return moved;
}

// Drop pacing: the lanes in full_ go once they hold the stream back.
void Fanout::drop_slow() {
  if (full_.empty() || options_.pacing != FanoutPacing::Drop || !input_waiting()) return;
  std::uint64_t now_head = head();
  for (Lane* lane : full_) {
    std::vector<Id> victims = lane->outputs;
    for (Id id : victims) {
      Output& o = *outputs_[id];
      if (!o.live) continue;
      std::uint64_t behind = now_head - o.join - o.sent;
      remove_output(id);
      if (on_slow_) on_slow_(id, behind);
    }
  }
  full_.clear();
}

// The stream is being held back: the source pipe is half full (read/write path: input waits).
bool Fanout::input_waiting() const {
  if (!copy_mode_) return source_.held() >= source_.capacity() / 2;
  if (source_.brokered() && source_.end() > consumed()) return true;
  return always_ready_ || sys::wait_fd(in_, POLLIN, 0) == 1;
}

// Switches a lane that the kernel refused to the copying path, before it delivered anything
// (the lane's probe has counted the fallback).
bool Fanout::demote(Lane& lane) {
  if (lane.kind == Lane::Kind::Direct && !lane.consumer) {
    if (int rc = lane.pipe.open(O_NONBLOCK); rc < 0) {
      std::vector<Id> victims = lane.outputs;
      for (Id o : victims) output_failed(o, -rc);
      return false;
    }
    lane.pipe.grow(std::max(source_.capacity(), options_.pipe_size));
  }
  lane.kind = Lane::Kind::Copy;
  return true;
}

bool Fanout::drain_lanes() {
  bool moved = false;
  for (std::size_t li = 0; li < lanes_.size() && !stop_ && !copy_mode_; ++li) {
    Lane& lane = *lanes_[li];
    if (lane.live && !lane.consumer) moved |= drain_lane(lane);
  }
  return moved;
}

bool Fanout::drain_lane(Lane& lane) {
  bool moved = false;
  while (lane.live && !stop_) {
    if (lane.kind == Lane::Kind::Copy) {
      if (!flush_backlogs(lane)) return moved;
      if (lane.pending == 0) return moved;
      stats_->count(Call::Read);
      ssize_t n = sys::read(lane.pipe.read_fd(),
                            std::span(buffer_).first(std::min(lane.pending, buffer_.size())));
      if (n <= 0) {  // our own pipe with bytes in it: cannot happen short of memory trouble
        std::vector<Id> victims = lane.outputs;
        for (Id o : victims) output_failed(o, n < 0 ? static_cast<int>(-n) : EIO);
        return moved;
      }
      lane.pending -= static_cast<std::size_t>(n);
      give(lane.outputs, std::span<const std::byte>(buffer_).first(static_cast<std::size_t>(n)), kNoOffset);
      moved = true;
      continue;
    }
    if (lane.pending == 0) return moved;
    Id id = lane.outputs.front();
    Output& out = *outputs_[id];
    if (out.blocked) {
      wait_.outputs.push_back(out.fd);
      return moved;
    }
    stats_->count(Call::Splice);
    ssize_t n = sys::splice(lane.pipe.read_fd(), nullptr, out.fd, nullptr, lane.pending,
                            SPLICE_F_MOVE | kNonBlock);
    if (lane.out.falls_back(n, *stats_)) {
      // Lockstep outputs are of every kind: only this one copies. A server's are all sockets:
      // what one refuses, all will, so the whole run moves to read/write.
      if (options_.pacing != FanoutPacing::Lockstep) {
        to_copy_mode();
        return true;
      }
      lane.kind = Lane::Kind::Copy;  // the bytes already teed go out by read/write
      continue;
    }
    if (n > 0) {
      lane.pending -= static_cast<std::size_t>(n);
      out.sent += static_cast<std::uint64_t>(n);
      out.last_progress = step_now();
      stats_->add(Path::Splice, static_cast<std::uint64_t>(n));
      moved = true;
      continue;
    }
    if (n == -EAGAIN) {
      wait_output(out);
      return moved;
    }
    output_failed(id, n < 0 ? static_cast<int>(-n) : EIO);
    return moved;
  }
  return moved;
}

long Fanout::write_to(Output& o, std::span<const std::byte> data) {
  stats_->count(Call::Write);
  long n = o.writer ? o.writer(data) : static_cast<long>(sys::write(o.fd, data));
  if (n > 0) {
    o.sent += static_cast<std::uint64_t>(n);
    o.last_progress = step_now();
    stats_->add(Path::ReadWrite, static_cast<std::uint64_t>(n));
  }
  return n;
}

// Writes out what each output of `ids` holds in its backlog; true when none holds anything.
bool Fanout::flush_backlogs(Lane& lane) { return flush(lane.outputs); }

bool Fanout::flush(const std::vector<Id>& ids) {
  bool clear = true;
  std::vector<Id> list = ids;  // failures edit the lane's list
  for (Id id : list) {
    Output& o = *outputs_[id];
    if (!o.live || !o.backlogged()) continue;
    if (o.blocked) {
      wait_.outputs.push_back(o.fd);
      clear = false;
      continue;
    }
    while (o.backlogged()) {
      long n = write_to(o, std::span<const std::byte>(o.backlog).subspan(o.backlog_off));
      if (n > 0) {
        o.backlog_off += static_cast<std::size_t>(n);
        continue;
      }
      if (n == -EAGAIN) {
        wait_output(o);
      } else {
        output_failed(id, n < 0 ? static_cast<int>(-n) : EIO);
      }
      break;
    }
    if (!o.live) continue;
    if (o.backlogged()) {
      clear = false;
    } else {
      o.backlog.clear();
      o.backlog_off = 0;
    }
  }
  return clear && !stop_;
}

// Gives `data` to each output of `ids`: written at once where it can be, the rest kept in the
// output's backlog. `from`: the stream offset of data[0] when these are new stream bytes (the
// read/write path: an output ahead of it, fed by tee before a fallback, skips what it has), or
// kNoOffset when the output's position already counts them.
void Fanout::give(const std::vector<Id>& ids, std::span<const std::byte> data, std::uint64_t from) {
  std::vector<Id> list = ids;
  for (Id id : list) {
    if (stop_) return;
    Output& o = *outputs_[id];
    if (!o.live) continue;
    std::uint64_t skip = from == kNoOffset ? 0 : std::min<std::uint64_t>(data.size(), o.pos - std::min(o.pos, from));
    auto part = data.subspan(static_cast<std::size_t>(skip));
    if (from != kNoOffset) {
      if (o.queued() == 0 && !part.empty()) o.last_progress = step_now();
      o.pos = std::max(o.pos, from + data.size());
    }
    std::size_t off = 0;
    if (!o.backlogged() && !o.blocked) {
      while (off < part.size()) {
        long n = write_to(o, part.subspan(off));
        if (n > 0) {
          off += static_cast<std::size_t>(n);
          continue;
        }
        if (n == -EAGAIN) wait_output(o);
        else output_failed(id, n < 0 ? static_cast<int>(-n) : EIO);
        break;
      }
    }
    if (o.live && off < part.size()) {
      if (o.backlog_off > 0) {  // keep it compact
        o.backlog.erase(o.backlog.begin(), o.backlog.begin() + static_cast<std::ptrdiff_t>(o.backlog_off));
        o.backlog_off = 0;
      }
      o.backlog.insert(o.backlog.end(), part.begin() + static_cast<std::ptrdiff_t>(off), part.end());
    }
  }
}

bool Fanout::consume() {
  Lane* lane = nullptr;
  bool others = false;
  for (auto& l : lanes_) {
    if (!l->live) continue;
    if (l->consumer) lane = l.get();
    else others = true;
  }
  if (options_.pacing == FanoutPacing::Lockstep && !lane) return false;  // no output left
  std::uint64_t len;
  if (others) len = lane_limit() - consumed();
  else if (lane || reading()) len = kChunk;  // nobody (a server): a live stream is discarded
  else len = 0;
  if (source_.brokered()) len = std::min<std::uint64_t>(len, source_.held());
  if (len == 0) return false;  // a lane is level with the source and got nothing this round

  if (lane && lane->kind == Lane::Kind::Copy) return consume_copy(*lane, len);
  Output* out = lane ? outputs_[lane->outputs.front()].get() : nullptr;
  if (out && out->blocked) {
    wait_.outputs.push_back(out->fd);
    return false;
  }
  int dst = out ? out->fd : devnull_.get();
  stats_->count(Call::Splice);
  ssize_t n = sys::splice(source_.fd(), nullptr, dst, nullptr, static_cast<std::size_t>(len),
                          SPLICE_F_MOVE | kNonBlock);
  if (out ? lane->in.falls_back(n, *stats_) : devnull_probe_.falls_back(n, *stats_)) {
    if (out) demote(*lane);
    else to_copy_mode();
    return true;
  }
  if (n > 0) {
    auto got = static_cast<std::uint64_t>(n);
    took(got);
    if (out) {
      out->pos += got;
      out->sent += got;
      out->last_progress = step_now();
      stats_->add(Path::Splice, got);
    }
    return true;
  }
  if (n == 0) {
    if (!source_.brokered()) eof_ = true;
  } else if (n == -EAGAIN) {
    if (source_.held() == 0) wait_.input = true;
    else if (out) wait_output(*out);
  } else if (out) {
    output_failed(lane->outputs.front(), static_cast<int>(-n));
  } else {
    input_error_ = static_cast<int>(-n);
  }
  return false;
}

// The consumer copies: it reads the source itself, at most `len`, and writes its outputs.
bool Fanout::consume_copy(Lane& lane, std::uint64_t len) {
  if (!flush_backlogs(lane)) return false;
  stats_->count(Call::Read);
  ssize_t n = sys::read(source_.fd(), std::span(buffer_).first(std::min<std::uint64_t>(len, buffer_.size())));
  if (n == -EAGAIN) {
    wait_.input = true;
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
  auto got = static_cast<std::uint64_t>(n);
  took(got);
  for (Id id : lane.outputs) outputs_[id]->pos += got;
  give(lane.outputs, std::span<const std::byte>(buffer_).first(static_cast<std::size_t>(n)), kNoOffset);
  return true;
}

void Fanout::output_failed(Id id, int err) {
  Output& o = *outputs_[id];
  if (!o.live) return;
  remove_output(id);
  if (on_error_ && on_error_(id, err) == FanoutAction::Stop) stop_ = true;
}

// Moves every lane's queued pages into its outputs' backlogs; from here on the source pipe (what
// is left in it) and then the input are read with read(2). (The probe that ordered it has
// counted the fallback.)
void Fanout::to_copy_mode() {
  copy_mode_ = true;
  for (auto& lane : lanes_) {
    if (!lane->live || !lane->pipe.valid()) continue;
    while (lane->pending > 0) {
      stats_->count(Call::Read);
      ssize_t n = sys::read(lane->pipe.read_fd(),
                            std::span(buffer_).first(std::min(lane->pending, buffer_.size())));
      if (n <= 0) {  // our own pipe with bytes in it: only memory trouble gets here
        std::vector<Id> victims = lane->outputs;
        for (Id o : victims) output_failed(o, n < 0 ? static_cast<int>(-n) : EIO);
        break;
      }
      lane->pending -= static_cast<std::size_t>(n);
      for (Id id : lane->outputs) {
        Output& o = *outputs_[id];
        o.backlog.insert(o.backlog.end(), buffer_.begin(), buffer_.begin() + n);
      }
    }
  }
  for (auto& o : outputs_) o->lane = kNoLane;
  lanes_.clear();
}

// ---- the read/write path ----

bool Fanout::copy_step() {
  std::vector<Id> all;
  for (Id i = 0; i < outputs_.size(); ++i)
    if (outputs_[i]->live) all.push_back(i);
  std::uint64_t sent_before = 0;
  for (Id i : all) sent_before += outputs_[i]->sent;
  flush(all);
  std::uint64_t sent_after = 0;
  for (Id i : all) sent_after += outputs_[i]->sent;
  bool moved = sent_after != sent_before;
  if (stop_ || hold_ || input_closed_ || input_error_ != 0 || eof_) return moved;

  bool from_broker = source_.brokered() && source_.end() > consumed();
  if (!from_broker && input_end_) {  // the input ended before the fallback: do not read it again
    eof_ = true;
    return moved;
  }
  // The most every output can take: its backlog is bounded by pipe_size. An output ahead of the
  // consumed position (pages teed before a fallback) skips what it already has.
  std::size_t want = buffer_.size();
  std::vector<Id> full;
  for (Id i : all) {
    Output& o = *outputs_[i];
    if (!o.live) continue;
    std::uint64_t room = options_.pipe_size + (o.pos - consumed());
    room = room > o.queued() ? room - o.queued() : 0;
    if (room == 0) full.push_back(i);
    else want = static_cast<std::size_t>(std::min<std::uint64_t>(want, room));
  }
  if (!full.empty()) {
    if (options_.pacing != FanoutPacing::Drop || !input_waiting()) {
      for (Id i : full) wait_.outputs.push_back(outputs_[i]->fd);
      return moved;  // block, or nobody is waiting for it yet
    }
    std::uint64_t now_head = head();
    for (Id i : full) {
      const Output& o = *outputs_[i];
      std::uint64_t behind = now_head - o.join - o.sent;
      remove_output(i);
      if (on_slow_) on_slow_(i, behind);
    }
  }
  // (no output: a live stream is read and discarded)
  if (from_broker) {
    want = static_cast<std::size_t>(std::min<std::uint64_t>(want, source_.held()));
  } else if (!ready_ && !always_ready_) {
    wait_.input = true;
    return moved;
  } else {
    ready_ = false;  // one read per readiness: the input may be a blocking tty or socket
  }
  stats_->count(Call::Read);
  ssize_t n = sys::read(from_broker ? source_.fd() : in_, std::span(buffer_).first(want));
  if (n == 0) {
    eof_ = true;
    return moved;
  }
  if (n == -EAGAIN) {
    wait_.input = true;
    return moved;
  }
  if (n < 0) {
    input_error_ = static_cast<int>(-n);
    return moved;
  }
  auto got = static_cast<std::uint64_t>(n);
  std::uint64_t from = consumed();
  took(got);
  if (!from_broker) source_.skip_broker();
  give(all, std::span<const std::byte>(buffer_).first(static_cast<std::size_t>(n)), from);
  return true;
}

bool Fanout::wants_input() const noexcept {
  if (!started_ || !reading() || always_ready_) return false;
  if (copy_mode_) {
    if (source_.brokered() && source_.end() > consumed()) return false;  // leftovers first
    for (const auto& o : outputs_)
      if (o->live && o->queued() >= options_.pipe_size + (o->pos - consumed())) return false;
    return true;
  }
  if (source_.brokered()) return !input_end_ && source_.held() < source_.capacity();
  return source_.held() == 0;
}

// ---- the blocking driver ----

FanoutResult Fanout::run(int in, const FdInfo& in_info, const ErrorHandler& on_error) {
  on_error_ = on_error;
  start(in, in_info);
  // A blocking driver may read whenever it likes: a blocking input waits in the kernel, an
  // O_NONBLOCK one says EAGAIN and is polled below.
  always_ready_ = true;
  // One poll set for the whole run: allocating it per wait showed in xtee's profile (the first
  // thing touched after every wake-up).
  std::vector<pollfd> fds;
  while (!done()) {
    if (step()) continue;
    if (done()) break;
    fds.clear();
    if (wait_.input || wait_.outputs.empty()) fds.push_back({in_, POLLIN, 0});
    for (int fd : wait_.outputs) fds.push_back({fd, POLLOUT, 0});
    stats_->count(Call::Poll);
    int rc = ::poll(fds.data(), fds.size(), -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      input_error_ = errno;
      break;
    }
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.events == POLLIN) {
        input_ready((p.revents & POLLHUP) != 0);
      } else {
        for (auto& o : outputs_)
          if (o->fd == p.fd) o->blocked = false;
      }
    }
  }
  on_error_ = nullptr;
  return FanoutResult{consumed(), input_error_, stop_};
}

}  // namespace conduit
