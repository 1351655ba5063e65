// sealer: the stream one chunk at a time. Round trips against the fd-to-fd functions both ways,
// and every rule: truncation, reordering, tampering, trailing data, the empty-last-chunk rule.
#include "conduit/crypto/sealer.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <vector>

#include "conduit/fd.hpp"
#include "crypto_util.hpp"

namespace {

using namespace conduit::crypto;
using namespace conduit::cryptotest;

constexpr std::size_t kChunk = 1024;

class CryptoSealer : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = test_key(5, 2);
    backend_ = make_openssl_backend();
    options_.backend = backend_.get();
    options_.chunk_log2 = 10;
  }
  Credentials credentials() const { return {KeySource::Key, &key_, {}}; }

  // The header, then each sealed chunk, as a writer would send them.
  std::vector<Bytes> seal_all(const Bytes& plain) {
    StreamSealer s;
    EXPECT_TRUE(s.start(credentials(), options_).ok());
    std::vector<Bytes> parts{Bytes(s.header().begin(), s.header().end())};
    std::size_t off = 0;
    do {
      std::size_t n = std::min(kChunk, plain.size() - off);
      bool last = off + n == plain.size();
      Bytes out(n + kAeadTagSize);
      EXPECT_EQ(s.seal(std::span(plain).subspan(off, n), last, out), static_cast<long>(out.size()));
      parts.push_back(out);
      off += n;
    } while (off < plain.size());
    EXPECT_TRUE(s.finished());
    return parts;
  }

  StreamOpener opener_for(const Bytes& header_bytes) {
    auto fd = memfd_with(header_bytes);
    Header header;
    EXPECT_TRUE(read_stream_header(fd.get(), header).ok());
    StreamOpener o;
    EXPECT_TRUE(o.start(header, credentials(), options_).ok());
    return o;
  }

  // Opens parts[1..] in turn; returns the first failure (or finish()) and the plaintext so far.
  StreamResult open_all(const std::vector<Bytes>& parts, Bytes& plain) {
    StreamOpener o = opener_for(parts[0]);
    for (std::size_t i = 1; i < parts.size(); ++i) {
      Bytes out(parts[i].size());
      StreamResult r = o.open(parts[i], out);
      if (!r.ok()) return r;
      plain.insert(plain.end(), out.begin(), out.begin() + static_cast<long>(r.bytes_out));
    }
    return o.finish();
  }

  Secret key_;
  std::unique_ptr<Backend> backend_;
  StreamOptions options_;
};

Bytes joined(const std::vector<Bytes>& parts) {
  Bytes all;
  for (const Bytes& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

TEST_F(CryptoSealer, RoundTripsWithTheFdFunctionsBothWays) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, kChunk - 1, kChunk, kChunk + 1, 5 * kChunk + 3}) {
    Bytes plain = random_bytes(n, static_cast<unsigned>(n));
    std::vector<Bytes> parts = seal_all(plain);
    Bytes back;
    StreamResult r = open_all(parts, back);
    EXPECT_TRUE(r.ok()) << n << ": " << r.message;
    EXPECT_EQ(back, plain) << n;

    // What the sealer writes, decrypt_stream reads...
    auto in = memfd_with(joined(parts));
    conduit::Fd out(::memfd_create("pt", MFD_CLOEXEC));
    Header header;
    ASSERT_TRUE(read_stream_header(in.get(), header).ok());
    EXPECT_TRUE(decrypt_stream(in.get(), out.get(), header, credentials(), options_).ok()) << n;
    EXPECT_EQ(contents(out.get()), plain) << n;

    // ...and what encrypt_stream writes, the opener reads, chunk by chunk.
    auto pin = memfd_with(plain);
    conduit::Fd sealed(::memfd_create("ct", MFD_CLOEXEC));
    ASSERT_TRUE(encrypt_stream(pin.get(), sealed.get(), credentials(), options_).ok());
    Bytes all = contents(sealed.get());
    std::size_t header_size = parts[0].size();
    std::vector<Bytes> split{Bytes(all.begin(), all.begin() + static_cast<long>(header_size))};
    for (std::size_t off = header_size; off < all.size(); off += kChunk + kAeadTagSize) {
      std::size_t len = std::min(kChunk + kAeadTagSize, all.size() - off);
      split.emplace_back(all.begin() + static_cast<long>(off), all.begin() + static_cast<long>(off + len));
    }
    Bytes again;
    EXPECT_TRUE(open_all(split, again).ok()) << n;
    EXPECT_EQ(again, plain) << n;
  }
}

