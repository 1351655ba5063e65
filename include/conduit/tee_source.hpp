// tee_source: the pipe the tee(2) fan-out engine (conduit::Fanout, used by xtee and by
// net::FanoutServer) duplicates from.
//
// tee(2) reads only from a pipe. When the input is a pipe it is the source itself (grown toward
// the wanted size); anything else (a file, a socket, a tty) is first spliced into a broker pipe of
// our own, whose contents we then know exactly. Positions are offsets in the stream since the
// start: the source holds [consumed(), consumed() + held()); a broker was filled up to end().
// tee(2) always copies from the source's head, so an output can be fed only when it is level
// with consumed(); the engine consumes (splices away) only what every output already has.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "conduit/fd.hpp"
#include "conduit/pipe.hpp"

namespace conduit {

class TeeSource {
 public:
  // Sets up the source for `in`: the input itself when it is a pipe, else a broker pipe opened
  // with `broker_flags` (O_NONBLOCK for an event loop). 0, or -errno when no broker pipe could
  // be made (the caller then copies by read/write).
  int open(int in, const FdInfo& info, std::size_t pipe_size, int broker_flags = 0) noexcept;

  int fd() const noexcept { return src_; }         // the pipe tee(2) reads
  int input() const noexcept { return in_; }
  bool brokered() const noexcept { return brokered_; }
  std::size_t capacity() const noexcept { return capacity_; }
  std::uint64_t consumed() const noexcept { return consumed_; }
  std::uint64_t end() const noexcept { return end_; }  // broker: one past its last byte
  // Bytes in the source pipe now (the input pipe: FIONREAD; 0 when it cannot be asked).
  std::uint64_t held() const noexcept;
  // Broker: room left for a refill.
  std::size_t room() const noexcept { return capacity_ - static_cast<std::size_t>(end_ - consumed_); }

  // Broker: splices from the input into the broker, at most room() bytes (`flags`: SPLICE_F_*).
  // Bytes, 0 at the end of the input, or -errno (EAGAIN included).
  ssize_t refill(unsigned flags) noexcept;
  // `n` bytes left the source (consumed, or read by the copying path).
  void take(std::uint64_t n) noexcept { consumed_ += n; }
  // The copying path read past the broker, from the input itself: nothing is brokered any more.
  void skip_broker() noexcept { end_ = consumed_; }

 private:
  int in_ = -1;
  int src_ = -1;
  Pipe broker_;
  bool brokered_ = false;
  std::size_t capacity_ = 0;
  std::uint64_t consumed_ = 0;
  std::uint64_t end_ = 0;
};

}  // namespace conduit
