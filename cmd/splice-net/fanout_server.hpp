// fanout_server: `splice-net fanout`, one live stream from stdin to every connected client, in
// one single-threaded epoll loop. Two concerns, two files:
//   fanout.cpp         the loop: listener (acceptor.cpp), signals, client events,
//                      timers, log lines;
//   fanout_stream.cpp  the data: source pipe, tee(2) into each client's pipe, splice(2) to its
//                      socket, consumption of the source; the read/write path (--no-splice, or a
//                      call refused on its first use) with a bounded backlog per client.
//
// Positions are offsets in the stream since the start. The source pipe (stdin itself when it is
// a pipe, else a broker pipe that stdin is spliced into) holds [consumed_, head). tee(2) always
// copies from the source's head, so only a client whose `pos` equals consumed_ can be fed; the
// source is consumed (spliced into /dev/null) only up to the smallest `pos`. A client that joins
// starts at consumed_: it gets a contiguous suffix of the stream.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "conduit/diag.hpp"
#include "conduit/fd.hpp"
#include "conduit/net/address.hpp"
#include "conduit/net/event_loop.hpp"
#include "conduit/pipe.hpp"
#include "conduit/progress.hpp"
#include "conduit/stats.hpp"
#include "options.hpp"

namespace splice_net {

using Clock = std::chrono::steady_clock;

// One connected client.
struct Member {
  conduit::Fd sock;
  conduit::Pipe pipe;              // splice path: teed pages waiting for the socket
  std::vector<char> backlog;       // read/write path: bytes waiting for the socket
  std::size_t backlog_off = 0;     // first unsent byte of backlog
  std::string peer;
  std::uint64_t join = 0;          // stream offset of its first byte
  std::uint64_t pos = 0;           // stream offset up to which it has been given bytes
  std::uint64_t sent = 0;          // bytes that went out on its socket
  bool writable = true;            // edge-triggered: false from EAGAIN until EPOLLOUT
  bool lingering = false;          // everything sent, write side shut down, waiting for its close
  bool dead = false;               // to be closed and logged by reap()
  bool slow_drop = false;          // dead because it fell behind (counted in the summary)
  std::string ending;              // why it ended, for the log line
  Clock::time_point started;
  Clock::time_point last_progress; // last time its socket took bytes (or its queue started)
  Clock::time_point linger_until{};

  std::uint64_t queued() const noexcept { return pos - join - sent; }
};

class FanoutServer {
 public:
  FanoutServer(const Options& options, conduit::net::Address address, conduit::Diag& diag,
               conduit::Stats& stats, conduit::Progress* progress)
      : o_(options), address_(std::move(address)), diag_(diag), stats_(stats), progress_(progress),
        acceptor_(loop_, address_, options.max_clients) {}

  // Serves until the stream has ended and every client is gone. 0 or 1 (input error).
  int run(conduit::Fd listener, conduit::Fd signals, int in, const conduit::FdInfo& in_info);

 private:
  // fanout.cpp
  void on_signal();
  void on_member(int fd, std::uint32_t events);
  void on_input(std::uint32_t events);
  void add_member(conduit::Fd sock, std::string peer, Clock::time_point now);
  void kill(Member& m, std::string why);
  void reap();
  void sweep(Clock::time_point now);
  void finish_members(Clock::time_point now);
  void recv_discard(Member& m);
  void update_input();
  std::string summary(const Member& m, Clock::time_point now) const;

  // fanout_stream.cpp
  bool open_source();
  void pump();
  bool splice_step();
  bool refill();
  bool tee_round();
  bool drain(Member& m);
  bool consume();
  bool copy_step();
  bool copy_read();
  bool copy_drain(Member& m);
  void to_copy_mode();
  bool want_input();
  bool input_held() const;
  void drop_slow(std::vector<Member*>& full);
  std::uint64_t source_bytes() const;
  std::uint64_t head() const;
  void input_failed(int err);
  bool reading() const noexcept { return started_ && !stop_input_ && !eof_ && input_error_ == 0; }
  bool finished() const noexcept { return stop_input_ || eof_ || input_error_ != 0; }
  bool active(const Member& m) const noexcept { return !m.dead && !m.lingering; }

  const Options& o_;
  conduit::net::Address address_;
  conduit::Diag& diag_;
  conduit::Stats& stats_;
  conduit::Progress* progress_;
  conduit::net::EventLoop loop_;
  conduit::net::Acceptor acceptor_;
  conduit::Fd signals_;
  std::unordered_map<int, std::unique_ptr<Member>> members_;
  std::uint64_t served_ = 0;
  std::uint64_t dropped_ = 0;

  // the stream
  int in_ = -1;
  conduit::FdInfo in_info_;
  int src_ = -1;                  // the pipe tee(2) reads: stdin or the broker
  conduit::Pipe broker_;
  bool use_broker_ = false;
  conduit::Fd devnull_;           // where consumed source pages go
  std::size_t src_capacity_ = 0;
  bool copy_mode_ = false;        // read/write from here on
  bool input_always_ready_ = false;  // a regular file: epoll cannot watch it, reads never wait
  bool input_ready_ = false;      // epoll said readable (non-blocking read/splice won't wait)
  bool input_watched_ = false;
  bool input_hup_ = false;        // the stdin pipe has no writer left
  bool tee_proven_ = false;       // a tee has worked: later errors are real errors
  bool in_proven_ = false;        // a splice from stdin has worked
  bool out_proven_ = false;       // a splice to a socket has worked
  bool consume_proven_ = false;   // a splice into /dev/null has worked
  bool started_ = false;          // --min-clients reached once: the stream is being read
  bool stop_input_ = false;       // a signal ended the stream
  bool input_end_ = false;        // stdin said end of file (the broker may still hold bytes)
  bool eof_ = false;              // input ended and the source is empty
  int input_error_ = 0;
  bool again_ = false;            // pump stopped with work left: run again without waiting
  std::uint64_t consumed_ = 0;    // stream offset of the source's head
  std::uint64_t end_ = 0;         // broker: stream offset one past its last byte
  std::vector<char> buffer_;      // read/write path
  std::vector<Member*> full_;     // scratch: clients whose pipe could not take the next tee
};

}  // namespace splice_net
