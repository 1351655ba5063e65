// The spliced-input chunk loop (the path the AF_ALG backend uses when the input is a pipe), driven
// by a fake backend that honours the contract in backend.hpp with plain reads + OpenSSL. Its
// streams must be byte-compatible with the block pipeline's, and it must only be asked to take
// bytes that are already queued in the pipe.
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <thread>
#include <vector>

#include "conduit/crypto/spliced_stream.hpp"
#include "conduit/crypto/stream.hpp"
#include "conduit/fd.hpp"
#include "crypto_util.hpp"

namespace {

using namespace conduit::crypto;
using namespace conduit::cryptotest;

constexpr std::size_t kChunk = 1024;

// Wraps OpenSSL; the spliced calls read exactly `len` bytes, and fail with EPROTO if the caller
// broke the contract (fewer bytes queued than it asked for).
class FakeSplicingAead final : public AeadCipher {
 public:
  explicit FakeSplicingAead(std::unique_ptr<AeadCipher> inner) : inner_(std::move(inner)) {}
  int seal(Nonce n, std::span<const std::uint8_t> aad, std::span<const std::uint8_t> p,
           std::span<std::uint8_t> out) override {
    return inner_->seal(n, aad, p, out);
  }
  int open(Nonce n, std::span<const std::uint8_t> aad, std::span<const std::uint8_t> in,
           std::span<std::uint8_t> out) override {
    return inner_->open(n, aad, in, out);
  }
  bool supports_spliced_input() const noexcept override { return true; }
  int seal_spliced(Nonce n, std::span<const std::uint8_t> aad, int fd, std::size_t len,
                   std::span<std::uint8_t> out) override {
    if (int rc = take(fd, len); rc < 0) return rc;
    return inner_->seal(n, aad, std::span(buf_.data(), len), out.first(len + kAeadTagSize));
  }
  int open_spliced(Nonce n, std::span<const std::uint8_t> aad, int fd, std::size_t len,
                   std::span<std::uint8_t> out) override {
    if (int rc = take(fd, len); rc < 0) return rc;
    return inner_->open(n, aad, std::span(buf_.data(), len), out.first(len - kAeadTagSize));
  }

 private:
  int take(int fd, std::size_t len) {
    int queued = 0;
    if (::ioctl(fd, FIONREAD, &queued) != 0 || static_cast<std::size_t>(queued) < len) return -EPROTO;
    buf_.resize(len);
    std::size_t got = 0;
    while (got < len) {
      ssize_t n = ::read(fd, buf_.data() + got, len - got);
      if (n <= 0) return -EIO;
      got += static_cast<std::size_t>(n);
    }
    return 0;
  }
  std::unique_ptr<AeadCipher> inner_;
  Bytes buf_;
};

class FakeSplicingBackend final : public Backend {
 public:
  std::string_view name() const noexcept override { return "fake"; }
  conduit::Status available() const override { return {}; }
  conduit::Status supports(Algorithm) const override { return {}; }
  std::string driver(Algorithm) const override { return "fake"; }
  bool preferred_for_auto(Algorithm) const override { return false; }
  conduit::Result<std::unique_ptr<AeadCipher>> make_aead(Algorithm alg, std::span<const std::uint8_t> key) const override {
    auto inner = openssl_->make_aead(alg, key);
    if (!inner.ok()) return inner;
    return std::unique_ptr<AeadCipher>(std::make_unique<FakeSplicingAead>(std::move(inner.value)));
  }
  conduit::Result<std::unique_ptr<RawCipher>> make_raw(Algorithm alg, bool e, bool p, std::span<const std::uint8_t> k,
                                              std::span<const std::uint8_t> iv) const override {
    return openssl_->make_raw(alg, e, p, k, iv);
  }

