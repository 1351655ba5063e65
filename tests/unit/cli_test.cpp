// cli: the command line read as getopt_long reads it (abbreviated long options, its messages,
// in command-line order) and GNU's wording for what CLI11 rejects.
#include "conduit/cli.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include <optional>
#include <string>
#include <vector>

namespace cli = conduit::cli;

namespace {

// A cat-like command: GNU cat's long names, a value option and its longer sibling, a flag with
// an optional value, and --help/--version from prepare().
struct Cat {
  bool number_nonblank = false, number = false, squeeze = false, show_all = false;
  std::string header, header_file;
  std::vector<std::string> files;
  cli::CommonOptions common;
  CLI::App app{"prog"};

  // `gnu`: mark the options up to --show-all as GNU's, as splice-cat does (mark_gnu_options).
  explicit Cat(bool gnu = false) {
    cli::prepare(app);
    app.add_flag("-b,--number-nonblank", number_nonblank);
    app.add_flag("-n,--number", number);
    app.add_flag("-s,--squeeze-blank", squeeze);
    app.add_flag("-A,--show-all", show_all);
    if (gnu) cli::mark_gnu_options(app);
    app.add_option("-H,--header", header);
    app.add_option("--header-file", header_file);
    cli::add_common_options(app, common);
    app.add_option("files", files);
    app.allow_extras(false);
  }
};

struct Expanded {
  std::vector<std::string> args;
  std::string error;
};

Expanded expand(const CLI::App& app, std::vector<std::string> args) {
  args.insert(args.begin(), "prog");
  std::string error = cli::expand_long_prefixes(app, args);
  args.erase(args.begin());
  return {args, error};
}

using Words = std::vector<std::string>;

// Runs cli::parse() as main() would; returns its status (-1: run) and what it printed.
struct Parsed {
  int status;
  std::string out, err;
};

Parsed parse(CLI::App& app, Words words) {
  words.insert(words.begin(), "prog");
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  const cli::CommandInfo info{"prog", "Usage: prog\n", 1};
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  std::optional<int> status = cli::parse(app, static_cast<int>(words.size()), argv.data(), info);
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  return {status.value_or(-1), out, err};
}

std::string try_line(const std::string& message) {
  return "prog: " + message + "\nTry 'prog --help' for more information.\n";
}

// The message gnu_message() makes of what CLI11 alone throws for `words` (no expansion first).
std::string cli11_message(CLI::App& app, Words words) {
  words.insert(words.begin(), "prog");
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return cli::gnu_message(e, app, words);
  }
  return "";
}

}  // namespace

TEST(ExpandLongPrefixes, UniquePrefixBecomesTheFullName) {
  Cat cat;
  Expanded r = expand(cat.app, {"--number-n", "--squ", "f", "--show-a"});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.args, (Words{"--number-nonblank", "--squeeze-blank", "f", "--show-all"}));
  EXPECT_EQ(expand(cat.app, {"--vers"}).args, Words{"--version"});
}

TEST(ExpandLongPrefixes, AmbiguousPrefixListsPossibilitiesAsGetopt) {
  Cat cat;
  EXPECT_EQ(expand(cat.app, {"--s"}).error,
            "option '--s' is ambiguous; possibilities: '--squeeze-blank' '--show-all' '--stats'");
  EXPECT_EQ(expand(cat.app, {"--he"}).error,
            "option '--he' is ambiguous; possibilities: '--header' '--header-file' '--help'");
  EXPECT_EQ(expand(cat.app, {"--nu", "f"}).error,
            "option '--nu' is ambiguous; possibilities: '--number-nonblank' '--number'");
  // --help and --version come last, as in GNU tools' option tables.
  EXPECT_EQ(expand(cat.app, {"--=x"}).error,
            "option '--=x' is ambiguous; possibilities: '--number-nonblank' '--number' "
            "'--squeeze-blank' '--show-all' '--header' '--header-file' '--pipe-size' "
            "'--no-splice' '--progress' '--stats' '--help' '--version'");
}

