// net/relay_direction: one direction of a relayed connection, from one socket to the other.
//
// The bytes go socket -> our pipe -> socket by splice(2) (SPLICE_F_NONBLOCK, both sockets
// O_NONBLOCK), or through a small buffer by read/write when splice is refused on its first
// call (or --no-splice, or no pipe could be made). Nothing is ever buffered beyond the pipe:
// when it is full and the destination would block, the direction stops reading (backpressure;
// the sender's TCP window closes). At end of file, once the pipe is drained, the destination
// gets shutdown(SHUT_WR): the half-close is carried through.
//
// Pipe size: a direction starts with the kernel's default pipe (64 KiB) and grows toward
// the wanted size only once it has filled it (a bulk transfer), and only while the capacity grown
// by all directions together stays under a shared budget: a few bulk connections get big pipes
// (the biggest throughput lever), a thousand chatty ones cost no more than the default each.
//
// TLS (relay_direction_tls.cpp): either end may be a TLS session. Where the kernel does not
// encrypt (or decrypt) for it, that direction goes by read/write with SSL_read/SSL_write in
// place of the system calls; where the kernel does (kTLS), splice works as on a plain socket,
// and a record that is not data (an alert) hands the rest of the stream to SSL_read. End of file
// on a TLS source is its close_notify (a close without one is an error, never end of file);
// end of file passed on to a TLS destination is a close_notify, then the half-close.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "conduit/net/tls.hpp"
#include "conduit/pipe.hpp"
#include "conduit/probe.hpp"
#include "conduit/stats.hpp"

namespace conduit::net {

// What every relayed connection shares.
struct RelayShared {
  Stats stats;
  // Bytes delivered, and whether by an `up` direction (client -> target); may be empty.
  std::function<void(std::uint64_t, bool up)> on_bytes;
  bool zero_copy = true;                    // false: read/write only
  std::size_t pipe_want = 1 << 20;          // the pipe size to grow toward
  std::size_t grow_budget = 64u << 20;      // pipe capacity all directions may add together
  std::size_t grown = 0;                    // capacity added so far (returned on close)
  const tls::Context* tls = nullptr;        // TLS toward the clients (the listening side), or none
  bool ktls_required = false;               // a TLS side without kTLS both ways is refused
  tls::DataPath tls_path = tls::DataPath::None;  // user space once any TLS direction went there
};

class RelayDirection {
 public:
  // Blocked: waiting for a socket (epoll says when); Again: used its turn, call again soon;
  // Done: end of file passed on; Failed: see error() and failed_at_source().
  enum class Result { Blocked, Again, Done, Failed };

  // `up`: client -> target (only passed on with on_bytes).
  RelayDirection(RelayShared& shared, bool up)
      : shared_(shared), up_(up), mode_(shared.zero_copy ? Mode::Splice : Mode::ReadWrite) {}
  ~RelayDirection();
  RelayDirection(const RelayDirection&) = delete;
  RelayDirection& operator=(const RelayDirection&) = delete;

  // The sockets, and the TLS session over either (borrowed; nullptr: plain). Call once, after
  // the handshakes.
  void attach(int from, int to, tls::Session* from_tls = nullptr, tls::Session* to_tls = nullptr);

  // Moves bytes until both ends would block, end of file is passed on, an error, or `budget`
  // bytes were delivered (then Again).
  Result pump(std::uint64_t budget);

  bool done() const noexcept { return done_; }
  std::uint64_t bytes() const noexcept { return bytes_; }
  int error() const noexcept { return error_; }
  bool failed_at_source() const noexcept { return failed_at_source_; }

 private:
  enum class Mode : unsigned char { Splice, ReadWrite };
  ssize_t fill();    // source -> pipe/buffer: bytes, 0 at end of file, or -errno
  ssize_t drain();   // pipe/buffer -> destination: bytes or -errno
  std::size_t queued() const noexcept { return pipe_queued_ + (buf_len_ - buf_off_); }
  bool fall_back(ssize_t rc, PathProbe& probe);
  void maybe_grow(std::size_t filled);
  void release_pipe();
  Result fail(bool at_source, ssize_t rc);
  // relay_direction_tls.cpp: the source's bytes and the destination's writes, through TLS in
  // user space when a session is attached; the end passed on (close_notify first on TLS).
  ssize_t read_source(std::span<std::byte> buf);
  ssize_t write_destination(std::span<const std::byte> buf);
  ssize_t end_destination();  // 0, -EAGAIN (close_notify waits for room), or -errno
  bool to_user_tls(ssize_t rc);  // a kTLS source's non-data record: SSL_read from now on

  RelayShared& shared_;
  bool up_;
  int from_ = -1;
  int to_ = -1;
  tls::Session* from_tls_ = nullptr;
  tls::Session* to_tls_ = nullptr;
  Mode mode_;
  Pipe pipe_;
  std::size_t pipe_queued_ = 0;
  std::size_t grown_ = 0;            // capacity this pipe took from the shared budget
  bool grow_tried_ = false;
  PathProbe fill_probe_;             // splice in: after a byte moved, its errors are real errors
  PathProbe drain_probe_;            // splice out
  std::unique_ptr<std::byte[]> buf_;  // read/write mode only
  std::size_t buf_off_ = 0;
  std::size_t buf_len_ = 0;
  bool eof_ = false;
  bool done_ = false;
  std::uint64_t bytes_ = 0;          // delivered to the destination
  int error_ = 0;
  bool failed_at_source_ = false;
};

}  // namespace conduit::net
