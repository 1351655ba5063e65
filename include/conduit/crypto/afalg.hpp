// afalg: a thin layer over the kernel crypto API's socket interface (AF_ALG), the transport the
// kernel backend (kernel_backend.cpp) and the VM self-test use.
//
// The protocol (docs/kernel-backend.md, KERNEL-NOTES.md): a transform socket is bound to
// {type, name} and keyed once; accept() on it gives an operation socket. One request = sendmsg
// with control messages (operation, IV, AEAD associated-data length) and data, more data with
// MSG_MORE (or splice with SPLICE_F_MORE), a final send without MORE, then read the result.
// Every request must stay well below the socket send buffer: an AEAD request that does not fit
// blocks sendmsg forever, because the kernel only processes it once it has all of it.
//
// Everything returns 0 / a byte count or -errno; nothing throws or prints.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "conduit/fd.hpp"

namespace conduit::crypto::afalg {

// socket(AF_ALG) works here: 0, or -errno (-EAFNOSUPPORT on kernels without AF_ALG or with the
// af_alg module not loaded).
int probe() noexcept;

enum class Op : std::uint8_t { Encrypt, Decrypt };

// A bound, keyed transform socket. accept() gives independent operation sockets that share the
// key, so one Transform can serve several threads (each with its own OpSocket).
class Transform {
 public:
  // Binds to {type ("skcipher", "aead"), name ("gcm(aes)", "ctr(aes)" ...)}. -ENOENT when the
  // kernel has no such type (algif_* module missing) or no such algorithm.
  int open(std::string_view type, std::string_view name) noexcept;
  int set_key(std::span<const std::uint8_t> key) noexcept;
  int set_aead_authsize(unsigned size) noexcept;
  int fd() const noexcept { return fd_.get(); }
  bool valid() const noexcept { return fd_.valid(); }

 private:
  Fd fd_;
};

// One operation socket from Transform::accept_op.
class OpSocket {
 public:
  // accept() on the transform, and raise the send buffer as far as the system allows.
  int open(const Transform& tfm) noexcept;

  // Largest request (all data of one operation, associated data included) this socket takes
  // safely in one go: half its send buffer.
  std::size_t max_request() const noexcept { return max_request_; }

  // Starts or continues a request: control messages (only when `with_header`: op, iv, and for
  // AEAD the associated-data length) plus `data`. `more` = further data follows (MSG_MORE).
  // Returns the bytes sent (all of them, looping) or -errno.
  long send(bool with_header, Op op, std::span<const std::uint8_t> iv, std::size_t assoclen,
            std::span<const iovec> data, bool more) noexcept;

  // Moves exactly `len` bytes from the pipe `pipe_fd` into the request by splice(2), every piece
  // marked SPLICE_F_MORE (a request must be closed with send(..., more=false) afterwards). The
  // pipe must already hold `len` bytes. Returns 0 or -errno.
  int splice_from(int pipe_fd, std::size_t len) noexcept;

  // Reads the whole result into `out` (scatter list) and returns the bytes read or -errno;
  // -EBADMSG when AEAD authentication failed.
  long receive(std::span<const iovec> out) noexcept;

  int fd() const noexcept { return fd_.get(); }

 private:
  Fd fd_;
  std::size_t max_request_ = 0;
};

// One entry of /proc/crypto.
struct Driver {
  std::string name;      // the algorithm: "gcm(aes)"
  std::string driver;    // the implementation: "generic-gcm-aesni"
  std::string module;    // "aesni_intel", "kernel" (built in)
  std::string type;      // "aead", "skcipher", "cipher" ...
  int priority = 0;
  bool internal = false;   // "internal : yes": not reachable from user space
  bool selftest = true;    // "selftest : passed"
};

// All entries of `text` (the format of /proc/crypto).
std::vector<Driver> parse_proc_crypto(std::string_view text);
// The user-reachable drivers for `name` from /proc/crypto, best (highest priority) first. Empty
// when the file cannot be read or the algorithm was never instantiated.
std::vector<Driver> drivers_for(std::string_view name, const char* path = "/proc/crypto");

// Whether `module` drives dedicated crypto hardware (an offload engine) rather than running on the
// CPU: the only case where `--backend auto` prefers AF_ALG (see docs/kernel-backend.md).
bool is_offload_module(std::string_view module) noexcept;

}  // namespace conduit::crypto::afalg
