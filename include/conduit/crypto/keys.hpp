// keys: loading keys and passphrases without ever taking them as option values, and wiping them.
//
// Keys come from a file or an inherited descriptor (32 raw bytes or 64 hex digits); passphrases
// from a file, a descriptor, or a prompt on /dev/tty with echo off. Everything secret lives in a
// Secret, a fixed buffer that never reallocates (no stray copies) and is wiped with
// OPENSSL_cleanse when it dies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "conduit/result.hpp"

namespace conduit::crypto {

// Wipes, unlocks and unmaps a Secret's mapping of `length` bytes.
struct SecretUnmap {
  std::size_t length = 0;
  void operator()(std::uint8_t* p) const noexcept;
};

// The buffer lives in its own anonymous mapping, locked in memory where permitted (mlock: never
// written to swap) and left out of core dumps (MADV_DONTDUMP); both are best effort, since an
// unprivileged process may lock only RLIMIT_MEMLOCK bytes.
class Secret {
 public:
  Secret() = default;
  // An empty secret that can hold up to `capacity` bytes without reallocating.
  explicit Secret(std::size_t capacity);
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  ~Secret();

  std::uint8_t* data() noexcept { return buf_.get(); }
  const std::uint8_t* data() const noexcept { return buf_.get(); }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  bool empty() const noexcept { return size_ == 0; }
  // Sets the size (<= capacity); bytes beyond it are wiped.
  void resize(std::size_t n) noexcept;
  std::span<std::uint8_t> span() noexcept { return {buf_.get(), size_}; }
  std::span<const std::uint8_t> span() const noexcept { return {buf_.get(), size_}; }
  // Wipes the contents and sets the size to 0; the capacity stays.
  void wipe() noexcept;

 private:
  std::unique_ptr<std::uint8_t[], SecretUnmap> buf_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// Wipes a buffer of plaintext when it goes out of scope, on every exit path.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::vector<std::uint8_t>& bytes) noexcept : bytes_(bytes) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit();

 private:
  std::vector<std::uint8_t>& bytes_;
};

// For the whole run of a command that holds keys: no core dumps, and no ptrace or
// /proc/PID/mem access by other processes of the same user (prctl PR_SET_DUMPABLE 0).
// Returns 0 or -errno.
int protect_process_secrets() noexcept;

// Loaders refuse a 32-byte key file whose bytes are all printable: that is a passphrase or
// text typed by hand (a random key is all printable once in 10^14), not a key.
//
// Turns the contents of a key file into a key of `want` bytes: exactly `want` raw bytes, or
// 2*want hex digits (upper or lower case) with optional surrounding white space. With
// `hex_only`, raw bytes are refused (--key-hex-file). Returns false when it is neither.
bool parse_key(std::span<const std::uint8_t> content, std::size_t want, bool hex_only, Secret& key);

// Decodes the 2*out.size() hex digits of key material in `hex` into `out` without a branch or
// table index that depends on a digit (constant time; checked under valgrind by ctest
// crypto.hex_key_constant_time). False when one is not a hex digit (`out` then holds garbage:
// wipe it) or the sizes differ; only that outcome depends on the digits.
bool decode_hex_secret(std::span<const std::uint8_t> hex, std::span<std::uint8_t> out) noexcept;

// Decodes hex digits (an even number, nothing else) into `out`; false on bad input. For text
// that is not secret (an IV): it stops at the first bad digit.
bool parse_hex(std::string_view text, std::vector<std::uint8_t>& out);

// Loaders. A failure's reason follows the program name, e.g. "key: No such file or directory"
// or "key file 'k' must hold 32 bytes or 64 hex digits"; its error is the errno of a failed
// open or read, EINVAL for content that is not a key, and EKEYREJECTED for a 32-byte key that
// is all printable (a program may add how to make a real key).
Status load_key_file(const std::string& path, Secret& key);
Status load_key_fd(int fd, Secret& key);
Status load_hex_key_file(const std::string& path, std::size_t bytes, Secret& key);

// A warning when the secret file at `path` (a key or passphrase file) can be read or written by
// its group or others, as ssh checks its keys: "key file 'k' can be read by others (mode 0644):
// make it private with chmod 600". "" when it is private, or not a regular file.
std::string secret_file_warning(const std::string& path, std::string_view what);

// A passphrase is the first line of the file or descriptor (without its newline), at most 1024
// bytes, and not empty.
// A failure's error: the errno of a failed open or read, EINVAL for an empty or too long one.
Status load_passphrase_file(const std::string& path, Secret& pass);
Status load_passphrase_fd(int fd, Secret& pass);
// Asks on /dev/tty with echo off; with `confirm`, asks twice and compares (EINVAL when the two
// differ).
Status prompt_passphrase(bool confirm, Secret& pass);

// Fills `key` with `bytes` random bytes from RAND_bytes. Returns false when OpenSSL's random
// generator fails.
bool generate_key(std::size_t bytes, Secret& key);

inline constexpr std::size_t kMaxPassphrase = 1024;

}  // namespace conduit::crypto