TEST_F(CryptoSealer, AContextMismatchIsARuleAndItsMessageNamesNoOption) {
  // The library says what happened; the words about a command's options are the command's.
  for (bool bound : {true, false}) {
    SCOPED_TRACE(bound ? "bound, none given" : "unbound, one given");
    Credentials writer = credentials();
    if (bound) writer.context = "backup-2026";
    StreamSealer s;
    ASSERT_TRUE(s.start(writer, options_).ok());
    auto fd = memfd_with(Bytes(s.header().begin(), s.header().end()));
    Header header;
    ASSERT_TRUE(read_stream_header(fd.get(), header).ok());
    Credentials reader = credentials();
    if (!bound) reader.context = "backup-2026";
    StreamOpener o;
    StreamResult r = o.start(header, reader, options_);
    EXPECT_EQ(r.status, StreamStatus::KeyKindMismatch);
    EXPECT_EQ(r.rule, bound ? FormatRule::ContextMissing : FormatRule::ContextGiven);
    EXPECT_EQ(r.message.find("--"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("context"), std::string::npos) << r.message;
  }
}

TEST_F(CryptoSealer, AChunkCutWhereTheInputEndsIsToldAsDecryptStreamTellsIt) {
  std::vector<Bytes> parts = seal_all(random_bytes(3 * kChunk + 5, 9));
  parts.resize(3);                            // the header, chunk 0, chunk 1 ...
  parts[2].resize(parts[2].size() / 2);       // ... cut inside chunk 1, and nothing after it
  // What decrypt_stream (hw-encrypt) says of these bytes.
  auto in = memfd_with(joined(parts));
  conduit::Fd out(::memfd_create("pt", MFD_CLOEXEC));
  Header header;
  ASSERT_TRUE(read_stream_header(in.get(), header).ok());
  StreamResult whole = decrypt_stream(in.get(), out.get(), header, credentials(), options_);
  ASSERT_EQ(whole.status, StreamStatus::ModifiedChunk) << whole.message;
  EXPECT_NE(whole.message.find("cut inside it"), std::string::npos) << whole.message;

  for (bool at_end : {true, false}) {
    SCOPED_TRACE(at_end ? "told the input ended" : "not told");
    StreamOpener o = opener_for(parts[0]);
    Bytes plain(parts[1].size());
    ASSERT_TRUE(o.open(parts[1], plain).ok());
    Bytes rest(parts[2].size());
    StreamResult r = o.open(parts[2], rest, at_end);
    EXPECT_EQ(r.status, StreamStatus::ModifiedChunk) << r.message;
    if (at_end) EXPECT_EQ(r.message, whole.message);
    else EXPECT_NE(r.message.find("modified or replaced"), std::string::npos) << r.message;
  }
}

TEST_F(CryptoSealer, TruncationIsFoundAtTheEnd) {
  std::vector<Bytes> parts = seal_all(random_bytes(3 * kChunk + 5, 1));
  parts.pop_back();  // the last chunk never arrives
  Bytes plain;
  StreamResult r = open_all(parts, plain);
  EXPECT_EQ(r.status, StreamStatus::Truncated) << r.message;
  EXPECT_EQ(plain.size(), 3 * kChunk);  // every chunk that came verified
  parts.resize(1);  // nothing after the header
  EXPECT_EQ(open_all(parts, plain).status, StreamStatus::Truncated);
}

TEST_F(CryptoSealer, ReorderedChunksAreNamed) {
  std::vector<Bytes> parts = seal_all(random_bytes(4 * kChunk, 2));
  std::swap(parts[2], parts[3]);
  Bytes plain;
  StreamResult r = open_all(parts, plain);
  EXPECT_EQ(r.status, StreamStatus::OutOfOrder) << r.message;
  EXPECT_NE(r.message.find("chunk 2 found in the place of chunk 1"), std::string::npos) << r.message;
  EXPECT_EQ(plain.size(), kChunk);
}

TEST_F(CryptoSealer, TamperingIsRefusedAndNothingOfItWritten) {
  Bytes data = random_bytes(2 * kChunk + 9, 3);
  std::vector<Bytes> parts = seal_all(data);
  parts[2][100] ^= 1;
  StreamOpener o = opener_for(parts[0]);
  Bytes out(parts[1].size());
  ASSERT_TRUE(o.open(parts[1], out).ok());
  Bytes second(parts[2].size(), 0);
  StreamResult r = o.open(parts[2], second);
  EXPECT_EQ(r.status, StreamStatus::ModifiedChunk) << r.message;
  Bytes third(parts[3].size());
  EXPECT_FALSE(o.open(parts[3], third).ok());  // no going on after a failure
}

TEST_F(CryptoSealer, NothingAfterTheLastChunk) {
  std::vector<Bytes> parts = seal_all(random_bytes(kChunk + 1, 4));
  parts.push_back(parts[1]);
  Bytes plain;
  StreamResult r = open_all(parts, plain);
  EXPECT_EQ(r.status, StreamStatus::TrailingData) << r.message;
  EXPECT_EQ(plain.size(), kChunk + 1);
}

// open() may decrypt in place (out at sealed.data()), as sealer.hpp allows: a full-sized last
// chunk, tried as a middle chunk first, must still open as the last one.
TEST_F(CryptoSealer, OpensInPlaceAStreamWhoseLastChunkIsFull) {
  Bytes data = random_bytes(3 * kChunk, 17);
  std::vector<Bytes> parts = seal_all(data);
  ASSERT_EQ(parts.back().size(), kChunk + kAeadTagSize);
  StreamOpener o = opener_for(parts[0]);
  Bytes plain;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    Bytes chunk = parts[i];
    StreamResult r = o.open(chunk, chunk, i + 1 == parts.size());
    ASSERT_TRUE(r.ok()) << i << ": " << r.message;
    plain.insert(plain.end(), chunk.begin(), chunk.begin() + static_cast<long>(r.bytes_out));
  }
  EXPECT_TRUE(o.finish().ok());
  EXPECT_EQ(plain, data);
}

