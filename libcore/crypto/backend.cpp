// backend: algorithm names, choosing a backend for --backend, and the --list-backends text.
//
// The choice rule lives here once so both backends stay ignorant of each other: an explicit
// choice must work or fail loudly; `auto` asks the kernel backend whether it wants the algorithm
// (only where it is expected to beat OpenSSL) and otherwise takes OpenSSL.
#include "conduit/crypto/backend.hpp"

namespace conduit::crypto {

std::string_view algorithm_name(Algorithm alg) noexcept {
  switch (alg) {
    case Algorithm::Aes256Gcm: return "aes-256-gcm";
    case Algorithm::Aes128Ctr: return "aes-128-ctr";
    case Algorithm::Aes256Ctr: return "aes-256-ctr";
    case Algorithm::Aes128Cbc: return "aes-128-cbc";
    case Algorithm::Aes256Cbc: return "aes-256-cbc";
  }
  return "?";
}

std::string_view kernel_algorithm_name(Algorithm alg) noexcept {
  switch (alg) {
    case Algorithm::Aes256Gcm: return "gcm(aes)";
    case Algorithm::Aes128Ctr:
    case Algorithm::Aes256Ctr: return "ctr(aes)";
    case Algorithm::Aes128Cbc:
    case Algorithm::Aes256Cbc: return "cbc(aes)";
  }
  return "?";
}

std::optional<Algorithm> parse_algorithm(std::string_view name) noexcept {
  for (Algorithm alg : kAllAlgorithms)
    if (algorithm_name(alg) == name) return alg;
  return std::nullopt;
}

std::size_t key_size(Algorithm alg) noexcept {
  return (alg == Algorithm::Aes128Ctr || alg == Algorithm::Aes128Cbc) ? 16 : 32;
}

bool is_cbc(Algorithm alg) noexcept {
  return alg == Algorithm::Aes128Cbc || alg == Algorithm::Aes256Cbc;
}

std::optional<BackendChoice> parse_backend_choice(std::string_view text) noexcept {
  if (text == "auto") return BackendChoice::Auto;
  if (text == "openssl") return BackendChoice::OpenSSL;
  if (text == "kernel") return BackendChoice::Kernel;
  return std::nullopt;
}

Result<std::unique_ptr<Backend>> select_backend(BackendChoice choice, Algorithm alg) {
  if (choice == BackendChoice::Auto) {
    auto kernel = make_kernel_backend();
    if (kernel->supports(alg).ok() && kernel->preferred_for_auto(alg)) return kernel;
    choice = BackendChoice::OpenSSL;
  }
  auto backend = choice == BackendChoice::Kernel ? make_kernel_backend() : make_openssl_backend();
  if (Status usable = backend->supports(alg); !usable.ok()) return usable;  // available() first
  return backend;
}

std::string list_backends_text() {
  std::unique_ptr<Backend> backends[] = {make_openssl_backend(), make_kernel_backend()};
  std::string text;
  for (const auto& backend : backends) {
    text += backend->name();
    if (Status here = backend->available(); !here.ok()) {
      text += ": not available: ";
      text += here.message();
      text += '\n';
      continue;
    }
    text += ": available\n";
    for (Algorithm alg : kAllAlgorithms) {
      text += "  ";
      text += algorithm_name(alg);
      text += ": ";
      if (Status served = backend->supports(alg); served.ok()) {
        text += backend->driver(alg);
      } else {
        text += "unsupported: ";
        text += served.message();
      }
      text += '\n';
    }
  }
  text += "auto picks:\n";
  for (Algorithm alg : kAllAlgorithms) {
    auto chosen = select_backend(BackendChoice::Auto, alg);
    text += "  ";
    text += algorithm_name(alg);
    text += ": ";
    text += chosen.ok() ? chosen.value->name() : std::string_view("none");
    text += '\n';
  }
  return text;
}

}  // namespace conduit::crypto
