// sealer: the stream's header, keys and chunk rules, one chunk at a time (sealer.hpp).
#include "conduit/crypto/sealer.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <string>

#include "conduit/diag.hpp"

namespace conduit::crypto {

namespace {

constexpr std::uint64_t kReorderWindow = 64;  // counters tried around a misplaced chunk

StreamResult cipher_failure(int rc) {
  return StreamResult::failure(StreamStatus::CipherError, errno_text(-rc), -rc);
}

StreamResult make_ciphers(const StreamOptions& options, const Secret& key, unsigned count,
                          std::vector<std::unique_ptr<AeadCipher>>& ciphers) {
  for (unsigned i = 0; i < std::max(1u, count); ++i) {
    auto cipher = options.backend->make_aead(Algorithm::Aes256Gcm, key.span());
    if (!cipher.ok()) return cipher_failure(-cipher.error);
    ciphers.push_back(std::move(cipher.value));
  }
  return {};
}

// What the caller must fill in and has no default: StreamOptions::backend, Credentials::secret.
StreamResult missing_setting(const Credentials& credentials, const StreamOptions& options) {
  if (options.backend == nullptr)
    return StreamResult::failure(StreamStatus::CipherError, "no cipher backend given", EINVAL);
  if (credentials.secret == nullptr)
    return StreamResult::failure(StreamStatus::CipherError, "no key or passphrase given", EINVAL);
  return {};
}

}  // namespace

StreamResult StreamSealer::start(const Credentials& credentials, const StreamOptions& options,
                                 unsigned ciphers) {
  if (auto r = missing_setting(credentials, options); !r.ok()) return r;
  header_ = Header{};
  header_.chunk_log2 = options.chunk_log2;
  header_.source = credentials.source;
  header_.scrypt = options.scrypt;
  header_.bound = !credentials.context.empty();
  header_.context = credentials.context;
  max_chunks_ = options.max_chunks;
  if (options.chunk_log2 < kMinChunkLog2 || options.chunk_log2 > kMaxChunkLog2)
    return cipher_failure(-EINVAL);
  if (RAND_bytes(header_.salt.data(), static_cast<int>(header_.salt.size())) != 1)
    return StreamResult::failure(StreamStatus::CipherError, "random number generator failed", EIO);

  Secret ikm;
  StreamKeys keys;
  if (int rc = derive_ikm(header_, credentials.secret->span(), ikm); rc < 0) return cipher_failure(rc);
  if (int rc = derive_stream_keys(ikm.span(), header_, keys); rc < 0) return cipher_failure(rc);
  ikm.wipe();
  if (int rc = seal_header(header_, keys); rc < 0) return cipher_failure(rc);
  if (auto r = make_ciphers(options, keys.payload_key, ciphers, ciphers_); !r.ok()) return r;
  keys.payload_key.wipe();
  keys.header_key.wipe();
  header_len_ = encode_header(header_, wire_);
  return {};
}

int StreamSealer::seal_at(unsigned which, std::uint64_t counter, bool last,
                          std::span<const std::uint8_t> plain, std::span<std::uint8_t> out) {
  return ciphers_[which]->seal(chunk_nonce(counter, last), {}, plain, out);
}

long StreamSealer::seal(std::span<const std::uint8_t> plain, bool last, std::span<std::uint8_t> out) {
  if (done_ || ciphers_.empty() || plain.size() > chunk_size()) return -EINVAL;
  if (!last && plain.size() != chunk_size()) return -EINVAL;
  if (last && plain.empty() && next_ > 0) return -EINVAL;  // mark the last full chunk instead
  if (out.size() < plain.size() + kAeadTagSize) return -EINVAL;
  if (next_ >= max_chunks_) return -EFBIG;
  std::size_t sealed = plain.size() + kAeadTagSize;
  if (int rc = seal_at(0, next_, last, plain, out.first(sealed)); rc < 0) return rc;
  ++next_;
  done_ = last;
  return static_cast<long>(sealed);
}

StreamResult StreamOpener::start(const Header& header, const Credentials& credentials,
                                 const StreamOptions& options, unsigned ciphers) {
  if (auto r = missing_setting(credentials, options); !r.ok()) return r;
  if (header.source != credentials.source) {
    return StreamResult::failure(
        StreamStatus::KeyKindMismatch,
        header.source == KeySource::Passphrase
            ? "the stream was encrypted with a passphrase, not a key"
            : "the stream was encrypted with a key, not a passphrase");
  }
  if (header.bound && credentials.context.empty())
    return StreamResult::broken(StreamStatus::KeyKindMismatch, FormatRule::ContextMissing,
                                "the stream is bound to a context, and none was given");
  if (!header.bound && !credentials.context.empty())
    return StreamResult::broken(StreamStatus::KeyKindMismatch, FormatRule::ContextGiven,
                                "the stream is not bound to a context, and one was given");
  header_ = header;
  header_.context = credentials.context;
  max_chunks_ = options.max_chunks;
  offset_ = header.size();
  Secret ikm;
  StreamKeys keys;
  if (int rc = derive_ikm(header_, credentials.secret->span(), ikm); rc < 0) {
    if (rc == -ENOMEM)
      return StreamResult::failure(StreamStatus::CipherError,
                                   "not enough memory for the stream's scrypt parameters", ENOMEM);
    return cipher_failure(rc);
  }
  if (int rc = derive_stream_keys(ikm.span(), header_, keys); rc < 0) return cipher_failure(rc);
  ikm.wipe();
  if (int rc = verify_header(header, keys); rc < 0) {
    if (rc != -EBADMSG) return cipher_failure(rc);
    const std::string or_context = header.bound ? " or context" : "";
    return header.source == KeySource::Passphrase
               ? StreamResult::failure(StreamStatus::WrongPassphrase,
                                       "wrong passphrase" + or_context + " (or the header was modified)")
               : StreamResult::failure(StreamStatus::WrongKey,
                                       "wrong key" + or_context + " (or the header was modified)");
  }
  if (auto r = make_ciphers(options, keys.payload_key, ciphers, ciphers_); !r.ok()) return r;
  // One finder per cipher, for decrypt_stream's failure path (chunk_search.hpp).
  for (unsigned i = 0; i < std::max(1u, ciphers); ++i) {
    auto finder = std::make_unique<ChunkFinder>();
    if (int rc = finder->init(keys.payload_key.span()); rc < 0) return cipher_failure(rc);
    finders_.push_back(std::move(finder));
  }
  keys.payload_key.wipe();
  keys.header_key.wipe();
  return {};
}

StreamResult StreamOpener::open(std::span<const std::uint8_t> sealed, std::span<std::uint8_t> out,
                                bool at_end) {
  if (failed_ || ciphers_.empty() || !ciphers_[0])
    return StreamResult::failure(StreamStatus::CipherError, errno_text(EINVAL), EINVAL);
  StreamResult r = [&]() -> StreamResult {
    if (done_)
      return StreamResult::failure(StreamStatus::TrailingData,
                                   "data after the last chunk: " + std::to_string(sealed.size()) +
                                       "+ bytes follow " + chunk_name(next_ - 1, offset_) +
                                       ", the last one");
    if (next_ >= max_chunks_) return too_many_chunks(max_chunks_, false);
    if (sealed.size() < kAeadTagSize) return cut_inside_chunk(next_, offset_);
    if (sealed.size() > sealed_size() || out.size() < sealed.size() - kAeadTagSize)
      return StreamResult::failure(StreamStatus::CipherError, errno_text(EINVAL), EINVAL);
    auto plain = out.first(sealed.size() - kAeadTagSize);
    const bool short_chunk = sealed.size() < sealed_size();
    // A try that fails leaves its output written: in place, the ciphertext would be gone for the
    // next try (a full chunk is tried as a middle chunk, then as the last). In place, then, the
    // tries go to scratch_ and only the one that verified is copied out.
    const bool in_place = std::less<>{}(plain.data(), sealed.data() + sealed.size()) &&
                          std::less<>{}(sealed.data(), plain.data() + plain.size());
    scratch_.resize(chunk_size());
    auto into = in_place ? std::span(scratch_).first(plain.size()) : plain;
    int rc = short_chunk ? -EBADMSG : ciphers_[0]->open(chunk_nonce(next_, false), {}, sealed, into);
    bool last = false;
    if (rc == -EBADMSG) {
      rc = ciphers_[0]->open(chunk_nonce(next_, true), {}, sealed, into);
      last = rc == 0;
    }
    if (rc == -EBADMSG) return misplaced(sealed, short_chunk, at_end);
    if (rc < 0) return cipher_failure(rc);
    if (in_place && !plain.empty()) std::memmove(plain.data(), into.data(), plain.size());
    // Authentic, but a writer ends a stream of full chunks with the last full one.
    if (last && plain.empty() && next_ > 0) return empty_last_chunk(next_, offset_);
    StreamResult ok;
    ok.bytes_in = sealed.size();
    ok.bytes_out = plain.size();
    done_ = last;
    return ok;
  }();
  if (!r.ok()) {
    failed_ = true;
    return r;
  }
  ++next_;
  offset_ += sealed.size();
  return r;
}

// The chunk does not verify in its place: is it one of this stream's from elsewhere?
StreamResult StreamOpener::misplaced(std::span<const std::uint8_t> sealed, bool short_chunk,
                                     bool at_end) {
  const std::string name = chunk_name(next_, offset_);
  auto scratch = std::span(scratch_).first(sealed.size() - kAeadTagSize);
  std::uint64_t lo = next_ > kReorderWindow ? next_ - kReorderWindow : 0;
  for (std::uint64_t c = lo; c <= next_ + kReorderWindow; ++c) {
    for (bool last : {false, true}) {
      if (c == next_ || (short_chunk && !last)) continue;
      if (ciphers_[0]->open(chunk_nonce(c, last), {}, sealed, scratch) != 0) continue;
      return StreamResult::failure(StreamStatus::OutOfOrder,
                                   "chunks reordered, duplicated or dropped: chunk " +
                                       std::to_string(c) + (last ? " (the last one)" : "") +
                                       " found in the place of " + name);
    }
  }
  // The last chunk with bytes after it (appended data), or another chunk's last one before the
  // end: every length at once (chunk_search.hpp), as decrypt_stream looks, with its words.
  if (!finders_.empty() && finders_[0]) {
    std::vector<std::uint64_t> counters{next_};
    std::vector<std::array<std::uint8_t, kAeadNonceSize>> nonces{chunk_nonce(next_, true)};
    for (std::uint64_t c = lo; c <= next_ + kReorderWindow; ++c) {
      if (c == next_) continue;
      counters.push_back(c);
      nonces.push_back(chunk_nonce(c, true));
    }
    std::size_t which = 0;
    long len = finders_[0]->find_prefix(nonces, sealed, which);
    if (len < 0) return cipher_failure(static_cast<int>(len));
    if (len > 0) {
      auto prefix = static_cast<std::size_t>(len);
      std::uint64_t found = counters[which];
      if (found == next_ && ciphers_[0]->open(chunk_nonce(next_, true), {}, sealed.first(prefix),
                                             scratch.first(prefix - kAeadTagSize)) == 0)
        return StreamResult::failure(StreamStatus::TrailingData,
                                     "data after the last chunk: " +
                                         std::to_string(sealed.size() - prefix) +
                                         (at_end ? "" : "+") + " bytes follow " + name +
                                         ", the last one");
      if (found != next_)
        return StreamResult::failure(StreamStatus::OutOfOrder,
                                     "chunks reordered: the last chunk (chunk " +
                                         std::to_string(found) +
                                         ") is not at the end: it is in the place of " + name);
    }
  }
  // A short chunk where the input ended may be a whole one cut short (decrypt_stream's words).
  if (at_end && short_chunk)
    return StreamResult::failure(
        StreamStatus::ModifiedChunk,
        name + " failed authentication: it was modified, or the stream was cut inside it");
  return StreamResult::failure(StreamStatus::ModifiedChunk,
                               name + " failed authentication: it was modified or replaced");
}

StreamResult StreamOpener::finish() const {
  if (done_) return {};
  if (next_ == 0) return no_chunks_failure();
  return wrong_last_flag(next_ - 1, offset_ - sealed_size(), true);  // every earlier one is full
}

}  // namespace conduit::crypto
