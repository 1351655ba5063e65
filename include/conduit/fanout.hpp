// fanout: one input to many outputs, duplicating pages with tee(2) instead of copying them.
//
// The source is a pipe: standard input itself when it is one, otherwise a broker pipe of our own
// that the input is spliced into first. Every output is one *lane*:
//   TeeDirect  the output is a pipe: tee(2) from the source straight into it
//   TeeSplice  tee(2) into a pipe of ours (sized with the source), then splice to the output
//   TeeCopy    tee(2) into a pipe of ours, then read/write (O_APPEND files, ttys, refusals);
//              all outputs known to need copying share one such lane and one read per round
//   Consume    the last lane that can take splice consumes the source by splice; when none
//              can, the copying lane reads the source itself
// tee(2) always duplicates from the head of the source, so each lane remembers how far it has
// been fed; the consumer may only take bytes every lane already has. Short tee counts (a lane's
// pipe smaller than the source, a slow reader) are therefore harmless, only slower.
//
// Rules from KERNEL-NOTES.md: an error on the *first* call of a path means "unsupported, fall
// back" (that lane switches to copying; tee itself missing switches the whole run to
// read/write); after bytes have moved it is a real error of that output, handed to the caller's
// policy, which drops the output or stops the run. EAGAIN is waited out with poll(), never spun.
//
// Pacing is lockstep, as GNU tee: the slowest output sets the pace. (splice-net fanout's
// "drop a slow client" policy would give a TeeSplice lane a non-blocking drain and drop it when
// its pipe is still full at the next round; the lane and error structure are built for that.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "conduit/fd.hpp"
#include "conduit/pipe.hpp"
#include "conduit/probe.hpp"
#include "conduit/stats.hpp"

namespace conduit {

class Progress;

struct FanoutOptions {
  bool zero_copy = true;                     // false: read/write only (--no-splice)
  std::size_t pipe_size = kDefaultPipeSize;  // source and lane pipe capacity to aim for
  std::size_t buffer_size = 128 * 1024;      // read/write buffer for copying lanes
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

class Fanout {
 public:
  // Called once per failing output with its index (order of add_output) and a positive errno;
  // the output is closed to the engine afterwards whatever the answer.
  using ErrorHandler = std::function<FanoutAction(std::size_t output, int error)>;

  explicit Fanout(FanoutOptions options, Stats* stats = nullptr, Progress* progress = nullptr);
  ~Fanout();
  Fanout(const Fanout&) = delete;
  Fanout& operator=(const Fanout&) = delete;

  // Registers an output (borrowed: the caller keeps it open until run() returns).
  std::size_t add_output(int fd, const FdInfo& info);

  // Copies `in` to every output until EOF, an input error, a Stop, or no output left.
  FanoutResult run(int in, const FdInfo& in_info, const ErrorHandler& on_error);

  FanoutRoute route(std::size_t output) const;
  std::size_t live_outputs() const noexcept;

  struct Output;
  struct Lane;

 private:
  bool plan();
  bool refill();
  void promote_consumer();
  void tee_round();
  void drain_lanes();
  void consume();
  bool drain_lane(Lane& lane);
  bool write_outputs(const std::vector<std::size_t>& outputs, std::size_t n);
  bool demote(Lane& lane);
  void output_failed(std::size_t output, int err);
  void run_copy();
  int wait(int in_fd, int out_fd, const FdInfo* out_info);
  std::uint64_t lane_limit() const;
  bool anyone_proven() const;

  FanoutOptions options_;
  Stats* stats_;
  Progress* progress_;
  Stats local_stats_;
  const ErrorHandler* on_error_ = nullptr;

  std::vector<Output> outputs_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  Pipe broker_;
  int in_ = -1;
  FdInfo in_info_;
  int src_ = -1;                 // the pipe tee(2) reads: stdin or the broker
  bool use_broker_ = false;
  bool copy_mode_ = false;       // everything by read/write from here on
  PathProbe input_;              // the splice into the broker (refill)
  bool eof_ = false;
  bool stop_ = false;
  int input_error_ = 0;
  std::size_t src_capacity_ = 0;
  std::uint64_t consumed_ = 0;   // bytes taken out of the source
  std::uint64_t end_ = 0;        // broker: bytes put into it so far
  std::vector<std::byte> buffer_;
};

}  // namespace conduit
