// pieces: the stream format from and to pieces of any size. What PieceSealer writes in random
// pieces, decrypt_stream reads; what encrypt_stream writes, PieceOpener opens in random pieces;
// and a cut, damaged or foreign stream gets the verdict (and, when cut, the words) decrypt_stream
// gives the same bytes.
#include "conduit/crypto/pieces.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "conduit/fd.hpp"
#include "crypto_util.hpp"

namespace {

using namespace conduit::crypto;
using namespace conduit::cryptotest;

constexpr std::size_t kChunk = 1024;
constexpr std::size_t kSealed = kChunk + kAeadTagSize;

// Pieces of 0 to 3 chunks' size, drawn from `rng`.
std::vector<Bytes> random_pieces(const Bytes& all, std::mt19937& rng) {
  std::vector<Bytes> pieces;
  std::size_t off = 0;
  while (off < all.size()) {
    std::size_t n = std::min<std::size_t>(rng() % (3 * kChunk + 1), all.size() - off);
    pieces.emplace_back(all.begin() + static_cast<long>(off), all.begin() + static_cast<long>(off + n));
    off += n;
  }
  if (rng() % 2) pieces.insert(pieces.begin() + static_cast<long>(rng() % (pieces.size() + 1)), Bytes{});
  return pieces;
}

class CryptoPieces : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = test_key(7, 3);
    backend_ = make_openssl_backend();
    options_.backend = backend_.get();
    options_.chunk_log2 = 10;
  }
  Credentials credentials() const { return {KeySource::Key, &key_, {}}; }
  // A sink that appends what it gets to `to`.
  static PieceSink append_to(Bytes& to) {
    return [&to](std::span<const std::uint8_t> p) {
      to.insert(to.end(), p.begin(), p.end());
      return 0;
    };
  }

  Bytes encrypt(const Bytes& plain) {
    auto in = memfd_with(plain);
    conduit::Fd out(::memfd_create("ct", MFD_CLOEXEC));
    EXPECT_TRUE(encrypt_stream(in.get(), out.get(), credentials(), options_).ok());
    return contents(out.get());
  }

  // read_stream_header then decrypt_stream over `stream`: the verdict hw-encrypt -d gives.
  StreamResult decrypt(const Bytes& stream, Bytes& plain) {
    auto in = memfd_with(stream);
    conduit::Fd out(::memfd_create("pt", MFD_CLOEXEC));
    Header header;
    StreamResult r = read_stream_header(in.get(), header);
    if (r.ok()) r = decrypt_stream(in.get(), out.get(), header, credentials(), options_);
    plain = contents(out.get());
    return r;
  }

  // `stream` through a PieceOpener in `pieces`: the first failure, or finish()'s result.
  StreamResult open_pieces(const std::vector<Bytes>& pieces, Bytes& plain) {
    PieceOpener o;
    StreamResult r = o.start(credentials(), options_, append_to(plain));
    if (!r.ok()) return r;
    for (const Bytes& p : pieces) {
      if (r = o.write(p); !r.ok()) return r;
    }
    return o.finish();
  }

  Secret key_;
  std::unique_ptr<Backend> backend_;
  StreamOptions options_;
};

// The sizes that matter: empty, under a chunk, whole chunks (the last one full), and more.
const std::vector<std::size_t> kSizes = {0, 1, kChunk - 1, kChunk, kChunk + 1, 3 * kChunk,
                                         5 * kChunk + 3, 20 * kChunk + 517};

