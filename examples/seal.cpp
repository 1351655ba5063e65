// seal: hw-encrypt's authenticated stream format (AES-256-GCM) from and to memory, with the
// incremental StreamSealer and StreamOpener, for data a program produces itself rather than
// reads from a descriptor. An example of libconduit used from outside: built against the
// *installed* library by tests/cli/library.bats, which checks that `hw-encrypt -d` decrypts what
// it seals, and that it opens what `hw-encrypt` wrote.
//
//   seal KEYFILE OUT        seals standard input into OUT (taken in odd-sized pieces, as a
//                           program producing its data piece by piece would hand them over)
//   seal --open KEYFILE IN  opens IN (hw-encrypt's output) to standard output
//
// KEYFILE holds 32 bytes or 64 hex digits (`hw-encrypt keygen -o KEYFILE` makes one).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "conduit/crypto/backend.hpp"
#include "conduit/crypto/keys.hpp"
#include "conduit/crypto/sealer.hpp"
#include "conduit/crypto/stream.hpp"
#include "conduit/fd.hpp"
#include "conduit/sys.hpp"

namespace {

namespace crypto = conduit::crypto;
constexpr const char* kProg = "seal";

int fail(std::string_view what, std::string_view reason) {
  std::fprintf(stderr, "%s: %.*s: %.*s\n", kProg, static_cast<int>(what.size()), what.data(),
               static_cast<int>(reason.size()), reason.data());
  return 1;
}

// The sealer takes whole chunks and must be told which one is the last, so a producer that hands
// over pieces of any size needs this much around it: pieces are gathered into a chunk, and a full
// chunk is sealed only when more bytes arrive (until then it may be the last).
class PieceSealer {
 public:
  PieceSealer(crypto::StreamSealer& sealer, int out) : sealer_(sealer), out_(out) {
    chunk_.reserve(sealer.chunk_size());
    sealed_.resize(sealer.chunk_size() + crypto::kAeadTagSize);
  }

  // 0 or -errno.
  int add(std::span<const std::byte> piece) {
    while (!piece.empty()) {
      if (chunk_.size() == sealer_.chunk_size()) {  // more bytes: the full chunk is not the last
        if (int rc = flush(false); rc < 0) return rc;
      }
      std::size_t take = std::min(piece.size(), sealer_.chunk_size() - chunk_.size());
      chunk_.insert(chunk_.end(), piece.begin(), piece.begin() + static_cast<long>(take));
      piece = piece.subspan(take);
    }
    return 0;
  }
  // Seals what is held as the last chunk (empty for an empty stream): 0 or -errno.
  int finish() { return flush(true); }

 private:
  int flush(bool last) {
    // The crypto API speaks uint8_t; std::byte data is viewed as such.
    std::span<const std::uint8_t> plain(reinterpret_cast<const std::uint8_t*>(chunk_.data()),
                                        chunk_.size());
    long n = sealer_.seal(plain, last, sealed_);
    if (n < 0) return static_cast<int>(n);
    chunk_.clear();
    ssize_t w = conduit::sys::write_all(out_, std::as_bytes(std::span(sealed_.data(), static_cast<std::size_t>(n))));
    return w < 0 ? static_cast<int>(w) : 0;
  }

