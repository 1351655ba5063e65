// block_source: where the block pipeline's input bytes come from: read(2) into the slot's
// buffer, or, for a regular file while the SIGBUS guard is installed, a pointer into a mapping
// of it (MappedInput: no copy from the page cache; the cipher reads the file's pages and writes
// the output buffer).
//
// The pipeline asks intact() before it emits a block: a mapped block the file no longer holds
// (it shrank while mapped) is thrown away with everything after it, and the source restarts
// with read(2) at that block's offset, so the output is what read(2) would have given: a
// shrink is an earlier end of input.
#pragma once

#include <cstdint>

#include "conduit/crypto/block_pipeline.hpp"
#include "conduit/mapped_input.hpp"

namespace conduit::crypto {

class BlockSource {
 public:
  BlockSource(int fd, const PipelineConfig& config) noexcept;

  // Fills b.in, b.in_stride and b.window with the block at `offset` (from the start; at most
  // config.in_block bytes, fewer only at the end of input). Returns the byte count or -errno;
  // read(2) calls are counted in *read_calls.
  long fill(Block& b, std::uint64_t offset, std::uint64_t* read_calls) noexcept;

  // Whether b's bytes are the input's (always, for a block that was read); call once the
  // worker is done with b, before it is emitted.
  bool intact(const Block& b) noexcept;

  // b is emitted or thrown away: its window may go.
  void done(Block& b) noexcept;

  // Every block is thrown away (and no worker reads any): read(2) from `offset` (from the
  // start) on. Returns 0 or -errno.
  int restart(std::uint64_t offset) noexcept;

 private:
  int fd_;
  const PipelineConfig& config_;
  MappedInput mapped_;
  // The byte after the last mapped block emitted as a middle one, and its offset. A block is
  // sealed as a middle one only when the input held more; read(2) knows that by having read
  // more. If the file is then cut right there, read(2) from that offset finds nothing, and an
  // empty last chunk is no valid ending: this byte, the file's when it was checked, is the
  // shortest last block read(2) could have seen.
  std::uint64_t next_offset_ = UINT64_MAX;
  std::uint8_t next_byte_ = 0;
};

}  // namespace conduit::crypto
