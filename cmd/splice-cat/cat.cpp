// cat: the operand loop of splice-cat, with GNU cat's rules and messages.
//
// - No operand means "-"; "-" (repeatable) is standard input, read from where it stands.
// - An operand that cannot be opened or read gets "splice-cat: NAME: reason" and the loop goes
//   on; the exit status is 1 at the end. A write error on standard output ends the run at once
//   ("splice-cat: write error: reason"), as GNU cat does.
// - "input file is output file" (the rule: conduit::input_is_output, cat_copy.hpp).
// - EPIPE with SIGPIPE at its default disposition (and not blocked) ends the process by SIGPIPE,
//   so the shell sees 141 exactly as with GNU cat (the kernel sends it with splice and sendfile
//   too; raise_sigpipe() makes sure of it for any EPIPE that came without it); with SIGPIPE
//   ignored or blocked it is "write error: Broken pipe", status 1.
// - Standard output is closed and checked at the end (NFS, quotas report late).
//
// Plain copies go through one conduit::Pump (its broker pipe and buffer reused for every
// operand). With any formatting option the bytes must be seen: one conduit::FormattedCopy
// carries cat's state across operands; Stats then count them as ReadWrite.
#include "cat.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>

#include "conduit/cat_copy.hpp"
#include "conduit/diag.hpp"
#include "conduit/fd.hpp"
#include "conduit/operand.hpp"
#include "conduit/pipe.hpp"
#include "conduit/progress.hpp"
#include "conduit/pump.hpp"
#include "conduit/sigpipe.hpp"
#include "conduit/stats.hpp"

namespace splice_cat {

namespace {

using conduit::FdInfo;
using conduit::FdKind;
using conduit::PumpResult;

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
  void check(const PumpResult& result, const Input& in);
  void write_failed(int err);
  void finish();

  const Options& o_;
  conduit::Diag diag_;  // named as invoked
  conduit::Stats stats_;
  std::optional<conduit::Progress> progress_;
  std::optional<conduit::Pump> pump_;
  std::optional<conduit::FormattedCopy> formatter_;
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

// The bytes the run will write when every input is a regular file (a hint: nullopt when any
// input is a stream).
std::optional<std::uint64_t> Cat::expected_total() const {
  std::uint64_t total = o_.header ? o_.header->size() : 0;
  if (o_.header_file) {  // a file name, "-" included (not standard input)
    struct stat st {};
    if (::stat(o_.header_file->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    total += static_cast<std::uint64_t>(st.st_size);
  }
  static const std::vector<std::string> kStdinOnly{"-"};
  auto size = conduit::planned_total(o_.files.empty() ? kStdinOnly : o_.files,
                                     conduit::Range{o_.offset, o_.length});
  if (!size) return std::nullopt;
  return total + *size;
}

void Cat::write_failed(int err) {
  write_failed_ = true;
  // GNU cat dies of SIGPIPE. The kernel sent it already on write, splice and sendfile; this is
  // for an EPIPE that came without it.
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
  if (!conduit::input_is_output(in.fd, in.info, out_, range)) return false;
  diag_.error(in.name + ": input file is output file");
  return true;
}

// The range of this input. A FILE is cut at absolute offsets; standard input is a stream read
// from where it stands, so its offset is relative. nullopt after an error (reported).
std::optional<conduit::Range> Cat::range_for(Input& in) {
  conduit::Range range{o_.offset, o_.length};
  if (in.is_stdin) {
    if (int rc = conduit::position_stream(in.fd, in.info, range); rc < 0) {
      diag_.error(in.name, -rc);
      return std::nullopt;
    }
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
    check(formatter_->run(in.fd, in.info, STDOUT_FILENO, *range), in);
  } else {
    check(pump_->run(in.fd, in.info, STDOUT_FILENO, out_, *range), in);
  }
}

void Cat::finish() {
  if (formatter_ && !write_failed_) {
    PumpResult r = formatter_->finish(STDOUT_FILENO);
    if (!r.ok()) write_failed(r.error);
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
    try {
      formatter_.emplace(o_.format, *pump_, &stats_, progress_ ? &*progress_ : nullptr);
    } catch (const std::bad_alloc&) {
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