 private:
  std::unique_ptr<Backend> openssl_ = make_openssl_backend();
};

// Feeds `data` into a new pipe from a thread, in uneven pieces with pauses, so the loop sees
// every state: a full chunk queued, part of one, nothing yet, end of input.
struct Feeder {
  explicit Feeder(const Bytes& data, unsigned seed) {
    int p[2];
    EXPECT_EQ(::pipe(p), 0);
    read_end.reset(p[0]);
    thread = std::thread([data, w = p[1], seed] {
      std::mt19937 rng(seed);
      std::size_t off = 0;
      while (off < data.size()) {
        std::size_t n = std::min<std::size_t>(data.size() - off, 1 + rng() % 3000);
        ssize_t m = ::write(w, data.data() + off, n);
        if (m <= 0) break;
        off += static_cast<std::size_t>(m);
        if (rng() % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      ::close(w);
    });
  }
  ~Feeder() { thread.join(); }
  conduit::Fd read_end;
  std::thread thread;
};

class CryptoSpliced : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = test_key(1, 100);
  }
  StreamOptions options(const Backend& b) {
    StreamOptions o;
    o.backend = &b;
    o.threads = 1;
    o.chunk_log2 = 10;
    return o;
  }
  Secret key_;
  FakeSplicingBackend fake_;
  std::unique_ptr<Backend> openssl_ = make_openssl_backend();
};

TEST_F(CryptoSpliced, CountsSplicedChunksOnlyWhenMoreInputIsQueued) {
  Bytes plain = random_bytes(5 * kChunk + 1, 1);
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  conduit::Fd r(p[0]);
  ASSERT_EQ(::write(p[1], plain.data(), plain.size()), static_cast<ssize_t>(plain.size()));
  ::close(p[1]);
  auto cipher = fake_.make_aead(Algorithm::Aes256Gcm, key_.span()).value;
  ASSERT_TRUE(use_spliced_input(r.get(), *cipher, 1));
  EXPECT_FALSE(use_spliced_input(r.get(), *cipher, 2));
  conduit::Fd out(::memfd_create("o", MFD_CLOEXEC));
  SpliceCounters counters;
  StreamResult res = spliced_encrypt(r.get(), out.get(), *cipher, kChunk, &counters);
  ASSERT_TRUE(res.ok()) << res.message;
  EXPECT_EQ(counters.spliced_chunks, 5u);
  EXPECT_EQ(counters.copied_chunks, 1u);
  EXPECT_EQ(res.bytes_in, plain.size());
  EXPECT_EQ(res.bytes_out, plain.size() + 6 * 16);
}

TEST_F(CryptoSpliced, StreamsMatchThePipelineBothWays) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, kChunk, kChunk + 1, 70 * kChunk,
                        200 * kChunk + 77}) {
    SCOPED_TRACE(n);
    Bytes plain = random_bytes(n, static_cast<unsigned>(n));
    // Spliced encryption, pipeline decryption.
    Bytes sealed;
    {
      Feeder feed(plain, 7);
      conduit::Fd out(::memfd_create("c", MFD_CLOEXEC));
      Credentials cred{KeySource::Key, &key_, {}};
      StreamResult r = encrypt_stream(feed.read_end.get(), out.get(), cred, options(fake_));
      ASSERT_TRUE(r.ok()) << r.message;
      sealed = contents(out.get());
    }
    conduit::Fd sealed_fd(::memfd_create("s", MFD_CLOEXEC));
    ASSERT_EQ(::write(sealed_fd.get(), sealed.data(), sealed.size()), static_cast<ssize_t>(sealed.size()));
    ::lseek(sealed_fd.get(), 0, SEEK_SET);
    Header h;
    ASSERT_TRUE(read_stream_header(sealed_fd.get(), h).ok());
    conduit::Fd plain_out(::memfd_create("p", MFD_CLOEXEC));
    Credentials cred{KeySource::Key, &key_, {}};
    StreamResult d = decrypt_stream(sealed_fd.get(), plain_out.get(), h, cred, options(*openssl_));
    ASSERT_TRUE(d.ok()) << d.message;
    EXPECT_EQ(contents(plain_out.get()), plain);
    // Spliced decryption of the same stream.
    Feeder feed(sealed, 11);
    Header h2;
    ASSERT_TRUE(read_stream_header(feed.read_end.get(), h2).ok());
    conduit::Fd out2(::memfd_create("p2", MFD_CLOEXEC));
    StreamResult d2 = decrypt_stream(feed.read_end.get(), out2.get(), h2, cred, options(fake_));
    ASSERT_TRUE(d2.ok()) << d2.message;
    EXPECT_EQ(contents(out2.get()), plain);
  }
}

TEST_F(CryptoSpliced, DamageIsRefusedOnTheSplicedPath) {
  Bytes plain = random_bytes(10 * kChunk + 5, 3);
  conduit::Fd in(::memfd_create("i", MFD_CLOEXEC));
  ASSERT_EQ(::write(in.get(), plain.data(), plain.size()), static_cast<ssize_t>(plain.size()));
  ::lseek(in.get(), 0, SEEK_SET);
  conduit::Fd out(::memfd_create("c", MFD_CLOEXEC));
  Credentials cred{KeySource::Key, &key_, {}};
  ASSERT_TRUE(encrypt_stream(in.get(), out.get(), cred, options(*openssl_)).ok());
  Bytes sealed = contents(out.get());
  auto decrypt = [&](const Bytes& s) {
    Feeder feed(s, 5);
    Header h;
    StreamResult r = read_stream_header(feed.read_end.get(), h);
    conduit::Fd o(::memfd_create("p", MFD_CLOEXEC));
    if (r.ok()) r = decrypt_stream(feed.read_end.get(), o.get(), h, cred, options(fake_));
    // Drain what the decryptor left so the feeder thread can finish.
    Bytes rest(4096);
    while (::read(feed.read_end.get(), rest.data(), rest.size()) > 0) {
    }
    return r;
  };
  Bytes flipped = sealed;
  flipped[76 + 3 * 1040 + 9] ^= 4;
  EXPECT_EQ(decrypt(flipped).status, StreamStatus::ModifiedChunk);
  Bytes cut(sealed.begin(), sealed.begin() + 76 + 4 * 1040);
  EXPECT_EQ(decrypt(cut).status, StreamStatus::Truncated);
  Bytes extended = sealed;
  extended.push_back(1);
  EXPECT_TRUE(decrypt(extended).rejected());
}

}  // namespace
