// afalg: AF_ALG sockets (bind, key, accept, sendmsg with control messages, splice, read) and the
// /proc/crypto reader. See afalg.hpp for the protocol and why requests stay small.
#include "conduit/crypto/afalg.hpp"

#include <fcntl.h>
#include <linux/if_alg.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "conduit/sys.hpp"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

namespace conduit::crypto::afalg {

namespace {

// Asked for; the kernel caps it at 2 * net.core.wmem_max (about 416 KiB by default).
constexpr int kWantSndbuf = 1 << 20;

int neg_errno() noexcept { return errno != 0 ? -errno : -EIO; }

}  // namespace

int probe() noexcept {
  int fd = ::socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return neg_errno();
  ::close(fd);
  return 0;
}

int Transform::open(std::string_view type, std::string_view name) noexcept {
  sockaddr_alg sa{};
  if (type.size() >= sizeof sa.salg_type || name.size() >= sizeof sa.salg_name) return -ENAMETOOLONG;
  sa.salg_family = AF_ALG;
  std::memcpy(sa.salg_type, type.data(), type.size());
  std::memcpy(sa.salg_name, name.data(), name.size());
  Fd fd(::socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) return neg_errno();
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) return neg_errno();
  fd_ = std::move(fd);
  return 0;
}

int Transform::set_key(std::span<const std::uint8_t> key) noexcept {
  if (::setsockopt(fd_.get(), SOL_ALG, ALG_SET_KEY, key.data(), static_cast<socklen_t>(key.size())) != 0)
    return neg_errno();
  return 0;
}

int Transform::set_aead_authsize(unsigned size) noexcept {
  // The size travels in optlen; optval is unused.
  if (::setsockopt(fd_.get(), SOL_ALG, ALG_SET_AEAD_AUTHSIZE, nullptr, size) != 0) return neg_errno();
  return 0;
}

int OpSocket::open(const Transform& tfm) noexcept {
  Fd fd(::accept4(tfm.fd(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!fd) return neg_errno();
  int want = kWantSndbuf;
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &want, sizeof want);  // best effort
  int have = 0;
  socklen_t len = sizeof have;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &have, &len) != 0 || have <= 0) have = 212992;
  max_request_ = static_cast<std::size_t>(have) / 2;
  fd_ = std::move(fd);
  return 0;
}

long OpSocket::send(bool with_header, Op op, std::span<const std::uint8_t> iv, std::size_t assoclen,
                    std::span<const iovec> data, bool more) noexcept {
  // Room for ALG_SET_OP, ALG_SET_IV (up to a 16-byte IV) and ALG_SET_AEAD_ASSOCLEN.
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(std::uint32_t)) * 2 +
                                        CMSG_SPACE(sizeof(af_alg_iv) + 32)> control{};
  if (iv.size() > 32) return -EINVAL;
  std::array<iovec, 8> vec{};
  if (data.size() > vec.size()) return -EINVAL;
  std::size_t total = 0;
  std::size_t count = data.size();
  for (std::size_t i = 0; i < count; ++i) {
    vec[i] = data[i];
    total += data[i].iov_len;
  }
  msghdr msg{};
  if (with_header) {
    msg.msg_control = control.data();
    msg.msg_controllen = CMSG_SPACE(sizeof(std::uint32_t)) * 2 + CMSG_SPACE(sizeof(af_alg_iv) + iv.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_OP;
    c->cmsg_len = CMSG_LEN(sizeof(std::uint32_t));
    std::uint32_t opv = op == Op::Encrypt ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
    std::memcpy(CMSG_DATA(c), &opv, sizeof opv);

    c = CMSG_NXTHDR(&msg, c);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_IV;
    c->cmsg_len = CMSG_LEN(sizeof(af_alg_iv) + iv.size());
    std::uint32_t ivlen = static_cast<std::uint32_t>(iv.size());
    // struct af_alg_iv { __u32 ivlen; __u8 iv[]; }, written bytewise (CMSG_DATA is unaligned).
    std::memcpy(CMSG_DATA(c), &ivlen, sizeof ivlen);
    if (!iv.empty()) std::memcpy(CMSG_DATA(c) + sizeof ivlen, iv.data(), iv.size());

    c = CMSG_NXTHDR(&msg, c);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_AEAD_ASSOCLEN;
    c->cmsg_len = CMSG_LEN(sizeof(std::uint32_t));
    std::uint32_t alen = static_cast<std::uint32_t>(assoclen);
    std::memcpy(CMSG_DATA(c), &alen, sizeof alen);
  }
  std::size_t sent = 0;
  std::size_t first = 0;  // first iovec not yet fully sent
  for (;;) {
    msg.msg_iov = vec.data() + first;
    msg.msg_iovlen = count - first;
    ssize_t n = ::sendmsg(fd_.get(), &msg, more ? MSG_MORE : 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return neg_errno();
    }
    sent += static_cast<std::size_t>(n);
    if (sent >= total) return static_cast<long>(sent);
    // A partial send (a signal): the rest goes without the control messages.
    msg.msg_control = nullptr;
    msg.msg_controllen = 0;
    auto left = static_cast<std::size_t>(n);
    while (first < count && left >= vec[first].iov_len) left -= vec[first++].iov_len;
    if (first < count) {
      vec[first].iov_base = static_cast<char*>(vec[first].iov_base) + left;
      vec[first].iov_len -= left;
    }
  }
}

