// The stream format end to end through encrypt_stream/decrypt_stream: round trips across chunk
// and block boundaries and thread counts, and every kind of damage rejected with its own status,
// with nothing but verified plaintext written. Small chunks (1 KiB, 64 per pipeline block) keep
// multi-block cases small.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "conduit/crypto/stream.hpp"
#include "conduit/fd.hpp"
#include "crypto_util.hpp"

namespace {

using namespace conduit::crypto;
using namespace conduit::cryptotest;

constexpr unsigned kChunkLog2 = 10;
constexpr std::size_t kChunk = 1024;
constexpr std::size_t kSealed = kChunk + 16;
constexpr std::size_t kKeyHeader = 76;

struct Outcome {
  StreamResult result;
  Bytes out;
};

class CryptoStream : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = test_key(3, 1);
    backend_ = make_openssl_backend();
  }

  StreamOptions options(unsigned threads) const {
    StreamOptions o;
    o.backend = backend_.get();
    o.threads = threads;
    o.chunk_log2 = kChunkLog2;
    o.scrypt = {10, 8, 1};
    return o;
  }

  Outcome encrypt(const Bytes& plain, unsigned threads = 1, const Secret* secret = nullptr,
                  KeySource source = KeySource::Key) {
    auto in = memfd_with(plain);
    conduit::Fd out(::memfd_create("ct", MFD_CLOEXEC));
    Credentials cred{source, secret != nullptr ? secret : &key_, {}};
    StreamResult r = encrypt_stream(in.get(), out.get(), cred, options(threads));
    return {r, contents(out.get())};
  }

  Outcome decrypt(const Bytes& sealed, unsigned threads = 1, const Secret* secret = nullptr,
                  KeySource source = KeySource::Key) {
    auto in = memfd_with(sealed);
    conduit::Fd out(::memfd_create("pt", MFD_CLOEXEC));
    Header header;
    StreamResult r = read_stream_header(in.get(), header);
    if (r.ok()) {
      Credentials cred{source, secret != nullptr ? secret : &key_, {}};
      r = decrypt_stream(in.get(), out.get(), header, cred, options(threads));
    }
    return {r, contents(out.get())};
  }

  // Decryption must fail with `status`, having written exactly the first `verified` bytes.
  void expect_rejected(const Bytes& sealed, StreamStatus status, const Bytes& plain,
                       std::size_t verified, unsigned threads = 1) {
    Outcome o = decrypt(sealed, threads);
    EXPECT_EQ(o.result.status, status) << o.result.message;
    EXPECT_TRUE(o.result.rejected());
    EXPECT_FALSE(o.result.message.empty());
    ASSERT_EQ(o.out.size(), verified) << o.result.message;
    EXPECT_TRUE(std::equal(o.out.begin(), o.out.end(), plain.begin()));
  }

  Secret key_;
  std::unique_ptr<Backend> backend_;
};

// The stream `sealed` with its chunks in `order` (indexes into its chunks, repeats allowed).
Bytes reassembled(const Bytes& sealed, std::initializer_list<std::size_t> order) {
  Bytes s(sealed.begin(), sealed.begin() + kKeyHeader);
  for (std::size_t i : order) {
    auto b = sealed.begin() + static_cast<long>(kKeyHeader + i * kSealed);
    s.insert(s.end(), b, std::min(b + static_cast<long>(kSealed), sealed.end()));
  }
  return s;
}

std::size_t sealed_size(std::size_t n) {
  std::size_t chunks = n == 0 ? 1 : (n + kChunk - 1) / kChunk;
  return kKeyHeader + n + 16 * chunks;
}

