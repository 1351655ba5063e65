// chunk_search: the tag of every prefix of a run of bytes in one pass (chunk_search.hpp says why
// this works: GHASH does not depend on the nonce, E(K, J0) does not depend on the data).
#include "conduit/crypto/chunk_search.hpp"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace conduit::crypto {

namespace {
struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;
using Tag = std::array<std::uint8_t, kAeadTagSize>;
}  // namespace

struct ChunkFinder::Impl {
  CtxPtr enc{EVP_CIPHER_CTX_new()};
  CtxPtr dec{EVP_CIPHER_CTX_new()};
  CtxPtr copy{EVP_CIPHER_CTX_new()};

  // E(K, J0) for `nonce`: the tag of the empty message (GHASH of an all-zero length block is 0).
  bool mask(const std::uint8_t* nonce, Tag& out) {
    std::uint8_t none[16];
    int len = 0;
    return EVP_EncryptInit_ex(enc.get(), nullptr, nullptr, nullptr, nonce) == 1 &&
           EVP_EncryptFinal_ex(enc.get(), none, &len) == 1 &&
           EVP_CIPHER_CTX_ctrl(enc.get(), EVP_CTRL_GCM_GET_TAG, 16, out.data()) == 1;
  }

  // A real open of `in` (ciphertext || tag) under `nonce`: the confirmation.
  bool opens(const std::uint8_t* nonce, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& scratch) {
    std::size_t body = in.size() - kAeadTagSize;
    Tag tag;
    std::memcpy(tag.data(), in.data() + body, kAeadTagSize);
    int len = 0;
    if (EVP_DecryptInit_ex(dec.get(), nullptr, nullptr, nullptr, nonce) != 1) return false;
    if (body > 0 && EVP_DecryptUpdate(dec.get(), scratch.data(), &len, in.data(), static_cast<int>(body)) != 1)
      return false;
    if (EVP_CIPHER_CTX_ctrl(dec.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) != 1) return false;
    return EVP_DecryptFinal_ex(dec.get(), scratch.data() + body, &len) == 1;
  }
};

ChunkFinder::ChunkFinder() : impl_(std::make_unique<Impl>()) {}
ChunkFinder::~ChunkFinder() = default;

int ChunkFinder::init(std::span<const std::uint8_t> key) {
  if (key.size() != kAeadKeySize) return -EINVAL;
  if (!impl_->enc || !impl_->dec || !impl_->copy) return -ENOMEM;
  if (EVP_EncryptInit_ex(impl_->enc.get(), EVP_aes_256_gcm(), nullptr, key.data(), nullptr) != 1 ||
      EVP_DecryptInit_ex(impl_->dec.get(), EVP_aes_256_gcm(), nullptr, key.data(), nullptr) != 1)
    return -EIO;
  return 0;
}

long ChunkFinder::find_prefix(std::span<const std::array<std::uint8_t, kAeadNonceSize>> nonces,
                              std::span<const std::uint8_t> in, std::size_t& which) {
  if (nonces.empty() || in.size() <= kAeadTagSize || in.size() > (1U << 30)) return 0;
  Impl& m = *impl_;
  // Prefix ciphertext of length n authenticates under nonce i when
  //   GHASH(n) ^ E(J0_i) == tag(n), and GHASH(n) = T0(n) ^ E(J0_0),
  // T0(n) being the tag the first nonce gives that prefix: so when T0(n) ^ tag(n) == E(J0_0) ^ E(J0_i).
  std::vector<Tag> wanted(nonces.size());
  Tag first;
  if (!m.mask(nonces[0].data(), first)) return -EIO;
  for (std::size_t i = 0; i < nonces.size(); ++i) {
    if (!m.mask(nonces[i].data(), wanted[i])) return -EIO;
    for (std::size_t k = 0; k < kAeadTagSize; ++k) wanted[i][k] ^= first[k];
  }
  // T0(n) is computed by encrypting the plaintext the first nonce gives: encryption reproduces
  // the ciphertext and tags it.
  std::vector<std::uint8_t> plain(in.size());
  std::vector<std::uint8_t> scratch(in.size());
  int len = 0;
  if (EVP_DecryptInit_ex(m.dec.get(), nullptr, nullptr, nullptr, nonces[0].data()) != 1 ||
      EVP_DecryptUpdate(m.dec.get(), plain.data(), &len, in.data(), static_cast<int>(in.size())) != 1 ||
      EVP_EncryptInit_ex(m.enc.get(), nullptr, nullptr, nullptr, nonces[0].data()) != 1)
    return -EIO;
  std::size_t done = 0;  // plaintext bytes fed to m.enc, a multiple of 16
  for (std::size_t n = 0; n + kAeadTagSize < in.size(); ++n) {
    std::size_t whole = n & ~std::size_t{15};
    if (done < whole) {
      if (EVP_EncryptUpdate(m.enc.get(), scratch.data(), &len, plain.data() + done,
                            static_cast<int>(whole - done)) != 1)
        return -EIO;
      done = whole;
    }
    if (EVP_CIPHER_CTX_copy(m.copy.get(), m.enc.get()) != 1) return -EIO;
    if (n > whole && EVP_EncryptUpdate(m.copy.get(), scratch.data(), &len, plain.data() + whole,
                                       static_cast<int>(n - whole)) != 1)
      return -EIO;
    Tag t;
    if (EVP_EncryptFinal_ex(m.copy.get(), scratch.data(), &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(m.copy.get(), EVP_CTRL_GCM_GET_TAG, 16, t.data()) != 1)
      return -EIO;
    for (std::size_t k = 0; k < kAeadTagSize; ++k) t[k] ^= in[n + k];
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      if (t != wanted[i]) continue;
      if (m.opens(nonces[i].data(), in.first(n + kAeadTagSize), scratch)) {
        which = i;
        return static_cast<long>(n + kAeadTagSize);
      }
    }
  }
  return 0;
}

}  // namespace conduit::crypto
