// fanout: one input to many outputs, duplicating pages with tee(2) instead of copying them: the
// one fan-out engine, driven step by step by a blocking loop (xtee: run()) or by an event loop
// (splice-net fanout: net::FanoutServer).
//
// The source is a pipe (net TeeSource): the input itself when it is one, otherwise a broker pipe
// of our own that the input is spliced into first. Every output belongs to one *lane*:
//   TeeDirect  the output is a pipe: tee(2) from the source straight into it
//   TeeSplice  tee(2) into a pipe of ours (sized with the source), then splice to the output
//   TeeCopy    tee(2) into a pipe of ours, then read it and write(2) (O_APPEND files, ttys,
//              refusals) or hand it to the output's Writer (user-space TLS); outputs known to
//              need copying when the run starts share one such lane and one read per round
//   Consume    (lockstep) the last lane that can take splice consumes the source by splice; when
//              none can, everything is copied. Other pacings consume into /dev/null.
// tee(2) always duplicates from the head of the source, so each lane remembers how far it has
// been fed (its position in the stream); the source is consumed only up to the slowest lane.
// Outputs can be added while the run goes on (they join the stream at consumed(): a suffix) and
// removed (what was queued for them is dropped).
//
// Pacing, what a full output does:
//   Lockstep  waits for it: every output gets every byte, the slowest sets the pace (GNU tee);
//   Block     the same, without a consumer lane (the caller may drop an output that takes
//             nothing for too long: last_progress(), queued());
//   Drop      an output whose pipe cannot take the next tee is removed (SlowHandler) once the
//             source is half full: it then holds the stream back by a whole pipe, its socket
//             buffer and half the source; one that merely lags for a moment is not.
//
// step() never blocks when the input and the outputs are non-blocking: every tee and every
// splice from a pipe is SPLICE_F_NONBLOCK, and the input is only read once the driver said it is
// readable (input_ready(); regular files always are). When a step moved nothing, wait() says what
// it waits for: the input readable, and which outputs writable (writable(id) clears one).
//
// Rules from KERNEL-NOTES.md, through PathProbe: an error on the *first* call of a path means
// "unsupported, fall back": under lockstep a lane that cannot splice to its output copies
// instead (outputs there are of every kind); under the other pacings, whose outputs are all
// sockets, the whole run moves to read/write, as it does when tee itself is refused before any
// byte moved, or the splice from the input: a backlog per output (bounded by pipe_size), every
// byte already given kept. After bytes have moved it is a real error of that output, handed to
// the caller's ErrorHandler, which drops the output or stops.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "conduit/fd.hpp"
#include "conduit/pipe.hpp"
#include "conduit/probe.hpp"
#include "conduit/stats.hpp"
#include "conduit/tee_source.hpp"

namespace conduit {

class Progress;

enum class FanoutPacing : std::uint8_t { Lockstep, Block, Drop };

struct FanoutOptions {
  bool zero_copy = true;                     // false: read/write only (--no-splice)
  std::size_t pipe_size = kDefaultPipeSize;  // source and lane pipe capacity to aim for
  std::size_t buffer_size = 128 * 1024;      // read/write buffer for copying
  FanoutPacing pacing = FanoutPacing::Lockstep;
};

// How an output is fed (for tests and diagnostics).
enum class FanoutRoute : std::uint8_t { Consume, TeeDirect, TeeSplice, TeeCopy, Copy, Closed };

// What the run does after an output failed; the caller's policy decides.
enum class FanoutAction : std::uint8_t { Drop, Stop };

struct FanoutResult {
  std::uint64_t bytes = 0;  // bytes taken from the input
  int input_error = 0;      // positive errno when reading the input failed
  bool stopped = false;     // the error handler asked to stop
};

// What a step that moved nothing is waiting for.
struct FanoutWait {
  bool input = false;             // the input readable (input_ready())
  std::vector<int> outputs;       // these outputs writable (writable())
};

class Fanout {
 public:
  using Id = std::size_t;
  using Clock = std::chrono::steady_clock;
  // Called once per failing output with its id and a positive errno; the output is closed to
  // the engine afterwards whatever the answer.
  using ErrorHandler = std::function<FanoutAction(Id output, int error)>;
  // Drop pacing: the output was removed for falling `behind` bytes behind the stream.
  using SlowHandler = std::function<void(Id output, std::uint64_t behind)>;
  // An output that is not written with write(2) (user-space TLS): bytes taken, or -errno
  // (-EAGAIN: wait for writable()).
  using Writer = std::function<long(std::span<const std::byte>)>;

  explicit Fanout(FanoutOptions options, Stats* stats = nullptr, Progress* progress = nullptr);
  ~Fanout();
  Fanout(const Fanout&) = delete;
  Fanout& operator=(const Fanout&) = delete;

  void on_error(ErrorHandler handler) { on_error_ = std::move(handler); }
  void on_slow(SlowHandler handler) { on_slow_ = std::move(handler); }

