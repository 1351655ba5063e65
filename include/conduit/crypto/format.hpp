// format: the header of the hw-encrypt stream format (version 1), its keys and its nonces.
//
// Layout (all integers big-endian; docs/stream-format.md and hw-encrypt(1) say the same):
//
//   off len  field
//    0   8   magic 89 48 57 45 4E 43 0D 0A ("\x89HWENC\r\n")
//    8   1   format version (1)
//    9   1   algorithm (1 = AES-256-GCM, STREAM nonces, HKDF-SHA-256 keys)
//   10   1   log2 of the chunk size (16: 64 KiB; readers accept 10..20)
//   11   1   key source: 1 = a 32-byte key, 2 = a passphrase through scrypt
//   12  32   salt, random per stream
//   44   3   key source 2 only: scrypt log2(N), r, p
//   ..  32   HMAC-SHA-256 of all header bytes before it, under the header key
//
// Keys: IKM = the key (source 1) or scrypt(passphrase, salt, N, r, p) (source 2, 32 bytes);
// header key = HKDF-SHA-256(IKM, salt, "hw-encrypt v1 header"); payload key =
// HKDF-SHA-256(IKM, salt, "hw-encrypt v1 payload"). A fresh salt gives every stream fresh keys,
// so counters may start at 0 in every stream.
//
// Payload: chunks of exactly chunk-size plaintext bytes, the last one 0..chunk-size bytes; each
// stored as AES-256-GCM ciphertext || 16-byte tag, no associated data, nonce = 11-byte chunk
// counter (from 0) || 1 byte last-chunk flag (1 on the last chunk, else 0). Empty input is one
// empty last chunk. The last chunk's flag is what proves the stream was not truncated.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "conduit/crypto/backend.hpp"
#include "conduit/crypto/keys.hpp"
#include "conduit/crypto/stream_result.hpp"

namespace conduit::crypto {

inline constexpr std::array<std::uint8_t, 8> kMagic = {0x89, 'H', 'W', 'E', 'N', 'C', '\r', '\n'};
inline constexpr std::uint8_t kFormatVersion = 1;
// Version 2: the same bytes, keys bound to a context string (--context) that is not stored:
// HKDF info = "hw-encrypt v2 header" (or "payload") || 0x00 || context. Written only when a
// context is given, so streams without one stay version 1, byte for byte.
inline constexpr std::uint8_t kFormatVersionContext = 2;
inline constexpr std::uint8_t kAlgAes256GcmStream = 1;
inline constexpr std::size_t kHeaderPrefixSize = 12;  // magic .. key source
inline constexpr std::size_t kSaltSize = 32;
inline constexpr std::size_t kMacSize = 32;
inline constexpr std::size_t kMaxHeaderSize = kHeaderPrefixSize + kSaltSize + 3 + kMacSize;
inline constexpr unsigned kDefaultChunkLog2 = 16;
inline constexpr unsigned kMinChunkLog2 = 10;
inline constexpr unsigned kMaxChunkLog2 = 20;

// At most this many chunks per stream (2^32: 256 TiB of 64 KiB chunks), as Tink's streaming AEAD.
// The nonce's counter could go further; the limit keeps every stream far inside GCM's bounds
// for one key, and a reader refuses a stream that goes past it.
inline constexpr std::uint64_t kMaxChunks = std::uint64_t{1} << 32;

enum class KeySource : std::uint8_t { Key = 1, Passphrase = 2 };

struct ScryptParams {
  std::uint8_t log2_n = 18;  // age's default: 256 MiB and about a second
  std::uint8_t r = 8;
  std::uint8_t p = 1;
};
// What a reader accepts is what a writer can write: r = 8, p = 1, N = 2^10 .. 2^20 (streams from
// before the writer's minimum rose to 2^15 still open). A hostile header, read before anything is
// authenticated, can then ask for at most 1 GiB and 4x the default work.
inline constexpr unsigned kMinScryptLog2N = 10;       // reader
inline constexpr unsigned kMinWriteScryptLog2N = 15;  // writer (--scrypt-work)
inline constexpr unsigned kMaxScryptLog2N = 20;
inline constexpr unsigned kScryptR = 8;
inline constexpr unsigned kScryptP = 1;

struct Header {
  bool bound = false;   // version 2: keys bound to `context`
  std::string context;  // never on the wire: the caller supplies it (encryption and decryption)
  unsigned chunk_log2 = kDefaultChunkLog2;
  KeySource source = KeySource::Key;
  std::array<std::uint8_t, kSaltSize> salt{};
  ScryptParams scrypt{};
  std::array<std::uint8_t, kMacSize> mac{};

