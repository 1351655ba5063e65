// raw: the --raw loop: read a large block, run it through the RawCipher, write it out.
#include "conduit/crypto/raw.hpp"

#include <poll.h>

#include <cerrno>
#include <vector>

#include "conduit/crypto/keys.hpp"
#include "conduit/diag.hpp"
#include "conduit/sys.hpp"

namespace conduit::crypto {

namespace {
// All ones when a < b, else 0 (a, b < 2^31), without a branch.
unsigned ct_less_mask(unsigned a, unsigned b) noexcept { return 0U - ((a - b) >> 31); }
// All ones when a == b, else 0 (a, b < 2^31).
unsigned ct_equal_mask(unsigned a, unsigned b) noexcept { return 0U - (((a ^ b) - 1U) >> 31); }
}  // namespace

unsigned pkcs7_padding_length(std::span<const std::uint8_t, kAesBlockSize> block) noexcept {
  const unsigned pad = block[kAesBlockSize - 1];
  // 1 <= pad <= 16
  unsigned good = ~ct_equal_mask(pad, 0) & ct_less_mask(pad, kAesBlockSize + 1);
  for (unsigned i = 0; i < kAesBlockSize; ++i) {
    // Byte i from the end must equal pad when i < pad; every byte is read either way.
    unsigned in_pad = ct_less_mask(i, pad);
    good &= ~in_pad | ct_equal_mask(block[kAesBlockSize - 1 - i], pad);
  }
  return pad & good;
}

namespace {
constexpr std::size_t kRawBlock = 512 * 1024;

StreamResult io_failure(StreamStatus status, long rc) {
  return StreamResult::failure(status, errno_text(static_cast<int>(-rc)), static_cast<int>(-rc));
}
}  // namespace

StreamResult raw_stream(int in_fd, int out_fd, const RawOptions& options,
                        std::span<const std::uint8_t> key, std::span<const std::uint8_t> iv) {
  auto made = options.backend->make_raw(options.algorithm, options.encrypt, options.padding, key, iv);
  if (!made.ok()) return StreamResult::failure(StreamStatus::CipherError, errno_text(made.error), made.error);
  std::unique_ptr<RawCipher> cipher = std::move(made.value);
  std::vector<std::uint8_t> in(kRawBlock);
  std::vector<std::uint8_t> out(kRawBlock + kAesBlockSize);
  WipeOnExit wipe_in(in);  // one of the two holds plaintext
  WipeOnExit wipe_out(out);
  StreamResult result;
  auto put = [&](std::size_t len) -> StreamResult {
    if (len == 0) return {};
    ssize_t n = sys::write_all(out_fd, std::as_bytes(std::span(out.data(), len)));
    ++result.write_calls;
    if (n < 0) return io_failure(StreamStatus::WriteError, n);
    result.bytes_out += len;
    return {};
  };
  for (;;) {
    ssize_t n = sys::read_some(in_fd, std::as_writable_bytes(std::span(in)));
    if (n < 0) return io_failure(StreamStatus::ReadError, n);
    ++result.read_calls;
    if (n == 0) break;
    result.bytes_in += static_cast<std::uint64_t>(n);
    long m = cipher->update(std::span(in.data(), static_cast<std::size_t>(n)), out);
    if (m < 0) return StreamResult::failure(StreamStatus::CipherError, errno_text(static_cast<int>(-m)), static_cast<int>(-m));
    if (auto r = put(static_cast<std::size_t>(m)); !r.ok()) return r;
    if (options.progress) options.progress(static_cast<std::uint64_t>(n));
  }
  long m = cipher->final(out);
  if (m == -EBADMSG)
    return StreamResult::failure(StreamStatus::ModifiedChunk,
                                 "bad decrypt: wrong key or IV, or damaged or truncated input "
                                 "(invalid padding)");
  if (m == -EINVAL)
    return StreamResult::failure(StreamStatus::CipherError,
                                 "input is not a multiple of the 16-byte block size (--nopad)",
                                 EINVAL);
  if (m < 0) return StreamResult::failure(StreamStatus::CipherError, errno_text(static_cast<int>(-m)), static_cast<int>(-m));
  if (auto r = put(static_cast<std::size_t>(m)); !r.ok()) return r;
  return result;
}

}  // namespace conduit::crypto
