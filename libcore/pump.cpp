// pump: one fd to another by the best path, falling back on the first call only.
//
// Each zero-copy path is one system call run by one shared loop, zero_copy(), which returns
// through fail() on a real error, or hands the stream to the next slower path when the path's
// *first* call says "not supported here" (nothing has moved yet, so nothing is lost or
// duplicated). PathRules names the few ways the paths differ. The broker path is the one place
// where a refusal can come after input has moved (the output end refuses splice): the bytes
// already in the broker pipe are then drained by read/write before the stream goes on that way.
#include "conduit/pump.hpp"

#include <fcntl.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "conduit/probe.hpp"
#include "conduit/progress.hpp"
#include "conduit/sys.hpp"

namespace conduit {

struct Pump::Stream {
  static constexpr loff_t kMaxOffset = INT64_MAX;

  Stream(int in_fd, const FdInfo& in_kind, int out_fd, const FdInfo& out_kind)
      : in(in_fd), out(out_fd), in_info(in_kind), out_info(out_kind) {}

  int in;
  int out;
  const FdInfo& in_info;
  const FdInfo& out_info;
  bool use_offset = false;  // read at `offset` (pread style) instead of the file position
  loff_t offset = 0;
  std::optional<std::uint64_t> left;  // bytes left in the range; none = until EOF
  std::uint64_t moved = 0;            // bytes delivered to `out` in this run