TEST_F(CryptoStream, RoundTripsAtBoundariesWithAnyThreadCounts) {
  const std::size_t block = 64 * kChunk;
  const std::size_t sizes[] = {0, 1, kChunk - 1, kChunk, kChunk + 1, 3 * kChunk,
                               block - 1, block, block + 1, 3 * block + 17};
  for (std::size_t n : sizes) {
    Bytes plain = random_bytes(n, static_cast<unsigned>(n));
    for (unsigned enc_threads : {1u, 3u}) {
      SCOPED_TRACE("size " + std::to_string(n) + " threads " + std::to_string(enc_threads));
      Outcome e = encrypt(plain, enc_threads);
      ASSERT_TRUE(e.result.ok()) << e.result.message;
      EXPECT_EQ(e.out.size(), sealed_size(n));
      EXPECT_EQ(e.result.bytes_in, n);
      EXPECT_EQ(e.result.bytes_out, e.out.size());
      for (unsigned dec_threads : {1u, 2u}) {
        Outcome d = decrypt(e.out, dec_threads);
        ASSERT_TRUE(d.result.ok()) << d.result.message;
        EXPECT_EQ(d.out, plain);
      }
    }
  }
}

TEST_F(CryptoStream, EveryStreamHasItsOwnSaltAndCiphertext) {
  Bytes plain = random_bytes(5000, 1);
  Outcome a = encrypt(plain), b = encrypt(plain);
  ASSERT_TRUE(a.result.ok() && b.result.ok());
  EXPECT_NE(a.out, b.out);
  EXPECT_NE(Bytes(a.out.begin() + 12, a.out.begin() + 44), Bytes(b.out.begin() + 12, b.out.begin() + 44));
}

TEST_F(CryptoStream, EveryFlippedByteIsRejectedAndNothingIsWritten) {
  Bytes plain = random_bytes(100, 2);
  Outcome e = encrypt(plain);
  ASSERT_TRUE(e.result.ok());
  for (std::size_t i = 0; i < e.out.size(); ++i) {
    Bytes bad = e.out;
    bad[i] ^= 0x20;
    Outcome d = decrypt(bad);
    SCOPED_TRACE("byte " + std::to_string(i) + ": " + d.result.message);
    EXPECT_TRUE(d.result.rejected());
    EXPECT_TRUE(d.out.empty());
    if (i < 8) EXPECT_EQ(d.result.status, StreamStatus::NotThisFormat);
    else if (i < 12) EXPECT_EQ(d.result.status, StreamStatus::BadHeader);
    else if (i < kKeyHeader) EXPECT_EQ(d.result.status, StreamStatus::WrongKey);
    else EXPECT_EQ(d.result.status, StreamStatus::ModifiedChunk);
  }
}

TEST_F(CryptoStream, TruncationAtAndAroundEveryChunkBoundary) {
  Bytes plain = random_bytes(5 * kChunk + 100, 3);
  Outcome e = encrypt(plain);
  ASSERT_TRUE(e.result.ok());
  expect_rejected(Bytes(e.out.begin(), e.out.begin() + kKeyHeader), StreamStatus::Truncated, plain, 0);
  expect_rejected(Bytes(e.out.begin(), e.out.begin() + 40), StreamStatus::Truncated, plain, 0);
  for (std::size_t k = 1; k <= 5; ++k) {
    std::size_t cut = kKeyHeader + k * kSealed;
    SCOPED_TRACE("after chunk " + std::to_string(k));
    // At the boundary: the stream lacks its last chunk.
    expect_rejected(Bytes(e.out.begin(), e.out.begin() + static_cast<long>(cut)),
                    StreamStatus::Truncated, plain, k * kChunk);
    // Just before and after it: the chunk in which it ends cannot verify.
    for (long d : {-1L, 1L, 15L, 17L}) {
      Bytes cutb(e.out.begin(), e.out.begin() + static_cast<long>(cut) + d);
      Outcome o = decrypt(cutb);
      EXPECT_TRUE(o.result.status == StreamStatus::ModifiedChunk ||
                  o.result.status == StreamStatus::Truncated)
          << d << ": " << o.result.message;
      EXPECT_EQ(o.out.size(), (d < 0 ? k - 1 : k) * kChunk) << d;
    }
  }
}

