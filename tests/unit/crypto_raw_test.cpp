// pkcs7_padding_length: the constant-time PKCS#7 check the kernel backend's raw CBC decryption
// uses, checked against the obvious early-exit one on every last-byte value, and checked to be
// constant-time under valgrind (the ctgrind method: the block is marked undefined, so memcheck
// reports every branch and every memory address that depends on it).
#include <gtest/gtest.h>
#include <valgrind/memcheck.h>

#include <array>
#include <cstdlib>
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

// Run by ctest as crypto.pkcs7_constant_time (valgrind memcheck); skipped when not under valgrind.
// The early-exit reference_padding() fails it: its loop bound and its returns depend on the bytes.
TEST(CryptoRaw, Pkcs7PaddingCheckHasNoBranchOrAddressThatDependsOnTheBlock) {
  if (RUNNING_ON_VALGRIND == 0) GTEST_SKIP() << "needs valgrind (ctest crypto.pkcs7_constant_time)";
  const bool check_reference = std::getenv("CONDUIT_CT_CHECK_REFERENCE") != nullptr;
  std::mt19937 rng(5);
  unsigned long before = VALGRIND_COUNT_ERRORS;
  unsigned sum = 0;
  for (unsigned pad = 0; pad <= 17; ++pad) {
    std::array<std::uint8_t, 16> b{};
    for (auto& c : b) c = static_cast<std::uint8_t>(rng());
    for (unsigned i = 0; i < pad && i < 16; ++i) b[15 - i] = static_cast<std::uint8_t>(pad);
    // Secret from here on: memcheck reports any decision made on these bytes.
    (void)VALGRIND_MAKE_MEM_UNDEFINED(b.data(), b.size());
    unsigned got = check_reference ? reference_padding(b) : conduit::crypto::pkcs7_padding_length(b);
    // The result is public (the caller says "bad padding" or strips it).
    (void)VALGRIND_MAKE_MEM_DEFINED(&got, sizeof got);
    sum += got;
  }
  EXPECT_EQ(VALGRIND_COUNT_ERRORS, before) << "a branch or an address depended on the block";
  EXPECT_GT(sum, 0u);
}

