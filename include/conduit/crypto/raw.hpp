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

// The PKCS#7 padding length (1..16) of a decrypted last CBC block, or 0 when the padding is
// invalid. Constant time: no branch or memory access depends on the block's bytes, so the time
// taken tells an attacker nothing about where the padding went wrong (a padding oracle).
// For backends that strip padding themselves (the kernel's cbc(aes) does not).
unsigned pkcs7_padding_length(std::span<const std::uint8_t, kAesBlockSize> block) noexcept;

}  // namespace conduit::crypto
