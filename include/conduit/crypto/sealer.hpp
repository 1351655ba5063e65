// sealer: the authenticated stream format (format.hpp) one chunk at a time, for programs that
// hold their data in memory or move it themselves (a socket, a message queue), not fd to fd.
//
//   StreamSealer s;                                  StreamOpener o;
//   s.start(credentials, options);                   o.start(header, credentials, options);
//   send(s.header());                                for each sealed chunk c as written:
//   for each chunk p: send(s.seal(p, last, out))       o.open(c, out)   (Ok: out holds it)
//                                                    o.finish()       (Truncated if cut short)
// encrypt_stream() and decrypt_stream() (stream.hpp) are built on these: the same keys, header
// and nonces, sealed and opened by several threads at once through seal_at()/cipher().
//
// The rules a writer follows, checked by seal() and enforced by open(): every chunk but the last
// holds exactly chunk_size() bytes; the last holds at most that, and is empty only when it is
// the only one (an empty stream); nothing follows the last chunk. A reader that sees the input
// end before the last chunk has a truncated stream.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "conduit/crypto/backend.hpp"
#include "conduit/crypto/chunk_search.hpp"
#include "conduit/crypto/format.hpp"
#include "conduit/crypto/stream.hpp"
#include "conduit/crypto/stream_result.hpp"

namespace conduit::crypto {

class StreamSealer {
 public:
  // Makes a new stream's header (a fresh salt; scrypt for a passphrase), derives its keys and
  // makes `ciphers` ciphers under the payload key (one per thread that will seal). Ok or a
  // CipherError.
  StreamResult start(const Credentials& credentials, const StreamOptions& options,
                     unsigned ciphers = 1);

  // The header's bytes, to be written before the first chunk.
  std::span<const std::uint8_t> header() const noexcept { return {wire_.data(), header_len_}; }
  std::size_t chunk_size() const noexcept { return header_.chunk_size(); }

  // Seals the next chunk into `out` (at least plain.size() + kAeadTagSize bytes; it may start
  // at plain.data()). Returns the sealed size, or -EINVAL for a chunk that breaks the rules
  // above (or comes after the last), -EFBIG past the chunk limit, -errno from the cipher.
  long seal(std::span<const std::uint8_t> plain, bool last, std::span<std::uint8_t> out);
  bool finished() const noexcept { return done_; }

  // Chunk `counter` sealed with cipher `which` (< the count start() made), no order checked:
  // for threads sealing chunks whose positions they know. out.size() == plain.size() + 16.
  int seal_at(unsigned which, std::uint64_t counter, bool last, std::span<const std::uint8_t> plain,
              std::span<std::uint8_t> out);
  AeadCipher& cipher(unsigned which) { return *ciphers_.at(which); }
  std::uint64_t max_chunks() const noexcept { return max_chunks_; }

 private:
  Header header_;
  std::array<std::uint8_t, kMaxHeaderSize> wire_{};
  std::size_t header_len_ = 0;
  std::vector<std::unique_ptr<AeadCipher>> ciphers_;
  std::uint64_t next_ = 0;
  std::uint64_t max_chunks_ = kMaxChunks;
  bool done_ = false;
};

class StreamOpener {
 public:
  // Checks `credentials` against `header` (read_stream_header()): the kind of secret and the
  // context; derives the keys and verifies the header's MAC, which tells a wrong key or
  // passphrase (WrongKey, WrongPassphrase, KeyKindMismatch) from damage found later. Makes
  // `ciphers` ciphers and chunk finders (one per thread that will open).
  StreamResult start(const Header& header, const Credentials& credentials,
                     const StreamOptions& options, unsigned ciphers = 1);

  std::size_t chunk_size() const noexcept { return header_.chunk_size(); }
  // A whole chunk as written: chunk_size() + kAeadTagSize bytes (the last one may be shorter).
  std::size_t sealed_size() const noexcept { return chunk_size() + kAeadTagSize; }

  // Opens the next chunk, `sealed` as it was written. A full-sized chunk is tried as a middle
  // chunk, then as the last; a shorter one can only be the last. Only when it verifies in its
  // place is its plaintext written to `out` (at least sealed.size() - 16 bytes; it may start at
  // sealed.data(), at the cost of a copy: the tries are made beside it) and the result Ok with
  // bytes_out its size. Otherwise a rejection: ModifiedChunk, OutOfOrder (a chunk of this stream
  // from elsewhere), TrailingData (anything after the last chunk, bytes appended to it included),
  // NonCanonical (an empty last chunk after others, too many chunks),
  // Truncated (fewer bytes than a tag); or a CipherError. After a failure, open() refuses more.
  // `at_end`: nothing follows `sealed` in the input (a read that came back short says so). A
  // short chunk that fails there is told as "modified, or the stream was cut inside it", as
  // decrypt_stream tells it; without it, "modified or replaced".
  StreamResult open(std::span<const std::uint8_t> sealed, std::span<std::uint8_t> out,
                    bool at_end = false);

  // At the end of the input: Ok when the last chunk was opened, else Truncated.
  StreamResult finish() const;
  bool finished() const noexcept { return done_; }

  AeadCipher& cipher(unsigned which) { return *ciphers_.at(which); }
  std::unique_ptr<ChunkFinder> take_finder(unsigned which) { return std::move(finders_.at(which)); }
  std::unique_ptr<AeadCipher> take_cipher(unsigned which) { return std::move(ciphers_.at(which)); }

 private:
  StreamResult misplaced(std::span<const std::uint8_t> sealed, bool short_chunk, bool at_end);

  Header header_;
  std::vector<std::unique_ptr<AeadCipher>> ciphers_;
  std::vector<std::unique_ptr<ChunkFinder>> finders_;
  std::vector<std::uint8_t> scratch_;  // failed tries, and every try in place
  std::uint64_t next_ = 0;
  std::uint64_t offset_ = 0;  // of the next chunk, from the stream's start (for messages)
  std::uint64_t max_chunks_ = kMaxChunks;
  bool done_ = false;
  bool failed_ = false;
};

}  // namespace conduit::crypto
