// stream: the STREAM construction over AES-256-GCM chunks, on top of the block pipeline.
//
// Encryption: header, then chunks sealed with nonce = counter || last-flag. Decryption: verify
// the header MAC (which tells a wrong key or passphrase apart from a damaged chunk), then open
// every chunk with the nonce its position implies. When a chunk fails, a few extra tries say
// *why* (the same bytes authenticate as the last chunk: data follows it; as a middle chunk: the
// stream was cut; at another counter: chunks moved; a prefix of them as a last chunk: data
// appended, or the last chunk moved before the end), so the message names the damage.
#include "conduit/crypto/stream.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "conduit/crypto/block_pipeline.hpp"
#include "conduit/crypto/chunk_search.hpp"
#include "conduit/crypto/sealer.hpp"
#include "conduit/crypto/spliced_stream.hpp"
#include "conduit/diag.hpp"
#include "conduit/sys.hpp"

namespace conduit::crypto {

namespace {

// Bytes of plaintext per pipeline block: one 64 KiB chunk on one thread (sealed in place, one
// read and one write per chunk); with workers, four chunks per hand-off, so the futex wake-ups
// between the I/O thread and the workers cost a quarter as much per byte. A mapped input takes
// four chunks per block on one thread too: nothing is read into the slot to stay in cache, and
// each block costs a pread(2) (the check that the file still holds it) and a write(2): 2-4% less
// CPU than 64 KiB (docs/benchmarks.md, session 8).
constexpr std::size_t kTargetBlock = 65536;
constexpr std::size_t kThreadedBlock = 4 * 65536;
constexpr std::uint64_t kReorderWindow = 64;      // counters tried around a failing chunk

std::size_t chunks_per_block(std::size_t chunk, unsigned threads, bool mapped) {
  return std::max<std::size_t>(1, (threads > 1 || mapped ? kThreadedBlock : kTargetBlock) / chunk);
}

StreamResult write_out(int fd, const std::uint8_t* data, std::size_t len) {
  if (len == 0) return {};
  ssize_t n = sys::write_all(fd, std::as_bytes(std::span(data, len)));
  if (n < 0)
    return StreamResult::failure(StreamStatus::WriteError, errno_text(static_cast<int>(-n)),
                                 static_cast<int>(-n));
  return {};
}

StreamResult cipher_failure(int rc) {
  return StreamResult::failure(StreamStatus::CipherError, errno_text(-rc), -rc);
}

// Seals the chunks of a block with the sealer's cipher `which`, at the positions the block's
// index implies.
class EncryptWorker final : public BlockWorker {
 public:
  EncryptWorker(StreamSealer& sealer, unsigned which)
      : sealer_(sealer), which_(which), chunk_(sealer.chunk_size()), max_chunks_(sealer.max_chunks()) {}

  void process(Block& b) override {
    std::size_t n = b.in_len == 0 ? 1 : (b.in_len + chunk_ - 1) / chunk_;
    std::uint64_t first = b.in_offset / chunk_;  // every block before this one was whole chunks
    // Read in place, chunk j already sits where its sealed form goes; else the chunks are packed.
    const std::size_t stride = b.in_stride > 0 ? b.in_stride : chunk_;
    for (std::size_t j = 0; j < n; ++j) {
      if (first + j >= max_chunks_) {
        b.out_len = j * (chunk_ + kAeadTagSize);
        b.result = too_many_chunks(max_chunks_, true);
        return;
      }
      std::size_t off = j * chunk_;
      std::size_t len = std::min(chunk_, b.in_len - off);
      int rc = sealer_.seal_at(which_, first + j, b.last && j == n - 1, std::span(b.in + j * stride, len),
                               std::span(b.out + j * (chunk_ + kAeadTagSize), len + kAeadTagSize));
      if (rc < 0) {
        b.out_len = j * (chunk_ + kAeadTagSize);
        b.result = cipher_failure(rc);
        return;
      }
    }
    b.out_len = b.in_len + n * kAeadTagSize;
  }

 private:
  StreamSealer& sealer_;
  unsigned which_;
  std::size_t chunk_;
  std::uint64_t max_chunks_;
};

class DecryptWorker final : public BlockWorker {
 public:
  DecryptWorker(std::unique_ptr<AeadCipher> cipher, std::unique_ptr<ChunkFinder> finder,
                std::size_t chunk, std::uint64_t header_size, std::uint64_t max_chunks)
      : cipher_(std::move(cipher)), finder_(std::move(finder)), chunk_(chunk),
        header_size_(header_size), max_chunks_(max_chunks) {}

