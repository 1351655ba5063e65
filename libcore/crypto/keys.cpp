// keys: key files, key descriptors, passphrases (file, descriptor, tty prompt) and wiping.
#include "conduit/crypto/keys.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <utility>

#include "conduit/diag.hpp"
#include "conduit/fd.hpp"
#include "conduit/hex.hpp"
#include "conduit/sys.hpp"

namespace conduit::crypto {

void SecretUnmap::operator()(std::uint8_t* p) const noexcept {
  if (p == nullptr) return;
  OPENSSL_cleanse(p, length);
  ::munlock(p, length);
  ::munmap(p, length);
}

Secret::Secret(std::size_t capacity) : capacity_(capacity) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t length = std::max<std::size_t>(page, (capacity + page - 1) / page * page);
  void* p = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  ::madvise(p, length, MADV_DONTDUMP);
  ::mlock(p, length);  // EPERM/ENOMEM past RLIMIT_MEMLOCK: still wiped, just swappable
  buf_ = std::unique_ptr<std::uint8_t[], SecretUnmap>(static_cast<std::uint8_t*>(p), SecretUnmap{length});
}

Secret::~Secret() { wipe(); }

WipeOnExit::~WipeOnExit() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

int protect_process_secrets() noexcept {
  return ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -errno;
}

Secret::Secret(Secret&& other) noexcept
    : buf_(std::move(other.buf_)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    buf_ = std::move(other.buf_);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

void Secret::resize(std::size_t n) noexcept {
  if (n > capacity_) n = capacity_;
  if (n < size_) OPENSSL_cleanse(buf_.get() + n, size_ - n);
  size_ = n;
}

void Secret::wipe() noexcept {
  if (buf_) OPENSSL_cleanse(buf_.get(), capacity_);
  size_ = 0;
}

namespace {

// One digit of key material: its value (0-15), and `valid` ANDed with 0xFF when it is a hex
// digit, with 0 when not. Arithmetic only, no branch or table index on `c` (libsodium's
// sodium_hex2bin method): conduit::hex_value's comparisons would let the time taken, and the
// branch predictor, tell which class each digit of the key is in (digit or letter).
unsigned secret_hex_digit(std::uint8_t c, unsigned& valid) noexcept {
  unsigned num = c ^ 0x30u;                                        // '0'-'9' -> 0-9
  unsigned num_ok = ((num - 10u) >> 8) & 0xFFu;                    // 0xFF when num < 10
  unsigned alpha = (c & ~0x20u) - 55u;                             // 'A'-'F', 'a'-'f' -> 10-15
  unsigned alpha_ok = (((alpha - 10u) ^ (alpha - 16u)) >> 8) & 0xFFu;  // 0xFF when 10 <= alpha < 16
  valid &= num_ok | alpha_ok;
  return ((num_ok & num) | (alpha_ok & alpha)) & 0x0Fu;
}

bool is_space(std::uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Reads `fd` to EOF into `out` (capacity `max` + 1 so "too long" is visible). Returns 0 or -errno.
int read_all(int fd, std::size_t max, Secret& out) {
  out = Secret(max + 1);
  ssize_t n = sys::read_full(fd, std::as_writable_bytes(std::span(out.data(), out.capacity())));
  if (n < 0) return static_cast<int>(n);
  out.resize(static_cast<std::size_t>(n));
  return 0;
}

int open_read(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  return fd < 0 ? -errno : fd;
}

// Keeps the first line of `s` (without "\n" or "\r\n").
void first_line(Secret& s) {
  std::size_t n = 0;
  while (n < s.size() && s.data()[n] != '\n') ++n;
  bool had_newline = n < s.size();
  if (had_newline && n > 0 && s.data()[n - 1] == '\r') --n;
  s.resize(n);
}

Status key_from_fd(int fd, const std::string& what, std::size_t want, bool hex_only, Secret& key) {
  Secret content;
  if (int rc = read_all(fd, 4 * want + 64, content); rc < 0) {
    return Status::failure(-rc, what + ": " + errno_text(-rc));
  }
  if (!hex_only && content.size() == want &&
      std::all_of(content.span().begin(), content.span().end(),
                  [](std::uint8_t c) { return c >= 0x20 && c < 0x7f; })) {
    return Status::failure(EKEYREJECTED, what + " holds " + std::to_string(want) +
                                             " printable characters: that is a passphrase or typed text, not a key");
  }
  if (!parse_key(content.span(), want, hex_only, key)) {
    return Status::failure(EINVAL, what + " must hold " +
             (hex_only ? std::string() : std::to_string(want) + " bytes or ") +
             std::to_string(2 * want) + " hex digits");
  }
  return {};
}

Status pass_from_fd(int fd, const std::string& what, Secret& pass) {
  if (int rc = read_all(fd, kMaxPassphrase + 2, pass); rc < 0) {
    return Status::failure(-rc, what + ": " + errno_text(-rc));
  }
  first_line(pass);
  if (pass.empty()) {
    return Status::failure(EINVAL, what + ": empty passphrase");
  }
  if (pass.size() > kMaxPassphrase) {
    pass.wipe();
    return Status::failure(EINVAL, what + ": passphrase longer than " + std::to_string(kMaxPassphrase) + " bytes");
  }
  return {};
}

// Reads one line from the terminal with echo off.
int read_tty_line(int tty, std::string_view prompt, Secret& line) {
  if (ssize_t n = sys::write_all(tty, std::as_bytes(std::span(prompt.data(), prompt.size()))); n < 0)
    return static_cast<int>(n);
  termios old{};
  bool restore = ::tcgetattr(tty, &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    // Not TCSAFLUSH: keep typed-ahead input. Echo that cannot be turned off would show the
    // passphrase: refuse rather than read it.
    if (::tcsetattr(tty, TCSANOW, &quiet) != 0) return -errno;
  }
  line = Secret(kMaxPassphrase + 2);
  int rc = 0;
  std::size_t got = 0;
  for (;;) {
    std::uint8_t c = 0;
    ssize_t n = sys::read(tty, std::as_writable_bytes(std::span(&c, 1)));
    if (n < 0) {
      rc = static_cast<int>(n);
      break;
    }
    if (n == 0 || c == '\n') break;
    if (got < line.capacity()) {
      line.resize(got + 1);
      line.data()[got++] = c;
    }
    OPENSSL_cleanse(&c, 1);  // a plain `c = 0` is a dead store the compiler may drop
  }
  if (restore) ::tcsetattr(tty, TCSANOW, &old);
  if (got > 0 && line.data()[got - 1] == '\r') line.resize(got - 1);
  return rc;
}

}  // namespace

std::string secret_file_warning(const std::string& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) == 0) return "";
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  std::string who = (st.st_mode & 070) != 0 && (st.st_mode & 07) != 0 ? "its group and others"
                    : (st.st_mode & 070) != 0                         ? "its group"
                                                                      : "others";
  return std::string(what) + " " + quote_name(path) + " can be read or written by " + who +
         " (mode " + mode + "): make it private with chmod 600";
}