  crypto::StreamSealer& sealer_;
  int out_;
  std::vector<std::byte> chunk_;
  std::vector<std::uint8_t> sealed_;
};

int seal(const crypto::Credentials& credentials, const crypto::StreamOptions& options,
         const char* path) {
  conduit::Fd out(::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out) return fail(path, std::strerror(errno));

  crypto::StreamSealer sealer;
  // A fresh salt, the stream's keys, the header: Ok, or a CipherError with its message.
  if (crypto::StreamResult r = sealer.start(credentials, options); !r.ok()) return fail("start", r.message);
  std::span<const std::uint8_t> header = sealer.header();
  if (ssize_t w = conduit::sys::write_all(out.get(), std::as_bytes(header)); w < 0) {
    return fail(path, std::strerror(static_cast<int>(-w)));
  }

  // The producer: here standard input, in pieces of 1000 to 70000 bytes, each a fresh
  // std::vector<std::byte> handed over and forgotten.
  PieceSealer pieces(sealer, out.get());
  std::size_t size = 1000;
  for (;;) {
    std::vector<std::byte> piece(size);
    ssize_t n = conduit::sys::read_full(STDIN_FILENO, piece);
    if (n < 0) return fail("standard input", std::strerror(static_cast<int>(-n)));
    piece.resize(static_cast<std::size_t>(n));
    if (int rc = pieces.add(piece); rc < 0) return fail(path, std::strerror(-rc));
    if (n == 0) break;
    size = size * 7 % 70001 + 1000;
  }
  if (int rc = pieces.finish(); rc < 0) return fail(path, std::strerror(-rc));
  if (int rc = out.close(); rc < 0) return fail(path, std::strerror(-rc));
  return 0;
}

int open_stream(const crypto::Credentials& credentials, const crypto::StreamOptions& options,
                const char* path) {
  conduit::Fd in(::open(path, O_RDONLY | O_CLOEXEC));
  if (!in) return fail(path, std::strerror(errno));

  // The header first: it says the chunk size and whether the stream wants a key or a passphrase.
  crypto::Header header;
  if (crypto::StreamResult r = crypto::read_stream_header(in.get(), header); !r.ok()) {
    return fail(path, r.message);
  }
  crypto::StreamOpener opener;
  // Wrong key, wrong kind of secret, damaged header: told apart here, before any chunk.
  if (crypto::StreamResult r = opener.start(header, credentials, options); !r.ok()) {
    return fail(path, r.message);
  }
  // Chunks as written: sealed_size() bytes each, the last one shorter (or as long).
  std::vector<std::uint8_t> sealed(opener.sealed_size());
  for (;;) {
    ssize_t n = conduit::sys::read_full(in.get(), std::as_writable_bytes(std::span(sealed)));
    if (n < 0) return fail(path, std::strerror(static_cast<int>(-n)));
    if (n == 0) break;
    std::span<std::uint8_t> chunk(sealed.data(), static_cast<std::size_t>(n));
    // Decrypted in place; only a chunk that verified in its place comes back Ok. A short read is
    // the end of the input: a chunk cut there is reported as cut, not just as modified.
    crypto::StreamResult r = opener.open(chunk, chunk, chunk.size() < sealed.size());
    if (!r.ok()) return fail(path, r.message);
    ssize_t w = conduit::sys::write_all(STDOUT_FILENO, std::as_bytes(chunk.first(r.bytes_out)));
    if (w < 0) return fail("standard output", std::strerror(static_cast<int>(-w)));
  }
  // The end of the input: a stream cut before its last chunk is Truncated, not a success.
  if (crypto::StreamResult r = opener.finish(); !r.ok()) return fail(path, r.message);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool open_mode = argc == 4 && std::string_view(argv[1]) == "--open";
  if (argc != 3 && !open_mode) {
    std::fprintf(stderr, "usage: %s KEYFILE OUT < PLAIN\n       %s --open KEYFILE IN > PLAIN\n",
                 kProg, kProg);
    return 2;
  }
  const char* key_path = argv[open_mode ? 2 : 1];
  const char* data_path = argv[open_mode ? 3 : 2];

  // Keys live in a Secret: locked memory, wiped when it dies. A failure's message names the file.
  crypto::Secret key;
  if (conduit::Status s = crypto::load_key_file(key_path, key); !s.ok()) return fail("key", s.message());
  // OpenSSL, or the kernel's AF_ALG where it is faster: the same choice as `hw-encrypt`'s default.
  conduit::Result<std::unique_ptr<crypto::Backend>> backend =
      crypto::select_backend(crypto::BackendChoice::Auto, crypto::Algorithm::Aes256Gcm);
  if (!backend.ok()) return fail("backend", backend.message());

  crypto::Credentials credentials;  // a key (not a passphrase), no --context
  credentials.secret = &key;
  crypto::StreamOptions options;
  options.backend = backend.value.get();
  return open_mode ? open_stream(credentials, options, data_path)
                   : seal(credentials, options, data_path);
}
