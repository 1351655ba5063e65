// raw: --raw mode, plain AES-CTR/CBC with no header and NO integrity, byte-compatible with
// `openssl enc -aes-256-ctr -K HEX -iv HEX` (and -nopad), for talking to existing tools.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "conduit/crypto/backend.hpp"
#include "conduit/crypto/stream_result.hpp"

namespace conduit::crypto {

struct RawOptions {
  const Backend* backend = nullptr;
  Algorithm algorithm = Algorithm::Aes256Ctr;
  bool encrypt = true;
  bool padding = true;  // CBC only: PKCS#7 as openssl enc does; false = -nopad
  std::function<void(std::uint64_t)> progress;  // input bytes done, for --progress
};

// Streams `in_fd` through the cipher to `out_fd` with large reads and writes. A bad CBC padding
// on decryption is StreamStatus::ModifiedChunk ("bad padding"); an input that is not a whole
// number of blocks with padding off is CipherError with EINVAL.
StreamResult raw_stream(int in_fd, int out_fd, const RawOptions& options,
                        std::span<const std::uint8_t> key, std::span<const std::uint8_t> iv);

}  // namespace conduit::crypto
