// seal: hw-encrypt's authenticated stream format (AES-256-GCM) from and to memory, with the
// incremental sealer and opener, for data a program produces itself or receives rather than
// reads from a descriptor, in pieces of any size (crypto::PieceSealer, crypto::PieceOpener). An
// example of libconduit used from outside: built against the *installed* library by
// tests/cli/library.bats, which checks that `hw-encrypt -d` decrypts what it seals, and that it
// opens what `hw-encrypt` wrote.
//
//   seal KEYFILE OUT        seals standard input into OUT (taken in odd-sized pieces, as a
//                           program producing its data piece by piece would hand them over)
//   seal --open KEYFILE IN  opens IN (hw-encrypt's output; - for standard input, a pipe or a
//                           socket, in the pieces it arrives in) to standard output
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
#include "conduit/crypto/pieces.hpp"
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

int seal(const crypto::Credentials& credentials, const crypto::StreamOptions& options,
         const char* path) {
  conduit::Fd out(::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out) return fail(path, std::strerror(errno));

  // Where the sealed stream goes, a piece at a time (the header, then each chunk): 0 or -errno.
  auto to_file = [fd = out.get()](std::span<const std::uint8_t> sealed) {
    ssize_t w = conduit::sys::write_all(fd, std::as_bytes(sealed));
    return w < 0 ? static_cast<int>(w) : 0;
  };
  crypto::PieceSealer sealer;
  // A fresh salt, the stream's keys, the header to the sink: Ok, or a failure with its message.
  if (crypto::StreamResult r = sealer.start(credentials, options, to_file); !r.ok()) {
    return fail(r.status == crypto::StreamStatus::WriteError ? path : "start", r.message);
  }

  // The producer: here standard input, in pieces of 0 to 196608 bytes (three chunks), each a
  // fresh std::vector<std::byte> handed over and forgotten. The sealer gathers them into chunks
  // and seals a full one only when the next byte shows it is not the last.
  std::size_t size = 1000, turn = 0;
  for (;;) {
    std::vector<std::byte> piece(size);
    ssize_t n = size == 0 ? 0 : conduit::sys::read_full(STDIN_FILENO, piece);
    if (n < 0) return fail("standard input", std::strerror(static_cast<int>(-n)));
    if (n == 0 && size > 0) break;  // the end of the input (an empty piece is just handed over)
    piece.resize(static_cast<std::size_t>(n));
    if (crypto::StreamResult r = sealer.write(piece); !r.ok()) return fail(path, r.message);
    size = ++turn % 7 == 0 ? 0 : (size * 7919 + 13) % (3 * 65536 + 1);
  }
  // The last chunk (empty only for an empty input).
  if (crypto::StreamResult r = sealer.finish(); !r.ok()) return fail(path, r.message);
  if (int rc = out.close(); rc < 0) return fail(path, std::strerror(-rc));
  return 0;
}

int open_stream(const crypto::Credentials& credentials, const crypto::StreamOptions& options,
                const char* path) {
  const bool from_stdin = std::string_view(path) == "-";
  conduit::Fd file;
  if (!from_stdin) {
    file = conduit::Fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!file) return fail(path, std::strerror(errno));
  }
  const int in = from_stdin ? STDIN_FILENO : file.get();
  const char* name = from_stdin ? "standard input" : path;

  // Verified plaintext, a chunk at a time, as soon as each chunk has verified in its place. A
  // failure here comes back from the opener's call as a WriteError.
  auto to_stdout = [](std::span<const std::uint8_t> plain) {
    ssize_t w = conduit::sys::write_all(STDOUT_FILENO, std::as_bytes(plain));
    return w < 0 ? static_cast<int>(w) : 0;
  };
  auto failed = [name](const crypto::StreamResult& r) {
    return fail(r.status == crypto::StreamStatus::WriteError ? "standard output" : name, r.message);
  };
  crypto::PieceOpener opener;
  if (crypto::StreamResult r = opener.start(credentials, options, to_stdout); !r.ok()) {
    return fail("start", r.message);
  }
  // The stream in whatever pieces the input gives (a pipe or a socket: what has arrived), the
  // header first. The opener checks the key once the header is in (wrong key, wrong kind of
  // secret), then each chunk.
  std::vector<std::uint8_t> piece(50000);
  for (;;) {
    ssize_t n = conduit::sys::read_some(in, std::as_writable_bytes(std::span(piece)));
    if (n < 0) return fail(name, std::strerror(static_cast<int>(-n)));
    if (n == 0) break;
    crypto::StreamResult r = opener.write(std::span(piece).first(static_cast<std::size_t>(n)));
    if (!r.ok()) return failed(r);
  }
  // The end of the input: a short last chunk is opened now, and a stream cut before its last
  // chunk is Truncated, not a success. Only then is the whole authentic.
  if (crypto::StreamResult r = opener.finish(); !r.ok()) return failed(r);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool open_mode = argc == 4 && std::string_view(argv[1]) == "--open";
  if (argc != 3 && !open_mode) {
    std::fprintf(stderr, "usage: %s KEYFILE OUT < PLAIN\n       %s --open KEYFILE IN|- > PLAIN\n",
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