TEST(ExpandLongPrefixes, GnuOptionsKeepTheirAbbreviations) {
  Cat cat(true);
  // Unique among GNU's options: GNU's meaning, whatever extras share the prefix.
  EXPECT_EQ(expand(cat.app, {"--h"}).args, Words{"--help"});
  EXPECT_EQ(expand(cat.app, {"--he"}).args, Words{"--help"});
  EXPECT_EQ(expand(cat.app, {"--sq"}).args, Words{"--squeeze-blank"});
  // Ambiguous among GNU's own: GNU's message, GNU's possibilities.
  EXPECT_EQ(expand(cat.app, {"--s"}).error,
            "option '--s' is ambiguous; possibilities: '--squeeze-blank' '--show-all'");
  EXPECT_EQ(expand(cat.app, {"--n"}).error,
            "option '--n' is ambiguous; possibilities: '--number-nonblank' '--number'");
  // Among the extras only: as before.
  EXPECT_EQ(expand(cat.app, {"--hea"}).error,
            "option '--hea' is ambiguous; possibilities: '--header' '--header-file'");
  EXPECT_EQ(expand(cat.app, {"--st"}).args, Words{"--stats"});
  EXPECT_EQ(expand(cat.app, {"--no"}).args, Words{"--no-splice"});
}

TEST(ExpandLongPrefixes, PosixlyCorrectStopsAtTheFirstOperand) {
  ::setenv("POSIXLY_CORRECT", "1", 1);
  Cat cat;
  Parsed r = parse(cat.app, {"-s", "f", "-n", "--bogus"});
  ::unsetenv("POSIXLY_CORRECT");
  EXPECT_EQ(r.status, -1);
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(cat.squeeze);
  EXPECT_FALSE(cat.number);
  EXPECT_EQ(cat.files, (Words{"f", "-n", "--bogus"}));
  Cat cat2;  // without it, options anywhere
  r = parse(cat2.app, {"-s", "f", "-n"});
  EXPECT_TRUE(cat2.number);
  EXPECT_EQ(cat2.files, Words{"f"});
}

TEST(Parse, EmptyOptionalValueIsAValue) {
  Cat cat;
  Parsed r = parse(cat.app, {"--stats="});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, try_line("--stats: invalid format '' (text or json)"));
  Cat cat2;
  r = parse(cat2.app, {"--stats"});
  EXPECT_EQ(r.status, -1);
  EXPECT_EQ(cat2.common.stats, cli::StatsFormat::Text);
}

TEST(ExpandLongPrefixes, TwoNamesOfOneOptionAreNotAmbiguous) {
  CLI::App app{"prog"};
  bool colour = false;
  app.add_flag("--colour,--color", colour);
  app.add_flag("--count");
  EXPECT_EQ(expand(app, {"--col"}).args, Words{"--colour"});
  EXPECT_EQ(expand(app, {"--co"}).error,
            "option '--co' is ambiguous; possibilities: '--colour' '--count'");
}

TEST(ExpandLongPrefixes, ExactNameWinsOverLongerNames) {
  Cat cat;
  Expanded r = expand(cat.app, {"--number", "--header", "x", "--header-file", "y"});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.args, (Words{"--number", "--header", "x", "--header-file", "y"}));
}

TEST(ExpandLongPrefixes, DoubleDashEndsOptions) {
  Cat cat;
  Expanded r = expand(cat.app, {"--squ", "--", "--num", "--s", "-z"});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.args, (Words{"--squeeze-blank", "--", "--num", "--s", "-z"}));
}

TEST(ExpandLongPrefixes, EqualsValueForms) {
  Cat cat;
  EXPECT_EQ(expand(cat.app, {"--header-f=a=b"}).args, Words{"--header-file=a=b"});
  EXPECT_EQ(expand(cat.app, {"--sta=json"}).args, Words{"--stats=json"});
  EXPECT_EQ(expand(cat.app, {"--sta", "f"}).args, (Words{"--stats", "f"}));  // value optional
  EXPECT_EQ(expand(cat.app, {"--number=3"}).error,
            "option '--number' doesn't allow an argument");
  EXPECT_EQ(expand(cat.app, {"--squ="}).error,
            "option '--squeeze-blank' doesn't allow an argument");
  EXPECT_EQ(expand(cat.app, {"--header"}).error, "option '--header' requires an argument");
  EXPECT_EQ(expand(cat.app, {"--s=x"}).error,
            "option '--s=x' is ambiguous; possibilities: '--squeeze-blank' '--show-all' '--stats'");
}

TEST(ExpandLongPrefixes, ValueIsTheNextWordWhateverItLooksLike) {
  Cat cat;
  Expanded r = expand(cat.app, {"--header", "--nosuch", "-H", "-z", "-H-z", "--num"});
  EXPECT_EQ(r.args[0], "--header");
  EXPECT_EQ(r.args[1], "--nosuch");
  EXPECT_EQ(r.error, "option '--num' is ambiguous; possibilities: '--number-nonblank' '--number'");
  EXPECT_EQ(expand(cat.app, {"-nH"}).error, "option requires an argument -- 'H'");
}

