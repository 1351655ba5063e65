// format: encoding, parsing and authenticating the version-1 stream header; chunk nonces and the
// messages that name a chunk out of place.
#include "conduit/crypto/format.hpp"

#include <openssl/crypto.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "conduit/crypto/kdf.hpp"

namespace conduit::crypto {

namespace {
constexpr std::string_view kHeaderInfo = "hw-encrypt v1 header";
constexpr std::string_view kPayloadInfo = "hw-encrypt v1 payload";
constexpr std::string_view kHeaderInfoContext = "hw-encrypt v2 header";
constexpr std::string_view kPayloadInfoContext = "hw-encrypt v2 payload";

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

bool scrypt_ok(const ScryptParams& p) {
  return p.log2_n >= kMinScryptLog2N && p.log2_n <= kMaxScryptLog2N && p.r == kScryptR &&
         p.p == kScryptP;
}
}  // namespace

std::size_t Header::size() const noexcept {
  return kHeaderPrefixSize + kSaltSize + (source == KeySource::Passphrase ? 3 : 0) + kMacSize;
}

std::string header_status_text(HeaderStatus status, unsigned byte) {
  switch (status) {
    case HeaderStatus::Ok: return "ok";
    case HeaderStatus::NotThisFormat: return "not a stream of this format (bad magic)";
    case HeaderStatus::UnknownVersion: return "unknown format version " + std::to_string(byte);
    case HeaderStatus::UnknownAlgorithm: return "unknown algorithm " + std::to_string(byte);
    case HeaderStatus::BadChunkSize:
      return "invalid chunk size 2^" + std::to_string(byte) + " in header";
    case HeaderStatus::BadKeySource: return "unknown key source " + std::to_string(byte);
    case HeaderStatus::BadKdfParams: return "scrypt parameters out of range in header";
  }
  return "bad header";
}

StreamResult header_failure(HeaderStatus status, unsigned byte) {
  FormatRule rule = status == HeaderStatus::NotThisFormat  ? FormatRule::Magic
                    : status == HeaderStatus::UnknownVersion ? FormatRule::Version
                    : status == HeaderStatus::BadKdfParams   ? FormatRule::ScryptParams
                                                             : FormatRule::None;
  return StreamResult::broken(status == HeaderStatus::NotThisFormat ? StreamStatus::NotThisFormat
                                                                    : StreamStatus::BadHeader,
                              rule, header_status_text(status, byte));
}

HeaderStatus parse_header_prefix(std::span<const std::uint8_t, kHeaderPrefixSize> prefix,
                                 Header& header, std::size_t& rest, unsigned* bad) {
  unsigned dummy = 0;
  if (bad == nullptr) bad = &dummy;
  if (std::memcmp(prefix.data(), kMagic.data(), kMagic.size()) != 0)
    return HeaderStatus::NotThisFormat;
  *bad = prefix[8];
  if (prefix[8] != kFormatVersion && prefix[8] != kFormatVersionContext)
    return HeaderStatus::UnknownVersion;
  header.bound = prefix[8] == kFormatVersionContext;
  *bad = prefix[9];
  if (prefix[9] != kAlgAes256GcmStream) return HeaderStatus::UnknownAlgorithm;
  *bad = prefix[10];
  if (prefix[10] < kMinChunkLog2 || prefix[10] > kMaxChunkLog2) return HeaderStatus::BadChunkSize;
  header.chunk_log2 = prefix[10];
  *bad = prefix[11];
  if (prefix[11] == 1) header.source = KeySource::Key;
  else if (prefix[11] == 2) header.source = KeySource::Passphrase;
  else return HeaderStatus::BadKeySource;
  rest = header.size() - kHeaderPrefixSize;
  return HeaderStatus::Ok;
}

HeaderStatus parse_header_rest(std::span<const std::uint8_t> rest, Header& header, unsigned* bad) {
  if (rest.size() != header.size() - kHeaderPrefixSize) return HeaderStatus::NotThisFormat;
  std::size_t off = 0;
  std::memcpy(header.salt.data(), rest.data(), kSaltSize);
  off += kSaltSize;
  if (header.source == KeySource::Passphrase) {
    header.scrypt = {rest[off], rest[off + 1], rest[off + 2]};
    off += 3;
    if (!scrypt_ok(header.scrypt)) {
      if (bad != nullptr) *bad = header.scrypt.log2_n;
      return HeaderStatus::BadKdfParams;
    }
  }
  std::memcpy(header.mac.data(), rest.data() + off, kMacSize);
  return HeaderStatus::Ok;
}

std::size_t encode_header_body(const Header& header, std::span<std::uint8_t, kMaxHeaderSize> out) {
  std::size_t off = 0;
  std::memcpy(out.data(), kMagic.data(), kMagic.size());
  off += kMagic.size();
  out[off++] = header.bound ? kFormatVersionContext : kFormatVersion;
  out[off++] = kAlgAes256GcmStream;
  out[off++] = static_cast<std::uint8_t>(header.chunk_log2);
  out[off++] = static_cast<std::uint8_t>(header.source);
  std::memcpy(out.data() + off, header.salt.data(), kSaltSize);
  off += kSaltSize;
  if (header.source == KeySource::Passphrase) {
    out[off++] = header.scrypt.log2_n;
    out[off++] = header.scrypt.r;
    out[off++] = header.scrypt.p;
  }
  return off;
}

std::size_t encode_header(const Header& header, std::span<std::uint8_t, kMaxHeaderSize> out) {
  std::size_t off = encode_header_body(header, out);
  std::memcpy(out.data() + off, header.mac.data(), kMacSize);
  return off + kMacSize;
}

int derive_ikm(const Header& header, std::span<const std::uint8_t> secret, Secret& ikm) {
  ikm = Secret(kAeadKeySize);
  ikm.resize(kAeadKeySize);
  if (header.source == KeySource::Key) {
    if (secret.size() != kAeadKeySize) return -EINVAL;
    std::memcpy(ikm.data(), secret.data(), kAeadKeySize);
    return 0;
  }
  if (!scrypt_ok(header.scrypt)) return -EINVAL;
  return scrypt(secret, header.salt, header.scrypt.log2_n, header.scrypt.r, header.scrypt.p,
                ikm.span());
}

int derive_stream_keys(std::span<const std::uint8_t> ikm, const Header& header, StreamKeys& keys) {
  keys.header_key.resize(32);
  keys.payload_key.resize(32);
  std::string header_info(kHeaderInfo);
  std::string payload_info(kPayloadInfo);
  if (header.bound) {
    // The v2 labels, a NUL (no label is a prefix of another), then the context.
    header_info = std::string(kHeaderInfoContext) + '\0' + header.context;
    payload_info = std::string(kPayloadInfoContext) + '\0' + header.context;
  }
  if (int rc = hkdf_sha256(ikm, header.salt, bytes_of(header_info), keys.header_key.span()); rc < 0)
    return rc;
  return hkdf_sha256(ikm, header.salt, bytes_of(payload_info), keys.payload_key.span());
}

int seal_header(Header& header, const StreamKeys& keys) {
  std::array<std::uint8_t, kMaxHeaderSize> body{};
  std::size_t n = encode_header_body(header, body);
  return hmac_sha256(keys.header_key.span(), std::span(body.data(), n), header.mac);
}

int verify_header(const Header& header, const StreamKeys& keys) {
  std::array<std::uint8_t, kMaxHeaderSize> body{};
  std::size_t n = encode_header_body(header, body);
  std::array<std::uint8_t, kMacSize> mac{};
  if (int rc = hmac_sha256(keys.header_key.span(), std::span(body.data(), n), mac); rc < 0)
    return rc;
  return CRYPTO_memcmp(mac.data(), header.mac.data(), kMacSize) == 0 ? 0 : -EBADMSG;
}

std::array<std::uint8_t, kAeadNonceSize> chunk_nonce(std::uint64_t counter, bool last) noexcept {
  std::array<std::uint8_t, kAeadNonceSize> nonce{};
  // Bytes 0..2 of the 11-byte counter stay zero: a 64-bit counter never reaches them.
  for (int i = 0; i < 8; ++i)
    nonce[10 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
  nonce[11] = last ? 1 : 0;
  return nonce;
}

std::string chunk_name(std::uint64_t counter, std::uint64_t offset) {
  return "chunk " + std::to_string(counter) + " (at offset " + std::to_string(offset) + ")";
}

StreamResult no_chunks_failure() {
  return StreamResult::failure(StreamStatus::Truncated,
                               "truncated stream: no chunks after the header");
}

StreamResult empty_last_chunk(std::uint64_t counter, std::uint64_t offset) {
  return StreamResult::broken(StreamStatus::NonCanonical, FormatRule::EmptyLastChunk,
                              "non-canonical stream: " + chunk_name(counter, offset) +
                                  " is an empty last chunk after full ones");
}

StreamResult too_many_chunks(std::uint64_t max_chunks, bool encrypting) {
  std::string limit = std::to_string(max_chunks) + " chunks";
  if (encrypting)
    return StreamResult::failure(StreamStatus::CipherError,
                                 "input too large: a stream holds at most " + limit, EFBIG);
  return StreamResult::broken(StreamStatus::NonCanonical, FormatRule::ChunkLimit,
                              "non-canonical stream: more than " + limit);
}

StreamResult cut_inside_chunk(std::uint64_t counter, std::uint64_t offset) {
  return StreamResult::failure(StreamStatus::Truncated,
                               "truncated stream: it ends inside " + chunk_name(counter, offset));
}

StreamResult wrong_last_flag(std::uint64_t counter, std::uint64_t offset, bool at_end) {
  if (at_end)
    return StreamResult::failure(StreamStatus::Truncated,
                                 "truncated stream: it ends after " + chunk_name(counter, offset) +
                                     ", which is not the last chunk");
  return StreamResult::failure(StreamStatus::TrailingData, "data after the last chunk: " +
                                                               chunk_name(counter, offset) +
                                                               " is the last one");
}

}  // namespace conduit::crypto
