// openssl_backend: the Backend on OpenSSL 3's EVP interface, the reference implementation of
// backend.hpp's contract and the default everywhere (AES-NI + PCLMUL/VAES make it the fastest
// choice for CPU ciphers; the kernel's own documentation says AF_ALG is slower for them).
//
// Each AeadCipher keeps one encryption and one decryption context keyed once, so a chunk costs a
// re-init with its nonce only.
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include <cerrno>
#include <climits>

#include "conduit/crypto/backend.hpp"

namespace conduit::crypto {

namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

const EVP_CIPHER* evp_cipher(Algorithm alg) noexcept {
  switch (alg) {
    case Algorithm::Aes256Gcm: return EVP_aes_256_gcm();
    case Algorithm::Aes128Ctr: return EVP_aes_128_ctr();
    case Algorithm::Aes256Ctr: return EVP_aes_256_ctr();
    case Algorithm::Aes128Cbc: return EVP_aes_128_cbc();
    case Algorithm::Aes256Cbc: return EVP_aes_256_cbc();
  }
  return nullptr;
}

class OpensslAead final : public AeadCipher {
 public:
  // Returns 0 or -errno.
  int init(Algorithm alg, std::span<const std::uint8_t> key) {
    if (alg != Algorithm::Aes256Gcm || key.size() != kAeadKeySize) return -EINVAL;
    enc_.reset(EVP_CIPHER_CTX_new());
    dec_.reset(EVP_CIPHER_CTX_new());
    if (!enc_ || !dec_) return -ENOMEM;
    if (EVP_EncryptInit_ex(enc_.get(), EVP_aes_256_gcm(), nullptr, key.data(), nullptr) != 1 ||
        EVP_DecryptInit_ex(dec_.get(), EVP_aes_256_gcm(), nullptr, key.data(), nullptr) != 1)
      return -EIO;
    return 0;
  }

  int seal(Nonce nonce, std::span<const std::uint8_t> aad, std::span<const std::uint8_t> plaintext,
           std::span<std::uint8_t> out) override {
    if (out.size() != plaintext.size() + kAeadTagSize || plaintext.size() > INT_MAX ||
        aad.size() > INT_MAX)
      return -EINVAL;
    EVP_CIPHER_CTX* ctx = enc_.get();
    int len = 0;
    if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1) return -EIO;
    if (!aad.empty() &&
        EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
      return -EIO;
    int total = 0;
    if (!plaintext.empty()) {
      if (EVP_EncryptUpdate(ctx, out.data(), &len, plaintext.data(),
                            static_cast<int>(plaintext.size())) != 1)
        return -EIO;
      total = len;
    }
    if (EVP_EncryptFinal_ex(ctx, out.data() + total, &len) != 1) return -EIO;
    total += len;
    if (static_cast<std::size_t>(total) != plaintext.size()) return -EIO;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAeadTagSize),
                            out.data() + total) != 1)
      return -EIO;
    return 0;
  }

  int open(Nonce nonce, std::span<const std::uint8_t> aad, std::span<const std::uint8_t> in,
           std::span<std::uint8_t> out) override {
    if (in.size() < kAeadTagSize || out.size() != in.size() - kAeadTagSize ||
        in.size() > INT_MAX || aad.size() > INT_MAX)
      return -EINVAL;
    EVP_CIPHER_CTX* ctx = dec_.get();
    std::size_t body = in.size() - kAeadTagSize;
    // The tag is copied first: with in-place operation `out` overwrites the ciphertext only,
    // but EVP wants the expected tag before Final.
    std::uint8_t tag[kAeadTagSize];
    for (std::size_t i = 0; i < kAeadTagSize; ++i) tag[i] = in[body + i];
    int len = 0;
    if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1) return -EIO;
    if (!aad.empty() &&
        EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
      return -EIO;
    int total = 0;
    if (body > 0) {
      if (EVP_DecryptUpdate(ctx, out.data(), &len, in.data(), static_cast<int>(body)) != 1)
        return -EIO;
      total = len;
    }
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAeadTagSize), tag) != 1)
      return -EIO;
    if (EVP_DecryptFinal_ex(ctx, out.data() + total, &len) != 1) return -EBADMSG;
    return 0;
  }

 private:
  CtxPtr enc_;
  CtxPtr dec_;
};

class OpensslRaw final : public RawCipher {
 public:
  int init(Algorithm alg, bool encrypt, bool padding, std::span<const std::uint8_t> key,
           std::span<const std::uint8_t> iv) {
    if (alg == Algorithm::Aes256Gcm || key.size() != key_size(alg) || iv.size() != kAesBlockSize)
      return -EINVAL;
    ctx_.reset(EVP_CIPHER_CTX_new());
    if (!ctx_) return -ENOMEM;
    if (EVP_CipherInit_ex(ctx_.get(), evp_cipher(alg), nullptr, key.data(), iv.data(),
                          encrypt ? 1 : 0) != 1)
      return -EIO;
    if (EVP_CIPHER_CTX_set_padding(ctx_.get(), padding ? 1 : 0) != 1) return -EIO;
    return 0;
  }

  long update(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) override {
    if (in.size() > INT_MAX - kAesBlockSize || out.size() < in.size() + kAesBlockSize)
      return -EINVAL;
    if (in.empty()) return 0;
    int len = 0;
    if (EVP_CipherUpdate(ctx_.get(), out.data(), &len, in.data(), static_cast<int>(in.size())) != 1)
      return -EIO;
    return len;
  }

  long final(std::span<std::uint8_t> out) override {
    if (out.size() < kAesBlockSize) return -EINVAL;
    int len = 0;
    if (EVP_CipherFinal_ex(ctx_.get(), out.data(), &len) != 1) {
      bool padded = EVP_CIPHER_CTX_get_block_size(ctx_.get()) > 1 &&
                    (EVP_CIPHER_CTX_test_flags(ctx_.get(), EVP_CIPH_NO_PADDING) == 0);
      bool decrypting = EVP_CIPHER_CTX_is_encrypting(ctx_.get()) == 0;
      return (padded && decrypting) ? -EBADMSG : -EINVAL;
    }
    return len;
  }

 private:
  CtxPtr ctx_;
};

class OpensslBackend final : public BackendWith<OpensslAead, OpensslRaw> {
 public:
  std::string_view name() const noexcept override { return "openssl"; }
  Status available() const override { return {}; }
  Status supports(Algorithm alg) const override {
    if (evp_cipher(alg) != nullptr) return {};
    return Status::failure(ENOTSUP, "OpenSSL has no " + std::string(algorithm_name(alg)));
  }

  std::string driver(Algorithm) const override {
    std::string text = OpenSSL_version(OPENSSL_VERSION);
#if defined(__x86_64__) || defined(__i386__)
    // CPUID directly (not __builtin_cpu_supports): clang 14 does not know "vaes".
    unsigned a = 0, b = 0, c = 0, d = 0;
    bool aes = __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & (1u << 25)) != 0;
    text += aes ? ", AES-NI" : ", no AES-NI (software AES)";
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d) != 0 && (c & (1u << 9)) != 0 &&
        (c & (1u << 10)) != 0)
      text += "+VAES";
#endif
    return text;
  }

  bool preferred_for_auto(Algorithm) const override { return true; }
};

}  // namespace

std::unique_ptr<Backend> make_openssl_backend() { return std::make_unique<OpensslBackend>(); }

}  // namespace conduit::crypto