TEST_F(CryptoPieces, SealsInRandomPiecesWhatDecryptStreamReadsAsEncryptStreamWroteIt) {
  std::mt19937 rng(11);
  for (std::size_t n : kSizes) {
    for (int round = 0; round < 5; ++round) {
      SCOPED_TRACE("size " + std::to_string(n) + " round " + std::to_string(round));
      Bytes plain = random_bytes(n, static_cast<unsigned>(n + round));
      Bytes sealed;
      std::size_t sink_calls = 0;
      PieceSealer s;
      ASSERT_TRUE(s.start(credentials(), options_, [&](std::span<const std::uint8_t> p) {
                     EXPECT_LE(p.size(), kSealed);
                     sealed.insert(sealed.end(), p.begin(), p.end());
                     ++sink_calls;
                     return 0;
                   }).ok());
      for (const Bytes& piece : random_pieces(plain, rng)) ASSERT_TRUE(s.write(piece).ok());
      StreamResult r = s.finish();
      ASSERT_TRUE(r.ok()) << r.message;
      EXPECT_TRUE(s.finished());
      EXPECT_EQ(r.bytes_in, n);
      EXPECT_EQ(r.bytes_out, sealed.size());
      // The layout encrypt_stream writes: the header, then full chunks and one last chunk (empty
      // only for an empty input), each sent as it was sealed.
      EXPECT_EQ(sealed.size(), encrypt(plain).size());
      EXPECT_EQ(sink_calls, 1 + (n == 0 ? 1 : (n + kChunk - 1) / kChunk));
      // decrypt_stream opens each chunk only under the nonce of its place and last-chunk flag, so
      // its success means every chunk is the one encrypt_stream seals for this header.
      Bytes back;
      StreamResult d = decrypt(sealed, back);
      EXPECT_TRUE(d.ok()) << d.message;
      EXPECT_EQ(back, plain);
    }
  }
}

TEST_F(CryptoPieces, OpensInRandomPiecesWhatEncryptStreamWrote) {
  std::mt19937 rng(12);
  for (std::size_t n : kSizes) {
    for (int round = 0; round < 5; ++round) {
      SCOPED_TRACE("size " + std::to_string(n) + " round " + std::to_string(round));
      Bytes plain = random_bytes(n, static_cast<unsigned>(2 * n + round));
      Bytes stream = encrypt(plain);
      Bytes back;
      StreamResult r = open_pieces(random_pieces(stream, rng), back);
      ASSERT_TRUE(r.ok()) << r.message;
      EXPECT_EQ(r.bytes_in, stream.size());
      EXPECT_EQ(r.bytes_out, n);
      EXPECT_EQ(back, plain);
    }
  }
}

TEST_F(CryptoPieces, PlaintextComesOutAsEachChunkVerifiesAndTheShortLastOneAtFinish) {
  Bytes plain = random_bytes(2 * kChunk + 100, 4);
  Bytes stream = encrypt(plain);
  const std::size_t header = stream.size() - 2 * kSealed - 100 - kAeadTagSize;
  Bytes out;
  PieceOpener o;
  ASSERT_TRUE(o.start(credentials(), options_, append_to(out)).ok());
  auto feed = [&](std::size_t from, std::size_t to) {
    return o.write(std::span(stream).subspan(from, to - from));
  };
  ASSERT_TRUE(feed(0, header + kSealed - 1).ok());
  EXPECT_EQ(o.header()->chunk_size(), kChunk);
  EXPECT_TRUE(out.empty());                                // chunk 0 is not all there
  ASSERT_TRUE(feed(header + kSealed - 1, header + kSealed).ok());
  EXPECT_EQ(out, Bytes(plain.begin(), plain.begin() + kChunk));  // verified: out at once
  ASSERT_TRUE(feed(header + kSealed, stream.size()).ok());
  EXPECT_EQ(out.size(), 2 * kChunk);                       // the short last one may be cut yet
  ASSERT_TRUE(o.finish().ok());
  EXPECT_EQ(out, plain);
}

TEST_F(CryptoPieces, SealsAFullLastChunkOnlyAtFinishAndAFullMiddleOneWhenTheNextByteComes) {
  Bytes sealed;
  PieceSealer s;
  ASSERT_TRUE(s.start(credentials(), options_, append_to(sealed)).ok());
  const std::size_t header = sealed.size();
  Bytes plain = random_bytes(kChunk + 1, 6);
  ASSERT_TRUE(s.write(std::span(plain).first(kChunk)).ok());
  EXPECT_EQ(sealed.size(), header);                        // it may be the last one
  ASSERT_TRUE(s.write(std::span(plain).subspan(kChunk)).ok());
  EXPECT_EQ(sealed.size(), header + kSealed);              // it is not
  ASSERT_TRUE(s.finish().ok());
  EXPECT_EQ(sealed.size(), header + kSealed + 1 + kAeadTagSize);
  Bytes back;
  EXPECT_TRUE(decrypt(sealed, back).ok());
  EXPECT_EQ(back, plain);
}

