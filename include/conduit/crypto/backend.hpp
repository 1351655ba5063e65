// backend: the cipher backends behind hw-encrypt, one interface for OpenSSL EVP and the kernel's
// AF_ALG, so the stream format (stream.hpp) and the raw mode (raw.hpp) never know which one runs.
//
// The contract, for whoever implements a backend (libcore/crypto/openssl_backend.cpp is the
// reference; libcore/crypto/kernel_backend.cpp the other one):
//
//  * Backend objects are created once per command run by make_openssl_backend() /
//    make_kernel_backend(). All their const methods must be safe to call from several threads at
//    once (worker threads each call make_aead() for their own cipher).
//
//  * AeadCipher / RawCipher objects belong to ONE thread at a time; they may keep sockets, contexts
//    and buffers between calls. Destroying one releases everything it holds (close sockets, free
//    contexts) and must wipe any key copy it kept in user memory (OPENSSL_cleanse).
//
//  * Errors are values: 0 (or a byte count) on success, -errno on failure. Never throw, never print,
//    never exit. Authentication failure is exactly -EBADMSG (the kernel's own code for it), and
//    nothing else may return -EBADMSG.
//
//  * Algorithms: AES-256-GCM with a 12-byte nonce and a 16-byte tag (kernel "gcm(aes)", authsize 16)
//    for the authenticated stream format; AES-128/256 in CTR and CBC mode (kernel "ctr(aes)",
//    "cbc(aes)") for --raw. CBC padding (PKCS#7) is done by the RawCipher itself when `padding` is
//    true, so the output is byte-identical to `openssl enc`; the kernel backend must implement the
//    padding in user space around "cbc(aes)".
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conduit/result.hpp"

namespace conduit::crypto {

inline constexpr std::size_t kAeadKeySize = 32;    // AES-256
inline constexpr std::size_t kAeadNonceSize = 12;  // 11-byte counter || 1-byte last-chunk flag
inline constexpr std::size_t kAeadTagSize = 16;
inline constexpr std::size_t kAesBlockSize = 16;

enum class Algorithm : std::uint8_t {
  Aes256Gcm,  // the authenticated stream format
  Aes128Ctr,  // --raw only
  Aes256Ctr,
  Aes128Cbc,
  Aes256Cbc,
};

inline constexpr Algorithm kAllAlgorithms[] = {Algorithm::Aes256Gcm, Algorithm::Aes128Ctr,
                                               Algorithm::Aes256Ctr, Algorithm::Aes128Cbc,
                                               Algorithm::Aes256Cbc};

// "aes-256-gcm", "aes-128-ctr" ... (the names `openssl enc` and --cipher use).
std::string_view algorithm_name(Algorithm alg) noexcept;
// The kernel crypto API name: "gcm(aes)", "ctr(aes)", "cbc(aes)".
std::string_view kernel_algorithm_name(Algorithm alg) noexcept;
// Parses a --cipher value ("aes-256-ctr" ...); nullopt when unknown.
std::optional<Algorithm> parse_algorithm(std::string_view name) noexcept;
// Key length in bytes (16 or 32).
std::size_t key_size(Algorithm alg) noexcept;
bool is_cbc(Algorithm alg) noexcept;

using Nonce = std::span<const std::uint8_t, kAeadNonceSize>;

// One AES-256-GCM key, ready to seal and open chunks. One thread at a time.
class AeadCipher {
 public:
  virtual ~AeadCipher() = default;

  // Encrypts `plaintext` under `nonce` with associated data `aad` (may be empty) and writes
  // ciphertext || 16-byte tag to `out`. Requires out.size() == plaintext.size() + kAeadTagSize.
  // `out` may start at plaintext.data() (in place). plaintext may be empty (the tag alone is
  // written). Returns 0 or -errno.
  virtual int seal(Nonce nonce, std::span<const std::uint8_t> aad,
                   std::span<const std::uint8_t> plaintext, std::span<std::uint8_t> out) = 0;