// A last chunk with bytes appended, where the input ends: the verdict and words decrypt_stream
// gives (trailing data), not a modified chunk.
TEST_F(CryptoSealer, BytesAppendedToTheLastChunkAreTrailingDataAsDecryptStreamSays) {
  for (std::size_t last : {std::size_t{9}, kChunk}) {
    SCOPED_TRACE(last);
    std::vector<Bytes> parts = seal_all(random_bytes(kChunk + last, 18));
    parts.back().insert(parts.back().end(), {1, 2, 3});
    auto in = memfd_with(joined(parts));
    conduit::Fd out(::memfd_create("pt", MFD_CLOEXEC));
    Header header;
    ASSERT_TRUE(read_stream_header(in.get(), header).ok());
    StreamResult whole = decrypt_stream(in.get(), out.get(), header, credentials(), options_);
    ASSERT_EQ(whole.status, StreamStatus::TrailingData) << whole.message;

    StreamOpener o = opener_for(parts[0]);
    Bytes plain(parts[1].size());
    ASSERT_TRUE(o.open(parts[1], plain).ok());
    if (last == kChunk) {  // a full last chunk opens; the three bytes come after it
      Bytes full(parts[2].begin(), parts[2].begin() + static_cast<long>(kChunk + kAeadTagSize));
      ASSERT_TRUE(o.open(full, plain).ok());
      EXPECT_EQ(o.open(Bytes{1, 2, 3}, plain, true).status, StreamStatus::TrailingData);
      continue;
    }
    Bytes rest(parts[2].size());
    StreamResult r = o.open(parts[2], rest, true);
    EXPECT_EQ(r.status, whole.status) << r.message;
    EXPECT_EQ(r.message, whole.message);
  }
}

