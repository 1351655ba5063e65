// chunk_search: on decryption's failure path, which authentic chunk a run of bytes begins with.
//
// A chunk that fails in its place may still be an authentic chunk of this stream: the last
// chunk followed by appended data, or the last chunk moved before the end. Its length is then
// unknown, and trying every length with a full AES-GCM open costs the square of the chunk size.
// The tag of every prefix is instead computed in one pass: GCM's tag is GHASH of the ciphertext
// (which does not depend on the nonce) XOR E(K, J0) (which depends only on the nonce), so one
// running GHASH state, copied at each length, and one E(K, J0) per candidate nonce answer all
// lengths and all nonces at once. Candidates found this way are confirmed by a real open.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "conduit/crypto/backend.hpp"

namespace conduit::crypto {

class ChunkFinder {
 public:
  ChunkFinder();
  ~ChunkFinder();
  ChunkFinder(const ChunkFinder&) = delete;
  ChunkFinder& operator=(const ChunkFinder&) = delete;

  // Keys the finder with the payload key (OpenSSL, whatever backend decrypts). Returns 0 or -errno.
  int init(std::span<const std::uint8_t> key);

  // Finds a proper prefix of `in` (kAeadTagSize <= length < in.size()) that authenticates as a
  // chunk under one of `nonces`. Returns its length and sets `which` to the nonce's index, 0 when
  // no prefix does, or -errno. Costs one AES-GCM pass over `in` plus a context copy per length
  // (about 0.1 s for a 64 KiB chunk), whatever the number of nonces.
  long find_prefix(std::span<const std::array<std::uint8_t, kAeadNonceSize>> nonces,
                   std::span<const std::uint8_t> in, std::size_t& which);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace conduit::crypto
