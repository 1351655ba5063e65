// kernel_backend_stub: the slot for the kernel crypto API (AF_ALG) backend.
//
// PLACEHOLDER: the AF_ALG backend (issue 6, a colleague's work) replaces this whole file with
// libcore/crypto/kernel_backend.cpp (delete this one in the same commit). Until then the kernel
// backend only says clearly why it cannot run: it probes socket(AF_ALG) and reports the errno
// (on these machines EAFNOSUPPORT), or that the real backend is not built in.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "conduit/crypto/backend.hpp"

namespace conduit::crypto {

namespace {

class KernelBackendStub final : public Backend {
 public:
  std::string_view name() const noexcept override { return "kernel"; }

  bool available(std::string* reason) const override {
    int fd = ::socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    std::string why;
    if (fd < 0) {
      why = "kernel crypto API (AF_ALG) is not available: ";
      why += std::strerror(errno);
    } else {
      ::close(fd);
      why = "kernel crypto API (AF_ALG) is not available: this build has no AF_ALG backend";
    }
    if (reason != nullptr) *reason = why;
    return false;
  }

  bool supports(Algorithm, std::string* reason) const override { return available(reason); }
  std::string driver(Algorithm) const override { return "none"; }
  bool preferred_for_auto(Algorithm) const override { return false; }

  std::unique_ptr<AeadCipher> make_aead(Algorithm, std::span<const std::uint8_t>,
                                        int* err) const override {
    *err = EAFNOSUPPORT;
    return nullptr;
  }
  std::unique_ptr<RawCipher> make_raw(Algorithm, bool, bool, std::span<const std::uint8_t>,
                                      std::span<const std::uint8_t>, int* err) const override {
    *err = EAFNOSUPPORT;
    return nullptr;
  }
};

}  // namespace

std::unique_ptr<Backend> make_kernel_backend() { return std::make_unique<KernelBackendStub>(); }

}  // namespace conduit::crypto
