// format: the formatting engine behind splice-cat's cat options.
//
// Behaviour (checked byte for byte against GNU cat 9.1, the oracle in the tests):
// - A line is numbered when its first byte arrives ("%6d\t", wider past 999999); -b skips
//   empty lines, -n numbers them too.
// - -s drops an empty line that follows an empty line; the start of input counts as following
//   a non-empty line, so leading empty lines shrink to one.
// - -E writes '$' before every newline; without -v a "\r\n" pair shows as "^M$" even when the
//   '\r' and the '\n' arrive in different reads or different files, so a lone trailing '\r' is
//   held back until the next byte (or the end of all input) decides.
// - -v: bytes 0-31 except TAB and LFD as ^@..^_, 127 as ^?, 128-255 as "M-" plus the notation
//   of the low seven bits (so 137 is "M-^I" and 138 "M-^J" whatever -T says). -T: TAB as ^I.
// The inner loop is memchr() for newlines and memcpy() for the bytes between them; with -v or
// -T the bytes go through a 256-entry glyph table instead.
#include "format.hpp"

#include <charconv>
#include <cstring>

namespace splice_cat {

namespace {
// Worst output for one input byte: a newline at line start with a 20-digit number, TAB, '$'.
constexpr std::size_t kMaxExpansion = 24;
constexpr std::size_t kSlack = 64;
}  // namespace

Formatter::Formatter(const FormatOptions& options)
    : options_(options),
      numbering_(options.number || options.number_nonblank),
      translate_(options.show_nonprinting || options.show_tabs),
      hold_cr_(options.show_ends && !options.show_nonprinting),
      out_(new char[kChunk * kMaxExpansion + kSlack]) {
  for (unsigned c = 0; c < 256; ++c) {
    Glyph& g = glyphs_[c];
    std::uint8_t n = 0;
    unsigned low = c;
    if (options.show_nonprinting) {
      if (c >= 128) {
        g.text[n++] = 'M';
        g.text[n++] = '-';
        low = c - 128;
      }
      if (low < 32 && !(c == '\t' || c == '\n')) {
        g.text[n++] = '^';
        g.text[n++] = static_cast<char>(low + 64);
      } else if (low == 127) {
        g.text[n++] = '^';
        g.text[n++] = '?';
      } else {
        g.text[n++] = static_cast<char>(low);
      }
    } else {
      g.text[n++] = static_cast<char>(c);
    }
    if (c == '\t' && options.show_tabs) {
      n = 0;
      g.text[n++] = '^';
      g.text[n++] = 'I';
    }
    g.size = n;
  }
}

void Formatter::put(const char* p, std::size_t n) {
  std::memcpy(out_.get() + used_, p, n);
  used_ += n;
}

void Formatter::line_start() {
  ++line_;
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, line_);
  (void)ec;  // 24 chars hold any 64-bit number
  std::size_t len = static_cast<std::size_t>(end - digits);
  char* o = out_.get() + used_;
  if (len < 6) {
    std::memset(o, ' ', 6 - len);
    o += 6 - len;
  }
  std::memcpy(o, digits, len);
  o += len;
  *o++ = '\t';
  used_ = static_cast<std::size_t>(o - out_.get());
}

void Formatter::line_end() {
  if (pending_cr_) {
    put("^M", 2);
    pending_cr_ = false;
  }
  if (options_.show_ends) put("$", 1);
  put("\n", 1);
  at_line_start_ = true;
}

// The bytes of one line between `p` and `stop` (no newline among them).
void Formatter::span(const char* p, const char* stop) {
  if (p == stop) return;
  if (pending_cr_) {
    put("\r", 1);
    pending_cr_ = false;
  }
  if (hold_cr_ && stop[-1] == '\r') {
    --stop;
    pending_cr_ = true;
  }
  if (!translate_) {
    put(p, static_cast<std::size_t>(stop - p));
    return;
  }
  char* o = out_.get() + used_;
  for (; p < stop; ++p) {
    const Glyph& g = glyphs_[static_cast<unsigned char>(*p)];
    std::memcpy(o, g.text, 4);  // fixed-size copy; only g.size bytes count
    o += g.size;
  }
  used_ = static_cast<std::size_t>(o - out_.get());
}

std::size_t Formatter::format(std::span<const char> in) {
  std::size_t room = kChunk * kMaxExpansion - used_;
  std::size_t take = in.size() < kChunk ? in.size() : kChunk;
  if (take > room / kMaxExpansion) take = room / kMaxExpansion;
  const char* p = in.data();
  const char* end = p + take;
  while (p < end) {
    if (at_line_start_) {
      if (*p == '\n') {
        ++p;
        if (options_.squeeze_blank && empty_run_ > 0) continue;
        empty_run_ = 1;
        if (options_.number && !options_.number_nonblank) line_start();
        if (options_.show_ends) put("$", 1);
        put("\n", 1);
        continue;
      }
      at_line_start_ = false;
      empty_run_ = 0;
      if (numbering_) line_start();
    }
    const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    const char* stop = nl ? static_cast<const char*>(nl) : end;
    span(p, stop);
    p = stop;
    if (nl) {
      line_end();
      ++p;
    }
  }
  return take;
}

void Formatter::finish() {
  if (pending_cr_) {
    put("\r", 1);
    pending_cr_ = false;
  }
}

}  // namespace splice_cat
