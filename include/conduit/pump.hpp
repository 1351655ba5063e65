// pump: move bytes from one fd to another by the best path the two kinds allow.
//
// Path choice (docs/ARCHITECTURE.md, KERNEL-NOTES.md):
//   file -> file (not O_APPEND)    copy_file_range
//   file -> socket                 sendfile
//   either end a pipe              splice directly
//   anything else                  splice through a broker pipe of our own
//   O_APPEND output, refusals      read/write (the last resort)
// Rules: only an error on the *first* call of a path means "unsupported here, fall back"; once
// bytes have moved an error is real and is reported. EAGAIN (an fd someone left O_NONBLOCK) is
// waited out with poll(), never spun on. An input that can sleep inside splice (socket, tty,
// device) is polled before each splice into a pipe: a splice waiting for input holds the pipe,
// and its reader could not take what is already there. st_size is never trusted: copy until EOF.
// Every byte is counted per path in Stats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "conduit/fd.hpp"
#include "conduit/pipe.hpp"
#include "conduit/stats.hpp"

namespace conduit {

class PathProbe;
class Progress;

struct PumpOptions {
  bool zero_copy = true;                   // false: read/write only (--no-splice)
  std::size_t pipe_size = kDefaultPipeSize;  // broker pipe capacity to aim for
  std::size_t buffer_size = 128 * 1024;    // read/write fallback buffer (GNU cat uses 128 KiB)
};

// A byte range of the input. Without an offset the input's own file position is used and
// advanced, as cat does (so `(head -c1; splice-cat) < f` works). With an offset, a seekable
// input is read at that absolute offset (its position untouched); a non-seekable input has
// `offset` bytes read and discarded first.
struct Range {
  std::optional<std::uint64_t> offset;
  std::optional<std::uint64_t> length;  // stop after this many bytes (or at EOF, earlier)
};

struct PumpResult {
  enum class Side : std::uint8_t { None, Input, Output };
  std::uint64_t bytes = 0;  // bytes written to the output
  int error = 0;            // positive errno, 0 on success
  Side side = Side::None;   // which end failed: the message names that file
  bool ok() const noexcept { return error == 0; }
};

class Pump {
 public:
  explicit Pump(PumpOptions options, Stats* stats = nullptr, Progress* progress = nullptr);

  // Moves everything from `in` to `out` (or the range). Blocks until EOF, the range's end, or an
  // error. Can be called again for the next input: the broker pipe and buffer are reused.
  PumpResult run(int in, const FdInfo& in_info, int out, const FdInfo& out_info,
                 const Range& range = {});

  // Writes `data` to `out` by plain write() (headers, formatted output), counted as ReadWrite.
  PumpResult write(int out, std::span<const std::byte> data);

  const PumpOptions& options() const noexcept { return options_; }

 // One run's state: ends, range left, bytes moved (defined in pump.cpp).
  struct Stream;

 private:
  struct PathRules;  // how one zero-copy path differs from the others (pump.cpp)
  template <class Syscall, class Deliver>
  PumpResult zero_copy(Stream& s, const PathRules& rules, Syscall call,
                       PumpResult (Pump::*fallback)(Stream&), Deliver deliver);
  std::optional<PumpResult> delivered(Stream& s, Path path, std::size_t n);
  PumpResult copy_range(Stream& s);
  PumpResult send_file(Stream& s);
  PumpResult splice_direct(Stream& s);
  PumpResult splice_broker(Stream& s);
  std::optional<PumpResult> broker_out(Stream& s, std::size_t n, PathProbe& output);
  PumpResult drain_broker(Stream& s, std::size_t pending);
  PumpResult read_write(Stream& s);
  int skip_input(Stream& s, std::uint64_t count);  // these three: 0 or -errno
  int wait_ready(const Stream& s);
  int ensure_broker();
  void moved(Path path, std::uint64_t n);

  PumpOptions options_;
  Stats* stats_;
  Progress* progress_;
  Stats local_stats_;
  Pipe broker_;
  int broker_error_ = 0;  // -errno: pipe2 failed (EMFILE ...), broker paths unavailable
  std::vector<std::byte> buffer_;
};

}  // namespace conduit
