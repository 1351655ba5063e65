// cat_copy: the rules GNU cat applies to each input on its way to the output, for a program that
// concatenates inputs as cat does (splice-cat's operand loop is one).
//
// - input_is_output(): "input file is output file", refused when the output is a regular file,
//   the input is the same file (st_dev, st_ino) and the input's starting point lies before its
//   end, so `cat f >> f` cannot grow f forever while `cat < f > f` (truncated, empty) is fine.
// - position_stream(): an offset into an input that is read from where it stands (standard
//   input) is relative to that position; a seekable one is moved past it rather than read.
// - planned_total(): the bytes a run will copy when every input is a regular file, for a
//   progress meter's total and for sizing a shared output pipe.
// - FormattedCopy: the copy when the bytes must be seen (CatFormatter): read, format, write
//   after every read, so a slow producer's lines show up as they come.
// Nothing here prints; failures are -errno or a PumpResult naming the side that failed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "conduit/cat_format.hpp"
#include "conduit/fd.hpp"
#include "conduit/pump.hpp"

namespace conduit {

class Progress;

// Whether copying `in` (open as `in_fd`, from `range`) onto `out` would read the output being
// written: both regular, the same file, and the input's start (range.offset, else in_fd's file
// position) before its end.
bool input_is_output(int in_fd, const FdInfo& in, const FdInfo& out, const Range& range) noexcept;

// Makes `range` ready for an input read from its current position (standard input): when the
// input is seekable (regular file, block device) and range.offset is set, the position is moved
// forward by it and the offset cleared (an offset past the largest position the kernel can hold
// moves to the end and sets length 0: no file has bytes there). A non-seekable input keeps its
// offset (the pump reads and drops that many bytes). Returns 0 or -errno (lseek's).
int position_stream(int fd, const FdInfo& info, Range& range) noexcept;

// One operand of a planned run: a file name, or "-" for standard input (read on from where the
// previous "-" stopped).
// Returns the bytes that copying every operand's `range` will move, or nullopt when any of them
// (or standard input, `stdin_fd`) is not a regular file. A name that cannot be stat()ed counts
// 0 (its open will fail). Sizes are hints (/proc files say 0): never a limit.
std::optional<std::uint64_t> planned_total(std::span<const std::string> operands,
                                           const Range& range, int stdin_fd = 0);

// The copy of cat's formatting options: inputs are read here (pread at an offset for seekable
// ones), fed to one CatFormatter that carries cat's state across inputs, and its output written
// through the pump (counted as ReadWrite) after every read.
class FormattedCopy {
 public:
  // Throws std::bad_alloc when the buffers cannot be had. `stats` counts the reads (and the
  // pump the writes); `progress` (optional) advances by input bytes.
  FormattedCopy(const CatFormatOptions& options, Pump& pump, Stats* stats = nullptr,
                Progress* progress = nullptr);

  // Copies `range` of `in` (see Range) to `out`, formatted. bytes = input bytes taken; a failed
  // read is Side::Input, a failed write Side::Output (the formatter's state then no longer
  // matters: the run is over).
  PumpResult run(int in, const FdInfo& in_info, int out, const Range& range = {});
  // At the end of all input: whatever the formatter holds back (a lone '\r' under -E) goes out.
  PumpResult finish(int out);

 private:
  PumpResult flush(int out);

  struct FreeDeleter {
    void operator()(char* p) const noexcept;
  };
  CatFormatter formatter_;
  Pump& pump_;
  Stats* stats_;
  Progress* progress_;
  std::unique_ptr<char, FreeDeleter> buffer_;  // page-aligned: the kernel copies into it faster
};

}  // namespace conduit
