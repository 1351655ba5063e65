// kdf: the two key-derivation functions of the stream format, on OpenSSL's EVP_KDF.
//
// HKDF-SHA-256 (RFC 5869) turns the stream's master key and its random per-stream salt into the
// payload and header-MAC keys, so no two streams share a key; scrypt (RFC 7914) turns a passphrase
// into a master key slowly enough to make guessing expensive.
#pragma once

#include <cstdint>
#include <span>

namespace conduit::crypto {

// HKDF-SHA-256 extract-and-expand of `ikm` with `salt` and `info` into `out` (at most 255*32
// bytes). Returns 0 or -errno.
int hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                std::span<const std::uint8_t> info, std::span<std::uint8_t> out) noexcept;

// scrypt with cost N = 2^log2_n, block size r, parallelism p into `out`. Returns 0, -EINVAL for
// parameters out of range, -ENOMEM when the memory it needs (128 * r * N bytes) is not available,
// or -EIO.
int scrypt(std::span<const std::uint8_t> passphrase, std::span<const std::uint8_t> salt,
           unsigned log2_n, unsigned r, unsigned p, std::span<std::uint8_t> out) noexcept;

// HMAC-SHA-256 of `data` under `key` into `out` (32 bytes). Returns 0 or -errno.
int hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data,
                std::span<std::uint8_t, 32> out) noexcept;

}  // namespace conduit::crypto
