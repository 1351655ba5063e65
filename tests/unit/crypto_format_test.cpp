// The version-1 header (layout, parsing, every rejection), STREAM nonces, and key-file parsing.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "conduit/crypto/format.hpp"
#include "conduit/crypto/keys.hpp"

namespace {

using namespace conduit::crypto;
using Bytes = std::vector<std::uint8_t>;

Header sample(KeySource source) {
  Header h;
  h.source = source;
  for (std::size_t i = 0; i < h.salt.size(); ++i) h.salt[i] = static_cast<std::uint8_t>(i * 7);
  h.scrypt = {12, 8, 1};
  return h;
}

Bytes wire(const Header& h) {
  std::array<std::uint8_t, kMaxHeaderSize> buf{};
  std::size_t n = encode_header(h, buf);
  return Bytes(buf.begin(), buf.begin() + static_cast<long>(n));
}

HeaderStatus parse(const Bytes& bytes, Header& out, unsigned* bad = nullptr) {
  std::size_t rest = 0;
  HeaderStatus s = parse_header_prefix(
      std::span<const std::uint8_t, kHeaderPrefixSize>(bytes.data(), kHeaderPrefixSize), out, rest,
      bad);
  if (s != HeaderStatus::Ok) return s;
  EXPECT_EQ(kHeaderPrefixSize + rest, bytes.size());
  return parse_header_rest(std::span(bytes.data() + kHeaderPrefixSize, rest), out, bad);
}

TEST(CryptoFormat, HeaderLayoutIsAsDocumented) {
  Header h = sample(KeySource::Key);
  Bytes w = wire(h);
  ASSERT_EQ(w.size(), 76u);
  EXPECT_EQ(Bytes(w.begin(), w.begin() + 8), Bytes({0x89, 'H', 'W', 'E', 'N', 'C', '\r', '\n'}));
  EXPECT_EQ(w[8], 1);   // version
  EXPECT_EQ(w[9], 1);   // AES-256-GCM STREAM
  EXPECT_EQ(w[10], 16); // 64 KiB chunks
  EXPECT_EQ(w[11], 1);  // key
  EXPECT_EQ(w[12 + 1], 7);
  Header p = sample(KeySource::Passphrase);
  Bytes wp = wire(p);
  ASSERT_EQ(wp.size(), 79u);
  EXPECT_EQ(wp[11], 2);
  EXPECT_EQ(wp[44], 12);
  EXPECT_EQ(wp[45], 8);
  EXPECT_EQ(wp[46], 1);
}

TEST(CryptoFormat, HeaderRoundTripsAndMacVerifies) {
  for (KeySource source : {KeySource::Key, KeySource::Passphrase}) {
    Header h = sample(source);
    Bytes ikm(32, 0x42);
    StreamKeys keys;
    ASSERT_EQ(derive_stream_keys(ikm, h, keys), 0);
    ASSERT_EQ(seal_header(h, keys), 0);
    Header back;
    ASSERT_EQ(parse(wire(h), back), HeaderStatus::Ok);
    EXPECT_EQ(back.salt, h.salt);
    EXPECT_EQ(back.mac, h.mac);
    EXPECT_EQ(back.chunk_size(), 65536u);
    EXPECT_EQ(verify_header(back, keys), 0);
    // Another key, or any header field changed, fails the MAC.
    StreamKeys other;
    Bytes ikm2(32, 0x43);
    ASSERT_EQ(derive_stream_keys(ikm2, h, other), 0);
    EXPECT_EQ(verify_header(back, other), -EBADMSG);
    Header changed = back;
    changed.salt[3] ^= 1;
    EXPECT_EQ(verify_header(changed, keys), -EBADMSG);
    changed = back;
    changed.chunk_log2 = 15;
    EXPECT_EQ(verify_header(changed, keys), -EBADMSG);
  }
}

TEST(CryptoFormat, PayloadAndHeaderKeysDifferAndDependOnSalt) {
  Header a = sample(KeySource::Key), b = sample(KeySource::Key);
  b.salt[0] ^= 1;
  Bytes ikm(32, 1);
  StreamKeys ka, kb;
  ASSERT_EQ(derive_stream_keys(ikm, a, ka), 0);
  ASSERT_EQ(derive_stream_keys(ikm, b, kb), 0);
  auto same = [](const Secret& x, const Secret& y) {
    return Bytes(x.data(), x.data() + x.size()) == Bytes(y.data(), y.data() + y.size());
  };
  EXPECT_FALSE(same(ka.header_key, ka.payload_key));
  EXPECT_FALSE(same(ka.payload_key, kb.payload_key));
}

TEST(CryptoFormat, EveryBadHeaderFieldIsNamed) {
  Bytes good = wire(sample(KeySource::Passphrase));
  Header out;
  unsigned bad = 0;
  auto with = [&](std::size_t i, std::uint8_t v) {
    Bytes b = good;
    b[i] = v;
    return b;
  };
  EXPECT_EQ(parse(with(0, 0x88), out), HeaderStatus::NotThisFormat);
  EXPECT_EQ(parse(with(7, 0), out), HeaderStatus::NotThisFormat);
  EXPECT_EQ(parse(with(8, 3), out, &bad), HeaderStatus::UnknownVersion);
  EXPECT_EQ(bad, 3u);
  EXPECT_NE(header_status_text(HeaderStatus::UnknownVersion, 3).find("version 3"), std::string::npos);
  EXPECT_EQ(parse(with(8, 2), out), HeaderStatus::Ok);  // version 2: bound to a context
  EXPECT_TRUE(out.bound);
  EXPECT_EQ(parse(with(9, 7), out), HeaderStatus::UnknownAlgorithm);
  EXPECT_EQ(parse(with(10, 9), out), HeaderStatus::BadChunkSize);
  EXPECT_EQ(parse(with(10, 21), out), HeaderStatus::BadChunkSize);
  EXPECT_EQ(parse(with(11, 0), out), HeaderStatus::BadKeySource);
  EXPECT_EQ(parse(with(11, 3), out), HeaderStatus::BadKeySource);
  EXPECT_EQ(parse(with(44, 9), out), HeaderStatus::BadKdfParams);    // N below 2^10
  EXPECT_EQ(parse(with(44, 21), out), HeaderStatus::BadKdfParams);   // N above 2^20
  EXPECT_EQ(parse(with(45, 0), out), HeaderStatus::BadKdfParams);    // r = 0
  EXPECT_EQ(parse(with(46, 200), out), HeaderStatus::BadKdfParams);  // p too large
  // Only what the writer writes: r = 8 and p = 1 exactly (r = 16 at 2^19 would be 1 GiB and
  // 4x the work, p = 4 four times the work, before the header MAC is checked).
  EXPECT_EQ(parse(with(45, 16), out), HeaderStatus::BadKdfParams);
  EXPECT_EQ(parse(with(45, 7), out), HeaderStatus::BadKdfParams);
  EXPECT_EQ(parse(with(46, 2), out), HeaderStatus::BadKdfParams);
  EXPECT_EQ(parse(with(46, 4), out), HeaderStatus::BadKdfParams);
  EXPECT_EQ(parse(with(44, 20), out), HeaderStatus::Ok);
  EXPECT_EQ(parse(with(44, 10), out), HeaderStatus::Ok);
  // The allowed values are the writer's words to add (hw-encrypt's, tests/cli/hw-encrypt.bats);
  // the library names the rule broken, and no program.
  EXPECT_EQ(header_status_text(HeaderStatus::BadKdfParams, 0), "scrypt parameters out of range in header");
  StreamResult kdf = header_failure(HeaderStatus::BadKdfParams, 0);
  EXPECT_EQ(kdf.status, StreamStatus::BadHeader);
  EXPECT_EQ(kdf.rule, FormatRule::ScryptParams);
  StreamResult magic = header_failure(HeaderStatus::NotThisFormat, 0);
  EXPECT_EQ(magic.status, StreamStatus::NotThisFormat);
  EXPECT_EQ(magic.rule, FormatRule::Magic);
  EXPECT_EQ(magic.message.find("hw-encrypt"), std::string::npos) << magic.message;
  EXPECT_EQ(header_failure(HeaderStatus::UnknownVersion, 3).rule, FormatRule::Version);
  EXPECT_EQ(parse(good, out), HeaderStatus::Ok);
}

TEST(CryptoFormat, NonceIsBigEndianCounterThenLastFlag) {
  auto n = chunk_nonce(0x0102030405060708ULL, false);
  EXPECT_EQ(Bytes(n.begin(), n.end()),
            Bytes({0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0}));
  auto z = chunk_nonce(0, true);
  EXPECT_EQ(Bytes(z.begin(), z.end()), Bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
}

TEST(CryptoFormat, KeyFilesAreRawOrHex) {
  Secret key;
  Bytes raw(32);
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(i);
  ASSERT_TRUE(parse_key(raw, 32, false, key));
  EXPECT_EQ(Bytes(key.data(), key.data() + key.size()), raw);
  std::string hex = "000102030405060708090A0B0C0D0E0F101112131415161718191a1b1c1d1e1f\n";
  ASSERT_TRUE(parse_key(Bytes(hex.begin(), hex.end()), 32, false, key));
  EXPECT_EQ(Bytes(key.data(), key.data() + key.size()), raw);
  EXPECT_FALSE(parse_key(raw, 32, true, key)) << "hex only refuses raw bytes";
  EXPECT_FALSE(parse_key(Bytes(31), 32, false, key));
  std::string short_hex = hex.substr(0, 62);
  EXPECT_FALSE(parse_key(Bytes(short_hex.begin(), short_hex.end()), 32, false, key));
  std::string bad_hex = "zz" + hex.substr(2);
  EXPECT_FALSE(parse_key(Bytes(bad_hex.begin(), bad_hex.end()), 32, false, key));
  std::string hex16 = "00112233445566778899aabbccddeeff";
  ASSERT_TRUE(parse_key(Bytes(hex16.begin(), hex16.end()), 16, true, key));
  EXPECT_EQ(key.size(), 16u);
}

TEST(CryptoFormat, SecretWipesOnResizeAndWipe) {
  Secret s(8);
  s.resize(8);
  for (std::size_t i = 0; i < 8; ++i) s.data()[i] = 0xAA;
  s.resize(4);
  EXPECT_EQ(s.size(), 4u);
  EXPECT_EQ(s.data()[5], 0) << "bytes past the new size are wiped";
  s.wipe();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.data()[0], 0);
  Secret moved = std::move(s);
  EXPECT_EQ(s.capacity(), 0u);  // NOLINT(bugprone-use-after-move): the moved-from state is defined
  EXPECT_EQ(moved.capacity(), 8u);
}

TEST(CryptoFormat, ParseHexIsStrict) {
  Bytes out;
  EXPECT_TRUE(parse_hex("00ff10", out));
  EXPECT_EQ(out, Bytes({0, 255, 16}));
  EXPECT_FALSE(parse_hex("0", out));
  EXPECT_FALSE(parse_hex("0g", out));
  EXPECT_FALSE(parse_hex(" 00", out));
}

}  // namespace
