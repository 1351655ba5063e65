// cat: the operand loop of splice-cat, with GNU cat's rules.
//
// - No operand means "-"; "-" (repeatable) is standard input, read from where it stands.
// - An operand that cannot be opened or read gets "splice-cat: NAME: reason" and the loop goes
//   on; the exit status is 1 at the end. A write error on standard output ends the run at once
//   ("splice-cat: write error: reason"), as GNU cat does.
// - "input file is output file": refused when standard output is a regular file, the input is
//   the same file (st_dev, st_ino) and the input's starting point lies before its end, so
//   `cat f >> f` cannot grow f forever while `cat < f > f` (truncated, empty) is fine.
// - EPIPE with SIGPIPE at its default disposition (and not blocked) raises SIGPIPE, so the shell
//   sees 141 exactly as with GNU cat even where the kernel reports EPIPE without a signal; with
//   SIGPIPE ignored or blocked it is "write error: Broken pipe", status 1.
// - Standard output is closed and checked at the end (NFS, quotas report late).
//
// Plain copies go through one conduit::Pump (its broker pipe and buffer reused for every
// operand). With any formatting option the bytes must be seen, so inputs are read here and fed
// to one Formatter that carries cat's state across operands; Stats then count them as ReadWrite.
#include "cat.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>

#include "conduit/diag.hpp"
#include "conduit/fd.hpp"
#include "conduit/operand.hpp"
#include "conduit/pipe.hpp"
#include "conduit/progress.hpp"
#include "conduit/pump.hpp"
#include "conduit/sigpipe.hpp"
#include "conduit/stats.hpp"
#include "conduit/sys.hpp"
#include "format.hpp"

namespace splice_cat {

namespace {

using conduit::FdInfo;
using conduit::FdKind;
using conduit::PumpResult;

bool seekable(const FdInfo& info) noexcept {
  return info.kind == FdKind::Regular || info.kind == FdKind::BlockDevice;
}

std::uint64_t clamp_length(std::uint64_t available, const std::optional<std::uint64_t>& length) {
  return length ? std::min(available, *length) : available;
}

// One opened input: a file operand (owned) or standard input (borrowed).
struct Input : conduit::InputOperand {
  std::string name;  // for messages, quoted as GNU does
};

class Cat {
 public:
  explicit Cat(const Options& options);
  int run();

 private:
  bool setup_output();
  std::optional<std::uint64_t> expected_total() const;
  void write_header();
  void copy_operand(const std::string& operand);
  void copy_input(Input& in);
  std::optional<conduit::Range> range_for(Input& in);
  bool refuse_same_file(const Input& in, const conduit::Range& range);
  PumpResult format_input(Input& in, const conduit::Range& range);
  bool flush_formatted();
  void check(const PumpResult& result, const Input& in);
  void write_failed(int err);
  void finish();

