// pieces: the stream format from and to pieces of any size, over StreamSealer and StreamOpener
// (pieces.hpp).
#include "conduit/crypto/pieces.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "conduit/diag.hpp"

namespace conduit::crypto {

namespace {

StreamResult invalid(std::string why) {
  return StreamResult::failure(StreamStatus::CipherError, std::move(why), EINVAL);
}

StreamResult cipher_failure(int rc) {
  return StreamResult::failure(StreamStatus::CipherError, errno_text(-rc), -rc);
}

// What the caller must fill in and has no default, checked before anything is done (the opener
// reaches StreamOpener::start, which checks the same, only once the header is in).
StreamResult missing_setting(const Credentials& credentials, const StreamOptions& options,
                             const PieceSink& sink) {
  if (options.backend == nullptr) return invalid("no cipher backend given");
  if (credentials.secret == nullptr) return invalid("no key or passphrase given");
  if (!sink) return invalid("no sink given");
  return {};
}

// encrypt_stream and decrypt_stream refuse, before the first byte, chunks the cipher cannot take
// in one request (the kernel backend); so do these, rather than fail at the first chunk.
StreamResult check_chunk_fits(AeadCipher& cipher, std::size_t chunk, const StreamOptions& options) {
  if (chunk + kAeadTagSize <= cipher.max_request()) return {};
  return chunk_too_large(chunk, cipher.max_request(), options.backend->name());
}

std::span<const std::uint8_t> as_u8(std::span<const std::byte> piece) {
  return {reinterpret_cast<const std::uint8_t*>(piece.data()), piece.size()};
}

}  // namespace

// --- PieceSealer ---

StreamResult PieceSealer::start(const Credentials& credentials, const StreamOptions& options,
                                PieceSink sink) {
  *this = PieceSealer{};
  if (auto r = missing_setting(credentials, options, sink); !r.ok()) return fail(r);
  sink_ = std::move(sink);
  if (auto r = sealer_.start(credentials, options); !r.ok()) return fail(r);
  if (auto r = check_chunk_fits(sealer_.cipher(0), chunk_size(), options); !r.ok()) return fail(r);
  held_.resize(chunk_size() + kAeadTagSize);
  started_ = true;
  return send(sealer_.header());
}

StreamResult PieceSealer::write(std::span<const std::byte> piece) { return write(as_u8(piece)); }

StreamResult PieceSealer::write(std::span<const std::uint8_t> piece) {
  if (!failure_.ok()) return failure_;
  if (!started_ || finished()) return invalid(errno_text(EINVAL));
  in_ += piece.size();
  const std::size_t chunk = chunk_size();
  while (!piece.empty()) {
    // A byte after a full chunk: that chunk is not the last.
    if (held_len_ == chunk) {
      if (auto r = seal(std::span(held_.data(), chunk), false); !r.ok()) return r;
      held_len_ = 0;
    }
    // A whole chunk with more after it, straight from the piece (no copy).
    if (held_len_ == 0 && piece.size() > chunk) {
      if (auto r = seal(piece.first(chunk), false); !r.ok()) return r;
      piece = piece.subspan(chunk);
      continue;
    }
    std::size_t take = std::min(piece.size(), chunk - held_len_);
    std::memcpy(held_.data() + held_len_, piece.data(), take);
    held_len_ += take;
    piece = piece.subspan(take);
  }
  return {};
}

StreamResult PieceSealer::finish() {
  if (!failure_.ok()) return failure_;
  if (!started_ || finished()) return invalid(errno_text(EINVAL));
  // Empty only when nothing was written: a full chunk is held, never sent, until more arrives.
  if (auto r = seal(std::span(held_.data(), held_len_), true); !r.ok()) return r;
  held_len_ = 0;
  StreamResult ok;
  ok.bytes_in = in_;
  ok.bytes_out = out_;
  return ok;
}

// Seals into held_ (in place when `plain` is held_'s start) and sends the sealed chunk.
StreamResult PieceSealer::seal(std::span<const std::uint8_t> plain, bool last) {
  long n = sealer_.seal(plain, last, held_);
  if (n == -EFBIG) return fail(too_many_chunks(sealer_.max_chunks(), true));
  if (n < 0) return fail(cipher_failure(static_cast<int>(n)));
  return send(std::span<const std::uint8_t>(held_.data(), static_cast<std::size_t>(n)));
}

StreamResult PieceSealer::send(std::span<const std::uint8_t> bytes) {
  if (int rc = sink_(bytes); rc < 0)
    return fail(StreamResult::failure(StreamStatus::WriteError, errno_text(-rc), -rc));
  out_ += bytes.size();
  return {};
}

StreamResult PieceSealer::fail(StreamResult r) {
  failure_ = r;
  return r;
}

// --- PieceOpener ---

StreamResult PieceOpener::start(const Credentials& credentials, const StreamOptions& options,
                                PieceSink sink) {
  *this = PieceOpener{};
  if (auto r = missing_setting(credentials, options, sink); !r.ok()) return fail(r);
  credentials_ = credentials;
  options_ = options;
  sink_ = std::move(sink);
  started_ = true;
  return {};
}

StreamResult PieceOpener::start(const Header& header, const Credentials& credentials,
                                const StreamOptions& options, PieceSink sink) {
  if (auto r = start(credentials, options, std::move(sink)); !r.ok()) return r;
  header_ = header;
  have_header_ = true;
  in_ = header.size();
  return begin_chunks();
}

StreamResult PieceOpener::write(std::span<const std::byte> piece) { return write(as_u8(piece)); }

StreamResult PieceOpener::write(std::span<const std::uint8_t> piece) {
  if (!failure_.ok()) return failure_;
  if (!started_ || finished_) return invalid(errno_text(EINVAL));
  in_ += piece.size();
  if (!have_header_) {
    if (auto r = take_header(piece); !r.ok() || !have_header_) return r;
  }
  const std::size_t sealed = held_.size();
  while (!piece.empty()) {
    // After the last chunk: whatever follows is refused now, not when the input ends.
    if (opener_.finished()) return open(piece, false);
    // A whole sealed chunk in the piece, opened from where it lies (no copy).
    if (held_len_ == 0 && piece.size() >= sealed) {
      if (auto r = open(piece.first(sealed), false); !r.ok()) return r;
      piece = piece.subspan(sealed);
      continue;
    }
    std::size_t take = std::min(piece.size(), sealed - held_len_);
    std::memcpy(held_.data() + held_len_, piece.data(), take);
    held_len_ += take;
    piece = piece.subspan(take);
    // A full-sized chunk is opened at once: StreamOpener tries it as a middle chunk, then as the
    // last, so nothing needs to follow it. A shorter one waits for more bytes or finish().
    if (held_len_ == sealed) {
      held_len_ = 0;
      if (auto r = open(held_, false); !r.ok()) return r;
    }
  }
  return {};
}

StreamResult PieceOpener::finish() {
  if (!failure_.ok()) return failure_;
  if (!started_ || finished_) return invalid(errno_text(EINVAL));
  finished_ = true;
  if (!have_header_) return fail(header_cut());
  if (held_len_ > 0) {
    // Where the input ended: a short chunk that fails is told as "cut inside it".
    if (auto r = open(std::span<const std::uint8_t>(held_.data(), held_len_), true); !r.ok()) return r;
    held_len_ = 0;
  }
  if (StreamResult r = opener_.finish(); !r.ok()) return fail(r);
  StreamResult ok;
  ok.bytes_in = in_;
  ok.bytes_out = out_;
  return ok;
}

// Gathers the header from the front of `piece` (and moves past it): the 12-byte prefix says how
// long the rest is; both are parsed as read_stream_header() parses them, with its verdicts.
StreamResult PieceOpener::take_header(std::span<const std::uint8_t>& piece) {
  while (!piece.empty()) {
    std::size_t take = std::min(piece.size(), head_need_ - head_len_);
    std::memcpy(head_.data() + head_len_, piece.data(), take);
    head_len_ += take;
    piece = piece.subspan(take);
    if (head_len_ < head_need_) return {};
    unsigned bad = 0;
    if (head_need_ == kHeaderPrefixSize) {
      std::size_t rest = 0;
      HeaderStatus hs = parse_header_prefix(
          std::span<const std::uint8_t, kHeaderPrefixSize>(head_.data(), kHeaderPrefixSize), header_,
          rest, &bad);
      if (hs != HeaderStatus::Ok) return fail(header_failure(hs, bad));
      head_need_ += rest;
      continue;
    }
    HeaderStatus hs = parse_header_rest(
        std::span<const std::uint8_t>(head_.data() + kHeaderPrefixSize, head_need_ - kHeaderPrefixSize),
        header_, &bad);
    if (hs != HeaderStatus::Ok) {
      StreamResult r = header_failure(hs, bad);
      r.status = StreamStatus::BadHeader;  // the magic was right: whatever is wrong is in the header
      return fail(r);
    }
    have_header_ = true;
    return begin_chunks();
  }
  return {};
}

// The header is in: the keys are checked against it, and chunks may come.
StreamResult PieceOpener::begin_chunks() {
  opener_ = StreamOpener{};
  if (auto r = opener_.start(header_, credentials_, options_); !r.ok()) return fail(r);
  if (auto r = check_chunk_fits(opener_.cipher(0), header_.chunk_size(), options_); !r.ok())
    return fail(r);
  held_.resize(opener_.sealed_size());
  plain_.resize(opener_.sealed_size());  // as long as any piece open() may be given
  return {};
}

// Opens one sealed chunk into plain_ (beside it: in place would cost StreamOpener a copy) and
// sends its plaintext.
StreamResult PieceOpener::open(std::span<const std::uint8_t> sealed, bool at_end) {
  StreamResult r = opener_.open(sealed, plain_, at_end);
  if (!r.ok()) return fail(r);
  if (r.bytes_out == 0) return {};
  if (int rc = sink_(std::span<const std::uint8_t>(plain_.data(), r.bytes_out)); rc < 0)
    return fail(StreamResult::failure(StreamStatus::WriteError, errno_text(-rc), -rc));
  out_ += r.bytes_out;
  return {};
}

// The input ended inside the header: read_stream_header()'s verdicts for a short read.
StreamResult PieceOpener::header_cut() const {
  if (head_len_ == 0)
    return StreamResult::broken(StreamStatus::NotThisFormat, FormatRule::EmptyInput,
                                "empty input, not a stream of this format");
  const std::size_t magic = std::min(head_len_, kMagic.size());
  if (head_len_ >= kHeaderPrefixSize || std::memcmp(head_.data(), kMagic.data(), magic) == 0)
    return StreamResult::failure(StreamStatus::Truncated, "truncated stream: it ends inside the header");
  return header_failure(HeaderStatus::NotThisFormat, 0);
}

StreamResult PieceOpener::fail(StreamResult r) {
  failure_ = r;
  return r;
}

}  // namespace conduit::crypto
