// pkcs7_padding_length: the constant-time PKCS#7 check the kernel backend's raw CBC decryption
// uses, checked against the obvious early-exit one on every last-byte value.
#include <gtest/gtest.h>

#include <array>
#include <random>

#include "conduit/crypto/raw.hpp"

namespace {
// The obvious, early-exit check the constant-time one must agree with.
unsigned reference_padding(const std::array<std::uint8_t, 16>& b) {
  unsigned pad = b[15];
  if (pad < 1 || pad > 16) return 0;
  for (unsigned i = 0; i < pad; ++i)
    if (b[15 - i] != pad) return 0;
  return pad;
}
}  // namespace

TEST(CryptoRaw, ConstantTimePkcs7PaddingAgreesWithTheObviousCheck) {
  std::mt19937 rng(11);
  std::size_t valid = 0;
  for (unsigned last = 0; last < 256; ++last) {
    for (int variant = 0; variant < 40; ++variant) {
      std::array<std::uint8_t, 16> b{};
      for (auto& c : b) c = static_cast<std::uint8_t>(rng());
      b[15] = static_cast<std::uint8_t>(last);
      // Half the time a well-formed padding of that length, with one byte maybe spoiled.
      if (variant % 2 == 0 && last >= 1 && last <= 16) {
        for (unsigned i = 0; i < last; ++i) b[15 - i] = static_cast<std::uint8_t>(last);
        if (variant % 4 == 2 && last > 1) b[15 - rng() % (last - 1) - 1] ^= 1 + rng() % 255;
      }
      unsigned want = reference_padding(b);
      valid += want != 0;
      ASSERT_EQ(conduit::crypto::pkcs7_padding_length(b), want) << "last byte " << last;
    }
  }
  EXPECT_GT(valid, 100u);
}
