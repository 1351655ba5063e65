// spliced_stream: the chunk loop for a backend that takes its input straight from a pipe
// (AeadCipher::supports_spliced_input(), the AF_ALG backend: splice into the operation socket).
//
// Single-threaded by nature (one operation socket). Which chunk is the last must be known before
// it is sealed or opened, and spliced bytes cannot be looked at again, so: when the pipe already
// holds a whole chunk and at least one byte more (FIONREAD), that chunk is a middle chunk and is
// spliced; otherwise the chunk is read into memory, and poll() + FIONREAD tell, without
// consuming anything, whether more input follows. Output is byte-identical to the block pipeline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "conduit/crypto/backend.hpp"
#include "conduit/crypto/stream_result.hpp"

namespace conduit::crypto {

struct SpliceCounters {
  std::uint64_t spliced_chunks = 0;  // handed to the backend by splice
  std::uint64_t copied_chunks = 0;   // read into memory first
};

// Whether the spliced loop applies: one thread, a cipher that supports it, a pipe as input.
bool use_spliced_input(int in_fd, const AeadCipher& cipher, unsigned threads) noexcept;

// Encrypts the chunks (the header is already written). bytes_in/bytes_out count payload only.
using ProgressFn = std::function<void(std::uint64_t)>;

StreamResult spliced_encrypt(int in_fd, int out_fd, AeadCipher& cipher, std::size_t chunk,
                             SpliceCounters* counters = nullptr, const ProgressFn& progress = {});

// Decrypts the chunks after a verified header of `header_size` bytes.
StreamResult spliced_decrypt(int in_fd, int out_fd, AeadCipher& cipher, std::size_t chunk,
                             std::uint64_t header_size, SpliceCounters* counters = nullptr,
                             const ProgressFn& progress = {});

}  // namespace conduit::crypto
