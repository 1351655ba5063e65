// Known-answer tests for the crypto primitives hw-encrypt stands on: AES-256-GCM (the GCM
// specification's test cases 13-16, the 96-bit-IV AES-256 cases NIST publishes with SP 800-38D),
// HKDF-SHA-256 (RFC 5869 A.1-A.3), scrypt (RFC 7914 section 12, the two fast vectors), and the
// raw CTR/CBC ciphers (SP 800-38A F.5.5 and F.2.5), all through the backend interface.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "conduit/crypto/backend.hpp"
#include "conduit/crypto/kdf.hpp"
#include "conduit/crypto/keys.hpp"

namespace {

using namespace conduit::crypto;
using Bytes = std::vector<std::uint8_t>;

Bytes hex(const std::string& text) {
  Bytes out;
  EXPECT_TRUE(parse_hex(text, out)) << text;
  return out;
}

Bytes text_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes repeat(std::uint8_t b, std::size_t n) { return Bytes(n, b); }

Bytes sequence(std::uint8_t from, std::uint8_t to) {
  Bytes out;
  for (unsigned v = from; v <= to; ++v) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

struct GcmCase {
  const char* name;
  const char* key;
  const char* iv;
  const char* plain;
  const char* aad;
  const char* cipher;
  const char* tag;
};

const char kKey15[] = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
const char kPlain60[] =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
const char kCipher60[] =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";

const GcmCase kGcmCases[] = {
    {"case 13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"case 14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"case 15", kKey15, "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"case 16", kKey15, "cafebabefacedbaddecaf888", kPlain60,
     "feedfacedeadbeeffeedfacedeadbeefabaddad2", kCipher60, "76fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST(CryptoKat, AesGcmSealMatchesGcmSpecVectors) {
  auto backend = make_openssl_backend();
  for (const auto& c : kGcmCases) {
    SCOPED_TRACE(c.name);
    Bytes key = hex(c.key), iv = hex(c.iv), plain = hex(c.plain), aad = hex(c.aad);
    Bytes want = hex(std::string(c.cipher) + c.tag);
    auto aead = backend->make_aead(Algorithm::Aes256Gcm, key).value;
    ASSERT_TRUE(aead);
    Bytes out(plain.size() + kAeadTagSize);
    ASSERT_EQ(aead->seal(Nonce(iv.data(), kAeadNonceSize), aad, plain, out), 0);
    EXPECT_EQ(out, want);
    // And open gives the plaintext back, in place.
    Bytes sealed = want;
    ASSERT_EQ(aead->open(Nonce(iv.data(), kAeadNonceSize), aad, sealed,
                         std::span(sealed.data(), plain.size())),
              0);
    EXPECT_EQ(Bytes(sealed.begin(), sealed.begin() + static_cast<long>(plain.size())), plain);
  }
}

TEST(CryptoKat, AesGcmOpenRejectsAnyChangedByteWithEbadmsg) {
  auto backend = make_openssl_backend();
  const auto& c = kGcmCases[3];
  Bytes key = hex(c.key), iv = hex(c.iv), aad = hex(c.aad);
  Bytes sealed = hex(std::string(c.cipher) + c.tag);
  auto aead = backend->make_aead(Algorithm::Aes256Gcm, key).value;
  ASSERT_TRUE(aead);
  Bytes out(sealed.size() - kAeadTagSize);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    EXPECT_EQ(aead->open(Nonce(iv.data(), kAeadNonceSize), aad, bad, out), -EBADMSG) << i;
  }
  Bytes bad_aad = aad;
  bad_aad[0] ^= 0x80;
  EXPECT_EQ(aead->open(Nonce(iv.data(), kAeadNonceSize), bad_aad, sealed, out), -EBADMSG);
  Bytes bad_iv = iv;
  bad_iv[11] ^= 1;
  EXPECT_EQ(aead->open(Nonce(bad_iv.data(), kAeadNonceSize), aad, sealed, out), -EBADMSG);
  EXPECT_EQ(aead->open(Nonce(iv.data(), kAeadNonceSize), aad, sealed, out), 0);
}

TEST(CryptoKat, AesGcmRejectsBadSizesAndKeys) {
  auto backend = make_openssl_backend();
  Bytes short_key(16);
  auto refused = backend->make_aead(Algorithm::Aes256Gcm, short_key);
  EXPECT_FALSE(refused.ok());
  EXPECT_FALSE(refused.value);
  EXPECT_EQ(refused.error, EINVAL);
  Bytes key(32), iv(12), plain(10), out(10);
  auto aead = backend->make_aead(Algorithm::Aes256Gcm, key).value;
  ASSERT_TRUE(aead);
  EXPECT_EQ(aead->seal(Nonce(iv.data(), 12), {}, plain, out), -EINVAL);
  Bytes tiny(15);
  EXPECT_EQ(aead->open(Nonce(iv.data(), 12), {}, tiny, std::span<std::uint8_t>()), -EINVAL);
}

TEST(CryptoKat, HkdfSha256Rfc5869) {
  struct Case {
    Bytes ikm, salt, info;
    std::size_t len;
    const char* okm;
  } cases[] = {
      {repeat(0x0b, 22), sequence(0x00, 0x0c), sequence(0xf0, 0xf9), 42,
       "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
      {sequence(0x00, 0x4f), sequence(0x60, 0xaf), sequence(0xb0, 0xff), 82,
       "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41"
       "c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
      {repeat(0x0b, 22), {}, {}, 42,
       "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
  };
  int n = 1;
  for (const auto& c : cases) {
    SCOPED_TRACE("RFC 5869 A." + std::to_string(n++));
    Bytes out(c.len);
    ASSERT_EQ(hkdf_sha256(c.ikm, c.salt, c.info, out), 0);
    EXPECT_EQ(out, hex(c.okm));
  }
  Bytes too_long(255 * 32 + 1);
  EXPECT_EQ(hkdf_sha256(repeat(1, 32), {}, {}, too_long), -EINVAL);
}

TEST(CryptoKat, ScryptRfc7914FastVectors) {
  Bytes out(64);
  ASSERT_EQ(scrypt({}, {}, 4, 1, 1, out), 0);  // N = 16
  EXPECT_EQ(out, hex("77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
                     "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"));
  // N = 1024, r = 8, p = 16: 16 MiB of mixing; OpenSSL is not instrumented, so this stays
  // well under a second even in the sanitizer build.
  ASSERT_EQ(scrypt(text_bytes("password"), text_bytes("NaCl"), 10, 8, 16, out), 0);
  EXPECT_EQ(out, hex("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                     "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"));
  EXPECT_EQ(scrypt(text_bytes("x"), {}, 0, 8, 1, out), -EINVAL);
}

TEST(CryptoKat, HmacSha256Rfc4231Case1) {
  std::array<std::uint8_t, 32> mac{};
  ASSERT_EQ(hmac_sha256(repeat(0x0b, 20), text_bytes("Hi There"), mac), 0);
  EXPECT_EQ(Bytes(mac.begin(), mac.end()),
            hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
}

const char kSp800Key256[] = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
const char kSp800Plain[] =
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

Bytes run_raw(RawCipher& cipher, const Bytes& in, std::size_t piece) {
  Bytes out;
  Bytes buf(piece + kAesBlockSize);
  for (std::size_t off = 0; off < in.size(); off += piece) {
    std::size_t n = std::min(piece, in.size() - off);
    long m = cipher.update(std::span(in.data() + off, n), buf);
    EXPECT_GE(m, 0);
    out.insert(out.end(), buf.begin(), buf.begin() + m);
  }
  long m = cipher.final(buf);
  EXPECT_GE(m, 0);
  if (m > 0) out.insert(out.end(), buf.begin(), buf.begin() + m);
  return out;
}

TEST(CryptoKat, RawCtrAndCbcSp800_38a) {
  auto backend = make_openssl_backend();
  Bytes key = hex(kSp800Key256), plain = hex(kSp800Plain);
  Bytes ctr_iv = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  Bytes cbc_iv = hex("000102030405060708090a0b0c0d0e0f");
  Bytes ctr_want = hex(
      "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
      "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6");
  Bytes cbc_want = hex(
      "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
      "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b");
  for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{16}, std::size_t{64}}) {
    SCOPED_TRACE(piece);
    auto ctr = backend->make_raw(Algorithm::Aes256Ctr, true, true, key, ctr_iv).value;
    ASSERT_TRUE(ctr);
    EXPECT_EQ(run_raw(*ctr, plain, piece), ctr_want);
    auto cbc = backend->make_raw(Algorithm::Aes256Cbc, true, false, key, cbc_iv).value;
    ASSERT_TRUE(cbc);
    EXPECT_EQ(run_raw(*cbc, plain, piece), cbc_want);
    auto dec = backend->make_raw(Algorithm::Aes256Cbc, false, false, key, cbc_iv).value;
    ASSERT_TRUE(dec);
    EXPECT_EQ(run_raw(*dec, cbc_want, piece), plain);
  }
}

TEST(CryptoKat, RawCbcPaddingErrors) {
  auto backend = make_openssl_backend();
  Bytes key = hex(kSp800Key256), iv(16);
  Bytes buf(64);
  // -nopad with a partial block: EINVAL.
  auto enc = backend->make_raw(Algorithm::Aes256Cbc, true, false, key, iv).value;
  Bytes five(5, 'x');
  ASSERT_GE(enc->update(five, buf), 0);
  EXPECT_EQ(enc->final(buf), -EINVAL);
  // Padded decryption of a block whose padding is wrong: EBADMSG.
  auto raw_enc = backend->make_raw(Algorithm::Aes256Cbc, true, false, key, iv).value;
  Bytes block(16, 0x00);  // plaintext ending in 0x00: invalid PKCS#7
  Bytes ct(32);
  long m = raw_enc->update(block, ct);
  ASSERT_EQ(m, 16);
  auto dec = backend->make_raw(Algorithm::Aes256Cbc, false, true, key, iv).value;
  ASSERT_GE(dec->update(std::span(ct.data(), 16), buf), 0);
  EXPECT_EQ(dec->final(buf), -EBADMSG);
}

TEST(CryptoKat, AlgorithmNamesRoundTrip) {
  for (Algorithm alg : kAllAlgorithms) EXPECT_EQ(parse_algorithm(algorithm_name(alg)), alg);
  EXPECT_FALSE(parse_algorithm("aes-192-ctr"));
  EXPECT_EQ(kernel_algorithm_name(Algorithm::Aes256Gcm), "gcm(aes)");
  EXPECT_EQ(key_size(Algorithm::Aes128Ctr), 16u);
  EXPECT_EQ(key_size(Algorithm::Aes256Cbc), 32u);
}

TEST(CryptoKat, KernelSlotExplainsWhyItIsUnavailable) {
  auto kernel = make_kernel_backend();
  conduit::Status here = kernel->available();
  if (here.ok()) GTEST_SKIP() << "this machine has a working kernel backend";
  std::string reason = here.reason;
  EXPECT_NE(reason.find("AF_ALG"), std::string::npos) << reason;
  EXPECT_GT(here.error, 0);  // the probe's errno (EAFNOSUPPORT here)
  auto refused = select_backend(BackendChoice::Kernel, Algorithm::Aes256Gcm);
  EXPECT_FALSE(refused.ok());
  EXPECT_FALSE(refused.value);
  EXPECT_EQ(refused.reason, reason);
  EXPECT_EQ(refused.error, here.error);
  auto chosen = select_backend(BackendChoice::Auto, Algorithm::Aes256Gcm);
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen.value->name(), "openssl");
  EXPECT_NE(list_backends_text().find("kernel: not available"), std::string::npos);
}

}  // namespace
