// pipe_output_proto: would vmsplice(2) pay for hw-encrypt's output pipe? (bench/pipe-output.sh)
//
// A stand-alone stand-in for hw-encrypt's one-thread data path: read standard input in blocks of
// CHUNKS 64 KiB chunks, each chunk read to where its sealed form goes (a 16-byte gap after it),
// sealed in place with EVP AES-256-GCM, the tag in the gap; then the block goes to standard
// output (a pipe) one of three ways:
//   write    one reused buffer, write(2): the kernel copies it into the pipe's own pages;
//   vm4k     a fresh MAP_POPULATE mapping per block, vmspliced whole, then unmapped;
//   thp      fresh 2 MiB-aligned MADV_HUGEPAGE arenas of ARENA_MIB, blocks carved in order,
//            vmspliced, each arena unmapped when used up (`thppop`: MADV_POPULATE_WRITE first).
// vmspliced pages stay referenced by the pipe (and by whatever the reader splices them into)
// after the call returns, so no byte that was vmspliced is ever written again: only fresh memory
// is vmspliced (KERNEL-NOTES.md; `vmreuse` does it wrong, on one reused buffer, to show what that
// corrupts). Fresh anonymous memory costs page faults and the kernel's zeroing, which is what
// this measures against the copy that write(2) makes.
//
// Usage: pipe_output_proto MODE [CHUNKS [ARENA_MIB]] < in | reader
// Every mode writes the same bytes (fixed key, nonce = chunk counter); not a stream format.
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace {

constexpr std::size_t kChunk = 65536;
constexpr std::size_t kTag = 16;
constexpr std::size_t kStride = kChunk + kTag;
constexpr std::size_t kPage = 4096;
constexpr std::size_t kHuge = 2u << 20;

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

// Fills chunk j at buf + j * kStride; returns the plaintext bytes read (short: end of input).
std::size_t read_block(std::uint8_t* buf, std::size_t chunks) {
  std::size_t total = 0;
  for (std::size_t j = 0; j < chunks; ++j) {
    std::size_t got = 0;
    while (got < kChunk) {
      ssize_t r = ::read(STDIN_FILENO, buf + j * kStride + got, kChunk - got);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) die("read");
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    total += got;
    if (got < kChunk) break;
  }
  return total;
}

class Sealer {
 public:
  Sealer() : ctx_(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free) {
    const unsigned char key[32] = {1};
    if (!ctx_ || EVP_EncryptInit_ex(ctx_.get(), EVP_aes_256_gcm(), nullptr, key, nullptr) != 1)
      die("EVP_EncryptInit_ex");
  }
  // Seals the chunks of a block in place; returns the sealed size.
  std::size_t seal(std::uint8_t* buf, std::size_t len) {
    std::size_t n = (len + kChunk - 1) / kChunk;
    for (std::size_t j = 0; j < n; ++j) {
      std::size_t part = std::min(kChunk, len - j * kChunk);
      unsigned char iv[12] = {};
      std::memcpy(iv, &counter_, sizeof counter_);
      ++counter_;
      std::uint8_t* p = buf + j * kStride;
      int outl = 0;
      if (EVP_EncryptInit_ex(ctx_.get(), nullptr, nullptr, nullptr, iv) != 1 ||
          EVP_EncryptUpdate(ctx_.get(), p, &outl, p, static_cast<int>(part)) != 1 ||
          EVP_EncryptFinal_ex(ctx_.get(), p + part, &outl) != 1 ||
          EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_GCM_GET_TAG, kTag, p + part) != 1)
        die("seal");
    }
    return len + n * kTag;
  }

 private:
  std::unique_ptr<EVP_CIPHER_CTX, void (*)(EVP_CIPHER_CTX*)> ctx_;
  std::uint64_t counter_ = 0;
};

void write_all(const std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    ssize_t r = ::write(STDOUT_FILENO, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die("write");
    p += r;
    n -= static_cast<std::size_t>(r);
  }
}

void vmsplice_all(const std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    iovec iov{const_cast<std::uint8_t*>(p), n};
    ssize_t r = ::vmsplice(STDOUT_FILENO, &iov, 1, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die("vmsplice");
    p += r;
    n -= static_cast<std::size_t>(r);
  }
}

std::uint8_t* map(std::size_t size, int flags) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  return static_cast<std::uint8_t*>(p);
}

// A fresh arena of `size` bytes (a multiple of 2 MiB), 2 MiB-aligned so THP can back it.
std::uint8_t* huge_arena(std::size_t size, bool populate) {
  std::uint8_t* raw = map(size + kHuge, 0);
  auto addr = reinterpret_cast<std::uintptr_t>(raw);
  auto* arena = reinterpret_cast<std::uint8_t*>((addr + kHuge - 1) & ~(kHuge - 1));
  if (arena > raw) ::munmap(raw, static_cast<std::size_t>(arena - raw));
  ::munmap(arena + size, static_cast<std::size_t>(raw + size + kHuge - (arena + size)));
  ::madvise(arena, size, MADV_HUGEPAGE);
  if (populate) ::madvise(arena, size, MADV_POPULATE_WRITE);
  return arena;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "write";
  const std::size_t chunks = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1;
  const std::size_t arena_size = (argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 2) << 20;
  const std::size_t block = chunks * kStride;
  const std::size_t mapped = (block + kPage - 1) / kPage * kPage;
  if (chunks == 0 || arena_size < block) {
    std::fputs("usage: pipe_output_proto MODE [CHUNKS [ARENA_MIB]] (ARENA_MIB >= a block)\n", stderr);
    return 2;
  }
  // hw-encrypt's pipes (the shared-pipe rule): 256 KiB.
  ::fcntl(STDIN_FILENO, F_SETPIPE_SZ, 256 << 10);
  ::fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 256 << 10);
  Sealer sealer;

  if (mode == "write" || mode == "vmreuse") {
    std::uint8_t* buf = map(mapped, 0);
    for (;;) {
      std::size_t n = read_block(buf, chunks);
      if (n > 0) {
        std::size_t out = sealer.seal(buf, n);
        if (mode == "write")
          write_all(buf, out);
        else
          vmsplice_all(buf, out);  // WRONG on purpose: the next block overwrites pages in flight
      }
      if (n < chunks * kChunk) break;
    }
    return 0;
  }
  if (mode == "vm4k") {
    for (;;) {
      std::uint8_t* buf = map(mapped, MAP_POPULATE);
      std::size_t n = read_block(buf, chunks);
      if (n > 0) vmsplice_all(buf, sealer.seal(buf, n));
      ::munmap(buf, mapped);  // the pipe keeps its page references
      if (n < chunks * kChunk) break;
    }
    return 0;
  }
  if (mode == "thp" || mode == "thppop") {
    const bool populate = mode == "thppop";
    std::uint8_t* arena = huge_arena(arena_size, populate);
    std::size_t used = 0;
    for (;;) {
      if (used + block > arena_size) {
        ::munmap(arena, arena_size);
        arena = huge_arena(arena_size, populate);
        used = 0;
      }
      std::size_t n = read_block(arena + used, chunks);
      std::size_t out = n > 0 ? sealer.seal(arena + used, n) : 0;
      if (out > 0) vmsplice_all(arena + used, out);
      // The next block starts after this one's last byte: bytes in flight are never rewritten.
      used += (out + 63) / 64 * 64;
      if (n < chunks * kChunk) break;
    }
    ::munmap(arena, arena_size);
    return 0;
  }
  std::fputs("pipe_output_proto: unknown mode\n", stderr);
  return 2;
}