  const Options& o_;
  conduit::Diag diag_;  // named as invoked
  conduit::Stats stats_;
  std::optional<conduit::Progress> progress_;
  std::optional<conduit::Pump> pump_;
  std::optional<Formatter> formatter_;
  struct FreeDeleter {
    void operator()(char* p) const noexcept { std::free(p); }
  };
  std::unique_ptr<char, FreeDeleter> in_buffer_;  // page-aligned: the kernel copies into it faster
  FdInfo out_;
  bool read_stdin_ = false;
  bool write_failed_ = false;  // fatal: stop everything
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

Cat::Cat(const Options& options) : o_(options) {}

bool Cat::setup_output() {
  if (int rc = conduit::classify(STDOUT_FILENO, out_); rc < 0) {
    diag_.error("standard output", -rc);
    return false;
  }
  // A bigger stdout pipe means fewer, larger splices for us and for the reader; but the pipe
  // is the pipeline's: sized to the work and capped (conduit::shared_pipe_target).
  if (out_.kind == FdKind::Pipe) {
    std::size_t target = conduit::shared_pipe_target(expected_total(), o_.common.pipe_size,
                                                      o_.common.pipe_size_given);
    if (target > 0) conduit::grow_pipe(STDOUT_FILENO, target);
  }
  return true;
}

// The bytes the run will read when every input is a regular file (sizes are hints: /proc
// files say 0); nullopt when any input is a stream.
std::optional<std::uint64_t> Cat::expected_total() const {
  std::uint64_t total = o_.header ? o_.header->size() : 0;
  auto file_size = [](const struct stat& st) -> std::optional<std::uint64_t> {
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    return static_cast<std::uint64_t>(st.st_size);
  };
  struct stat st {};
  if (o_.header_file) {
    if (::stat(o_.header_file->c_str(), &st) != 0) return std::nullopt;
    auto size = file_size(st);
    if (!size) return std::nullopt;
    total += *size;
  }
  // Standard input is consumed from its position on: repeated "-" reads on from there.
  std::optional<std::uint64_t> stdin_pos;
  std::uint64_t offset = o_.offset.value_or(0);
  std::vector<std::string> dash{"-"};
  for (const std::string& name : o_.files.empty() ? dash : o_.files) {
    if (name == "-") {
      if (::fstat(STDIN_FILENO, &st) != 0) return std::nullopt;
      auto size = file_size(st);
      if (!size) return std::nullopt;
      if (!stdin_pos) {
        off_t pos = ::lseek(STDIN_FILENO, 0, SEEK_CUR);
        stdin_pos = pos < 0 ? 0 : static_cast<std::uint64_t>(pos);
      }
      std::uint64_t start = offset > UINT64_MAX - *stdin_pos ? UINT64_MAX : *stdin_pos + offset;
      std::uint64_t n = clamp_length(start < *size ? *size - start : 0, o_.length);
      stdin_pos = start + n;
      total += n;
    } else {
      if (::stat(name.c_str(), &st) != 0) continue;  // will fail: contributes nothing
      auto size = file_size(st);
      if (!size) return std::nullopt;
      total += clamp_length(offset < *size ? *size - offset : 0, o_.length);
    }
  }
  return total;
}

void Cat::write_failed(int err) {
  write_failed_ = true;
  // The kernel spares the signal on some paths (splice, sendfile to sockets); GNU cat dies of it.
  if (err == EPIPE && conduit::sigpipe_fatal()) conduit::raise_sigpipe();
  diag_.error("write error", err);
}

void Cat::check(const PumpResult& result, const Input& in) {
  if (result.ok()) return;
  if (result.side == PumpResult::Side::Output) write_failed(result.error);
  else diag_.error(in.name, result.error);
}

// Written once, before the first operand is opened, and never formatted: the header is ours,
// the rest is exactly what cat would print.
void Cat::write_header() {
  if (o_.header && !o_.header->empty()) {
    PumpResult r = pump_->write(STDOUT_FILENO, std::as_bytes(std::span(*o_.header)));
    if (formatter_ && progress_) progress_->advance(r.bytes);
    if (!r.ok()) write_failed(r.error);
  }
  if (!o_.header_file) return;
  Input in;
  in.name = conduit::quote_name(*o_.header_file);
  in.owned = conduit::Fd(::open(o_.header_file->c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.owned) {
    diag_.error(in.name, errno);
    write_failed_ = true;  // no header, no output: a consumer must not mistake the data for it
    return;
  }
  in.fd = in.owned.get();
  if (int rc = conduit::classify(in.fd, in.info); rc < 0) {
    diag_.error(in.name, -rc);
    write_failed_ = true;
    return;
  }
  if (in.info.kind == FdKind::Directory) {
    diag_.error(in.name, EISDIR);
    write_failed_ = true;
    return;
  }
  if (refuse_same_file(in, {})) {
    write_failed_ = true;
    return;
  }
  PumpResult r = pump_->run(in.fd, in.info, STDOUT_FILENO, out_);
  if (formatter_ && progress_) progress_->advance(r.bytes);
  if (!r.ok()) {
    check(r, in);
    write_failed_ = true;
  }
}

bool Cat::refuse_same_file(const Input& in, const conduit::Range& range) {
  if (out_.kind != FdKind::Regular || in.info.kind != FdKind::Regular) return false;
  if (in.info.dev != out_.dev || in.info.ino != out_.ino) return false;
  std::uint64_t start;
  if (range.offset) {
    start = *range.offset;
  } else {
    off_t pos = ::lseek(in.fd, 0, SEEK_CUR);
    start = pos < 0 ? 0 : static_cast<std::uint64_t>(pos);
  }
  if (start >= static_cast<std::uint64_t>(in.info.size)) return false;
  diag_.error(in.name + ": input file is output file");
  return true;
}

// The range of this input. A FILE is cut at absolute offsets; standard input is a stream read
// from where it stands, so its offset is relative (a seekable one is moved past it, any other
// has the bytes read and dropped). nullopt after an error (reported).
std::optional<conduit::Range> Cat::range_for(Input& in) {
  conduit::Range range{o_.offset, o_.length};
  if (in.is_stdin && o_.offset && seekable(in.info)) {
    // Where the offset lies beyond what a file position can hold (near 2^63, `8E`), no file has
    // bytes there: the input is used up, as with any offset past its end.
    // The kernel refuses positions past its largest file size (EINVAL) rather than placing us
    // there: the same answer.
    off_t pos = ::lseek(in.fd, 0, SEEK_CUR);
    bool beyond = pos >= 0 && *o_.offset > static_cast<std::uint64_t>(INT64_MAX - pos);
    off_t rc = beyond ? -1 : ::lseek(in.fd, static_cast<off_t>(*o_.offset), SEEK_CUR);
    if (rc < 0 && (beyond || errno == EINVAL || errno == EOVERFLOW)) {
      beyond = true;
      rc = ::lseek(in.fd, 0, SEEK_END);
    }
    if (rc < 0) {
      diag_.error(in.name, errno);
      return std::nullopt;
    }
    if (beyond) range.length = 0;
    range.offset.reset();
  }
  return range;
}

void Cat::copy_operand(const std::string& operand) {
  Input in;
  int rc = conduit::open_input(operand, in);
  in.name = conduit::quote_name(operand);
  if (in.is_stdin) read_stdin_ = true;
  if (rc < 0) {
    diag_.error(in.name, -rc);
    return;
  }
  copy_input(in);
}

void Cat::copy_input(Input& in) {
  auto range = range_for(in);
  if (!range) return;
  if (refuse_same_file(in, *range)) return;
  if (in.info.kind == FdKind::Regular)
    ::posix_fadvise(in.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  if (formatter_) {
    PumpResult r = format_input(in, *range);
    check(r, in);
  } else {
    check(pump_->run(in.fd, in.info, STDOUT_FILENO, out_, *range), in);
  }
}

bool Cat::flush_formatted() {
  auto out = formatter_->output();
  if (out.empty()) return true;
  PumpResult r = pump_->write(STDOUT_FILENO, std::as_bytes(out));
  formatter_->clear_output();
  if (!r.ok()) {
    write_failed(r.error);
    return false;
  }
  return true;
}

// Reads the range of `in` and formats it. Output goes out after every read, so a slow
// producer's lines show up as they come (GNU cat flushes when its input would block).
PumpResult Cat::format_input(Input& in, const conduit::Range& range) {
  char* buf = in_buffer_.get();
  constexpr std::size_t size = Formatter::kChunk;
  bool positional = range.offset && seekable(in.info);
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
    stats_.count(conduit::Call::Read);
    ssize_t n = positional ? conduit::sys::pread(in.fd, window, pos) : conduit::sys::read(in.fd, window);
    if (n == -EAGAIN) {  // O_NONBLOCK left on by someone else: wait, never spin
      stats_.count(conduit::Call::Poll);
      if (int w = conduit::sys::wait_fd(in.fd, POLLIN); w < 0)
        return {total, -w, PumpResult::Side::Input};
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
      rest = rest.subspan(formatter_->format(rest));
      if (!flush_formatted()) return {total, 0, PumpResult::Side::None};
    }
  }
  return {total};
}

void Cat::finish() {
  if (formatter_ && !write_failed_) {
    formatter_->finish();
    flush_formatted();
  }
  if (read_stdin_ && ::close(STDIN_FILENO) != 0) diag_.error("closing standard input", errno);
  if (progress_) progress_->finish();
  // Late write errors (NFS, quotas) only show at close.
  if (::close(STDOUT_FILENO) != 0 && !write_failed_) diag_.error("write error", errno);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  conduit::cli::report_stats(o_.common.stats, stats_, kProg, seconds);
}

int Cat::run() {
  if (!setup_output()) return 1;
  if (o_.common.progress) progress_.emplace(std::string(conduit::program_name()), expected_total());
  conduit::PumpOptions pump_options;
  pump_options.zero_copy = !o_.common.no_splice;
  pump_options.pipe_size = o_.common.pipe_size;
  // Formatted runs count input bytes for the meter themselves (the output is longer).
  bool formatting = o_.format.any();
  pump_.emplace(pump_options, &stats_, formatting || !progress_ ? nullptr : &*progress_);
  if (formatting) {
    formatter_.emplace(o_.format);
    in_buffer_.reset(static_cast<char*>(std::aligned_alloc(4096, Formatter::kChunk)));
    if (!in_buffer_) {
      diag_.error("memory exhausted");
      return 1;
    }
  }

  write_header();
  if (o_.follow.mode) {  // follow.cpp
    if (int err = write_failed_ ? 0 : follow_files(o_, *pump_, out_, diag_, stats_); err != 0)
      write_failed(err);
    finish();
    return diag_.exit_status();
  }
  static const std::vector<std::string> kStdinOnly{"-"};
  for (const std::string& operand : o_.files.empty() ? kStdinOnly : o_.files) {
    if (write_failed_) break;
    copy_operand(operand);
  }
  finish();
  return diag_.exit_status();
}

}  // namespace

int run(const Options& options) {
  if (auto status = follow_usage_error(options)) return *status;
  warn_follow_unused(options);
  Cat cat(options);
  return cat.run();
}

}  // namespace splice_cat
