// spliced_stream: STREAM chunks from a pipe through a backend that splices its input.
#include "conduit/crypto/spliced_stream.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <vector>

#include "conduit/crypto/format.hpp"
#include "conduit/diag.hpp"
#include "conduit/sys.hpp"

namespace conduit::crypto {

namespace {

// Bytes queued in the pipe, or -errno.
long queued(int fd) {
  int n = 0;
  if (::ioctl(fd, FIONREAD, &n) != 0) return -errno;
  return n;
}

// Whether input follows, without consuming any: 1 yes, 0 no (EOF), -errno.
int more_follows(int fd) {
  for (;;) {
    long n = queued(fd);
    if (n != 0) return n > 0 ? 1 : static_cast<int>(n);
    pollfd p{fd, POLLIN, 0};
    int rc = ::poll(&p, 1, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return -errno;
    n = queued(fd);
    if (n != 0) return n > 0 ? 1 : static_cast<int>(n);
    if ((p.revents & (POLLHUP | POLLERR)) != 0) return 0;
  }
}

StreamResult io_error(StreamStatus status, long rc) {
  return StreamResult::failure(status, errno_text(static_cast<int>(-rc)), static_cast<int>(-rc));
}

StreamResult put(int fd, const std::uint8_t* data, std::size_t len, StreamResult& result) {
  if (len == 0) return {};
  ++result.write_calls;
  ssize_t n = sys::write_all(fd, std::as_bytes(std::span(data, len)));
  if (n < 0) return io_error(StreamStatus::WriteError, n);
  result.bytes_out += len;
  return {};
}

}  // namespace

bool use_spliced_input(int in_fd, const AeadCipher& cipher, unsigned threads) noexcept {
  if (threads > 1 || !cipher.supports_spliced_input()) return false;
  struct stat st {};
  return ::fstat(in_fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

StreamResult spliced_encrypt(int in_fd, int out_fd, AeadCipher& cipher, std::size_t chunk,
                             SpliceCounters* counters, const ProgressFn& progress) {
  SpliceCounters local;
  SpliceCounters& count = counters != nullptr ? *counters : local;
  std::vector<std::uint8_t> in(chunk);
  std::vector<std::uint8_t> out(chunk + kAeadTagSize);
  StreamResult result;
  for (std::uint64_t counter = 0;; ++counter) {
    long avail = queued(in_fd);
    if (avail < 0) return io_error(StreamStatus::ReadError, avail);
    if (static_cast<std::size_t>(avail) > chunk) {
      int rc = cipher.seal_spliced(chunk_nonce(counter, false), {}, in_fd, chunk, out);
      if (rc < 0) return StreamResult::failure(StreamStatus::CipherError, errno_text(-rc), -rc);
      result.bytes_in += chunk;
      result.spliced_bytes += chunk;
      ++count.spliced_chunks;
      if (auto r = put(out_fd, out.data(), out.size(), result); !r.ok()) return r;
      if (progress) progress(chunk);
      continue;
    }
    long got = sys::read_full(in_fd, std::as_writable_bytes(std::span(in.data(), chunk)),
                              &result.read_calls);
    if (got < 0) return io_error(StreamStatus::ReadError, got);
    result.bytes_in += static_cast<std::uint64_t>(got);
    bool last = static_cast<std::size_t>(got) < chunk;
    if (!last) {
      int more = more_follows(in_fd);
      if (more < 0) return io_error(StreamStatus::ReadError, more);
      last = more == 0;
    }
    std::size_t n = static_cast<std::size_t>(got);
    int rc = cipher.seal(chunk_nonce(counter, last), {}, std::span(in.data(), n),
                         std::span(out.data(), n + kAeadTagSize));
    if (rc < 0) return StreamResult::failure(StreamStatus::CipherError, errno_text(-rc), -rc);
    ++count.copied_chunks;
    if (auto r = put(out_fd, out.data(), n + kAeadTagSize, result); !r.ok()) return r;
    if (progress) progress(n);
    if (last) return result;
  }
}

StreamResult spliced_decrypt(int in_fd, int out_fd, AeadCipher& cipher, std::size_t chunk,
                             std::uint64_t header_size, SpliceCounters* counters,
                             const ProgressFn& progress) {
  SpliceCounters local;
  SpliceCounters& count = counters != nullptr ? *counters : local;
  const std::size_t sealed = chunk + kAeadTagSize;
  std::vector<std::uint8_t> in(sealed);
  std::vector<std::uint8_t> out(chunk);
  StreamResult result;
  for (std::uint64_t counter = 0;; ++counter) {
    const std::uint64_t where = header_size + result.bytes_in;
    long avail = queued(in_fd);
    if (avail < 0) return io_error(StreamStatus::ReadError, avail);
    if (static_cast<std::size_t>(avail) > sealed) {
      int rc = cipher.open_spliced(chunk_nonce(counter, false), {}, in_fd, sealed, out);
      result.bytes_in += sealed;
      result.spliced_bytes += sealed;
      ++count.spliced_chunks;
      if (rc == -EBADMSG)
        // The bytes went into the kernel and cannot be tried again, so no finer diagnosis.
        return StreamResult::failure(StreamStatus::ModifiedChunk,
                                     chunk_name(counter, where) +
                                         " failed authentication: it was modified, moved or "
                                         "replaced");
      if (rc < 0) return StreamResult::failure(StreamStatus::CipherError, errno_text(-rc), -rc);
      if (auto r = put(out_fd, out.data(), out.size(), result); !r.ok()) return r;
      if (progress) progress(sealed);
      continue;
    }
    long got = sys::read_full(in_fd, std::as_writable_bytes(std::span(in.data(), sealed)),
                              &result.read_calls);
    if (got < 0) return io_error(StreamStatus::ReadError, got);
    std::size_t n = static_cast<std::size_t>(got);
    result.bytes_in += n;
    if (n == 0 && counter == 0) return no_chunks_failure();
    if (n < kAeadTagSize) return cut_inside_chunk(counter, where);
    bool last = n < sealed;
    if (!last) {
      int more = more_follows(in_fd);
      if (more < 0) return io_error(StreamStatus::ReadError, more);
      last = more == 0;
    }
    std::span<const std::uint8_t> data(in.data(), n);
    std::span<std::uint8_t> plain(out.data(), n - kAeadTagSize);
    int rc = cipher.open(chunk_nonce(counter, last), {}, data, plain);
    ++count.copied_chunks;
    if (rc == -EBADMSG) {
      if (cipher.open(chunk_nonce(counter, !last), {}, data, plain) == 0) {
        if (auto r = put(out_fd, plain.data(), plain.size(), result); !r.ok()) return r;
        return wrong_last_flag(counter, where, last);
      }
      return StreamResult::failure(StreamStatus::ModifiedChunk,
                                   chunk_name(counter, where) +
                                       " failed authentication: it was modified, moved or cut");
    }
    if (rc < 0) return StreamResult::failure(StreamStatus::CipherError, errno_text(-rc), -rc);
    if (last && n == kAeadTagSize && counter > 0) return empty_last_chunk(counter, where);
    if (auto r = put(out_fd, plain.data(), plain.size(), result); !r.ok()) return r;
    if (progress) progress(n);
    if (last) return result;
  }
}

}  // namespace conduit::crypto