  void process(Block& b) override {
    const std::size_t sealed = chunk_ + kAeadTagSize;
    if (b.in_len == 0) {
      b.result = no_chunks_failure();
      return;
    }
    std::size_t n = (b.in_len + sealed - 1) / sealed;
    std::uint64_t first = b.in_offset / sealed;  // every block before this one was whole chunks
    for (std::size_t j = 0; j < n; ++j) {
      std::size_t off = j * sealed;
      std::size_t len = std::min(sealed, b.in_len - off);
      bool at_end = b.last && j == n - 1;
      std::uint64_t counter = first + j;
      std::uint64_t where = header_size_ + b.in_offset + off;
      if (counter >= max_chunks_) {
        b.out_len = j * chunk_;
        b.result = too_many_chunks(max_chunks_, false);
        return;
      }
      if (len < kAeadTagSize) {
        b.out_len = j * chunk_;
        b.result = cut_inside_chunk(counter, where);
        return;
      }
      std::span<const std::uint8_t> in(b.in + off, len);
      std::span<std::uint8_t> out(b.out + j * chunk_, len - kAeadTagSize);
      int rc = cipher_->open(chunk_nonce(counter, at_end), {}, in, out);
      if (rc == 0 && at_end && len == kAeadTagSize && counter > 0) {
        // Authentic, but a writer ends a stream of full chunks with the last full one.
        b.out_len = j * chunk_;
        b.result = empty_last_chunk(counter, where);
        return;
      }
      if (rc == 0) continue;
      b.out_len = j * chunk_;
      if (rc != -EBADMSG) {
        b.result = cipher_failure(rc);
        return;
      }
      std::size_t verified = 0;
      b.result = diagnose(counter, at_end, where, in, out, verified);
      b.out_len += verified;
      return;
    }
    b.out_len = b.in_len - n * kAeadTagSize;
  }

 private:
  bool opens(std::uint64_t counter, bool last, std::span<const std::uint8_t> in,
             std::span<std::uint8_t> scratch) {
    return cipher_->open(chunk_nonce(counter, last), {}, in, scratch.first(in.size() - kAeadTagSize)) == 0;
  }

  // Why did chunk `counter` (at stream offset `where`) fail? Runs only on the failure path.
  // When the chunk does verify in its place (as the last chunk, with data after it; as a middle
  // chunk, with the stream cut after it), its plaintext is in `scratch` and `verified` says how
  // much of it may be written: it is authentic and in order, only the stream around it is not.
  StreamResult diagnose(std::uint64_t counter, bool at_end, std::uint64_t where,
                        std::span<const std::uint8_t> in, std::span<std::uint8_t> scratch,
                        std::size_t& verified) {
    const std::string name = chunk_name(counter, where);
    // The right chunk under the other flag: the stream was cut after it, or data follows it.
    if (opens(counter, !at_end, in, scratch)) {
      verified = in.size() - kAeadTagSize;
      return wrong_last_flag(counter, where, at_end);
    }
    // Another whole chunk of this stream.
    std::uint64_t lo = counter > kReorderWindow ? counter - kReorderWindow : 0;
    std::uint64_t hi = counter + kReorderWindow;
    for (std::uint64_t c = lo; c <= hi; ++c) {
      if (c == counter) continue;
      for (bool last : {false, true}) {
        if (opens(c, last, in, scratch)) return moved_chunk(c, last, counter, at_end, name);
      }
    }
    // A last chunk followed by more bytes: its own (appended data) or another one's (the last
    // chunk moved before the end). Every length is tried, in one pass.
    if (finder_) {
      std::vector<std::uint64_t> counters{counter};
      std::vector<std::array<std::uint8_t, kAeadNonceSize>> nonces{chunk_nonce(counter, true)};
      for (std::uint64_t c = lo; c <= hi; ++c) {
        if (c == counter) continue;
        counters.push_back(c);
        nonces.push_back(chunk_nonce(c, true));
      }
      std::size_t which = 0;
      long len = finder_->find_prefix(nonces, in, which);
      if (len < 0) return cipher_failure(static_cast<int>(len));
      if (len > 0) {
        auto prefix = static_cast<std::size_t>(len);
        std::uint64_t found = counters[which];
        if (found == counter && opens(counter, true, in.first(prefix), scratch)) {
          verified = prefix - kAeadTagSize;
          return StreamResult::failure(
              StreamStatus::TrailingData,
              "data after the last chunk: " + std::to_string(in.size() - prefix) +
                  (at_end ? "" : "+") + " bytes follow " + name + ", the last one");
        }
        if (found != counter)
          return StreamResult::failure(
              StreamStatus::OutOfOrder,
              "chunks reordered: the last chunk (chunk " + std::to_string(found) +
                  ") is not at the end: it is in the place of " + name);
      }
    }
    if (at_end && in.size() < chunk_ + kAeadTagSize)
      return StreamResult::failure(
          StreamStatus::ModifiedChunk,
          name + " failed authentication: it was modified, or the stream was cut inside it");
    return StreamResult::failure(StreamStatus::ModifiedChunk,
                                 name + " failed authentication: it was modified or replaced");
  }