  // Decrypts `in` = ciphertext || tag (in.size() >= kAeadTagSize) and checks the tag. Requires
  // out.size() == in.size() - kAeadTagSize; `out` may start at in.data(). Returns 0 when the tag
  // verifies, -EBADMSG when it does not (then `out` holds garbage the caller must not use), or
  // -errno on any other failure.
  virtual int open(Nonce nonce, std::span<const std::uint8_t> aad, std::span<const std::uint8_t> in,
                   std::span<std::uint8_t> out) = 0;

  // Optional zero-copy input, for backends that can take data straight from a pipe (AF_ALG:
  // splice the pipe into the operation socket). The stream code calls these only when
  // supports_spliced_input() is true, `pipe_fd` is a pipe, and at least `len` bytes are already
  // queued in it (FIONREAD), so the call never waits for data. They must consume exactly `len`
  // bytes from `pipe_fd`, then behave as seal()/open() on those bytes: seal_spliced writes
  // len + 16 bytes to `out`; open_spliced takes len >= 16 bytes (ciphertext || tag) and writes
  // len - 16 bytes. Return 0, -EBADMSG (open only) or -errno. The defaults say "not supported".
  virtual bool supports_spliced_input() const noexcept { return false; }

  // The most bytes one call may take: associated data + input (ciphertext || tag when opening),
  // spliced or not. The AF_ALG backend's limit is its operation socket's: a request is only
  // processed once all of it is queued, and sendmsg/splice wait for send-buffer room that only
  // reading the result frees, so a bigger request would wait forever (afalg.hpp). Calls beyond
  // it return -EMSGSIZE; the stream code refuses a chunk size beyond it before any work.
  virtual std::size_t max_request() const noexcept { return SIZE_MAX; }

  // Whether the input may be a mapping of a file (mapped_input.hpp): true when this process's
  // CPU reads it, so a page gone beyond a shrunk file's end raises SIGBUS here, which the SIGBUS
  // guard turns into zeros and a "cut" the stream code sees. The AF_ALG backend hands its input
  // to the kernel (sendmsg), which would fail with EFAULT instead: it is given read(2)'s copy.
  virtual bool reads_mapped_input() const noexcept { return true; }
  virtual int seal_spliced(Nonce, std::span<const std::uint8_t> /*aad*/, int /*pipe_fd*/,
                           std::size_t /*len*/, std::span<std::uint8_t> /*out*/) {
    return -EOPNOTSUPP;
  }
  virtual int open_spliced(Nonce, std::span<const std::uint8_t> /*aad*/, int /*pipe_fd*/,
                           std::size_t /*len*/, std::span<std::uint8_t> /*out*/) {
    return -EOPNOTSUPP;
  }
};

// A streaming CTR or CBC cipher for --raw, byte-compatible with `openssl enc -K KEY -iv IV`
// (and `-nopad`). One thread at a time.
class RawCipher {
 public:
  virtual ~RawCipher() = default;

  // Processes `in` and writes output to `out`, which must hold in.size() + kAesBlockSize bytes.
  // Returns the number of bytes written (CTR: in.size(); CBC: a multiple of 16 that may lag the
  // input by up to one block, because the last block is held back for padding) or -errno.
  virtual long update(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) = 0;

  // Ends the stream; `out` must hold kAesBlockSize bytes. Returns bytes written:
  //  CTR: 0.  CBC encrypt with padding: always one block (PKCS#7, 1..16 pad bytes).
  //  CBC decrypt with padding: the last block's plaintext without padding, or -EBADMSG when the
  //  padding is invalid or the input was not a whole number of blocks.
  //  CBC without padding (either way): 0, or -EINVAL when the input was not a whole number of blocks.
  virtual long final(std::span<std::uint8_t> out) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // "openssl" or "kernel": the --backend value.
  virtual std::string_view name() const noexcept = 0;

  // Whether this backend works on this machine. When not, the reason is one line without a
  // program prefix, e.g. "kernel crypto API (AF_ALG) is not available: Address family not
  // supported by protocol", and the error the probe's errno.
  virtual Status available() const = 0;

