// pieces: the authenticated stream format (format.hpp) from and to pieces of any size, for a
// program whose data comes and goes in pieces it does not choose (a socket's reads, a message
// queue, an encoder's output). StreamSealer and StreamOpener (sealer.hpp) take whole chunks and
// must be told which one is the last; these do the gathering and the look-ahead.
//
//   PieceSealer s;                                   PieceOpener o;
//   s.start(credentials, options, sink);             o.start(credentials, options, sink);
//     (the header goes to the sink)                  for each piece p of the stream, header first:
//   for each piece p: s.write(p);                      o.write(p)    (verified plaintext to sink)
//   s.finish();  (the last chunk)                    o.finish();  (Truncated if cut short)
//
// The sealer sends a full chunk only once a further byte proves it is not the last (the
// last-chunk flag is in its nonce), and finish() seals what it holds as the last chunk, empty
// only when nothing was written: the bytes are those `hw-encrypt` writes for the same input
// (encrypt_stream(), with the stream's fresh salt). The opener sends a chunk's plaintext as soon
// as the chunk has verified in its place; a short last chunk verifies at finish(). Its verdicts
// and their words are decrypt_stream()'s for a cut stream (the header cut, no chunk, a chunk cut
// inside, whole chunks missing at the end), StreamOpener's for the others.
//
// Everything happens inside the calls, on the caller's thread: no threads, no buffering beyond
// one chunk, nothing printed. After a failure every later call returns it again. Use plaintext
// only as verified chunks, and the whole only once finish() is Ok.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "conduit/crypto/format.hpp"
#include "conduit/crypto/sealer.hpp"
#include "conduit/crypto/stream.hpp"
#include "conduit/crypto/stream_result.hpp"

namespace conduit::crypto {

// Where the bytes go: the sealed stream (the sealer) or the verified plaintext (the opener), in
// order, in pieces of at most a chunk (the header alone). Returns 0, or -errno to fail the call
// that fed it with a WriteError carrying that errno. The span is valid only during the call.
using PieceSink = std::function<int(std::span<const std::uint8_t>)>;

class PieceSealer {
 public:
  // A fresh salt and the stream's keys (StreamSealer::start), then the header to `sink`. Ok, a
  // CipherError (no backend or secret, chunks the backend cannot take in one request), or a
  // WriteError from the sink.
  StreamResult start(const Credentials& credentials, const StreamOptions& options, PieceSink sink);

  // Takes `piece` (any size, empty included) and sends every chunk it completes except the one
  // that might be the last. Ok, a WriteError from the sink, a CipherError ("input too large" past
  // the chunk limit, EFBIG), or EINVAL before start() or after finish().
  StreamResult write(std::span<const std::uint8_t> piece);
  StreamResult write(std::span<const std::byte> piece);

  // Seals what is held as the last chunk and sends it. Ok: bytes_in is the plaintext's size and
  // bytes_out the stream's, header included.
  StreamResult finish();

  std::size_t chunk_size() const noexcept { return sealer_.chunk_size(); }
  bool finished() const noexcept { return sealer_.finished(); }

 private:
  StreamResult seal(std::span<const std::uint8_t> plain, bool last);
  StreamResult fail(StreamResult r);
  StreamResult send(std::span<const std::uint8_t> bytes);

  StreamSealer sealer_;
  PieceSink sink_;
  std::vector<std::uint8_t> held_;  // the chunk being gathered, then room for its tag
  std::size_t held_len_ = 0;
  StreamResult failure_;
  bool started_ = false;
  std::uint64_t in_ = 0;
  std::uint64_t out_ = 0;
};

class PieceOpener {
 public:
  // The pieces begin with the header: it is parsed as it arrives, and the keys are checked
  // (StreamOpener::start: wrong key, wrong kind of secret, context) inside the write() that
  // completes it: `credentials.secret` (borrowed) must stay valid until then. Ok, or a
  // CipherError for missing settings.
  StreamResult start(const Credentials& credentials, const StreamOptions& options, PieceSink sink);
  // The header was read already (read_stream_header(), or parse_header_prefix/_rest): the pieces
  // are what follows it. The keys are checked here.
  StreamResult start(const Header& header, const Credentials& credentials,
                     const StreamOptions& options, PieceSink sink);

  // Takes `piece` (any size) and sends the plaintext of every chunk that verifies in its place.
  // A rejection (NotThisFormat, BadHeader, WrongKey ..., ModifiedChunk, OutOfOrder, TrailingData,
  // NonCanonical), a CipherError, a WriteError from the sink, or EINVAL after finish().
  StreamResult write(std::span<const std::uint8_t> piece);
  StreamResult write(std::span<const std::byte> piece);

  // The input ended: opens a short last chunk held back, then Ok only if the last chunk was
  // opened (bytes_in the stream's size, bytes_out the plaintext's); Truncated, or NotThisFormat
  // for an empty input, otherwise.
  StreamResult finish();

  // The stream's header, once it has been read (nullptr before).
  const Header* header() const noexcept { return have_header_ ? &header_ : nullptr; }
  bool finished() const noexcept { return finished_; }

 private:
  StreamResult take_header(std::span<const std::uint8_t>& piece);
  StreamResult begin_chunks();
  StreamResult open(std::span<const std::uint8_t> sealed, bool at_end);
  StreamResult header_cut() const;
  StreamResult fail(StreamResult r);

  StreamOpener opener_;
  Credentials credentials_;
  StreamOptions options_;
  PieceSink sink_;
  Header header_;
  std::array<std::uint8_t, kMaxHeaderSize> head_{};
  std::size_t head_len_ = 0;
  std::size_t head_need_ = kHeaderPrefixSize;  // the prefix, then the whole header
  bool have_header_ = false;
  std::vector<std::uint8_t> held_;   // a sealed chunk being gathered
  std::vector<std::uint8_t> plain_;  // its plaintext
  std::size_t held_len_ = 0;
  StreamResult failure_;
  bool started_ = false;
  bool finished_ = false;
  std::uint64_t in_ = 0;
  std::uint64_t out_ = 0;
};

}  // namespace conduit::crypto
