// Helpers shared by the crypto unit tests: byte buffers, random data that a seed reproduces,
// memfds holding a stream, and a fixed test key.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "conduit/crypto/keys.hpp"
#include "conduit/fd.hpp"

namespace conduit::cryptotest {

using Bytes = std::vector<std::uint8_t>;

inline Bytes random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& c : b) c = static_cast<std::uint8_t>(rng());
  return b;
}

// A memfd holding `data`, positioned at its start.
inline Fd memfd_with(const Bytes& data) {
  Fd fd(::memfd_create("crypto-test", MFD_CLOEXEC));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  EXPECT_EQ(done, data.size());
  ::lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

// Everything in `fd` from its start.
inline Bytes contents(int fd) {
  Bytes out;
  ::lseek(fd, 0, SEEK_SET);
  std::uint8_t buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.insert(out.end(), buf, buf + n);
  return out;
}

// A 32-byte key whose byte i is i * step + first (each test its own, so none passes by chance).
inline crypto::Secret test_key(unsigned step, unsigned first) {
  crypto::Secret key(32);
  key.resize(32);
  for (std::size_t i = 0; i < 32; ++i) key.data()[i] = static_cast<std::uint8_t>(i * step + first);
  return key;
}

}  // namespace conduit::cryptotest
