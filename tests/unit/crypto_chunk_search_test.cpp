// ChunkFinder: every prefix length of a run of bytes is checked against several nonces in one
// pass; a chunk of any length followed by anything is found, with its nonce; random bytes are not.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "conduit/crypto/backend.hpp"
#include "conduit/crypto/chunk_search.hpp"
#include "conduit/crypto/format.hpp"
#include "crypto_util.hpp"

namespace {

using namespace conduit::crypto;
using namespace conduit::cryptotest;

TEST(CryptoChunkSearch, FindsAChunkOfAnyLengthFollowedByAnythingUnderItsNonce) {
  Bytes key = random_bytes(32, 1);
  auto backend = make_openssl_backend();
  auto cipher = backend->make_aead(Algorithm::Aes256Gcm, key).value;
  ASSERT_TRUE(cipher);
  ChunkFinder finder;
  ASSERT_EQ(finder.init(key), 0);
  std::vector<std::array<std::uint8_t, kAeadNonceSize>> nonces{
      chunk_nonce(0, true), chunk_nonce(5, true), chunk_nonce(9, false)};
  for (std::size_t len : {0, 1, 15, 16, 17, 100, 1000, 4097}) {
    for (std::size_t extra : {1, 16, 33, 5000}) {
      SCOPED_TRACE(std::to_string(len) + " + " + std::to_string(extra));
      Bytes plain = random_bytes(len, 2);
      Bytes run(len + kAeadTagSize);
      ASSERT_EQ(cipher->seal(chunk_nonce(5, true), {}, plain, run), 0);
      Bytes tail = random_bytes(extra, 3);
      run.insert(run.end(), tail.begin(), tail.end());
      std::size_t which = 99;
      EXPECT_EQ(finder.find_prefix(nonces, run, which), static_cast<long>(len + kAeadTagSize));
      EXPECT_EQ(which, 1u);
      // Under other nonces only: nothing.
      EXPECT_EQ(finder.find_prefix(std::span(nonces).subspan(2), run, which), 0);
    }
  }
  std::size_t which = 0;
  EXPECT_EQ(finder.find_prefix(nonces, random_bytes(3000, 4), which), 0);
  // A whole run is not a proper prefix of itself: the caller has opened it already.
  Bytes whole(kAeadTagSize + 10);
  ASSERT_EQ(cipher->seal(chunk_nonce(0, true), {}, random_bytes(10, 5), whole), 0);
  EXPECT_EQ(finder.find_prefix(nonces, whole, which), 0);
}

}  // namespace