TEST(ExpandLongPrefixes, UnknownOptionsInCommandLineOrder) {
  Cat cat;
  EXPECT_EQ(expand(cat.app, {"-n", "--foo=bar", "--s"}).error, "unrecognized option '--foo=bar'");
  EXPECT_EQ(expand(cat.app, {"-nb", "-sz", "--foo"}).error, "invalid option -- 'z'");
  EXPECT_EQ(expand(cat.app, {"-n-"}).error, "invalid option -- '-'");
  EXPECT_EQ(expand(cat.app, {"f", "-", "-n"}).error, "");  // "-" is an operand
}

TEST(ExpandLongPrefixes, HelpAndVersionActFirst) {
  Cat cat;
  Expanded r = expand(cat.app, {"--hel", "--foo", "--s"});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.args, (Words{"--help", "--foo", "--s"}));
  EXPECT_EQ(expand(cat.app, {"--foo", "--help"}).error, "unrecognized option '--foo'");
  // As any flag, they take no value (`--help=x` once printed the version).
  EXPECT_EQ(expand(cat.app, {"--help=x", "--foo"}).error,
            "option '--help' doesn't allow an argument");
  EXPECT_EQ(expand(cat.app, {"--vers=", "--foo"}).error,
            "option '--version' doesn't allow an argument");
}

TEST(ExpandLongPrefixes, SubcommandOptionsAfterItsName) {
  CLI::App app{"prog"};
  cli::prepare(app);
  bool verbose = false, quiet = false;
  CLI::App* send = app.add_subcommand("send");
  send->add_flag("-v,--verbose", verbose);
  send->add_option("--timeout");
  CLI::App* serve = app.add_subcommand("serve");
  serve->add_flag("-q,--quiet", quiet);
  EXPECT_EQ(expand(app, {"send", "--verb", "--time", "serve"}).args,
            (Words{"send", "--verbose", "--timeout", "serve"}));
  EXPECT_EQ(expand(app, {"send", "--qu"}).error, "unrecognized option '--qu'");
  EXPECT_EQ(expand(app, {"--verbose", "send"}).error, "unrecognized option '--verbose'");
  EXPECT_EQ(expand(app, {"serve", "-q", "--he"}).args, (Words{"serve", "-q", "--help"}));
}

TEST(GnuMessage, NamesTheArgumentCli11DidNotExpect) {
  Cat cat;
  EXPECT_EQ(cli11_message(cat.app, {"-n", "--foo"}), "unrecognized option '--foo'");
  Cat cat2;
  EXPECT_EQ(cli11_message(cat2.app, {"-b", "f", "--foo", "--bar"}), "unrecognized option '--foo'");
  Cat cat3;
  EXPECT_EQ(cli11_message(cat3.app, {"-n", "-z"}), "invalid option -- 'z'");
}

TEST(GnuMessage, ExtraOperands) {
  CLI::App app{"prog"};
  bool flag = false;
  std::string in;
  app.add_flag("-f", flag);
  app.add_option("IN", in);
  EXPECT_EQ(cli11_message(app, {"-f", "a", "b"}), "extra operand 'b'");
  CLI::App app2{"prog"};
  app2.add_flag("-f", flag);
  app2.add_option("IN", in);
  EXPECT_EQ(cli11_message(app2, {"-f", "a", "--", "-x"}), "extra operand '-x'");
}

