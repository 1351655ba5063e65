// kdf: HKDF-SHA-256, scrypt and HMAC-SHA-256 through OpenSSL 3's EVP_KDF / EVP_MAC interfaces.
#include "conduit/crypto/kdf.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cerrno>
#include <cstring>

namespace conduit::crypto {

namespace {
// OSSL_PARAM wants non-const pointers even for inputs it only reads.
void* param_ptr(std::span<const std::uint8_t> bytes) {
  return const_cast<std::uint8_t*>(bytes.data());
}

char kSha256[] = "SHA256";

int derive(const char* kdf_name, OSSL_PARAM* params, std::span<std::uint8_t> out) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, kdf_name, nullptr);
  if (kdf == nullptr) return -ENOSYS;
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) return -ENOMEM;
  int rc = EVP_KDF_derive(ctx, out.data(), out.size(), params) == 1 ? 0 : -EIO;
  EVP_KDF_CTX_free(ctx);
  return rc;
}
}  // namespace

int hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                std::span<const std::uint8_t> info, std::span<std::uint8_t> out) noexcept {
  if (out.empty() || out.size() > 255 * 32) return -EINVAL;
  OSSL_PARAM params[5];
  OSSL_PARAM* p = params;
  *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, kSha256, 0);
  *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, param_ptr(ikm), ikm.size());
  // An empty salt means "no salt" (RFC 5869: a string of HashLen zeros); OpenSSL does the same
  // when the parameter is absent.
  if (!salt.empty())
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, param_ptr(salt), salt.size());
  if (!info.empty())
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, param_ptr(info), info.size());
  *p = OSSL_PARAM_construct_end();
  return derive("HKDF", params, out);
}

int scrypt(std::span<const std::uint8_t> passphrase, std::span<const std::uint8_t> salt,
           unsigned log2_n, unsigned r, unsigned p, std::span<std::uint8_t> out) noexcept {
  if (log2_n < 1 || log2_n > 30 || r < 1 || p < 1 || out.empty()) return -EINVAL;
  std::uint64_t n = std::uint64_t{1} << log2_n;
  // scrypt's memory: 128 * r * N for V, plus 128 * r * p for B. Allow exactly that (+ slack).
  std::uint64_t maxmem = 128ULL * r * (n + p + 2) + (1 << 20);
  // EVP_PBE_scrypt accepts an empty password only as a non-null pointer.
  static const char kEmpty[1] = {0};
  const char* pass = passphrase.empty() ? kEmpty : reinterpret_cast<const char*>(passphrase.data());
  if (EVP_PBE_scrypt(pass, passphrase.size(), salt.data(), salt.size(), n, r, p, maxmem, out.data(),
                     out.size()) != 1) {
    // The one failure users can cause is memory; parameters were checked above.
    return -ENOMEM;
  }
  return 0;
}

int hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data,
                std::span<std::uint8_t, 32> out) noexcept {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return -ENOSYS;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);
  if (ctx == nullptr) return -ENOMEM;
  OSSL_PARAM params[2] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, kSha256, 0),
                          OSSL_PARAM_construct_end()};
  std::size_t len = 0;
  int rc = -EIO;
  if (EVP_MAC_init(ctx, key.data(), key.size(), params) == 1 &&
      EVP_MAC_update(ctx, data.data(), data.size()) == 1 &&
      EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 && len == out.size())
    rc = 0;
  EVP_MAC_CTX_free(ctx);
  return rc;
}

}  // namespace conduit::crypto
