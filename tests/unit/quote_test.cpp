// quote: GNU's quotef() and quote() styles. Every expected string below is what GNU cat 9.1
// (`cat -- NAME`: quotef) or GNU tee 9.1 (`tee --output-error=VALUE`: quote) printed on Debian
// 12 for the same input, under LC_ALL=C and LC_ALL=C.UTF-8 (tests/cli/gnu-messages.bats also
// compares the commands with GNU's at run time).
#include "conduit/quote.hpp"

#include <gtest/gtest.h>

#include <clocale>
#include <string>

namespace {

// Runs the test body under one LC_CTYPE and restores the previous one.
class Locale {
 public:
  explicit Locale(const char* name) : old_(std::setlocale(LC_CTYPE, nullptr)) {
    ok_ = std::setlocale(LC_CTYPE, name) != nullptr;
  }
  ~Locale() { std::setlocale(LC_CTYPE, old_.c_str()); }
  Locale(const Locale&) = delete;
  Locale& operator=(const Locale&) = delete;
  bool ok() const { return ok_; }

 private:
  std::string old_;
  bool ok_ = false;
};

using conduit::quote_arg;
using conduit::quote_name;

TEST(QuoteName, PlainWordsStayBare) {
  Locale c("C");
  EXPECT_EQ(quote_name("f"), "f");
  EXPECT_EQ(quote_name("dir/file.txt"), "dir/file.txt");
  EXPECT_EQ(quote_name("-"), "-");
  EXPECT_EQ(quote_name("x~"), "x~");    // ~ and # matter at the start only
  EXPECT_EQ(quote_name("x#"), "x#");
  EXPECT_EQ(quote_name("{a}"), "{a}");  // braces matter alone only
  EXPECT_EQ(quote_name("a@b%c+d,e]"), "a@b%c+d,e]");
}

TEST(QuoteName, ShellSpecialsAreSingleQuoted) {
  Locale c("C");
  EXPECT_EQ(quote_name(""), "''");
  EXPECT_EQ(quote_name("a b"), "'a b'");
  EXPECT_EQ(quote_name("a:b"), "'a:b'");  // quotef also quotes the field separator
  EXPECT_EQ(quote_name("a=b"), "'a=b'");
  EXPECT_EQ(quote_name("a*"), "'a*'");
  EXPECT_EQ(quote_name("a!b"), "'a!b'");
  EXPECT_EQ(quote_name("a\"b"), "'a\"b'");
  EXPECT_EQ(quote_name("a\\b"), "'a\\b'");
  EXPECT_EQ(quote_name("~x"), "'~x'");
  EXPECT_EQ(quote_name("#x"), "'#x'");
  EXPECT_EQ(quote_name("{"), "'{'");
  EXPECT_EQ(quote_name("standard output"), "'standard output'");
}

TEST(QuoteName, ApostrophesPreferDoubleQuotes) {
  Locale c("C");
  EXPECT_EQ(quote_name("it's"), "\"it's\"");
  EXPECT_EQ(quote_name("it's:x"), "\"it's:x\"");
  EXPECT_EQ(quote_name("~it's"), "\"~it's\"");
  // ... unless something in the name would not be literal inside them.
  EXPECT_EQ(quote_name("a'b\"c"), "'a'\\''b\"c'");
  EXPECT_EQ(quote_name("it's{"), "'it'\\''s{'");
}

TEST(QuoteName, ControlBytesAreShellEscaped) {
  Locale c("C");
  EXPECT_EQ(quote_name("a\nb"), "'a'$'\\n''b'");
  EXPECT_EQ(quote_name("a\tb"), "'a'$'\\t''b'");
  EXPECT_EQ(quote_name("\033[31mred"), "''$'\\033''[31mred'");
  EXPECT_EQ(quote_name("\xff"), "''$'\\377'");
  EXPECT_EQ(quote_name("a\n"), "'a'$'\\n'");
  EXPECT_EQ(quote_name("a\n\nb"), "'a'$'\\n\\n''b'");
  EXPECT_EQ(quote_name("a\n'b"), "'a'$'\\n'\\''b'");
}

TEST(QuoteName, NonAsciiDependsOnTheLocale) {
  {
    Locale c("C");
    EXPECT_EQ(quote_name("\xc3\xa9"), "''$'\\303\\251'");
    EXPECT_EQ(quote_name("\xc3\xa9\\n"), "''$'\\303\\251''\\n'");
  }
  Locale utf8("C.UTF-8");
  if (!utf8.ok()) GTEST_SKIP() << "no C.UTF-8 locale";
  EXPECT_EQ(quote_name("\xc3\xa9"), "\xc3\xa9");  // é, printable: bare
  EXPECT_EQ(quote_name("\xc3\xa9\\n"), "'\xc3\xa9\\n'");
  EXPECT_EQ(quote_name("\xff"), "''$'\\377'");     // invalid UTF-8: escaped
  EXPECT_EQ(quote_name("a\xc3"), "'a'$'\\303'");   // cut short
  EXPECT_EQ(quote_name("\xc3\xa9 it's"), "\"\xc3\xa9 it's\"");
}

TEST(QuoteArg, CLocaleUsesApostrophes) {
  Locale c("C");
  EXPECT_EQ(quote_arg("bogus"), "'bogus'");
  EXPECT_EQ(quote_arg(""), "''");
  EXPECT_EQ(quote_arg("it's"), "'it\\'s'");
  EXPECT_EQ(quote_arg("a\nb"), "'a\\nb'");
  EXPECT_EQ(quote_arg("a\\b"), "'a\\\\b'");
  EXPECT_EQ(quote_arg("\xff"), "'\\377'");
  EXPECT_EQ(quote_arg("\xc3\xa9"), "'\\303\\251'");
  EXPECT_EQ(quote_arg("x\xe2\x80\x99y"), "'x\\342\\200\\231y'");
}

TEST(QuoteArg, Utf8LocaleUsesCurlyQuotes) {
  Locale utf8("C.UTF-8");
  if (!utf8.ok()) GTEST_SKIP() << "no C.UTF-8 locale";
  EXPECT_EQ(quote_arg("bogus"), "\u2018bogus\u2019");
  EXPECT_EQ(quote_arg(""), "\u2018\u2019");
  EXPECT_EQ(quote_arg("it's"), "\u2018it's\u2019");
  EXPECT_EQ(quote_arg("a\nb"), "\u2018a\\nb\u2019");
  EXPECT_EQ(quote_arg("a\\b"), "\u2018a\\\\b\u2019");
  EXPECT_EQ(quote_arg("x\u2019y"), "\u2018x\\\u2019y\u2019");  // the closing quote, escaped
  EXPECT_EQ(quote_arg("\xff"), "\u2018\\377\u2019");
  EXPECT_EQ(quote_arg("\xc3\xa9"), "\u2018\xc3\xa9\u2019");
}

}  // namespace