bool parse_hex(std::string_view text, std::vector<std::uint8_t>& out) {
  if (text.size() % 2 != 0) return false;
  out.clear();
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = hex_value(text[i]);
    int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return true;
}

bool parse_key(std::span<const std::uint8_t> content, std::size_t want, bool hex_only,
               Secret& key) {
  key = Secret(want);
  if (!hex_only && content.size() == want) {
    std::memcpy(key.data(), content.data(), want);
    key.resize(want);
    return true;
  }
  std::size_t b = 0;
  std::size_t e = content.size();
  while (b < e && is_space(content[b])) ++b;
  while (e > b && is_space(content[e - 1])) --e;
  if (e - b != 2 * want) return false;
  key.resize(want);
  if (!decode_hex_secret(content.subspan(b, 2 * want), std::span(key.data(), want))) {
    key.wipe();
    return false;
  }
  return true;
}

bool decode_hex_secret(std::span<const std::uint8_t> hex, std::span<std::uint8_t> out) noexcept {
  if (hex.size() != 2 * out.size()) return false;
  unsigned valid = 0xFFu;
  for (std::size_t i = 0; i < out.size(); ++i) {
    unsigned hi = secret_hex_digit(hex[2 * i], valid);
    unsigned lo = secret_hex_digit(hex[2 * i + 1], valid);
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return valid == 0xFFu;  // the one decision, on all digits at once: a key or not
}

Status load_key_file(const std::string& path, Secret& key) {
  int fd = open_read(path);
  if (fd < 0) {
    return Status::failure(-fd, quote_name(path) + ": " + errno_text(-fd));
  }
  Fd owner(fd);
  return key_from_fd(fd, "key file " + quote_name(path), 32, false, key);
}

Status load_key_fd(int fd, Secret& key) {
  return key_from_fd(fd, "key descriptor " + std::to_string(fd), 32, false, key);
}

Status load_hex_key_file(const std::string& path, std::size_t bytes, Secret& key) {
  int fd = open_read(path);
  if (fd < 0) {
    return Status::failure(-fd, quote_name(path) + ": " + errno_text(-fd));
  }
  Fd owner(fd);
  return key_from_fd(fd, "key file " + quote_name(path), bytes, true, key);
}

Status load_passphrase_file(const std::string& path, Secret& pass) {
  int fd = open_read(path);
  if (fd < 0) {
    return Status::failure(-fd, quote_name(path) + ": " + errno_text(-fd));
  }
  Fd owner(fd);
  return pass_from_fd(fd, "passphrase file " + quote_name(path), pass);
}

Status load_passphrase_fd(int fd, Secret& pass) {
  return pass_from_fd(fd, "passphrase descriptor " + std::to_string(fd), pass);
}

Status prompt_passphrase(bool confirm, Secret& pass) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    return Status::failure(err, "no key given and no terminal to ask for a passphrase (/dev/tty: " +
                                    errno_text(err) + ")");
  }
  Fd tty(fd);
  if (int rc = read_tty_line(fd, "Passphrase: ", pass); rc < 0) {
    return Status::failure(-rc, "/dev/tty: " + errno_text(-rc));
  }
  if (pass.empty()) {
    return Status::failure(EINVAL, "empty passphrase");
  }
  if (pass.size() > kMaxPassphrase) {
    pass.wipe();
    return Status::failure(EINVAL, "passphrase longer than " + std::to_string(kMaxPassphrase) + " bytes");
  }
  if (confirm) {
    Secret again;
    if (int rc = read_tty_line(fd, "Passphrase (again): ", again); rc < 0) {
      pass.wipe();
      return Status::failure(-rc, "/dev/tty: " + errno_text(-rc));
    }
    if (again.size() != pass.size() ||
        CRYPTO_memcmp(again.data(), pass.data(), pass.size()) != 0) {
      pass.wipe();
      return Status::failure(EINVAL, "passphrases do not match");
    }
  }
  return {};
}

bool generate_key(std::size_t bytes, Secret& key) {
  key = Secret(bytes);
  key.resize(bytes);
  if (RAND_bytes(key.data(), static_cast<int>(bytes)) != 1) {
    key.wipe();
    return false;
  }
  return true;
}

}  // namespace conduit::crypto
