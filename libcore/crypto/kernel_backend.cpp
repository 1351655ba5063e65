// kernel_backend: the Backend on the kernel crypto API (AF_ALG): aead "gcm(aes)" for the stream
// format, skcipher "ctr(aes)"/"cbc(aes)" for --raw, same bytes as the OpenSSL backend.
//
// Each cipher object owns one keyed transform socket and one operation socket; a request is one
// chunk (AEAD) or at most half the socket send buffer (raw), so sendmsg never blocks forever.
// The raw ciphers keep the IV/counter in user space and send it with every request, so the
// kernel's own IV chaining never matters; CTR carries unused keystream bytes across calls and CBC
// does PKCS#7 itself, both to match `openssl enc` byte for byte.
//
// `--backend auto` picks this backend only where /proc/crypto says an offload engine (not the
// CPU) serves the algorithm: for CPU ciphers the kernel's documentation itself says AF_ALG is
// slower than optimized user space (docs/kernel-backend.md).
#include <poll.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <openssl/crypto.h>

#include "conduit/crypto/afalg.hpp"
#include "conduit/crypto/backend.hpp"
#include "conduit/crypto/raw.hpp"
#include "conduit/sys.hpp"

namespace conduit::crypto {

namespace {

using afalg::Op;
using afalg::OpSocket;
using afalg::Transform;

std::string_view socket_type(Algorithm alg) noexcept {
  return alg == Algorithm::Aes256Gcm ? "aead" : "skcipher";
}

// The module that provides the template, for the hint in "is the module ... loaded?".
std::string_view template_module(Algorithm alg) noexcept {
  switch (alg) {
    case Algorithm::Aes256Gcm: return "gcm";
    case Algorithm::Aes128Ctr:
    case Algorithm::Aes256Ctr: return "ctr";
    default: return "cbc";
  }
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Whether the algif_<type> module is present: loaded (/sys/module), or built in (modules.builtin).
bool socket_type_present(std::string_view type) {
  std::string module = "algif_" + std::string(type);
  if (path_exists("/sys/module/" + module)) return true;
  utsname u{};
  if (::uname(&u) != 0) return false;
  std::ifstream builtin(std::string("/lib/modules/") + u.release + "/modules.builtin");
  std::string line;
  while (std::getline(builtin, line))
    if (line.ends_with("/" + module + ".ko")) return true;
  return false;
}

std::string bind_failure(Algorithm alg, int rc) {
  std::string kname(kernel_algorithm_name(alg));
  std::string type(socket_type(alg));
  if (rc == -ENOENT) {
    if (!socket_type_present(type))
      return "the kernel offers no AF_ALG \"" + type + "\" sockets (is the module algif_" + type +
             " loaded?)";
    return "the kernel has no " + kname + " (is the module " + std::string(template_module(alg)) +
           " loaded?)";
  }
  return "cannot use the kernel's " + kname + ": " + std::strerror(-rc);
}

void add_be128(std::uint8_t* counter, std::uint64_t n) noexcept {
  for (int i = 15; i >= 0 && n != 0; --i) {
    std::uint64_t sum = counter[i] + (n & 0xff);
    counter[i] = static_cast<std::uint8_t>(sum);
    n = (n >> 8) + (sum >> 8);
  }
}

iovec iov(const std::uint8_t* p, std::size_t n) noexcept {
  return iovec{const_cast<std::uint8_t*>(p), n};
}

// A failed request may leave data queued on the operation socket: the next one starts on a fresh
// socket (same key) so one bad chunk or block cannot poison the ones after it. Returns `rc`.
template <class Rc>
Rc renew_after_failure(const Transform& tfm, OpSocket& op, Rc rc) {
  OpSocket fresh;
  if (fresh.open(tfm) == 0) op = std::move(fresh);
  return rc;
}

class KernelAead final : public AeadCipher {
 public:
  int init(Algorithm alg, std::span<const std::uint8_t> key) {
    if (alg != Algorithm::Aes256Gcm || key.size() != kAeadKeySize) return -EINVAL;
    if (int rc = tfm_.open("aead", "gcm(aes)"); rc < 0) return rc;
    if (int rc = tfm_.set_key(key); rc < 0) return rc;
    if (int rc = tfm_.set_aead_authsize(kAeadTagSize); rc < 0) return rc;
    return op_.open(tfm_);
  }

  int seal(Nonce nonce, std::span<const std::uint8_t> aad, std::span<const std::uint8_t> plaintext,
           std::span<std::uint8_t> out) override {
    if (out.size() != plaintext.size() + kAeadTagSize) return -EINVAL;
    if (aad.size() + out.size() > op_.max_request()) return -EMSGSIZE;
    iovec in[] = {iov(aad.data(), aad.size()), iov(plaintext.data(), plaintext.size())};
    long n = op_.send(true, Op::Encrypt, nonce, aad.size(), in, false);
    if (n < 0) return fail(static_cast<int>(n));
    return finish(aad.size(), out);
  }

  int open(Nonce nonce, std::span<const std::uint8_t> aad, std::span<const std::uint8_t> in,
           std::span<std::uint8_t> out) override {
    if (in.size() < kAeadTagSize || out.size() != in.size() - kAeadTagSize) return -EINVAL;
    if (aad.size() + in.size() > op_.max_request()) return -EMSGSIZE;
    if (aad.empty() && out.empty()) return open_tag_only(nonce, in);
    iovec data[] = {iov(aad.data(), aad.size()), iov(in.data(), in.size())};
    long n = op_.send(true, Op::Decrypt, nonce, aad.size(), data, false);
    if (n < 0) return fail(static_cast<int>(n));
    return finish(aad.size(), out);
  }

  bool supports_spliced_input() const noexcept override { return true; }
  std::size_t max_request() const noexcept override { return op_.max_request(); }
  bool reads_mapped_input() const noexcept override { return false; }

  // The "two splices" path: the input pipe's pages go into the operation socket by splice(2),
  // never through a user-space buffer; only the result is read back.
  int seal_spliced(Nonce nonce, std::span<const std::uint8_t> aad, int pipe_fd, std::size_t len,
                   std::span<std::uint8_t> out) override {
    if (out.size() != len + kAeadTagSize) return -EINVAL;
    return spliced(Op::Encrypt, nonce, aad, pipe_fd, len, out);
  }

  int open_spliced(Nonce nonce, std::span<const std::uint8_t> aad, int pipe_fd, std::size_t len,
                   std::span<std::uint8_t> out) override {
    if (len < kAeadTagSize || out.size() != len - kAeadTagSize) return -EINVAL;
    if (aad.empty() && out.empty()) {
      std::array<std::uint8_t, kAeadTagSize> tag{};
      ssize_t n = sys::read_full(pipe_fd, std::as_writable_bytes(std::span(tag)));
      if (n < 0) return static_cast<int>(n);
      if (static_cast<std::size_t>(n) < tag.size()) return -EPIPE;  // the pipe did not hold it
      return open_tag_only(nonce, tag);
    }
    return spliced(Op::Decrypt, nonce, aad, pipe_fd, len, out);
  }

 private:
  int spliced(Op op, Nonce nonce, std::span<const std::uint8_t> aad, int pipe_fd, std::size_t len,
              std::span<std::uint8_t> out) {
    if (aad.size() + std::max(len, out.size()) > op_.max_request()) return -EMSGSIZE;
    iovec head[] = {iov(aad.data(), aad.size())};
    long n = op_.send(true, op, nonce, aad.size(), head, true);
    if (n < 0) return fail(static_cast<int>(n));
    if (int rc = op_.splice_from(pipe_fd, len); rc < 0) return fail(rc);
    n = op_.send(false, op, {}, 0, {}, false);  // ends the request
    if (n < 0) return fail(static_cast<int>(n));
    return finish(aad.size(), out);
  }

  // Nothing to decrypt and no associated data: the kernel's recvmsg would return 0 at once
  // without running the request (no output buffer to fill), so the tag would go unchecked and the
  // request stay queued. GCM's check for an empty message is "the tag equals the tag of the empty
  // message": compute that by sealing nothing and compare in constant time.
  int open_tag_only(Nonce nonce, std::span<const std::uint8_t> tag) {
    std::array<std::uint8_t, kAeadTagSize> expect{};
    if (int rc = seal(nonce, {}, {}, expect); rc < 0) return rc;
    return CRYPTO_memcmp(expect.data(), tag.data(), kAeadTagSize) == 0 ? 0 : -EBADMSG;
  }

  // Reads associated data (echoed by the kernel, discarded) || result.
  int finish(std::size_t aad_len, std::span<std::uint8_t> out) {
    if (scratch_.size() < aad_len) scratch_.resize(aad_len);
    iovec res[] = {iovec{scratch_.data(), aad_len}, iovec{out.data(), out.size()}};
    long n = op_.receive(res);
    if (n < 0) return fail(static_cast<int>(n));
    if (static_cast<std::size_t>(n) != aad_len + out.size()) return fail(-EIO);
    return 0;
  }

  int fail(int rc) { return renew_after_failure(tfm_, op_, rc); }

  Transform tfm_;
  OpSocket op_;
  std::vector<std::uint8_t> scratch_;
};

class KernelRaw final : public RawCipher {
 public:
  ~KernelRaw() override {
    OPENSSL_cleanse(iv_.data(), iv_.size());
    OPENSSL_cleanse(ks_.data(), ks_.size());
    OPENSSL_cleanse(pending_.data(), pending_.size());
    if (!scratch_.empty()) OPENSSL_cleanse(scratch_.data(), scratch_.size());
  }

  int init(Algorithm alg, bool encrypt, bool padding, std::span<const std::uint8_t> key,
           std::span<const std::uint8_t> iv) {
    if (alg == Algorithm::Aes256Gcm || key.size() != key_size(alg) || iv.size() != kAesBlockSize)
      return -EINVAL;
    cbc_ = is_cbc(alg);
    encrypt_ = encrypt;
    padding_ = padding && cbc_;
    std::copy(iv.begin(), iv.end(), iv_.begin());
    if (int rc = tfm_.open("skcipher", kernel_algorithm_name(alg)); rc < 0) return rc;
    if (int rc = tfm_.set_key(key); rc < 0) return rc;
    if (int rc = op_.open(tfm_); rc < 0) return rc;
    // Whole blocks per request, well below the send buffer.
    max_req_ = std::max<std::size_t>(kAesBlockSize, op_.max_request() & ~(kAesBlockSize - 1));
    return 0;
  }

  long update(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) override {
    if (out.size() < in.size() + kAesBlockSize) return -EINVAL;
    return cbc_ ? update_cbc(in, out) : update_ctr(in, out);
  }

  long final(std::span<std::uint8_t> out) override {
    if (out.size() < kAesBlockSize) return -EINVAL;
    if (!cbc_) return 0;
    if (!padding_) return pending_len_ == 0 ? 0 : -EINVAL;
    std::array<std::uint8_t, kAesBlockSize> block{};
    if (encrypt_) {
      auto pad = static_cast<std::uint8_t>(kAesBlockSize - pending_len_);
      std::copy_n(pending_.begin(), pending_len_, block.begin());
      std::fill(block.begin() + static_cast<long>(pending_len_), block.end(), pad);
      long rc = run(block.data(), out.data(), kAesBlockSize);
      OPENSSL_cleanse(block.data(), block.size());
      return rc < 0 ? rc : static_cast<long>(kAesBlockSize);
    }
    if (pending_len_ != kAesBlockSize) return -EBADMSG;
    if (long rc = run(pending_.data(), block.data(), kAesBlockSize); rc < 0) return rc;
    // Constant time (raw.hpp): no padding oracle in how long the check takes.
    unsigned pad = pkcs7_padding_length(block);
    if (pad == 0) {
      OPENSSL_cleanse(block.data(), block.size());
      return -EBADMSG;
    }
    std::copy_n(block.begin(), kAesBlockSize - pad, out.begin());
    OPENSSL_cleanse(block.data(), block.size());
    return static_cast<long>(kAesBlockSize - pad);
  }

 private:
  long update_ctr(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) {
    std::size_t i = 0;
    for (; ks_left_ > 0 && i < in.size(); ++i, --ks_left_)
      out[i] = in[i] ^ ks_[kAesBlockSize - ks_left_];
    std::size_t whole = (in.size() - i) & ~(kAesBlockSize - 1);
    if (whole > 0) {
      if (long rc = run(in.data() + i, out.data() + i, whole); rc < 0) return rc;
      i += whole;
    }
    if (std::size_t tail = in.size() - i; tail > 0) {
      // Encrypt tail || zeros: past the tail the output is bare keystream, kept for next time.
      std::array<std::uint8_t, kAesBlockSize> block{};
      std::copy_n(in.begin() + static_cast<long>(i), tail, block.begin());
      if (long rc = run(block.data(), ks_.data(), kAesBlockSize); rc < 0) return rc;
      std::copy_n(ks_.begin(), tail, out.begin() + static_cast<long>(i));
      ks_left_ = kAesBlockSize - tail;
      OPENSSL_cleanse(block.data(), block.size());
    }
    return static_cast<long>(in.size());
  }

  long update_cbc(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) {
    std::size_t total = pending_len_ + in.size();
    if (scratch_.size() < total) scratch_.resize(total);
    std::copy_n(pending_.begin(), pending_len_, scratch_.begin());
    std::copy(in.begin(), in.end(), scratch_.begin() + static_cast<long>(pending_len_));
    std::size_t now = total & ~(kAesBlockSize - 1);
    // Decrypting with padding: the last whole block waits for final(), which strips the padding.
    if (!encrypt_ && padding_ && now == total && now > 0) now -= kAesBlockSize;
    if (now > 0)
      if (long rc = run(scratch_.data(), out.data(), now); rc < 0) return rc;
    pending_len_ = total - now;
    std::copy_n(scratch_.begin() + static_cast<long>(now), pending_len_, pending_.begin());
    return static_cast<long>(now);
  }

  // Runs `len` bytes (whole blocks, or exactly one block for the CTR tail) through the kernel in
  // requests of at most max_req_, carrying the IV/counter in user space.
  long run(const std::uint8_t* in, std::uint8_t* out, std::size_t len) {
    Op op = (encrypt_ || !cbc_) ? Op::Encrypt : Op::Decrypt;
    for (std::size_t off = 0; off < len;) {
      std::size_t n = std::min(max_req_, len - off);
      std::array<std::uint8_t, kAesBlockSize> next_iv{};
      if (cbc_ && !encrypt_) std::copy_n(in + off + n - kAesBlockSize, kAesBlockSize, next_iv.begin());
      iovec data[] = {iov(in + off, n)};
      long sent = op_.send(true, op, iv_, 0, data, false);
      if (sent < 0) return fail(sent);
      iovec res[] = {iovec{out + off, n}};
      long got = op_.receive(res);
      if (got < 0) return fail(got);
      if (static_cast<std::size_t>(got) != n) return fail(-EIO);
      if (!cbc_)
        add_be128(iv_.data(), n / kAesBlockSize);
      else if (encrypt_)
        std::copy_n(out + off + n - kAesBlockSize, kAesBlockSize, iv_.begin());
      else
        iv_ = next_iv;
      off += n;
    }
    return static_cast<long>(len);
  }

  long fail(long rc) { return renew_after_failure(tfm_, op_, rc); }

  Transform tfm_;
  OpSocket op_;
  std::size_t max_req_ = kAesBlockSize;
  bool cbc_ = false;
  bool encrypt_ = true;
  bool padding_ = false;
  std::array<std::uint8_t, kAesBlockSize> iv_{};
  std::array<std::uint8_t, kAesBlockSize> ks_{};  // CTR: keystream of the last partial block
  std::size_t ks_left_ = 0;                        // its unused bytes, at the end of ks_
  std::array<std::uint8_t, kAesBlockSize> pending_{};  // CBC: bytes not yet a whole block
  std::size_t pending_len_ = 0;
  std::vector<std::uint8_t> scratch_;
};

std::string describe(const afalg::Driver& d) {
  return d.driver + " (module " + d.module + ", priority " + std::to_string(d.priority) +
         (d.selftest ? "" : ", selftest not passed") + ")";
}

class KernelBackend final : public BackendWith<KernelAead, KernelRaw> {
 public:
  std::string_view name() const noexcept override { return "kernel"; }

  Status available() const override {
    int rc = afalg::probe();
    if (rc == 0) return {};
    std::string reason = "kernel crypto API (AF_ALG) is not available: ";
    reason += std::strerror(-rc);
    if (rc == -EAFNOSUPPORT) reason += " (this kernel has no AF_ALG, or the module af_alg is not loaded)";
    return Status::failure(-rc, std::move(reason));
  }

  Status supports(Algorithm alg) const override {
    if (Status here = available(); !here.ok()) return here;
    Transform tfm;
    int rc = tfm.open(socket_type(alg), kernel_algorithm_name(alg));
    if (rc == 0) return {};
    return Status::failure(-rc, bind_failure(alg, rc));
  }

  std::string driver(Algorithm alg) const override {
    // Binding instantiates the algorithm, so /proc/crypto lists it afterwards.
    Transform tfm;
    if (int rc = tfm.open(socket_type(alg), kernel_algorithm_name(alg)); rc < 0)
      return "none: " + bind_failure(alg, rc);
    auto drivers = afalg::drivers_for(kernel_algorithm_name(alg));
    if (drivers.empty()) return std::string(kernel_algorithm_name(alg)) + " (driver not listed in /proc/crypto)";
    std::string text = describe(drivers.front());
    for (std::size_t i = 1; i < drivers.size(); ++i) text += (i == 1 ? "; also " : ", ") + describe(drivers[i]);
    return text;
  }

  bool preferred_for_auto(Algorithm alg) const override {
    Transform tfm;
    if (tfm.open(socket_type(alg), kernel_algorithm_name(alg)) < 0) return false;
    auto drivers = afalg::drivers_for(kernel_algorithm_name(alg));
    return !drivers.empty() && afalg::is_offload_module(drivers.front().module);
  }
};

}  // namespace

std::unique_ptr<Backend> make_kernel_backend() { return std::make_unique<KernelBackend>(); }

}  // namespace conduit::crypto