TEST_F(CryptoPieces, ACutStreamIsToldInDecryptStreamsWords) {
  Bytes stream = encrypt(random_bytes(4 * kChunk + 300, 8));
  const std::size_t header = stream.size() - 4 * kSealed - 300 - kAeadTagSize;
  // Nothing; inside the magic; inside the prefix; inside the salt; the header only; under a tag
  // into chunk 0; inside chunk 0; after chunk 0 and after chunk 3 (whole chunks missing); inside
  // the last chunk.
  std::vector<std::size_t> cuts = {0,          3,           11,
                                   30,         header,      header + 7,
                                   header + kChunk / 2,     header + kSealed,
                                   header + 4 * kSealed,    stream.size() - 1};
  std::mt19937 rng(13);
  for (std::size_t cut : cuts) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    Bytes head(stream.begin(), stream.begin() + static_cast<long>(cut));
    Bytes want_plain;
    StreamResult want = decrypt(head, want_plain);
    ASSERT_FALSE(want.ok());
    Bytes got_plain;
    StreamResult got = open_pieces(random_pieces(head, rng), got_plain);
    EXPECT_EQ(got.status, want.status);
    EXPECT_EQ(got.rule, want.rule);
    EXPECT_EQ(got.message, want.message);
    EXPECT_EQ(got_plain, want_plain);  // the chunks that verified, and nothing else
  }
}

TEST_F(CryptoPieces, AModifiedOrForeignStreamIsRefusedAndNothingUnverifiedComesOut) {
  Bytes plain = random_bytes(3 * kChunk + 50, 10);
  Bytes stream = encrypt(plain);
  const std::size_t header = stream.size() - 3 * kSealed - 50 - kAeadTagSize;
  std::mt19937 rng(14);
  // A byte of the magic, the salt, the MAC, each chunk; then a byte appended.
  for (std::size_t at : {std::size_t{0}, std::size_t{20}, header - 1, header + 5,
                         header + kSealed + 100, header + 2 * kSealed + 3, stream.size() - 1,
                         stream.size()}) {
    SCOPED_TRACE("byte " + std::to_string(at));
    Bytes bad = stream;
    if (at == stream.size()) bad.push_back(0);
    else bad[at] ^= 0x20;
    Bytes want_plain;
    StreamResult want = decrypt(bad, want_plain);
    ASSERT_TRUE(want.rejected()) << want.message;
    Bytes got_plain;
    StreamResult got = open_pieces(random_pieces(bad, rng), got_plain);
    EXPECT_TRUE(got.rejected()) << got.message;
    EXPECT_EQ(got.status, want.status) << got.message << " / " << want.message;
    // Whole chunks before the damaged one, verified; never a byte of it.
    EXPECT_EQ(got_plain.size() % kChunk, 0u);
    EXPECT_EQ(got_plain, Bytes(plain.begin(), plain.begin() + static_cast<long>(got_plain.size())));
    EXPECT_LE(got_plain.size(), at > header ? (at - header) / kSealed * kChunk : 0);
  }
  // Another key: refused when the header is in, before any chunk.
  Secret other = test_key(9, 1);
  PieceOpener o;
  ASSERT_TRUE(o.start({KeySource::Key, &other, {}}, options_, [](auto) { return 0; }).ok());
  StreamResult r = o.write(std::span(stream).first(header));
  EXPECT_EQ(r.status, StreamStatus::WrongKey) << r.message;
  EXPECT_EQ(o.write(std::span(stream).subspan(header)).status, StreamStatus::WrongKey);  // again
  EXPECT_EQ(o.finish().status, StreamStatus::WrongKey);
}

