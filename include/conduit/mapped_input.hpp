// mapped_input: the rest of a regular input file as a read-only mapping.
//
// hw-encrypt's cipher can read the page cache through a mapping instead of read(2) copying every
// byte into a buffer first; that copy is a fifth of its CPU per block (docs/benchmarks.md).
//
// A mapped file that shrinks while we read it raises SIGBUS on the pages past its new end (read(2)
// would just return less). While a mapping is active, a SIGBUS handler puts a zero page over the
// faulting page so the reader carries on, and intact() then says false: the caller fails instead
// of passing on those bytes, as GNU tar fails on "file shrank". One mapping is active at a time
// in a process (the handler's state is necessarily global); a second map_rest() finds it busy and
// returns an inactive MappedInput, so the caller reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace conduit {

class MappedInput {
 public:
  // Maps `fd` from its current offset to its end when it is a regular file on a disk-like file
  // system (not proc, sysfs and the like) with at least `min_bytes` left. Otherwise, or when
  // mmap fails, the result is inactive and the caller reads.
  static MappedInput map_rest(int fd, std::size_t min_bytes) noexcept;

  MappedInput() = default;
  MappedInput(MappedInput&& other) noexcept;
  MappedInput& operator=(MappedInput&& other) noexcept;
  MappedInput(const MappedInput&) = delete;
  MappedInput& operator=(const MappedInput&) = delete;
  ~MappedInput();  // unmaps: every pointer handed out must be dead by then

  // Still handing out bytes (mapped, and stop() not called).
  bool active() const noexcept { return base_ != nullptr && !stopped_; }
  // The next up to `max` bytes; fewer only at the end of the mapping, none after it.
  std::span<const std::uint8_t> next(std::size_t max) noexcept;
  // Bytes handed out so far.
  std::uint64_t handed_out() const noexcept { return pos_; }
  // False when the file no longer holds the first `upto` bytes handed out (it shrank), or a page
  // of the mapping faulted: bytes read from the mapping since then may be zeros, not the file's.
  bool intact(std::uint64_t upto) const noexcept;
  // Stops handing out bytes and leaves the file offset just after the ones handed out, where
  // read(2) would have left it. The mapping stays until destruction. Returns 0 or -errno.
  int stop() noexcept;

 private:
  void unmap() noexcept;
  void populate(std::uint64_t upto) noexcept;

  int fd_ = -1;
  std::uint8_t* map_ = nullptr;   // page-aligned start of the mapping
  std::size_t map_len_ = 0;
  const std::uint8_t* base_ = nullptr;  // the byte at the file offset map_rest() found
  std::uint64_t start_ = 0;       // that offset
  std::uint64_t len_ = 0;         // bytes from base_ to the end of the mapping
  std::uint64_t pos_ = 0;
  std::uint64_t populated_ = 0;   // page tables filled up to here (relative to base_)
  bool stopped_ = false;
};

}  // namespace conduit
