// cat_format: GNU cat's formatting options (-b -E -n -s -T -v and the -A -e -t shorthands) as a
// byte-exact state machine over a stream of chunks (splice-cat's engine; any program that shows
// bytes as `cat -A` does can use it).
//
// cat formats the concatenation, not each file: line numbers, the squeeze state, an unfinished
// line and a carriage return waiting for its newline all carry over from one input to the next,
// so one Formatter lives for the whole command and sees every input in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace conduit {

struct CatFormatOptions {
  bool number = false;           // -n: number all output lines
  bool number_nonblank = false;  // -b: number nonempty lines (overrides -n)
  bool show_ends = false;        // -E: '$' before each newline ("\r\n" shows as "^M$")
  bool squeeze_blank = false;    // -s: at most one empty line in a row
  bool show_tabs = false;        // -T: TAB as ^I
  bool show_nonprinting = false; // -v: ^X and M- notation, except LFD and TAB

  bool any() const noexcept {
    return number || number_nonblank || show_ends || squeeze_blank || show_tabs ||
           show_nonprinting;
  }
};

class CatFormatter {
 public:
  // Input taken per format() call at most; the output buffer is sized for its worst case.
  static constexpr std::size_t kChunk = 128 * 1024;

  // Throws std::bad_alloc when the output buffer (kChunk * 24 bytes, page-aligned) cannot be had.
  explicit CatFormatter(const CatFormatOptions& options);

  // Formats up to kChunk bytes of `in` into the output buffer and returns how many were taken
  // (fewer when the buffer is nearly full: all of `in` is taken only when output() was emptied
  // first). Write output() and call clear_output() between calls.
  std::size_t format(std::span<const char> in);
  // At the end of all input: a carriage return still waiting for a newline goes out as is.
  void finish();

  // The formatted bytes so far, not yet cleared.
  std::span<const char> output() const noexcept { return {out_.get(), used_}; }
  void clear_output() noexcept { used_ = 0; }

 private:
  struct Glyph {
    char text[4];
    std::uint8_t size;
  };

  char* line_start(char* o);
  char* line_end(char* o);
  char* span(char* o, const char* p, const char* stop);

  CatFormatOptions options_;
  bool numbering_;   // -n or -b
  bool translate_;   // -v or -T: bytes go through glyphs_
  bool hold_cr_;     // -E without -v: a '\r' waits to see whether "\r\n" makes "^M$"
  Glyph glyphs_[256];

  // State across chunks and files.
  bool at_line_start_ = true;
  bool pending_cr_ = false;
  unsigned empty_run_ = 0;  // empty lines just seen (capped)
  // The current line number as text, right-aligned, ending at kNumberEnd where a TAB follows.
  static constexpr std::size_t kNumberEnd = 22;
  char number_[kNumberEnd + 16];  // room for a fixed 16-byte copy from any start
  std::size_t number_begin_;

  struct FreeDeleter {
    void operator()(char* p) const noexcept;
  };
  std::unique_ptr<char, FreeDeleter> out_;  // page-aligned: faster copies into the kernel
  std::size_t used_ = 0;
};

}  // namespace conduit