TEST_F(CryptoStream, ReorderedDuplicatedAndDroppedChunks) {
  Bytes plain = random_bytes(4 * kChunk + 10, 4);
  Outcome e = encrypt(plain);
  ASSERT_TRUE(e.result.ok());
  auto build = [&](std::initializer_list<std::size_t> order) { return reassembled(e.out, order); };
  expect_rejected(build({1, 0, 2, 3, 4}), StreamStatus::OutOfOrder, plain, 0);
  expect_rejected(build({0, 2, 1, 3, 4}), StreamStatus::OutOfOrder, plain, kChunk);
  expect_rejected(build({0, 1, 1, 2, 3, 4}), StreamStatus::OutOfOrder, plain, 2 * kChunk);
  expect_rejected(build({0, 1, 3, 4}), StreamStatus::OutOfOrder, plain, 2 * kChunk);
  expect_rejected(build({0, 1, 2, 4}), StreamStatus::OutOfOrder, plain, 3 * kChunk);
  expect_rejected(build({0, 1, 2, 3}), StreamStatus::Truncated, plain, 4 * kChunk);
  expect_rejected(build({0, 1, 2, 3, 4, 4}), StreamStatus::TrailingData, plain, plain.size());
}

TEST_F(CryptoStream, AShortLastChunkOutOfPlaceIsNamedAsSuch) {
  Bytes plain = random_bytes(4 * kChunk + 10, 8);
  Outcome e = encrypt(plain);
  ASSERT_TRUE(e.result.ok());
  auto build = [&](std::initializer_list<std::size_t> order) { return reassembled(e.out, order); };
  // The 26-byte last chunk at the front, then in the middle: a prefix of a full-size run.
  expect_rejected(build({4, 0, 1, 2, 3}), StreamStatus::OutOfOrder, plain, 0);
  EXPECT_NE(decrypt(build({4, 0, 1, 2, 3})).result.message.find(
                "the last chunk (chunk 4) is not at the end: it is in the place of chunk 0"),
            std::string::npos);
  expect_rejected(build({0, 1, 4, 2, 3}), StreamStatus::OutOfOrder, plain, 2 * kChunk);
  // Chunks dropped before it: named.
  EXPECT_NE(decrypt(build({0, 4})).result.message.find("chunks 1 to 3 are missing"), std::string::npos);
}

// Re-seals `plain` as a stream with the chunk layout given by `sizes` (plaintext bytes per chunk,
// the last flagged last) under the header of `model`: streams no writer makes.
Bytes reseal(const Bytes& model, const Secret& key, const Bytes& plain,
             const std::vector<std::size_t>& sizes) {
  Header h;
  std::size_t rest = 0;
  EXPECT_EQ(parse_header_prefix(std::span<const std::uint8_t, kHeaderPrefixSize>(model.data(), kHeaderPrefixSize), h, rest, nullptr), HeaderStatus::Ok);
  EXPECT_EQ(parse_header_rest(std::span(model.data() + kHeaderPrefixSize, rest), h, nullptr), HeaderStatus::Ok);
  Secret ikm;
  StreamKeys keys;
  EXPECT_EQ(derive_ikm(h, key.span(), ikm), 0);
  EXPECT_EQ(derive_stream_keys(ikm.span(), h, keys), 0);
  auto cipher = make_openssl_backend()->make_aead(Algorithm::Aes256Gcm, keys.payload_key.span()).value;
  Bytes s(model.begin(), model.begin() + static_cast<long>(h.size()));
  std::size_t off = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    Bytes sealed(sizes[i] + 16);
    EXPECT_EQ(cipher->seal(chunk_nonce(i, i + 1 == sizes.size()), {},
                           std::span(plain.data() + off, sizes[i]), sealed), 0);
    off += sizes[i];
    s.insert(s.end(), sealed.begin(), sealed.end());
  }
  return s;
}