// Only an empty stream has an empty (and only) last chunk: a writer marks the last full chunk.
TEST_F(CryptoSealer, TheEmptyLastChunkRule) {
  StreamSealer s;
  ASSERT_TRUE(s.start(credentials(), options_).ok());
  Bytes full = random_bytes(kChunk, 5), out(kChunk + kAeadTagSize);
  EXPECT_EQ(s.seal(std::span(full).first(10), false, out), -EINVAL);  // short middle chunk
  ASSERT_EQ(s.seal(full, false, out), static_cast<long>(kChunk + kAeadTagSize));
  Bytes first = out;
  EXPECT_EQ(s.seal({}, true, out), -EINVAL);  // empty last chunk after a full one
  ASSERT_EQ(s.seal(full, true, out), static_cast<long>(kChunk + kAeadTagSize));
  EXPECT_EQ(s.seal(full, true, out), -EINVAL);  // after the last
  EXPECT_TRUE(s.finished());

  // The reader refuses an empty last chunk after others, sealed by hand at its position.
  StreamSealer raw;
  ASSERT_TRUE(raw.start(credentials(), options_).ok());
  Bytes c0(kChunk + kAeadTagSize), c1(kAeadTagSize);
  ASSERT_EQ(raw.seal_at(0, 0, false, full, c0), 0);
  ASSERT_EQ(raw.seal_at(0, 1, true, {}, c1), 0);
  Bytes plain;
  StreamResult r = open_all({Bytes(raw.header().begin(), raw.header().end()), c0, c1}, plain);
  EXPECT_EQ(r.status, StreamStatus::NonCanonical) << r.message;

  // An empty stream is one empty last chunk.
  std::vector<Bytes> empty = seal_all({});
  ASSERT_EQ(empty.size(), 2u);
  EXPECT_EQ(empty[1].size(), kAeadTagSize);
  EXPECT_TRUE(open_all(empty, plain).ok());
}

// StreamOptions::backend has no default and Credentials::secret none either: an embedder that
// forgets one gets a CipherError (EINVAL) that says which, not a null dereference.
TEST_F(CryptoSealer, AMissingBackendOrSecretIsAnError) {
  StreamOptions no_backend = options_;
  no_backend.backend = nullptr;
  Credentials no_secret = credentials();
  no_secret.secret = nullptr;

  StreamSealer s;
  StreamResult r = s.start(credentials(), no_backend);
  EXPECT_EQ(r.status, StreamStatus::CipherError);
  EXPECT_EQ(r.err, EINVAL);
  EXPECT_NE(r.message.find("backend"), std::string::npos) << r.message;
  r = s.start(no_secret, options_);
  EXPECT_EQ(r.status, StreamStatus::CipherError);
  EXPECT_EQ(r.err, EINVAL);
  EXPECT_NE(r.message.find("key"), std::string::npos) << r.message;
  Bytes out(kAeadTagSize);
  EXPECT_EQ(s.seal({}, true, out), -EINVAL);  // never started

  std::vector<Bytes> parts = seal_all(random_bytes(100, 9));
  auto fd = memfd_with(parts[0]);
  Header header;
  ASSERT_TRUE(read_stream_header(fd.get(), header).ok());
  StreamOpener o;
  r = o.start(header, credentials(), no_backend);
  EXPECT_EQ(r.status, StreamStatus::CipherError);
  EXPECT_NE(r.message.find("backend"), std::string::npos) << r.message;
  r = o.start(header, no_secret, options_);
  EXPECT_EQ(r.status, StreamStatus::CipherError);
  EXPECT_NE(r.message.find("key"), std::string::npos) << r.message;
}

}  // namespace