TEST(Parse, UsageErrorNamesTheOffendingArgument) {
  Cat cat;
  Parsed r = parse(cat.app, {"-n", "--foo"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, try_line("unrecognized option '--foo'"));
  Cat cat2;
  r = parse(cat2.app, {"-n", "f", "-z"});
  EXPECT_EQ(r.err, try_line("invalid option -- 'z'"));
}

TEST(Parse, PrefixesReachTheOptions) {
  Cat cat;
  Parsed r = parse(cat.app, {"--number-n", "--header-f", "h", "--sta=json", "f", "--", "--num"});
  EXPECT_EQ(r.status, -1);
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(cat.number_nonblank);
  EXPECT_FALSE(cat.number);
  EXPECT_EQ(cat.header_file, "h");
  EXPECT_EQ(cat.common.stats, cli::StatsFormat::Json);
  EXPECT_EQ(cat.files, (Words{"f", "--num"}));
}

TEST(Parse, HelpBeforeAnErrorWinsAfterItLoses) {
  Cat cat;
  Parsed r = parse(cat.app, {"--hel", "--foo"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "Usage: prog\n");
  Cat cat2;
  r = parse(cat2.app, {"--s", "--help"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, try_line("option '--s' is ambiguous; possibilities: '--squeeze-blank' "
                            "'--show-all' '--stats'"));
}

TEST(Parse, FirstProblemInCommandLineOrderWins) {
  // A bad value is rejected where getopt's caller reads it: before a later bad option.
  Cat cat;
  Parsed r = parse(cat.app, {"-n", "--pipe-size", "1", "--foo"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, try_line("invalid pipe size: '1'"));
  Cat cat2;
  r = parse(cat2.app, {"-n", "--foo", "--pipe-size", "1"});
  EXPECT_EQ(r.err, try_line("unrecognized option '--foo'"));
  // Among bad values as well (the common options are checked as they come).
  Cat cat3;
  r = parse(cat3.app, {"--sta=xml", "--pipe-size", "1"});
  EXPECT_EQ(r.err, try_line("--stats: invalid format 'xml' (text or json)"));
  Cat cat4;
  r = parse(cat4.app, {"--pipe-size", "1", "--sta=xml"});
  EXPECT_EQ(r.err, try_line("invalid pipe size: '1'"));
}

TEST(Parse, BadValueBeforeHelpOrVersionWinsAfterItIsNotRead) {
  Cat cat;
  Parsed r = parse(cat.app, {"--pipe-size", "1", "--help"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, try_line("invalid pipe size: '1'"));
  Cat cat2;
  r = parse(cat2.app, {"--help", "--pipe-size", "1"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "Usage: prog\n");
  Cat cat3;
  r = parse(cat3.app, {"--vers", "--foo", "--pipe-size", "1"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, cli::version_text("prog"));
  EXPECT_EQ(r.err, "");
}

TEST(Parse, HelpWithAValueIsAUsageError) {
  Cat cat;
  Parsed r = parse(cat.app, {"-n", "--help=x"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, try_line("option '--help' doesn't allow an argument"));
}

TEST(Parse, HelpWinsOverWhatIsCheckedAfterTheOptions) {
  // A missing operand: GNU tools look at operands after getopt's loop, which --help ends.
  CLI::App app{"prog"};
  cli::prepare(app);
  std::string in;
  app.add_option("IN", in)->required();
  Parsed r = parse(app, {"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "Usage: prog\n");
  r = parse(app, {});
  EXPECT_EQ(r.status, 1);
}

TEST(Parse, RepeatedCommonOptionLastWins) {
  Cat cat;
  Parsed r = parse(cat.app, {"--pipe-size", "64K", "--pipe-size=128K", "--stats", "--stats=json"});
  EXPECT_EQ(r.status, -1);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(cat.common.pipe_size, 128U * 1024);
  EXPECT_EQ(cat.common.stats, cli::StatsFormat::Json);
}

TEST(ExtrasHelp, OwnThenSharedExtrasAtTheColumnThenGnusHelpAndVersion) {
  std::string text = cli::extras_help("cat", 27, {{"--offset N", "start each input\nN bytes in"}});
  EXPECT_EQ(text.substr(0, text.find("      --no-splice")),
            "\nExtras (not in GNU cat):\n"
            "      --offset N           start each input\n"
            "                           N bytes in\n"
            "      --pipe-size=SIZE     capacity to aim for in pipes (default 1M)\n");
  EXPECT_TRUE(text.ends_with("      --help        display this help and exit\n"
                             "      --version     output version information and exit\n"));
  // Another command's column moves every description, continuations included.
  text = cli::extras_help("tee", 28);
  EXPECT_NE(text.find("\n      --stats[=FORMAT]      after the run"), std::string::npos);
  EXPECT_NE(text.find("\n                            on standard error"), std::string::npos);
}

TEST(ExtrasHelp, CommonHelpIsTheSharedLinesAlone) {
  std::string lines = cli::common_help(27);
  EXPECT_TRUE(lines.starts_with("      --pipe-size=SIZE     capacity to aim for in pipes"));
  EXPECT_TRUE(lines.ends_with("\n                           on standard error (FORMAT: text (default) or json)\n"));
  EXPECT_EQ(lines.find("--help"), std::string::npos);
  // extras_help describes the shared options with the very same lines.
  EXPECT_NE(cli::extras_help("cat", 27).find(lines), std::string::npos);
}