TEST_F(CryptoPieces, AFailingSinkFailsTheCallThatFedIt) {
  for (bool sealing : {true, false}) {
    SCOPED_TRACE(sealing ? "sealer" : "opener");
    int calls = 0;
    auto sink = [&](std::span<const std::uint8_t>) { return ++calls == 2 ? -ENOSPC : 0; };
    Bytes plain = random_bytes(3 * kChunk, 15);
    StreamResult r;
    if (sealing) {
      PieceSealer s;
      ASSERT_TRUE(s.start(credentials(), options_, sink).ok());  // the header: call 1
      EXPECT_TRUE(s.write(std::span(plain).first(kChunk)).ok());  // held back: no call
      r = s.write(std::span(plain).subspan(kChunk));              // chunk 0: call 2
      EXPECT_EQ(s.finish().err, ENOSPC);                          // and after
    } else {
      PieceOpener o;
      Bytes stream = encrypt(plain);
      ASSERT_TRUE(o.start(credentials(), options_, sink).ok());
      r = o.write(stream);
      EXPECT_EQ(o.write(Bytes{1}).err, ENOSPC);
    }
    EXPECT_EQ(r.status, StreamStatus::WriteError);
    EXPECT_EQ(r.err, ENOSPC);
    EXPECT_EQ(calls, 2);
  }
}

TEST_F(CryptoPieces, MisuseIsEinvalAndPastTheChunkLimitIsInputTooLarge) {
  PieceSealer s;
  EXPECT_EQ(s.write(Bytes{1}).err, EINVAL);  // before start()
  EXPECT_EQ(s.start(credentials(), options_, {}).err, EINVAL);  // no sink
  StreamOptions none;
  EXPECT_EQ(s.start(credentials(), none, [](auto) { return 0; }).err, EINVAL);  // no backend
  ASSERT_TRUE(s.start(credentials(), options_, [](auto) { return 0; }).ok());
  ASSERT_TRUE(s.finish().ok());
  EXPECT_EQ(s.write(Bytes{1}).err, EINVAL);  // after finish()
  EXPECT_EQ(s.finish().err, EINVAL);

  // Two chunks at most: a third is refused as encrypt_stream refuses it.
  StreamOptions two = options_;
  two.max_chunks = 2;
  ASSERT_TRUE(s.start(credentials(), two, [](auto) { return 0; }).ok());
  Bytes plain = random_bytes(2 * kChunk + 1, 16);
  StreamResult r = s.write(plain);  // chunks 0 and 1 sealed, one byte held
  ASSERT_TRUE(r.ok()) << r.message;
  r = s.finish();
  EXPECT_EQ(r.err, EFBIG);
  auto in = memfd_with(plain);
  conduit::Fd out(::memfd_create("ct", MFD_CLOEXEC));
  EXPECT_EQ(r.message, encrypt_stream(in.get(), out.get(), credentials(), two).message);

  PieceOpener o;
  ASSERT_TRUE(o.start(credentials(), options_, [](auto) { return 0; }).ok());
  ASSERT_TRUE(o.write(encrypt({})).ok());
  ASSERT_TRUE(o.finish().ok());
  EXPECT_EQ(o.write(Bytes{1}).err, EINVAL);  // after finish()
}

TEST_F(CryptoPieces, TakesStdBytePiecesAndAHeaderReadBeforehand) {
  std::vector<std::byte> plain(3 * kChunk / 2, std::byte{0x5a});
  Bytes sealed;
  PieceSealer s;
  ASSERT_TRUE(s.start(credentials(), options_, append_to(sealed)).ok());
  ASSERT_TRUE(s.write(std::span(plain).first(100)).ok());
  ASSERT_TRUE(s.write(std::span(plain).subspan(100)).ok());
  ASSERT_TRUE(s.finish().ok());

  // The header read from a descriptor (to learn it wants a key), then the rest as std::byte.
  auto fd = memfd_with(sealed);
  Header header;
  ASSERT_TRUE(read_stream_header(fd.get(), header).ok());
  Bytes back;
  PieceOpener o;
  ASSERT_TRUE(o.start(header, credentials(), options_, append_to(back)).ok());
  std::vector<std::byte> rest(sealed.size() - header.size());
  std::memcpy(rest.data(), sealed.data() + header.size(), rest.size());
  ASSERT_TRUE(o.write(rest).ok());
  StreamResult r = o.finish();
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.bytes_in, sealed.size());
  EXPECT_EQ(back, Bytes(plain.size(), 0x5a));
}

}  // namespace
