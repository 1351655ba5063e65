// crypto/keys: the loaders' failures as result values: the errno of a failed open or read, EINVAL
// for content that is not a key or passphrase, EKEYREJECTED for a key file that is typed text;
// each with its reason, and none naming a program.
#include "conduit/crypto/keys.hpp"

#include <fcntl.h>

#include <gtest/gtest.h>
#include <valgrind/memcheck.h>

#include <array>
#include <cerrno>
#include <string>

#include "conduit/hex.hpp"
#include "test_util.hpp"

using namespace conduit;
using namespace conduit::crypto;

TEST(CryptoKeys, LoadersSayWhyAsAnErrnoAndAReason) {
  Secret key;
  Status missing = load_key_file("/nonexistent/key", key);
  EXPECT_EQ(missing.error, ENOENT);
  EXPECT_NE(missing.reason.find("/nonexistent/key: No such file or directory"), std::string::npos) << missing.reason;

  testutil::TempFile typed(std::string(32, 'a'));
  Status text = load_key_file(typed.path(), key);
  EXPECT_EQ(text.error, EKEYREJECTED);
  EXPECT_NE(text.reason.find("not a key"), std::string::npos) << text.reason;
  EXPECT_EQ(text.reason.find("hw-encrypt"), std::string::npos) << text.reason;

  testutil::TempFile short_key("0123");
  Status bad = load_key_file(short_key.path(), key);
  EXPECT_EQ(bad.error, EINVAL);
  EXPECT_NE(bad.reason.find("must hold 32 bytes or 64 hex digits"), std::string::npos) << bad.reason;

  testutil::TempFile hex(std::string(64, 'f') + "\n");
  EXPECT_TRUE(load_key_file(hex.path(), key).ok());
  EXPECT_EQ(key.size(), 32u);

  Secret pass;
  testutil::TempFile empty("\n");
  Status none = load_passphrase_file(empty.path(), pass);
  EXPECT_EQ(none.error, EINVAL);
  EXPECT_NE(none.reason.find("empty passphrase"), std::string::npos) << none.reason;
  Status closed = load_passphrase_fd(-1, pass);
  EXPECT_EQ(closed.error, EBADF);
}

// Every byte value as the first digit of a hex key: a key exactly when conduit::hex_value says it
// is a digit, and that digit's value in the key's first byte's high half.
TEST(CryptoKeys, HexKeyDigitsDecodeAsHexValueSaysForEveryByte) {
  for (unsigned c = 0; c < 256; ++c) {
    std::array<std::uint8_t, 64> text;
    text.fill('0');
    text[0] = static_cast<std::uint8_t>(c);
    text[63] = 'f';
    Secret key;
    int want = hex_value(static_cast<char>(c));
    // A white-space byte is trimmed, leaving 63 digits: not a key either.
    bool space = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    ASSERT_EQ(parse_key(text, 32, true, key), want >= 0 && !space) << "byte " << c;
    if (want < 0) continue;
    EXPECT_EQ(key.data()[0], want << 4) << "byte " << c;
    EXPECT_EQ(key.data()[31], 0x0F);
  }
}

// Run by ctest as crypto.hex_key_constant_time (valgrind memcheck, as the PKCS#7 check in
// crypto_raw_test.cpp); skipped when not under valgrind. A decoder built on hex_value()'s
// comparisons fails it: they are branches on the key's digits.
TEST(CryptoKeys, HexKeyDecodingHasNoBranchOrAddressThatDependsOnTheDigits) {
  if (RUNNING_ON_VALGRIND == 0) GTEST_SKIP() << "needs valgrind (ctest crypto.hex_key_constant_time)";
  const std::string_view digits = "0123456789abcdefABCDEF";
  unsigned long before = VALGRIND_COUNT_ERRORS;
  unsigned sum = 0;
  for (unsigned round = 0; round < 4; ++round) {
    std::array<std::uint8_t, 64> hex;
    for (std::size_t i = 0; i < hex.size(); ++i) hex[i] = static_cast<std::uint8_t>(digits[(i * 7 + round) % digits.size()]);
    if (round == 3) hex[17] = 'g';  // one bad digit: the same work, another outcome
    std::array<std::uint8_t, 32> out{};
    // Secret from here on: memcheck reports any decision made on these bytes.
    (void)VALGRIND_MAKE_MEM_UNDEFINED(hex.data(), hex.size());
    bool ok = decode_hex_secret(hex, out);
    // The outcome is public (the key is used or refused); so, for the sum, are the bytes.
    (void)VALGRIND_MAKE_MEM_DEFINED(&ok, sizeof ok);
    (void)VALGRIND_MAKE_MEM_DEFINED(out.data(), out.size());
    EXPECT_EQ(ok, round != 3);
    for (std::uint8_t b : out) sum += b;
  }
  EXPECT_EQ(VALGRIND_COUNT_ERRORS, before) << "a branch or an address depended on the digits";
  EXPECT_GT(sum, 0u);
}
