// cat_format: the formatting engine behind GNU cat's options (splice-cat's -n -b -s -v -E -T -A).
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
#include "conduit/cat_format.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace conduit {

namespace {
// Worst output for one input byte: a newline at line start with a 20-digit number, TAB, '$'.
constexpr std::size_t kMaxExpansion = 24;
constexpr std::size_t kSlack = 4096;  // room for fixed-size stores; keeps the size page-aligned
}  // namespace

CatFormatter::CatFormatter(const CatFormatOptions& options)
    : options_(options),
      numbering_(options.number || options.number_nonblank),
      translate_(options.show_nonprinting || options.show_tabs),
      hold_cr_(options.show_ends && !options.show_nonprinting),
      out_(static_cast<char*>(std::aligned_alloc(4096, kChunk * kMaxExpansion + kSlack))) {
  if (!out_) throw std::bad_alloc();
  // "     0\t": right-aligned in six columns, growing to the left past 999999.
  std::memset(number_, ' ', sizeof number_);
  number_[kNumberEnd - 1] = '0';
  number_[kNumberEnd] = '\t';
  number_begin_ = kNumberEnd - 6;
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

namespace {
// Copies whole 8-byte words of printable ASCII (0x20-0x7e) from `p` to `o`, advancing both;
// returns where a word with anything else (a newline, TAB, control or high byte) begins.
// Existence tests from "Bit Twiddling Hacks": a byte < 0x20, a byte == 0x7f, a byte >= 0x80.
inline const char* copy_printable(char*& o, const char* p, const char* end) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  while (end - p >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
    std::uint64_t del = w ^ (kOnes * 0x7f);
    std::uint64_t is_del = (del - kOnes) & ~del & kHighs;
    if ((below_space | is_del | (w & kHighs)) != 0) break;
    std::memcpy(o, p, 8);
    o += 8;
    p += 8;
  }
  return p;
}
}  // namespace

// The helpers take and return the output cursor: kept in a register, not reloaded from *this
// after every store (char stores may alias anything).
char* CatFormatter::line_start(char* o) {
  std::size_t i = kNumberEnd - 1;
  while (number_[i] == '9') number_[i--] = '0';
  number_[i] = number_[i] == ' ' ? '1' : static_cast<char>(number_[i] + 1);
  if (i < number_begin_) number_begin_ = i;
  std::size_t n = kNumberEnd + 1 - number_begin_;  // digits and the TAB
  if (n <= 16) std::memcpy(o, number_ + number_begin_, 16);  // one fixed-size store
  else std::memcpy(o, number_ + number_begin_, n);
  return o + n;
}

char* CatFormatter::line_end(char* o) {
  if (pending_cr_) {
    *o++ = '^';
    *o++ = 'M';
    pending_cr_ = false;
  }
  if (options_.show_ends) *o++ = '$';
  *o++ = '\n';
  at_line_start_ = true;
  return o;
}

// The bytes of one line between `p` and `stop` (no newline among them).
char* CatFormatter::span(char* o, const char* p, const char* stop) {
  if (p == stop) return o;
  if (pending_cr_) {
    *o++ = '\r';
    pending_cr_ = false;
  }
  if (hold_cr_ && stop[-1] == '\r') {
    --stop;
    pending_cr_ = true;
  }
  if (!translate_) {
    std::size_t n = static_cast<std::size_t>(stop - p);
    std::memcpy(o, p, n);
    return o + n;
  }
  for (; p < stop; ++p) {
    const Glyph& g = glyphs_[static_cast<unsigned char>(*p)];
    std::memcpy(o, g.text, 4);  // fixed-size copy; only g.size bytes count
    o += g.size;
  }
  return o;
}

void CatFormatter::FreeDeleter::operator()(char* p) const noexcept { std::free(p); }

std::size_t CatFormatter::format(std::span<const char> in) {
  std::size_t room = kChunk * kMaxExpansion - used_;
  std::size_t take = in.size() < kChunk ? in.size() : kChunk;
  if (take > room / kMaxExpansion) take = room / kMaxExpansion;
  const char* p = in.data();
  const char* end = p + take;
  char* o = out_.get() + used_;
  while (p < end) {
    if (at_line_start_) {
      if (*p == '\n') {
        ++p;
        if (options_.squeeze_blank && empty_run_ > 0) continue;
        empty_run_ = 1;
        if (options_.number && !options_.number_nonblank) o = line_start(o);
        if (options_.show_ends) *o++ = '$';
        *o++ = '\n';
        continue;
      }
      at_line_start_ = false;
      empty_run_ = 0;
      if (numbering_) o = line_start(o);
    }
    const char* stop;
    if (translate_ && !pending_cr_ && !hold_cr_) {
      // Translate while looking for the newline: one pass, no memchr per short line.
      for (stop = p;; ++stop) {
        stop = copy_printable(o, stop, end);
        if (stop == end || *stop == '\n') break;
        auto c = static_cast<unsigned char>(*stop);
        if (c - 32u < 95u) {  // printable ASCII, the common case: no table, no dependency
          *o++ = static_cast<char>(c);
          continue;
        }
        const Glyph& g = glyphs_[c];
        std::memcpy(o, g.text, 4);  // fixed-size copy; only g.size bytes count
        o += g.size;
      }
    } else {
      const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
      stop = nl ? static_cast<const char*>(nl) : end;
      o = span(o, p, stop);
    }
    p = stop;
    if (p < end) {  // at the newline
      o = line_end(o);
      ++p;
    }
  }
  used_ = static_cast<std::size_t>(o - out_.get());
  return take;
}

void CatFormatter::finish() {
  if (pending_cr_) {
    out_.get()[used_++] = '\r';
    pending_cr_ = false;
  }
}

}  // namespace conduit
