// stream: encrypting and decrypting the authenticated hw-encrypt stream format (format.hpp).
//
// Encryption writes the header, then the chunks. Decryption is two calls so a command can read
// the header first and learn whether it needs a key or a passphrase before asking for one. Only
// chunks whose tag verified are ever written to `out_fd`, in order; the result says whether the
// whole stream verified (a consumer of the output must check it).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "conduit/crypto/backend.hpp"
#include "conduit/crypto/format.hpp"
#include "conduit/crypto/keys.hpp"
#include "conduit/crypto/stream_result.hpp"
#include "conduit/mapped_input.hpp"

namespace conduit::crypto {

struct StreamOptions {
  const Backend* backend = nullptr;       // required (select_backend); none: CipherError, EINVAL
  unsigned threads = 1;                   // worker threads; 1 = no threads
  unsigned chunk_log2 = kDefaultChunkLog2;  // encryption only (tests use small chunks)
  ScryptParams scrypt{};                  // encryption with a passphrase only
  bool allow_splice = true;               // false: never the spliced-input path (--no-splice)
  std::uint64_t max_chunks = kMaxChunks;  // the limit; tests inject a small one
  std::function<void(std::uint64_t)> progress;  // input bytes done, for --progress
  // A regular-file input is read through a mapping rather than read(2) when the program has
  // installed the SIGBUS guard (sigbus_guard.hpp; hw-encrypt does) and the backend's cipher
  // reads it in this process; false: always read(2). The output is the same either way.
  bool map_input = true;
  MappedInputSettings map{};  // window size and page advice (tests and measurements)
};

// What the user gave: a 32-byte key, or a passphrase.
struct Credentials {
  KeySource source = KeySource::Key;
  const Secret* secret = nullptr;  // required (the key loaders); none: CipherError, EINVAL
  // Bind the stream's keys to this string (format version 2); "" = unbound (version 1).
  std::string context;
};

// Encrypts everything from `in_fd` to `out_fd`.
StreamResult encrypt_stream(int in_fd, int out_fd, const Credentials& credentials,
                            const StreamOptions& options);

// Reads exactly the header from `in_fd` and parses it (no key needed, nothing verified yet).
StreamResult read_stream_header(int in_fd, Header& header);

// Verifies the header under `credentials`, then decrypts the chunks from `in_fd` to `out_fd`.
StreamResult decrypt_stream(int in_fd, int out_fd, const Header& header,
                            const Credentials& credentials, const StreamOptions& options);

}  // namespace conduit::crypto