  std::size_t chunk_size() const noexcept { return std::size_t{1} << chunk_log2; }
  // The whole header's size on the wire, MAC included.
  std::size_t size() const noexcept;
};

enum class HeaderStatus : std::uint8_t {
  Ok,
  NotThisFormat,    // wrong magic
  UnknownVersion,
  UnknownAlgorithm,
  BadChunkSize,
  BadKeySource,
  BadKdfParams,
};

// A message for a non-Ok status (no program or file prefix). `byte` is the offending value.
std::string header_status_text(HeaderStatus status, unsigned byte);
// The failure for a non-Ok status: NotThisFormat or BadHeader, the message above, and the rule
// broken (Magic, Version, ScryptParams) where a program explains it in its own words.
StreamResult header_failure(HeaderStatus status, unsigned byte);

// Parses the 12-byte prefix. On Ok, `header` has chunk size and key source, and `rest` the number
// of header bytes still to read (salt, KDF parameters, MAC). `*bad` gets the offending byte.
HeaderStatus parse_header_prefix(std::span<const std::uint8_t, kHeaderPrefixSize> prefix,
                                 Header& header, std::size_t& rest, unsigned* bad);
// Parses the rest (salt, KDF parameters, MAC).
HeaderStatus parse_header_rest(std::span<const std::uint8_t> rest, Header& header, unsigned* bad);

// The header bytes covered by the MAC (everything before it).
std::size_t encode_header_body(const Header& header, std::span<std::uint8_t, kMaxHeaderSize> out);

// The stream keys derived from the IKM (see the layout comment).
struct StreamKeys {
  Secret header_key{32};
  Secret payload_key{32};
};
int derive_stream_keys(std::span<const std::uint8_t> ikm, const Header& header, StreamKeys& keys);

// The IKM: the key itself for KeySource::Key, scrypt of the passphrase for Passphrase.
int derive_ikm(const Header& header, std::span<const std::uint8_t> secret, Secret& ikm);

// Computes the MAC into header.mac.
int seal_header(Header& header, const StreamKeys& keys);
// Checks header.mac in constant time: 0, -EBADMSG on mismatch, or -errno.
int verify_header(const Header& header, const StreamKeys& keys);
// Serializes the whole header (after seal_header). Returns its size.
std::size_t encode_header(const Header& header, std::span<std::uint8_t, kMaxHeaderSize> out);

// The 12-byte STREAM nonce for chunk `counter`.
std::array<std::uint8_t, kAeadNonceSize> chunk_nonce(std::uint64_t counter, bool last) noexcept;

// How messages name a chunk: "chunk 3 (at offset 196748)", offset counted from the stream's start.
std::string chunk_name(std::uint64_t counter, std::uint64_t offset);

// Verdicts on a payload that does not follow the chunk layout, worded once for both decoders
// (the block pipeline's and the spliced one).
// Nothing follows the header: not even the empty last chunk.
StreamResult no_chunks_failure();
// An empty last chunk after other chunks: only an empty stream has an empty (and only) chunk.
StreamResult empty_last_chunk(std::uint64_t counter, std::uint64_t offset);
// Chunk `counter` is past the limit of `max_chunks` chunks.
StreamResult too_many_chunks(std::uint64_t max_chunks, bool encrypting);
// The stream ends fewer than a tag's bytes into chunk `counter`.
StreamResult cut_inside_chunk(std::uint64_t counter, std::uint64_t offset);
// Chunk `counter` authenticates only under the other last-chunk flag: found at the end of the
// input (`at_end`) it is a middle chunk, so the stream was cut after it; found before the end it
// is the last chunk, so data follows it.
StreamResult wrong_last_flag(std::uint64_t counter, std::uint64_t offset, bool at_end);

}  // namespace conduit::crypto