  // Whether it can serve `alg` here; when not, the reason says why, e.g. "the kernel has no
  // gcm(aes) (is the module loaded?)" (the error: the kernel's errno, or ENOTSUP).
  virtual Status supports(Algorithm alg) const = 0;

  // One line for --list-backends: which implementation would serve `alg`, e.g.
  // "OpenSSL 3.0.22, AES-NI" or "gcm-aes-aesni (priority 400; from /proc/crypto)".
  virtual std::string driver(Algorithm alg) const = 0;

  // Whether `--backend auto` should pick this backend for `alg` rather than OpenSSL. The kernel
  // backend answers true only where it is expected to be faster (a hardware offload driver);
  // OpenSSL answers true.
  virtual bool preferred_for_auto(Algorithm alg) const = 0;

  // An AES-256-GCM cipher keyed with `key` (kAeadKeySize bytes). `alg` is Algorithm::Aes256Gcm
  // (EINVAL otherwise).
  virtual Result<std::unique_ptr<AeadCipher>> make_aead(Algorithm alg, std::span<const std::uint8_t> key) const = 0;

  // A raw CTR/CBC cipher. key.size() == key_size(alg); iv.size() == 16 (CTR: the initial
  // 128-bit big-endian counter block, as openssl's -iv). `padding` only matters for CBC.
  virtual Result<std::unique_ptr<RawCipher>> make_raw(Algorithm alg, bool encrypt, bool padding,
                                                      std::span<const std::uint8_t> key,
                                                      std::span<const std::uint8_t> iv) const = 0;
};

// For backends: a new `Cipher` (an implementation of `Base`) after its init(args...), which
// returns 0 or -errno: the cipher, or init's error.
template <typename Base, typename Cipher, typename... Args>
Result<std::unique_ptr<Base>> initialized(Args&&... args) {
  auto cipher = std::make_unique<Cipher>();
  if (int rc = cipher->init(std::forward<Args>(args)...); rc < 0) return Status::failure(-rc);
  return std::unique_ptr<Base>(std::move(cipher));
}

// For backends whose ciphers are the classes `Aead` and `Raw` (each with an init() as above):
// make_aead and make_raw written once. A backend derives from BackendWith<Aead, Raw> and writes
// the rest of Backend.
template <typename Aead, typename Raw>
class BackendWith : public Backend {
 public:
  Result<std::unique_ptr<AeadCipher>> make_aead(Algorithm alg, std::span<const std::uint8_t> key) const final {
    return initialized<AeadCipher, Aead>(alg, key);  // init() refuses any other algorithm
  }
  Result<std::unique_ptr<RawCipher>> make_raw(Algorithm alg, bool encrypt, bool padding,
                                              std::span<const std::uint8_t> key,
                                              std::span<const std::uint8_t> iv) const final {
    return initialized<RawCipher, Raw>(alg, encrypt, padding, key, iv);
  }
};

// The two backends: make_kernel_backend() is the AF_ALG one (kernel_backend.cpp); where the
// kernel has no AF_ALG, its available() says so.
std::unique_ptr<Backend> make_openssl_backend();
std::unique_ptr<Backend> make_kernel_backend();

enum class BackendChoice : std::uint8_t { Auto, OpenSSL, Kernel };
std::optional<BackendChoice> parse_backend_choice(std::string_view text) noexcept;

// The backend for `alg` under `choice`. Auto: the kernel when it is available, supports `alg` and
// is preferred_for_auto(alg); otherwise OpenSSL. An explicit choice that is unavailable or lacks
// `alg` fails with the backend's own error and reason.
Result<std::unique_ptr<Backend>> select_backend(BackendChoice choice, Algorithm alg);

// The text `hw-encrypt --list-backends` prints: each backend, whether it is available (and why
// not), and per algorithm the driver that would serve it and which backend `auto` picks.
std::string list_backends_text();

}  // namespace conduit::crypto
