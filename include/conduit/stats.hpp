// stats: how the bytes moved. Counters of bytes per path and of system calls, shared by every
// command's `--stats` (human text) and `--stats=json` (one JSON object for scripts).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace conduit {

// The ways bytes can move from one fd to another, best first.
enum class Path : std::uint8_t {
  CopyFileRange,  // file -> file inside the kernel
  Sendfile,       // file -> anything (socket) from the page cache
  Splice,         // directly, one end a pipe
  SpliceBroker,   // through a pipe of our own: in -> pipe -> out
  Tee,            // duplicated from one pipe into another (fan-out)
  Vmsplice,       // user memory mapped into a pipe (constant headers)
  ReadWrite,      // copied through user space: the fallback, and the formatting options
};
inline constexpr std::size_t kPathCount = 7;
std::string_view to_string(Path path) noexcept;

enum class Call : std::uint8_t {
  Splice, Tee, Vmsplice, Sendfile, CopyFileRange, Read, Write, Poll,
};
inline constexpr std::size_t kCallCount = 8;
std::string_view to_string(Call call) noexcept;

struct Stats {
  std::array<std::uint64_t, kPathCount> bytes{};
  std::array<std::uint64_t, kCallCount> calls{};
  std::uint64_t fallbacks = 0;  // times a fast path was refused on its first call
  std::uint64_t waits = 0;      // times a follower waited for its files to grow (--follow)

  void add(Path path, std::uint64_t n) noexcept { bytes[static_cast<std::size_t>(path)] += n; }
  void count(Call call, std::uint64_t n = 1) noexcept { calls[static_cast<std::size_t>(call)] += n; }
  std::uint64_t bytes_of(Path path) const noexcept { return bytes[static_cast<std::size_t>(path)]; }
  std::uint64_t calls_of(Call call) const noexcept { return calls[static_cast<std::size_t>(call)]; }
  // Bytes delivered, counted once: every path but Tee (tee duplicates what another path delivers).
  std::uint64_t total_bytes() const noexcept;
  void merge(const Stats& other) noexcept;
};

// A duration in seconds as messages print it: 2.5 -> "2.5", 60 -> "60" (printf's %g).
std::string format_seconds(double seconds);
// A measured time in seconds, to the millisecond: 2.5 -> "2.500" (--stats, connection reports).
std::string format_elapsed(double seconds);

// Multi-line summary for humans, each line prefixed "prog: ".
std::string format_stats_text(const Stats& stats, std::string_view prog, double seconds);
// One line of JSON: {"program":..,"bytes":..,"seconds":..,"paths":{..},"syscalls":{..},"fallbacks":..}
std::string format_stats_json(const Stats& stats, std::string_view prog, double seconds);

}  // namespace conduit