TEST_F(CryptoStream, AnEmptyLastChunkAfterFullOnesIsRejected) {
  Bytes plain = random_bytes(2 * kChunk, 9);
  Outcome e = encrypt(plain);
  ASSERT_TRUE(e.result.ok());
  // The canonical layout re-sealed decrypts (the helper is right) ...
  Outcome ok = decrypt(reseal(e.out, key_, plain, {kChunk, kChunk}));
  ASSERT_TRUE(ok.result.ok()) << ok.result.message;
  // ... the same plaintext ending in an empty last chunk does not, on either thread count.
  Bytes odd = reseal(e.out, key_, plain, {kChunk, kChunk, 0});
  for (unsigned threads : {1u, 2u}) {
    expect_rejected(odd, StreamStatus::NonCanonical, plain, 2 * kChunk, threads);
    EXPECT_NE(decrypt(odd, threads).result.message.find("chunk 2 (at offset 2156) is an empty last chunk"),
              std::string::npos);
  }
  // An empty stream is one empty chunk: still fine.
  Outcome empty = encrypt({});
  EXPECT_TRUE(decrypt(empty.out).result.ok());
}

TEST_F(CryptoStream, TheChunkLimitHoldsAtItsBoundaryBothWays) {
  auto with_limit = [this](std::uint64_t max, unsigned threads) {
    StreamOptions o = options(threads);
    o.max_chunks = max;
    return o;
  };
  for (unsigned threads : {1u, 2u}) {
    SCOPED_TRACE(threads);
    // Exactly 3 chunks under a limit of 3: fine both ways. 3 chunks and a byte: refused.
    for (std::size_t n : {3 * kChunk, 3 * kChunk + 1}) {
      Bytes plain = random_bytes(n, 10);
      auto in = memfd_with(plain);
      conduit::Fd out(::memfd_create("ct", MFD_CLOEXEC));
      Credentials cred{KeySource::Key, &key_, {}};
      StreamResult r = encrypt_stream(in.get(), out.get(), cred, with_limit(3, threads));
      if (n == 3 * kChunk) {
        ASSERT_TRUE(r.ok()) << r.message;
        auto sealed = memfd_with(contents(out.get()));
        conduit::Fd back(::memfd_create("pt", MFD_CLOEXEC));
        Header h;
        ASSERT_TRUE(read_stream_header(sealed.get(), h).ok());
        EXPECT_TRUE(decrypt_stream(sealed.get(), back.get(), h, cred, with_limit(3, threads)).ok());
        // The same stream under a limit of 2: refused as non-canonical, 2 chunks written.
        ::lseek(sealed.get(), 0, SEEK_SET);
        conduit::Fd back2(::memfd_create("pt", MFD_CLOEXEC));
        ASSERT_TRUE(read_stream_header(sealed.get(), h).ok());
        StreamResult d = decrypt_stream(sealed.get(), back2.get(), h, cred, with_limit(2, threads));
        EXPECT_EQ(d.status, StreamStatus::NonCanonical) << d.message;
        EXPECT_NE(d.message.find("more than 2 chunks"), std::string::npos) << d.message;
        EXPECT_EQ(contents(back2.get()).size(), 2 * kChunk);
      } else {
        EXPECT_EQ(r.status, StreamStatus::CipherError) << r.message;
        EXPECT_EQ(r.err, EFBIG);
        EXPECT_NE(r.message.find("at most 3 chunks"), std::string::npos) << r.message;
      }
    }
  }
  EXPECT_EQ(kMaxChunks, std::uint64_t{1} << 32);
  EXPECT_EQ(StreamOptions{}.max_chunks, kMaxChunks);
}

TEST_F(CryptoStream, DataAfterTheLastChunk) {
  for (std::size_t n : {std::size_t{0}, std::size_t{100}, kChunk, 3 * kChunk + 5}) {
    Bytes plain = random_bytes(n, 5);
    Outcome e = encrypt(plain);
    ASSERT_TRUE(e.result.ok());
    for (std::size_t extra : {std::size_t{1}, std::size_t{7}, std::size_t{100}, kSealed + 3}) {
      SCOPED_TRACE("size " + std::to_string(n) + " + " + std::to_string(extra));
      Bytes s = e.out;
      Bytes garbage = random_bytes(extra, 6);
      s.insert(s.end(), garbage.begin(), garbage.end());
      Outcome o = decrypt(s);
      // A last chunk of full size is told apart by its flag; a short one by finding the prefix
      // of the bytes that verifies as the last chunk. Everything authentic is written.
      EXPECT_EQ(o.result.status, StreamStatus::TrailingData) << o.result.message;
      EXPECT_EQ(o.out, plain) << o.result.message;
    }
  }
}

