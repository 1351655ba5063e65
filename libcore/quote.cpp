// quote: GNU's quotef() and quote() styles (see quote.hpp), written from gnulib's documented
// behaviour and checked against GNU cat and tee 9.1's messages (tests/unit/quote_test.cpp).
//
// Both walk the text one character of the current locale at a time: a printable character
// (ASCII, or a valid multibyte sequence that iswprint accepts) is copied; anything else (a
// control character, an invalid or truncated sequence, a byte >= 0x80 under the C locale) is
// written byte by byte as an escape.
#include "conduit/quote.hpp"

#include <langinfo.h>

#include <cctype>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <cwctype>
#include <vector>

namespace conduit {

namespace {

struct Unit {
  std::size_t pos;
  std::size_t len;
  bool printable;
};

// `text` split into characters of the current LC_CTYPE.
std::vector<Unit> split(std::string_view text) {
  std::vector<Unit> units;
  const bool unibyte = MB_CUR_MAX == 1;
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80 || unibyte) {
      units.push_back({i, 1, c < 0x80 ? (c >= 0x20 && c < 0x7f) : std::isprint(c) != 0});
      ++i;
      continue;
    }
    std::mbstate_t state{};
    wchar_t wc = 0;
    std::size_t n = std::mbrtowc(&wc, text.data() + i, text.size() - i, &state);
    if (n == static_cast<std::size_t>(-1) || n == 0) {
      units.push_back({i, 1, false});  // an invalid byte: escaped alone, the rest read on
      ++i;
    } else if (n == static_cast<std::size_t>(-2)) {
      units.push_back({i, text.size() - i, false});  // cut short by the end: all escaped
      i = text.size();
    } else {
      units.push_back({i, n, std::iswprint(static_cast<wint_t>(wc)) != 0});
      i += n;
    }
  }
  return units;
}

// The C escape of one byte that is not printed as is: \n and its kind, else three octal digits.
void append_escape(std::string& out, unsigned char b) {
  out += '\\';
  switch (b) {
    case '\a': out += 'a'; return;
    case '\b': out += 'b'; return;
    case '\f': out += 'f'; return;
    case '\n': out += 'n'; return;
    case '\r': out += 'r'; return;
    case '\t': out += 't'; return;
    case '\v': out += 'v'; return;
    default:
      out += static_cast<char>('0' + (b >> 6));
      out += static_cast<char>('0' + ((b >> 3) & 7));
      out += static_cast<char>('0' + (b & 7));
  }
}

bool utf8_locale() {
  const char* codeset = ::nl_langinfo(CODESET);
  return codeset != nullptr && (std::strcmp(codeset, "UTF-8") == 0 || std::strcmp(codeset, "utf8") == 0);
}

// What one printable ASCII character means to the shell, at index `i` of a name of `size`
// bytes: whether it forces quotes, and whether double quotes would still show it literally
// (GNU prefers "it's" to 'it'\''s' when every character allows that).
struct ShellChar {
  bool needs_quotes;
  bool double_quote_ok;
};

ShellChar shell_char(char c, std::size_t i, std::size_t size) {
  if (std::isalnum(static_cast<unsigned char>(c)) || std::strchr("%+,-./@]_", c) != nullptr)
    return {false, true};
  switch (c) {
    case ':':  // a field separator in "prog: NAME: reason"
    case ' ':
    case '\'':
      return {true, true};
    case '{':
    case '}':  // special alone, and at the start only then
      return size == 1 ? ShellChar{true, true} : ShellChar{false, false};
    case '#':
    case '~':  // special at the start of a word
      return i == 0 ? ShellChar{true, true} : ShellChar{false, false};
    default:  // ! " $ & ( ) * ; < = > ? [ \ ^ ` |
      return {true, false};
  }
}

}  // namespace

std::string quote_name(std::string_view name) {
  std::vector<Unit> units = split(name);
  bool needs_quotes = name.empty();
  bool double_quote_ok = true;
  bool apostrophe = false;
  for (const Unit& u : units) {
    if (!u.printable) {
      needs_quotes = true;
      double_quote_ok = false;
    } else if (u.len == 1 && static_cast<unsigned char>(name[u.pos]) < 0x80) {
      ShellChar sc = shell_char(name[u.pos], u.pos, name.size());
      needs_quotes |= sc.needs_quotes;
      double_quote_ok &= sc.double_quote_ok;
      apostrophe |= name[u.pos] == '\'';
    }
  }
  if (!needs_quotes) return std::string(name);
  if (apostrophe && double_quote_ok) return "\"" + std::string(name) + "\"";

  // Single quotes; unprintable bytes in $'...' runs, closed ('') before the next plain
  // character; an apostrophe as '\'' (which closes either kind of run).
  std::string out = "'";
  bool in_escape = false;
  for (const Unit& u : units) {
    std::string_view bytes = name.substr(u.pos, u.len);
    if (!u.printable) {
      for (char b : bytes) {
        if (!in_escape) out += "'$'";
        in_escape = true;
        append_escape(out, static_cast<unsigned char>(b));
      }
    } else if (bytes == "'") {
      out += "'\\''";
      in_escape = false;
    } else {
      if (in_escape) out += "''";
      in_escape = false;
      out += bytes;
    }
  }
  out += '\'';
  return out;
}

std::string quote_arg(std::string_view arg) {
  const bool utf8 = utf8_locale();
  const std::string_view left = utf8 ? "\u2018" : "'";
  const std::string_view right = utf8 ? "\u2019" : "'";
  std::string out(left);
  for (const Unit& u : split(arg)) {
    std::string_view bytes = arg.substr(u.pos, u.len);
    if (!u.printable) {
      for (char b : bytes) append_escape(out, static_cast<unsigned char>(b));
    } else if (bytes == "\\") {
      out += "\\\\";
    } else {
      if (arg.substr(u.pos).starts_with(right)) out += '\\';  // the closing quote inside
      out += bytes;
    }
  }
  out += right;
  return out;
}

}  // namespace conduit