int OpSocket::splice_from(int pipe_fd, std::size_t len) noexcept {
  while (len > 0) {
    ssize_t n = sys::splice(pipe_fd, nullptr, fd_.get(), nullptr, len, SPLICE_F_MORE);
    if (n == -EAGAIN) {
      if (int w = sys::wait_fd(pipe_fd, POLLIN); w < 0) return w;
      continue;
    }
    if (n < 0) return static_cast<int>(n);
    if (n == 0) return -EPIPE;  // the pipe did not hold what the caller promised
    len -= static_cast<std::size_t>(n);
  }
  return 0;
}

long OpSocket::receive(std::span<const iovec> out) noexcept {
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(out.data());
  msg.msg_iovlen = out.size();
  for (;;) {
    ssize_t n = ::recvmsg(fd_.get(), &msg, 0);
    if (n >= 0) return static_cast<long>(n);
    if (errno != EINTR) return neg_errno();
  }
}

std::vector<Driver> parse_proc_crypto(std::string_view text) {
  std::vector<Driver> all;
  Driver cur;
  bool have = false;
  auto flush = [&] {
    if (have) all.push_back(std::move(cur));
    cur = Driver{};
    have = false;
  };
  while (!text.empty()) {
    std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      flush();
      continue;
    }
    std::string_view key = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (key == "name") {
      flush();
      cur.name = value;
      have = true;
    } else if (key == "driver") {
      cur.driver = value;
    } else if (key == "module") {
      cur.module = value;
    } else if (key == "type") {
      cur.type = value;
    } else if (key == "priority") {
      std::from_chars(value.data(), value.data() + value.size(), cur.priority);
    } else if (key == "internal") {
      cur.internal = value == "yes";
    } else if (key == "selftest") {
      cur.selftest = value == "passed";
    }
  }
  flush();
  return all;
}

std::vector<Driver> drivers_for(std::string_view name, const char* path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::vector<Driver> found;
  for (Driver& d : parse_proc_crypto(buffer.str()))
    if (d.name == name && !d.internal && (d.type == "aead" || d.type == "skcipher"))
      found.push_back(std::move(d));
  std::stable_sort(found.begin(), found.end(),
                   [](const Driver& a, const Driver& b) { return a.priority > b.priority; });
  return found;
}

bool is_offload_module(std::string_view module) noexcept {
  // Drivers for crypto engines outside the CPU's instruction set (PCIe/SoC accelerators,
  // virtio-crypto). CPU implementations (aesni_intel, aes_generic, "kernel" built-ins, arm64
  // CE, ...) are deliberately absent: OpenSSL beats AF_ALG on those.
  static constexpr std::string_view kPrefixes[] = {
      "ccp",        "qat_",      "intel_qat", "chcr",         "hisi_sec",   "caam",
      "marvell_cesa", "mv_cesa", "omap_aes",  "atmel_aes",    "sahara",     "talitos",
      "crypto4xx",  "crypto_safexcel", "stm32_cryp", "sun4i_ss", "sun8i_ce", "sun8i_ss",
      "rk_crypto",  "qcrypto",   "keembay",   "zynqmp_aes",   "amlogic_gxl", "ixp4xx_crypto",
      "n2_crypto",  "mxs_dcp",   "s5p_sss",   "virtio_crypto", "nitrox",    "octeontx",
      "cpt",        "nx_crypto", "ux500_cryp", "img_hash",    "aspeed",     "starfive",
  };
  for (std::string_view p : kPrefixes)
    if (module.substr(0, p.size()) == p) return true;
  return false;
}

}  // namespace conduit::crypto::afalg
