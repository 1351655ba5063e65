// block_source: read(2) or a mapping, behind one fill() (see block_source.hpp).
#include "block_source.hpp"

#include "conduit/sys.hpp"

namespace conduit::crypto {

BlockSource::BlockSource(int fd, const PipelineConfig& config) noexcept : fd_(fd), config_(config) {
  if (!config.map_input) return;
  MappedInputSettings settings = config.map;
  settings.block = config.in_block;
  // Not a regular file, smaller than a block, no guard, ...: read(2), as without map_input.
  (void)mapped_.start(fd, settings);
}

long BlockSource::fill(Block& b, std::uint64_t offset, std::uint64_t* read_calls) noexcept {
  b.window = MappedInput::kNoWindow;
  if (mapped_.active()) {
    int error = 0;
    if (const std::uint8_t* p = mapped_.next(b.window, &error)) {
      b.in = p;
      b.in_stride = 0;  // contiguous in the file
      return static_cast<long>(config_.in_block);
    }
    if (error < 0) return error;
    // Mapping is over (the rest is shorter than a block, or a window could not be mapped): the
    // fd is positioned after the last mapped block, and read(2) goes on from there.
  }
  b.in = b.read_to;
  b.in_stride = config_.in_stride;
  long n = config_.in_piece > 0
               ? sys::read_strided(fd_, reinterpret_cast<std::byte*>(b.read_to), config_.in_piece,
                                   config_.in_stride, config_.in_block, read_calls)
               : sys::read_full(fd_, std::as_writable_bytes(std::span(b.read_to, config_.in_block)),
                                read_calls);
  if (n == 0 && offset == next_offset_) {
    // Cut right after a block already sealed as a middle one: end with the byte that followed.
    b.read_to[0] = next_byte_;
    n = 1;
  }
  return n;
}

bool BlockSource::intact(const Block& b) noexcept {
  if (b.window == MappedInput::kNoWindow) return true;
  std::uint8_t next = 0;
  if (!mapped_.intact(b.window, b.in_offset + b.in_len, b.last ? nullptr : &next)) return false;
  if (!b.last) {
    next_offset_ = b.in_offset + b.in_len;
    next_byte_ = next;
  }
  return true;
}

void BlockSource::done(Block& b) noexcept {
  if (b.window == MappedInput::kNoWindow) return;
  mapped_.done(b.window);
  b.window = MappedInput::kNoWindow;
}

int BlockSource::restart(std::uint64_t offset) noexcept { return mapped_.stop(offset); }

}  // namespace conduit::crypto