  // Registers an output (borrowed: the caller keeps it open until it is removed or the run
  // ends), before or during the run; during the run it joins at consumed().
  // The output's id, or -errno when it could not join (no pipe for its lane).
  long add_output(int fd, const FdInfo& info, Writer writer = {});
  // Takes an output out; what was queued for it is dropped. (Not from inside a handler.)
  void remove_output(Id output);

  // Sets up the source for `in`: 0, or -errno when no pipe could be made for it (the run then
  // copies by read/write when zero_copy allows a fallback, which it always does).
  int start(int in, const FdInfo& in_info);
  // One round (refill, tee, drain, consume, or a read/write round): true when it moved bytes.
  bool step();
  // Ends the stream where it is (stop): nothing more is read; outputs still get what they hold.
  void end_input() noexcept { input_closed_ = true; }
  // The input may not be read yet (a server waiting for its first clients).
  void hold_input(bool hold) noexcept { hold_ = hold; }
  // The driver saw the input readable (hup: hung up), or output `id` writable.
  void input_ready(bool hup = false) noexcept;
  void writable(Id output) noexcept;
  // What the last step that moved nothing waits for.
  const FanoutWait& wait() const noexcept { return wait_; }
  // The input should be watched: the engine has room for it and is allowed to read it.
  bool wants_input() const noexcept;
  // The input never waits (a regular file, a block device): no readiness needed.
  bool input_always_ready() const noexcept { return always_ready_; }
  void set_input_always_ready() noexcept { always_ready_ = true; }

  // The stream has ended (end of input, an input error, end_input() or a Stop) and, with
  // `drained`, every output has been given everything it holds.
  bool ended() const noexcept { return stop_ || input_error_ != 0 || eof_ || input_closed_; }
  bool done() const noexcept;

  // The blocking driver: start(), then steps, polling on wait() between them, until the input
  // ends and every output has everything (or a Stop, or no output is left). xtee's loop.
  FanoutResult run(int in, const FdInfo& in_info, const ErrorHandler& on_error);

  FanoutRoute route(Id output) const;
  std::size_t live_outputs() const noexcept;
  std::uint64_t consumed() const noexcept { return source_.consumed(); }
  std::uint64_t head() const noexcept;                    // newest stream offset held
  std::uint64_t queued(Id output) const noexcept;         // given to it, not yet written
  std::uint64_t sent(Id output) const noexcept;           // written to it
  std::uint64_t joined(Id output) const noexcept;         // stream offset of its first byte
  Clock::time_point last_progress(Id output) const noexcept;
  int input_error() const noexcept { return input_error_; }
  bool stopped() const noexcept { return stop_; }
  bool copying() const noexcept { return copy_mode_; }

  struct Output;
  struct Lane;

 private:
  bool plan();
  int new_lane(Id output, bool copies);
  bool refill();
  void promote_consumer();
  bool tee_round();
  bool drain_lanes();
  bool drain_lane(Lane& lane);
  bool flush_backlogs(Lane& lane);
  bool flush(const std::vector<Id>& outputs);
  void give(const std::vector<Id>& outputs, std::span<const std::byte> data, std::uint64_t from);
  long write_to(Output& o, std::span<const std::byte> data);
  bool consume();
  bool consume_copy(Lane& lane, std::uint64_t len);
  bool demote(Lane& lane);
  void to_copy_mode();
  bool copy_step();
  void output_failed(Id output, int err);
  void drop_slow();
  bool input_waiting() const;
  std::uint64_t lane_limit() const;
  bool anyone_proven() const;
  bool can_read_input() const noexcept { return ready_ || always_ready_; }
  bool reading() const noexcept { return !hold_ && !ended(); }
  void wait_output(Output& o);
  void took(std::uint64_t n);
  Clock::time_point step_now();

  FanoutOptions options_;
  Stats* stats_;
  Progress* progress_;
  Stats local_stats_;
  ErrorHandler on_error_;
  SlowHandler on_slow_;

  std::vector<std::unique_ptr<Output>> outputs_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  int in_ = -1;
  TeeSource source_;
  Fd devnull_;                   // where consumed pages go when no lane consumes
  bool started_ = false;
  bool copy_mode_ = false;       // everything by read/write from here on
  PathProbe tee_probe_;          // tee(2) itself, on any lane
  PathProbe input_probe_;        // the splice into the broker (refill)
  PathProbe devnull_probe_;      // the splice into /dev/null
  bool hold_ = false;
  bool ready_ = false;           // the driver saw the input readable
  bool always_ready_ = false;
  bool input_end_ = false;       // the input said end of file (a broker may still hold bytes)
  bool input_closed_ = false;    // end_input()
  bool eof_ = false;             // the stream ended and the source is empty
  bool stop_ = false;
  int input_error_ = 0;
  FanoutWait wait_;
  std::optional<Clock::time_point> now_;  // step_now(): read once per step
  std::vector<Lane*> full_;      // scratch: lanes that could not take the next tee
  std::vector<std::byte> buffer_;
};

}  // namespace conduit
