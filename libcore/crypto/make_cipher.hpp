// crypto/make_cipher (private): the factory step both backends share: construct a cipher, run
// its init(), and turn a failure into Backend's (nullptr, *err = errno) form.
#pragma once

#include <memory>
#include <utility>

namespace conduit::crypto {

// Cipher::init(args...) returns 0 or -errno. Returns the ready cipher, or nullptr with *err set.
template <class Base, class Cipher, class... Args>
std::unique_ptr<Base> make_cipher(int* err, Args&&... args) {
  auto cipher = std::make_unique<Cipher>();
  if (int rc = cipher->init(std::forward<Args>(args)...); rc < 0) {
    *err = -rc;
    return nullptr;
  }
  return cipher;
}

}  // namespace conduit::crypto
