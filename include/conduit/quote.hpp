// quote: names and values in messages, quoted as GNU coreutils quotes them (gnulib's quotearg).
//
// Two styles, as GNU uses them:
// - quote_name (GNU's quotef): a file name in "prog: NAME: reason". Shell-escape style: a name
//   the shell reads as one plain word is printed as is (`f`, `x~`, `é` in a UTF-8 locale);
//   anything else is single-quoted (`'a b'`, `'a:b'`, `''`), with bytes that are not printable
//   characters of the locale written as $'...' escapes (`'a'$'\n''b'`, `''$'\033''[31mred'`,
//   `''$'\377'`), and a name whose only problem is an apostrophe double-quoted (`"it's"`). A
//   newline, ESC or invalid byte never reaches the terminal raw.
// - quote_arg (GNU's quote): a value inside a sentence (`invalid argument ‘x’ for
//   ‘--output-error’`). Always quoted, ‘…’ in a UTF-8 locale and '…' otherwise, with C escapes
//   (\n, \\, \ooo) and the closing quote backslash-escaped inside.
// Both depend on LC_CTYPE (which characters are printable, which quotes), as GNU's do: commands
// call setlocale(LC_CTYPE, "") first (conduit::init_program).
#pragma once

#include <string>
#include <string_view>

namespace conduit {

// GNU quotef(): shell-escape style, ':' also forcing quotes (it separates message fields).
std::string quote_name(std::string_view name);

// GNU quote(): locale quotes, C escapes.
std::string quote_arg(std::string_view arg);

}  // namespace conduit