TEST_F(CryptoStream, FailureInALaterBlockWritesOnlyTheVerifiedPrefix) {
  Bytes plain = random_bytes(5 * 64 * kChunk, 7);  // 5 pipeline blocks
  Outcome e = encrypt(plain, 2);
  ASSERT_TRUE(e.result.ok());
  std::size_t bad_chunk = 3 * 64 + 5;
  Bytes s = e.out;
  s[kKeyHeader + bad_chunk * kSealed + 100] ^= 1;
  for (unsigned threads : {1u, 2u, 4u}) {
    SCOPED_TRACE(threads);
    expect_rejected(s, StreamStatus::ModifiedChunk, plain, bad_chunk * kChunk, threads);
  }
}

TEST_F(CryptoStream, WrongKeyPassphrasesAndKindMismatch) {
  Bytes plain = random_bytes(3000, 8);
  Outcome e = encrypt(plain);
  ASSERT_TRUE(e.result.ok());
  Secret other(32);
  other.resize(32);
  Outcome d = decrypt(e.out, 1, &other);
  EXPECT_EQ(d.result.status, StreamStatus::WrongKey);
  EXPECT_TRUE(d.out.empty());

  Secret pass(16);
  pass.resize(6);
  std::memcpy(pass.data(), "secret", 6);
  Outcome p = encrypt(plain, 1, &pass, KeySource::Passphrase);
  ASSERT_TRUE(p.result.ok()) << p.result.message;
  EXPECT_EQ(p.out.size(), sealed_size(3000) + 3);
  Outcome ok = decrypt(p.out, 2, &pass, KeySource::Passphrase);
  ASSERT_TRUE(ok.result.ok()) << ok.result.message;
  EXPECT_EQ(ok.out, plain);
  Secret wrong(16);
  wrong.resize(6);
  std::memcpy(wrong.data(), "Secret", 6);
  Outcome w = decrypt(p.out, 1, &wrong, KeySource::Passphrase);
  EXPECT_EQ(w.result.status, StreamStatus::WrongPassphrase);
  EXPECT_EQ(decrypt(p.out).result.status, StreamStatus::KeyKindMismatch);
  EXPECT_EQ(decrypt(e.out, 1, &pass, KeySource::Passphrase).result.status,
            StreamStatus::KeyKindMismatch);
}

TEST_F(CryptoStream, NotAStream) {
  EXPECT_EQ(decrypt({}).result.status, StreamStatus::NotThisFormat);
  EXPECT_EQ(decrypt(random_bytes(500, 9)).result.status, StreamStatus::NotThisFormat);
  Bytes magic_only = {0x89, 'H', 'W', 'E'};
  EXPECT_EQ(decrypt(magic_only).result.status, StreamStatus::Truncated);
}

TEST_F(CryptoStream, IoErrorsAreReportedAsSuch) {
  std::signal(SIGPIPE, SIG_IGN);
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ::close(p[0]);
  conduit::Fd write_end(p[1]);
  auto in = memfd_with(random_bytes(10, 1));
  Credentials cred{KeySource::Key, &key_, {}};
  StreamResult r = encrypt_stream(in.get(), write_end.get(), cred, options(1));
  EXPECT_EQ(r.status, StreamStatus::WriteError);
  EXPECT_EQ(r.err, EPIPE);

  conduit::Fd dir(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  conduit::Fd out(::memfd_create("x", MFD_CLOEXEC));
  r = encrypt_stream(dir.get(), out.get(), cred, options(2));
  EXPECT_EQ(r.status, StreamStatus::ReadError);
  EXPECT_EQ(r.err, EISDIR);
  EXPECT_FALSE(r.rejected());
}

}  // namespace
