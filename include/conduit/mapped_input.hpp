// mapped_input: a regular file read through read-only mappings, a window at a time, instead of
// copied by read(2).
//
// Hands out whole blocks of the file as pointers into MAP_SHARED windows, from the descriptor's
// offset on, up to the size the file had when mapping started; the rest (less than a block, or
// what the file grew by) is left to read(2), which also sees the end. The fd's offset is not
// moved while blocks are handed out; stop() puts it where read(2) must go on.
//
// A file can shrink while it is mapped. Each window is registered with the SIGBUS guard
// (sigbus_guard.hpp), so a read beyond the new end finds zeros instead of killing the process,
// and `intact()` says, after the consumer read a block, whether those bytes were the file's: the
// window was not cut, and the file still holds the block (the end of a shortened file may fall
// in the block's last page, which reads as zeros without a fault). For a block taken as a middle
// one it also reads (pread) the byte after it, which the caller keeps: read(2) would have had at
// least that byte in hand before it called the block a middle one. A block that is not intact is
// thrown away and read again with read(2), which sees the new end. Nothing is mapped unless the
// guard is installed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

#include "conduit/sigbus_guard.hpp"

namespace conduit {

// How a window's pages come in (measured in docs/benchmarks.md, session 8).
enum class MapAdvice {
  Sequential,    // MADV_SEQUENTIAL: faulted in as the consumer reaches them, read ahead
  PopulateRead,  // MADV_POPULATE_READ on the whole window when it is mapped
  Populate,      // MAP_POPULATE
};

struct MappedInputSettings {
  std::size_t block = 0;           // bytes per block handed out (required)
  std::size_t window = 8u << 20;   // bytes per mapping (at least a block and a page more)
  MapAdvice advice = MapAdvice::Sequential;
};

class MappedInput {
 public:
  static constexpr std::uint64_t kNoWindow = UINT64_MAX;

  MappedInput() = default;
  ~MappedInput();
  MappedInput(const MappedInput&) = delete;
  MappedInput& operator=(const MappedInput&) = delete;

  // Starts at fd's current offset. Returns 0, or -errno when the input is not mapped (the
  // caller reads it): -ENOTSUP without the guard, -EINVAL for a block of 0, -ENODEV when fd is
  // not a regular file, -ENODATA when the file holds less than one block from its offset (a
  // /proc file says size 0), or fstat's and lseek's errors.
  int start(int fd, const MappedInputSettings& settings) noexcept;

  // Whether start() would map `fd` for blocks of `block` bytes: the guard is installed, fd is a
  // regular file, and it holds a block from its offset on (the size it says now).
  static bool takes(int fd, std::size_t block) noexcept;

  // True while blocks are handed out (from start() to the first next() that returns nullptr).
  bool active() const noexcept { return active_; }

  // The next block's bytes and its window (for intact/done), or nullptr when mapping is over: no
  // whole block is left within the size the file had at start, or a mapping failed (ENOMEM, a
  // full guard table ...); then the fd is at the first byte not handed out, for read(2).
  // Returns -errno in `*error` (0 otherwise) when that lseek failed.
  const std::uint8_t* next(std::uint64_t& window, int* error) noexcept;

  // Whether the block ending at `end` (an offset from start) read from `window` holds the file's
  // bytes: call after the reads of it (by any thread) are over. `next`: the block was taken as a
  // middle one, so the file must hold a byte after it, which is read into *next (the one byte
  // read(2) would have had before it called the block a middle one); nullptr for a last block.
  bool intact(std::uint64_t window, std::uint64_t end, std::uint8_t* next) const noexcept;

  // The consumer is finished with a block of `window` (emitted or thrown away): windows no block
  // refers to any more are unmapped.
  void done(std::uint64_t window) noexcept;

  // Ends mapping at `offset` (from start): every window is unmapped (every read of them must be
  // over), the fd is positioned there for read(2). Returns 0 or -errno (lseek's).
  int stop(std::uint64_t offset) noexcept;

  // Bytes handed out in blocks so far (the offset of the next block, from start).
  std::uint64_t handed_out() const noexcept { return pos_ - start_; }

 private:
  struct Window {
    std::uint64_t id = 0;
    std::uint8_t* base = nullptr;
    std::size_t len = 0;
    std::uint64_t file_offset = 0;  // of base[0], page-aligned
    std::size_t blocks = 0;         // handed out and not yet done
    GuardedRange range;
  };

  bool map_window() noexcept;
  void unmap(Window& w) noexcept;
  void unmap_unused() noexcept;
  const Window* find(std::uint64_t id) const noexcept;

  int fd_ = -1;
  bool active_ = false;
  MappedInputSettings settings_;
  std::uint64_t start_ = 0;  // the fd's offset at start
  std::uint64_t pos_ = 0;    // file offset of the next block
  std::uint64_t limit_ = 0;  // the file's size at start
  std::uint64_t next_id_ = 0;
  std::deque<Window> windows_;  // oldest first; the last one is the one blocks come from
};

}  // namespace conduit
