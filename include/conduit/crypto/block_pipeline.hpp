// block_pipeline: read a stream in blocks, transform the blocks on N threads, write them in order.
//
// The stream format needs to know which chunk is the last one before it seals or opens it, so the
// reader holds each full block back until the next read says whether anything follows (one block
// of look-ahead). Memory is bounded: 2 slots without threads, 2*threads+2 slots with, each slot
// one output buffer and (unless in_place) one input buffer, allocated once and reused. The
// calling thread reads and writes, and transforms blocks too when it has nothing to read or
// write; threads - 1 workers only transform, so output order is the read order by construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "conduit/crypto/stream_result.hpp"
#include "conduit/mapped_input.hpp"

namespace conduit::crypto {

struct Block {
  // Page-aligned windows into the storage below: the kernel copies to and from page-aligned
  // buffers about 3x faster than malloc's (measured by the pump, PERFORMANCE.md).
  const std::uint8_t* in = nullptr;  // the input: read_to, or a mapping of the input file
  std::uint8_t* out = nullptr;
  std::uint8_t* read_to = nullptr;   // where read(2) puts the input (out when in_place)
  std::vector<std::uint8_t> in_storage;
  std::vector<std::uint8_t> out_storage;
  std::size_t in_len = 0;
  std::size_t out_len = 0;       // bytes of `out` to write (set by the worker)
  std::uint64_t index = 0;       // block number in the stream, from 0
  std::uint64_t in_offset = 0;   // offset of in[0] in the input (after what came before)
  std::size_t in_stride = 0;     // 0: `in` is contiguous; else piece j starts at in + j * in_stride
  bool last = false;             // holds the end of the input
  std::uint64_t window = MappedInput::kNoWindow;  // the mapping `in` points into, if any
  StreamResult result;           // set by the worker when it fails; out_len bytes are still written
};

// Transforms blocks; one instance per thread.
class BlockWorker {
 public:
  virtual ~BlockWorker() = default;
  virtual void process(Block& block) = 0;
};

struct PipelineConfig {
  std::size_t in_block = 0;   // read this much per block (the last one may be shorter)
  std::size_t out_block = 0;  // output buffer size per block
  unsigned threads = 1;       // 1: transform inline on the calling thread
  // Called on the I/O thread with the input bytes of each block written (for --progress).
  std::function<void(std::uint64_t)> progress;
  // Read into `out` and transform there (Block::in == Block::out, out_block >= in_block): one
  // buffer per slot, so the read, the cipher and the write touch the same cache-resident bytes.
  // Only for a worker that reads each byte before it writes that byte or any before it.
  bool in_place = false;
  // With in_place: read the block as pieces of in_piece bytes, piece j to out + j * in_stride
  // (one readv), so a transform that grows each piece (a tag after each chunk) works in place on
  // a block of several chunks. 0: one contiguous read.
  std::size_t in_piece = 0;
  std::size_t in_stride = 0;
  // A regular file is read through a read-only mapping instead of read(2) (mapped_input.hpp)
  // when the program installed the SIGBUS guard: whole blocks, each worker reading the file's
  // pages and writing `out` (in_place or not; `in` is then contiguous, in_stride 0). What the
  // file no longer holds when a block is emitted (it shrank) is read again by read(2).
  bool map_input = false;
  MappedInputSettings map{};  // window and advice; the block is in_block
};

// Runs the pipeline from `in_fd`: `workers` must hold max(1, threads) workers. `emit` gets each
// block in order and writes it; it returns a non-Ok result to stop. The first failure (read,
// worker, emit) is the result; bytes_in is the number of bytes read, read_calls the reads made.
StreamResult run_block_pipeline(int in_fd, const PipelineConfig& config,
                                std::vector<std::unique_ptr<BlockWorker>>& workers,
                                const std::function<StreamResult(Block&)>& emit);

// The number of CPUs this process may run on (sched_getaffinity), at least 1.
unsigned available_cpus() noexcept;

}  // namespace conduit::crypto
