// cat_copy: GNU cat's per-input rules and the formatted copy (see the header).
#include "conduit/cat_copy.hpp"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <new>

#include "conduit/progress.hpp"
#include "conduit/sys.hpp"

namespace conduit {

namespace {

bool seekable(const FdInfo& info) noexcept {
  return info.kind == FdKind::Regular || info.kind == FdKind::BlockDevice;
}

std::uint64_t clamp_length(std::uint64_t available, const std::optional<std::uint64_t>& length) {
  return length ? std::min(available, *length) : available;
}

std::optional<std::uint64_t> regular_size(const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace

bool input_is_output(int in_fd, const FdInfo& in, const FdInfo& out, const Range& range) noexcept {
  if (out.kind != FdKind::Regular || in.kind != FdKind::Regular) return false;
  if (in.dev != out.dev || in.ino != out.ino) return false;
  std::uint64_t start;
  if (range.offset) {
    start = *range.offset;
  } else {
    off_t pos = ::lseek(in_fd, 0, SEEK_CUR);
    start = pos < 0 ? 0 : static_cast<std::uint64_t>(pos);
  }
  return start < static_cast<std::uint64_t>(in.size);
}

int position_stream(int fd, const FdInfo& info, Range& range) noexcept {
  if (!range.offset || !seekable(info)) return 0;
  // Where the offset lies beyond what a file position can hold (near 2^63, `8E`), no file has
  // bytes there: the input is used up, as with any offset past its end. The kernel refuses
  // positions past its largest file size (EINVAL) rather than placing us there: the same answer.
  off_t pos = ::lseek(fd, 0, SEEK_CUR);
  bool beyond = pos >= 0 && *range.offset > static_cast<std::uint64_t>(INT64_MAX - pos);
  off_t rc = beyond ? -1 : ::lseek(fd, static_cast<off_t>(*range.offset), SEEK_CUR);
  if (rc < 0 && (beyond || errno == EINVAL || errno == EOVERFLOW)) {
    beyond = true;
    rc = ::lseek(fd, 0, SEEK_END);
  }
  if (rc < 0) return -errno;
  if (beyond) range.length = 0;
  range.offset.reset();
  return 0;
}

std::optional<std::uint64_t> planned_total(std::span<const std::string> operands,
                                           const Range& range, int stdin_fd) {
  std::uint64_t total = 0;
  struct stat st {};
  // Standard input is consumed from its position on: repeated "-" reads on from there.
  std::optional<std::uint64_t> stdin_pos;
  const std::uint64_t offset = range.offset.value_or(0);
  for (const std::string& name : operands) {
    if (name == "-") {
      if (::fstat(stdin_fd, &st) != 0) return std::nullopt;
      auto size = regular_size(st);
      if (!size) return std::nullopt;
      if (!stdin_pos) {
        off_t pos = ::lseek(stdin_fd, 0, SEEK_CUR);
        stdin_pos = pos < 0 ? 0 : static_cast<std::uint64_t>(pos);
      }
      std::uint64_t start = offset > UINT64_MAX - *stdin_pos ? UINT64_MAX : *stdin_pos + offset;
      std::uint64_t n = clamp_length(start < *size ? *size - start : 0, range.length);
      stdin_pos = start + n;
      total += n;
    } else {
      if (::stat(name.c_str(), &st) != 0) continue;  // will fail: contributes nothing
      auto size = regular_size(st);
      if (!size) return std::nullopt;
      total += clamp_length(offset < *size ? *size - offset : 0, range.length);
    }
  }
  return total;
}

void FormattedCopy::FreeDeleter::operator()(char* p) const noexcept { std::free(p); }

FormattedCopy::FormattedCopy(const CatFormatOptions& options, Pump& pump, Stats* stats,
                             Progress* progress)
    : formatter_(options),
      pump_(pump),
      stats_(stats),
      progress_(progress),
      buffer_(static_cast<char*>(std::aligned_alloc(4096, CatFormatter::kChunk))) {
  if (!buffer_) throw std::bad_alloc();
}

PumpResult FormattedCopy::flush(int out) {
  auto bytes = formatter_.output();
  if (bytes.empty()) return {};
  PumpResult r = pump_.write(out, std::as_bytes(bytes));
  formatter_.clear_output();
  return r;
}

PumpResult FormattedCopy::run(int in, const FdInfo& in_info, int out, const Range& range) {
  char* buf = buffer_.get();
  constexpr std::size_t size = CatFormatter::kChunk;
  const bool positional = range.offset && seekable(in_info);
  off_t pos = positional ? static_cast<off_t>(*range.offset) : 0;
  std::uint64_t skip = (range.offset && !positional) ? *range.offset : 0;
  std::optional<std::uint64_t> left = range.length;
  std::uint64_t total = 0;
  for (;;) {
    std::size_t want = size;
    if (skip > 0) want = static_cast<std::size_t>(std::min<std::uint64_t>(want, skip));
    else if (left) want = static_cast<std::size_t>(std::min<std::uint64_t>(want, *left));
    if (want == 0) break;
    auto window = std::as_writable_bytes(std::span(buf, want));
    if (stats_) stats_->count(Call::Read);
    ssize_t n = positional ? sys::pread(in, window, pos) : sys::read(in, window);
    if (n == -EAGAIN) {  // O_NONBLOCK left on by someone else: wait, never spin
      if (stats_) stats_->count(Call::Poll);
      if (int w = sys::wait_fd(in, POLLIN); w < 0) return {total, -w, PumpResult::Side::Input};
      continue;
    }
    if (n < 0) return {total, static_cast<int>(-n), PumpResult::Side::Input};
    if (n == 0) break;
    auto got = static_cast<std::size_t>(n);
    if (positional) pos += n;
    if (skip > 0) {
      skip -= got;
      continue;
    }
    if (left) *left -= got;
    total += got;
    if (progress_) progress_->advance(got);
    std::span<const char> rest(buf, got);
    while (!rest.empty()) {
      rest = rest.subspan(formatter_.format(rest));
      PumpResult w = flush(out);
      if (!w.ok()) return {total, w.error, PumpResult::Side::Output};
    }
  }
  return {total};
}

PumpResult FormattedCopy::finish(int out) {
  formatter_.finish();
  PumpResult w = flush(out);
  if (!w.ok()) w.side = PumpResult::Side::Output;
  return w;
}

}  // namespace conduit