  // Reading at `offset`, the last byte a file can have is at 2^63-2 (offsets are loff_t): from
  // 2^63-1 on there is nothing, and a call's offset + length must not pass that bound, or
  // copy_file_range, splice and pread all refuse it (EINVAL) instead of reading up to the end.
  std::uint64_t room() const noexcept {
    return use_offset ? static_cast<std::uint64_t>(kMaxOffset - offset) : UINT64_MAX;
  }
  bool done() const noexcept { return (left && *left == 0) || room() == 0; }
  std::size_t chunk(std::size_t max) const noexcept {
    std::uint64_t n = std::min<std::uint64_t>({max, room(), left.value_or(UINT64_MAX)});
    return static_cast<std::size_t>(n);
  }
  loff_t* in_offset() noexcept { return use_offset ? &offset : nullptr; }
  void advance(std::uint64_t n) noexcept {
    moved += n;
    if (left) *left -= n;
  }
};

namespace {

// copy_file_range and sendfile do not say which end failed. These errors come from writing.
PumpResult::Side side_of(int err) noexcept {
  switch (err) {
    case EPIPE: case ENOSPC: case EDQUOT: case EFBIG: case ECONNRESET:
      return PumpResult::Side::Output;
    default:
      return PumpResult::Side::Input;
  }
}

// A splice with a pipe at one end: a pipe fails only as an output without readers (EPIPE), so
// an error that is not one of writing's own is the other end's. A socket's reset read into
// stdout is the peer's, not standard output's; EIO writing a pipe into a file is the file's.
PumpResult::Side direct_side(const FdInfo& in, const FdInfo& out, int err) noexcept {
  if (err != ECONNRESET && side_of(err) == PumpResult::Side::Output) return PumpResult::Side::Output;
  bool in_pipe = in.kind == FdKind::Pipe, out_pipe = out.kind == FdKind::Pipe;
  return in_pipe && !out_pipe ? PumpResult::Side::Output : PumpResult::Side::Input;
}

// A page-aligned window of `size` bytes inside `storage` (sized once): the kernel copies into a
// page-aligned buffer about 3x faster than into malloc's 16-byte-offset one (128 KiB reads:
// ~25 us against ~79 us here).
std::span<std::byte> aligned_window(std::vector<std::byte>& storage, std::size_t size) {
  constexpr std::size_t kPage = 4096;
  if (storage.size() < size + kPage) storage.resize(size + kPage);
  auto address = reinterpret_cast<std::uintptr_t>(storage.data());
  std::size_t skip = (kPage - address % kPage) % kPage;
  return std::span(storage).subspan(skip, size);
}

PumpResult fail(std::uint64_t moved, int err, PumpResult::Side side) {
  return PumpResult{moved, err, side};
}

bool polls(const FdInfo& info) noexcept {
  return info.kind != FdKind::Regular && info.kind != FdKind::BlockDevice;
}

// Whether reading `info` can sleep inside splice. A splice from a socket, tty or device into a
// pipe sleeps in the source's read with the pipe's lock held (docs/ARCHITECTURE.md, the pump's
// rules): whoever reads that pipe cannot take the bytes already in it until more come. Such an
// input is polled first, so the splice only takes what is there. A pipe waits without its lock,
// regular files and block devices do not wait, /dev/zero and /dev/null never.
bool sleeps_in_splice(const FdInfo& info) noexcept {
  return polls(info) && info.kind != FdKind::Pipe && info.kind != FdKind::DevNull &&
         !info.nonblock;
}

// Big enough to need few calls, small enough that --progress redraws and signals stay timely.
constexpr std::size_t kSendChunk = 16u << 20;
constexpr std::size_t kSpliceChunk = 1u << 30;

}  // namespace

Pump::Pump(PumpOptions options, Stats* stats, Progress* progress)
    : options_(options), stats_(stats ? stats : &local_stats_), progress_(progress) {}

void Pump::moved(Path path, std::uint64_t n) {
  stats_->add(path, n);
  if (progress_) progress_->advance(n);
}

// Waits (poll, never a spin) until `in` is readable and `out` writable. An EAGAIN does not say
// which end would block, so both are checked; regular files are always ready.
int Pump::wait_ready(const Stream& s) {
  bool need_in = polls(s.in_info), need_out = polls(s.out_info);
  while (need_in || need_out) {
    struct pollfd fds[2];
    int n = 0;
    if (need_in) fds[n++] = {s.in, POLLIN, 0};
    if (need_out) fds[n++] = {s.out, POLLOUT, 0};
    stats_->count(Call::Poll);
    int rc = ::poll(fds, static_cast<nfds_t>(n), -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    int i = 0;
    if (need_in && fds[i++].revents != 0) need_in = false;
    if (need_out && fds[i].revents != 0) need_out = false;
  }
  return 0;
}

PumpResult Pump::run(int in, const FdInfo& in_info, int out, const FdInfo& out_info,
                     const Range& range) {
  Stream s(in, in_info, out, out_info);
  s.left = range.length;
  if (range.offset) {
    if (!polls(in_info)) {
      s.use_offset = true;
      // Past 2^63-1 (`--offset 16E`) there is nothing to read either: stop at that bound.
      s.offset = static_cast<loff_t>(std::min<std::uint64_t>(*range.offset, Stream::kMaxOffset));
    } else if (int rc = skip_input(s, *range.offset); rc < 0) {
      return PumpResult{0, -rc, PumpResult::Side::Input};
    }
  }
  if (s.done()) return {};

  // O_APPEND outputs refuse splice, sendfile and copy_file_range alike: skip the doomed tries.
  if (!options_.zero_copy || out_info.append) return read_write(s);
  if (in_info.kind == FdKind::Regular && out_info.kind == FdKind::Regular) return copy_range(s);
  if (in_info.kind == FdKind::Pipe || out_info.kind == FdKind::Pipe) return splice_direct(s);
  if (in_info.kind == FdKind::Regular && out_info.kind == FdKind::Socket) return send_file(s);
  return splice_broker(s);
}

// How one zero-copy path differs from the others, besides its call, its fallback and what it
// does with the bytes a call moved.
struct Pump::PathRules {
  Call call;  // counted once per system call
  // EAGAIN: poll until both ends are ready, naming this end if poll itself fails. None: EAGAIN
  // is an error like any other (copy_file_range: two regular files never block).
  std::optional<PumpResult::Side> wait_side = std::nullopt;
  // What a 0 from the first call means: the end, or (copy_file_range: procfs answers so
  // although it has data) "unsupported".
  PathProbe::FirstZero first_zero = PathProbe::FirstZero::End;
  // Which end an error of the call is: by errno (sendfile), by which end is not a pipe
  // (splice_direct), or always the input: the output end is our own broker pipe, or
  // (copy_file_range) the call cannot tell which end failed and GNU cat names the input
  // ("cat: INFILE: No space left on device"), going on with the next operand.
  enum class Blame : std::uint8_t { ByErrno, NonPipeEnd, Input };
  Blame blame = Blame::ByErrno;

  PumpResult::Side side(const Stream& s, int err) const noexcept {
    switch (blame) {
      case Blame::ByErrno: return side_of(err);
      case Blame::NonPipeEnd: return direct_side(s.in_info, s.out_info, err);
      case Blame::Input: return PumpResult::Side::Input;
    }
    return PumpResult::Side::Input;
  }
};

// The loop all zero-copy paths share. `call()` makes one system call (bytes or -errno);
// `deliver(n)` takes the n bytes it moved and returns a result only to end the stream there.
// A refusal before any byte has moved hands the stream to `fallback`; after that an error is real.
template <class Syscall, class Deliver>
PumpResult Pump::zero_copy(Stream& s, const PathRules& rules, Syscall call,
                           PumpResult (Pump::*fallback)(Stream&), Deliver deliver) {
  PathProbe probe(rules.first_zero);
  for (;;) {
    if (s.done()) return {s.moved};
    stats_->count(rules.call);
    ssize_t n = call();
    if (n == -EAGAIN && rules.wait_side) {
      if (int w = wait_ready(s); w < 0) return fail(s.moved, -w, *rules.wait_side);
      continue;
    }
    if (probe.falls_back(n, *stats_)) return (this->*fallback)(s);
    if (n < 0) {
      int err = static_cast<int>(-n);
      return fail(s.moved, err, rules.side(s, err));
    }
    if (n == 0) return {s.moved};
    if (std::optional<PumpResult> end = deliver(static_cast<std::size_t>(n))) return *end;
  }
}

// The delivery of a path whose call writes straight to the output: count the bytes.
std::optional<PumpResult> Pump::delivered(Stream& s, Path path, std::size_t n) {
  s.advance(n);
  moved(path, n);
  return std::nullopt;
}

PumpResult Pump::copy_range(Stream& s) {
  static constexpr PathRules kRules{.call = Call::CopyFileRange,
                                    .first_zero = PathProbe::FirstZero::Refusal,
                                    .blame = PathRules::Blame::Input};
  return zero_copy(
      s, kRules,
      [&] {
        return sys::copy_file_range(s.in, s.in_offset(), s.out, nullptr, s.chunk(kSpliceChunk), 0);
      },
      &Pump::splice_broker, [&](std::size_t n) { return delivered(s, Path::CopyFileRange, n); });
}

PumpResult Pump::send_file(Stream& s) {
  static constexpr PathRules kRules{.call = Call::Sendfile, .wait_side = PumpResult::Side::Output};
  return zero_copy(
      s, kRules,
      [&] {
        off_t* offset = s.use_offset ? &s.offset : nullptr;
        return sys::sendfile(s.out, s.in, offset, s.chunk(kSendChunk));
      },
      &Pump::splice_broker, [&](std::size_t n) { return delivered(s, Path::Sendfile, n); });
}

PumpResult Pump::splice_direct(Stream& s) {
  static constexpr PathRules kRules{.call = Call::Splice, .wait_side = PumpResult::Side::Input,
                                    .blame = PathRules::Blame::NonPipeEnd};
  // The output is a pipe someone else reads: never sleep inside the splice waiting for input.
  bool poll_first = s.out_info.kind == FdKind::Pipe && sleeps_in_splice(s.in_info);
  return zero_copy(
      s, kRules,
      [&]() -> ssize_t {
        if (poll_first) {
          stats_->count(Call::Poll);
          if (int w = sys::wait_fd(s.in, POLLIN); w < 0) return w;
        }
        return sys::splice(s.in, s.in_offset(), s.out, nullptr, s.chunk(kSpliceChunk),
                           SPLICE_F_MOVE);
      },
      &Pump::read_write, [&](std::size_t n) { return delivered(s, Path::Splice, n); });
}

int Pump::ensure_broker() {
  if (broker_.valid()) return 0;
  if (broker_error_ < 0) return broker_error_;
  if (int rc = broker_.open(); rc < 0) {
    broker_error_ = rc;
    return rc;
  }
  broker_.grow(options_.pipe_size);
  return 0;
}

// The broker's input half is a zero-copy path like the others; its output half is broker_out().
PumpResult Pump::splice_broker(Stream& s) {
  if (ensure_broker() < 0) {
    stats_->fallbacks++;
    return read_write(s);
  }
  static constexpr PathRules kRules{.call = Call::Splice, .wait_side = PumpResult::Side::Input,
                                    .blame = PathRules::Blame::Input};
  PathProbe output;  // the splice out of the broker: a path of its own
  return zero_copy(
      s, kRules,
      [&] {
        return sys::splice(s.in, s.in_offset(), broker_.write_fd(), nullptr,
                           s.chunk(broker_.capacity()), SPLICE_F_MOVE);
      },
      &Pump::read_write, [&](std::size_t n) { return broker_out(s, n, output); });
}

// Moves the `n` bytes just spliced into the broker on to the output before more are read. The
// output's first refusal (`output` not yet proven) sends them, and the rest of the stream, by
// read/write instead.
std::optional<PumpResult> Pump::broker_out(Stream& s, std::size_t n, PathProbe& output) {
  std::size_t pending = n;
  while (pending > 0) {
    stats_->count(Call::Splice);
    ssize_t m = sys::splice(broker_.read_fd(), nullptr, s.out, nullptr, pending, SPLICE_F_MOVE);
    if (m == -EAGAIN) {
      if (int w = wait_ready(s); w < 0) return fail(s.moved, -w, PumpResult::Side::Output);
      continue;
    }
    if (output.falls_back(m, *stats_)) {
      if (PumpResult r = drain_broker(s, pending); !r.ok()) return r;
      if (s.left) *s.left -= pending;
      return read_write(s);
    }
    if (m < 0) {
      broker_ = Pipe{};  // holds bytes of a stream that failed: never reuse it
      return fail(s.moved, static_cast<int>(-m), PumpResult::Side::Output);
    }
    pending -= static_cast<std::size_t>(m);
    s.moved += static_cast<std::uint64_t>(m);
    moved(Path::SpliceBroker, static_cast<std::uint64_t>(m));
  }
  if (s.left) *s.left -= static_cast<std::uint64_t>(n);
  return std::nullopt;
}

PumpResult Pump::drain_broker(Stream& s, std::size_t pending) {
  auto buffer = aligned_window(buffer_, options_.buffer_size);
  while (pending > 0) {
    stats_->count(Call::Read);
    ssize_t n = sys::read(broker_.read_fd(), buffer.first(std::min(pending, buffer.size())));
    if (n <= 0) {
      broker_ = Pipe{};
      return fail(s.moved, n < 0 ? static_cast<int>(-n) : EIO, PumpResult::Side::Input);
    }
    std::size_t written = 0;
    stats_->count(Call::Write);
    ssize_t w = sys::write_all(s.out, std::span<const std::byte>(buffer).first(static_cast<std::size_t>(n)), &written);
    s.moved += written;
    moved(Path::ReadWrite, written);
    if (w < 0) {
      broker_ = Pipe{};
      return fail(s.moved, static_cast<int>(-w), PumpResult::Side::Output);
    }
    pending -= static_cast<std::size_t>(n);
  }
  return {s.moved};
}

PumpResult Pump::read_write(Stream& s) {
  auto buffer = aligned_window(buffer_, options_.buffer_size);
  for (;;) {
    if (s.done()) return {s.moved};
    auto window = buffer.first(s.chunk(buffer.size()));
    stats_->count(Call::Read);
    ssize_t n = s.use_offset ? sys::pread(s.in, window, s.offset) : sys::read(s.in, window);
    if (n == -EAGAIN) {
      stats_->count(Call::Poll);
      if (int w = sys::wait_fd(s.in, POLLIN); w < 0)
        return fail(s.moved, -w, PumpResult::Side::Input);
      continue;
    }
    if (n < 0) return fail(s.moved, static_cast<int>(-n), PumpResult::Side::Input);
    if (n == 0) return {s.moved};
    if (s.use_offset) s.offset += n;
    std::size_t written = 0;
    stats_->count(Call::Write);
    ssize_t w = sys::write_all(s.out, std::span<const std::byte>(window).first(static_cast<std::size_t>(n)), &written);
    s.advance(written);
    moved(Path::ReadWrite, written);
    if (w < 0) return fail(s.moved, static_cast<int>(-w), PumpResult::Side::Output);
  }
}

int Pump::skip_input(Stream& s, std::uint64_t count) {
  auto buffer = aligned_window(buffer_, options_.buffer_size);
  while (count > 0) {
    auto window = buffer.first(std::min<std::uint64_t>(count, buffer.size()));
    stats_->count(Call::Read);
    ssize_t n = sys::read(s.in, window);
    if (n == -EAGAIN) {
      stats_->count(Call::Poll);
      if (int w = sys::wait_fd(s.in, POLLIN); w < 0) return w;
      continue;
    }
    if (n < 0) return static_cast<int>(n);
    if (n == 0) return 0;  // shorter than the offset: nothing to copy
    count -= static_cast<std::uint64_t>(n);
  }
  return 0;
}

PumpResult Pump::write(int out, std::span<const std::byte> data) {
  std::size_t written = 0;
  stats_->count(Call::Write);
  ssize_t w = sys::write_all(out, data, &written);
  moved(Path::ReadWrite, written);
  if (w < 0) return PumpResult{written, static_cast<int>(-w), PumpResult::Side::Output};
  return PumpResult{written};
}

}  // namespace conduit