  // Chunk `found` (a last one when `last`), whole, in the place of chunk `counter`.
  static StreamResult moved_chunk(std::uint64_t found, bool last, std::uint64_t counter,
                                  bool at_end, const std::string& name) {
    const std::string which = "chunk " + std::to_string(found);
    if (last && !at_end)
      return StreamResult::failure(StreamStatus::OutOfOrder,
                                   "chunks reordered: the last chunk (" + which +
                                       ") is not at the end: it is in the place of " + name);
    if (last && found > counter)
      // Every chunk before verified in its place, and the stream ends with its last chunk.
      return StreamResult::failure(
          StreamStatus::OutOfOrder,
          "chunks dropped: " +
              (found == counter + 1 ? "chunk " + std::to_string(counter) + " is"
                                    : "chunks " + std::to_string(counter) + " to " +
                                          std::to_string(found - 1) + " are") +
              " missing: the last chunk (" + which + ") is in the place of " + name);
    return StreamResult::failure(StreamStatus::OutOfOrder,
                                 "chunks reordered, duplicated or dropped: " + which +
                                     (last ? " (the last one)" : "") + " found in the place of " +
                                     name);
  }

  std::unique_ptr<AeadCipher> cipher_;
  std::unique_ptr<ChunkFinder> finder_;
  std::size_t chunk_;
  std::uint64_t header_size_;
  std::uint64_t max_chunks_;
};

unsigned worker_count(const StreamOptions& options) { return std::max(1u, options.threads); }

// A sealed chunk the cipher cannot take in one request (the kernel backend: its AF_ALG socket's
// send buffer) is refused before the first byte, not at the first chunk with EMSGSIZE.
StreamResult check_chunk_fits(const AeadCipher& cipher, std::size_t chunk, const StreamOptions& options) {
  if (chunk + kAeadTagSize <= cipher.max_request()) return {};
  return chunk_too_large(chunk, cipher.max_request(), options.backend->name());
}

// Whether the pipeline will map `in_fd` (blocks of `sealed_block` bytes, the input's):
// the options allow it, the cipher reads it in this process, and MappedInput takes the file.
bool maps_input(int in_fd, bool cipher_reads_mapping, const StreamOptions& options,
                std::size_t sealed_block) {
  return options.map_input && cipher_reads_mapping && MappedInput::takes(in_fd, sealed_block);
}

void set_mapping(PipelineConfig& config, bool mapped, const StreamOptions& options) {
  config.map_input = mapped;
  config.map = options.map;
}

}  // namespace

StreamResult encrypt_stream(int in_fd, int out_fd, const Credentials& credentials,
                            const StreamOptions& options) {
  StreamSealer sealer;
  if (auto r = sealer.start(credentials, options, worker_count(options)); !r.ok()) return r;
  if (auto r = check_chunk_fits(sealer.cipher(0), sealer.chunk_size(), options); !r.ok()) return r;
  const std::size_t header_len = sealer.header().size();
  if (auto r = write_out(out_fd, sealer.header().data(), header_len); !r.ok()) return r;

  const std::size_t chunk = sealer.chunk_size();
  if (options.allow_splice && use_spliced_input(in_fd, sealer.cipher(0), worker_count(options))) {
    StreamResult r = spliced_encrypt(in_fd, out_fd, sealer.cipher(0), chunk, nullptr, options.progress);
    r.bytes_out += header_len;
    r.write_calls += 1;
    return r;
  }
  const std::size_t k_mapped = chunks_per_block(chunk, worker_count(options), true);
  const bool mapped = maps_input(in_fd, sealer.cipher(0).reads_mapped_input(), options, k_mapped * chunk);
  const std::size_t k = mapped ? k_mapped : chunks_per_block(chunk, worker_count(options), false);
  std::vector<std::unique_ptr<BlockWorker>> workers;
  for (unsigned i = 0; i < worker_count(options); ++i)
    workers.push_back(std::make_unique<EncryptWorker>(sealer, i));
  PipelineConfig config{k * chunk, k * (chunk + kAeadTagSize), worker_count(options),
                        options.progress};
  // Seal each chunk where it was read, the tag after it: one buffer per slot, half the memory
  // the read, the cipher and the write touch. With several chunks per block, chunk j is read to
  // where its sealed form goes (a gap of one tag after each), so no tag overwrites a chunk.
  config.in_place = true;
  set_mapping(config, mapped, options);
  if (k > 1) {
    config.in_piece = chunk;
    config.in_stride = chunk + kAeadTagSize;
  }
  std::uint64_t writes = 1;  // the header
  StreamResult result = run_block_pipeline(in_fd, config, workers, [out_fd, &writes](Block& b) {
    if (b.out_len > 0) ++writes;
    return write_out(out_fd, b.out, b.out_len);
  });
  result.bytes_out += header_len;
  result.write_calls = writes;
  return result;
}

StreamResult read_stream_header(int in_fd, Header& header) {
  std::array<std::uint8_t, kMaxHeaderSize> buf{};
  long n = sys::read_full(in_fd, std::as_writable_bytes(std::span(buf.data(), kHeaderPrefixSize)));
  if (n < 0)
    return StreamResult::failure(StreamStatus::ReadError, errno_text(static_cast<int>(-n)),
                                 static_cast<int>(-n));
  auto got = static_cast<std::size_t>(n);
  bool magic_ok = std::memcmp(buf.data(), kMagic.data(), std::min(got, kMagic.size())) == 0;
  if (got < kHeaderPrefixSize) {
    if (got == 0)
      return StreamResult::broken(StreamStatus::NotThisFormat, FormatRule::EmptyInput,
                                  "empty input, not a stream of this format");
    if (magic_ok)
      return StreamResult::failure(StreamStatus::Truncated, "truncated stream: it ends inside the header");
    return header_failure(HeaderStatus::NotThisFormat, 0);
  }
  std::size_t rest = 0;
  unsigned bad = 0;
  HeaderStatus hs = parse_header_prefix(std::span<const std::uint8_t, kHeaderPrefixSize>(buf.data(), kHeaderPrefixSize),
                                        header, rest, &bad);
  if (hs != HeaderStatus::Ok) return header_failure(hs, bad);
  n = sys::read_full(in_fd, std::as_writable_bytes(std::span(buf.data() + kHeaderPrefixSize, rest)));
  if (n < 0)
    return StreamResult::failure(StreamStatus::ReadError, errno_text(static_cast<int>(-n)),
                                 static_cast<int>(-n));
  if (static_cast<std::size_t>(n) < rest)
    return StreamResult::failure(StreamStatus::Truncated, "truncated stream: it ends inside the header");
  hs = parse_header_rest(std::span(buf.data() + kHeaderPrefixSize, rest), header, &bad);
  if (hs != HeaderStatus::Ok) {
    StreamResult r = header_failure(hs, bad);
    r.status = StreamStatus::BadHeader;  // the magic was right: whatever is wrong is in the header
    return r;
  }
  StreamResult ok;
  ok.bytes_in = header.size();
  return ok;
}

StreamResult decrypt_stream(int in_fd, int out_fd, const Header& header,
                            const Credentials& credentials, const StreamOptions& options) {
  StreamOpener opener;
  if (auto r = opener.start(header, credentials, options, worker_count(options)); !r.ok()) return r;
  if (auto r = check_chunk_fits(opener.cipher(0), header.chunk_size(), options); !r.ok()) return r;

  const std::size_t chunk = header.chunk_size();
  if (options.allow_splice && use_spliced_input(in_fd, opener.cipher(0), worker_count(options))) {
    StreamResult r = spliced_decrypt(in_fd, out_fd, opener.cipher(0), chunk, header.size(),
                                     nullptr, options.progress);
    r.bytes_in += header.size();
    return r;
  }
  // Many chunks at once, each at the position its block implies: the opener's keys, with the
  // failure diagnosis of DecryptWorker (open() is the one-chunk-at-a-time form).
  const std::size_t k_mapped = chunks_per_block(chunk, worker_count(options), true);
  const bool mapped = maps_input(in_fd, opener.cipher(0).reads_mapped_input(), options,
                                 k_mapped * (chunk + kAeadTagSize));
  const std::size_t k = mapped ? k_mapped : chunks_per_block(chunk, worker_count(options), false);
  std::vector<std::unique_ptr<BlockWorker>> workers;
  for (unsigned i = 0; i < worker_count(options); ++i)
    workers.push_back(std::make_unique<DecryptWorker>(opener.take_cipher(i), opener.take_finder(i),
                                                      chunk, header.size(), options.max_chunks));
  PipelineConfig config{k * (chunk + kAeadTagSize), k * chunk, worker_count(options),
                        options.progress};
  set_mapping(config, mapped, options);
  std::uint64_t writes = 0;
  StreamResult result = run_block_pipeline(in_fd, config, workers, [out_fd, &writes](Block& b) {
    if (b.out_len > 0) ++writes;
    return write_out(out_fd, b.out, b.out_len);
  });
  result.bytes_in += header.size();
  result.write_calls = writes;
  return result;
}

}  // namespace conduit::crypto
