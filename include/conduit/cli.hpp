// cli: what every command's option parsing shares, on top of CLI11.
//
// GNU behaviour users expect from drop-in tools: `--help` prints the command's own usage text
// (written once, in the command) and exits 0; `--version` prints "prog (conduit) X.Y.Z"; a usage
// error prints "prog: message" and "Try 'prog --help' for more information." and exits 1 (CLI11's
// own codes start at 100); long options may be abbreviated and errors read as getopt_long's.
// The extras shared by all commands (--pipe-size, --no-splice, --progress, --stats[=json]) are
// declared here once.
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conduit/diag.hpp"
#include "conduit/pipe.hpp"
#include "conduit/stats.hpp"

namespace conduit::cli {

struct CommandInfo {
  std::string_view prog;        // "splice-cat"
  std::string_view help_text;   // the whole --help output
  int usage_status = 1;         // exit status after a usage error (GNU cat/tee: 1)
};

enum class StatsFormat { None, Text, Json };

// The extras shared by every command.
struct CommonOptions {
  bool no_splice = false;
  bool progress = false;
  StatsFormat stats = StatsFormat::None;
  std::size_t pipe_size = kDefaultPipeSize;
  bool pipe_size_given = false;  // --pipe-size on the command line (shared pipes: see pipe.hpp)
};

// Replaces CLI11's help flag by --help/--version handled in parse().
void prepare(CLI::App& app);

// For a drop-in command: marks every option declared on `app` so far (call it after GNU's own
// options, before the extras) as GNU's. A long-option prefix that matches one of GNU's options
// and some extras means GNU's option (`cat --h` is --help, as in GNU cat); one that matches
// several of GNU's is ambiguous among those, with GNU's message.
void mark_gnu_options(CLI::App& app);

// Adds --pipe-size SIZE, --no-splice, --progress, --stats[=text|json] bound to `options`.
void add_common_options(CLI::App& app, CommonOptions& options);

// One conduit option in --help: as written ("--header=TEXT", GNU's style) and what it does; a '\n' in `what`
// continues the description on the next line, under its start.
struct HelpItem {
  std::string_view option;
  std::string_view what;
};

// The part of a drop-in command's --help that GNU's lacks: a blank line, "Extras (not in GNU
// NAME):", the command's own extras, the shared ones (add_common_options, described here once),
// then GNU's --help and --version lines (which GNU puts at the end of its option list). The
// descriptions start at `column`, that of GNU's option list above (27 for cat, 28 for tee).
std::string extras_help(std::string_view gnu_name, std::size_t column,
                        std::initializer_list<HelpItem> own = {});

// Just the lines describing add_common_options' options, descriptions from `column`: for a
// command with no GNU counterpart, which lays out the rest of its --help itself (splice-net).
std::string common_help(std::size_t column);

// An optional value given empty (`--output-error=`) reaches the option's callback as this
// text (CLI11 alone would take it for the option without a value); optional_value() maps it back.
inline constexpr std::string_view kEmptyValue = "\x01(empty)";
inline std::string optional_value(const std::string& value) {
  return value == kEmptyValue ? std::string() : value;
}

// Parses argv (through expand_long_prefixes, then CLI11). Returns std::nullopt when the command
// should run, or the status main() should return: 0 after --help/--version, info.usage_status
// after a usage error (message printed). As with getopt, the first problem in command-line order
// wins: a bad option, --help or --version ends the reading, and an option value rejected before
// it (a CLI::ValidationError or CLI::ConversionError from the option's callback) is reported
// instead. Value checks run in command-line order among themselves for options declared with
// ->trigger_on_parse() (which also lets a repeated option's last value win, as with getopt).
std::optional<int> parse(CLI::App& app, int argc, char** argv, const CommandInfo& info);

// getopt_long's reading of the command line, which CLI11 lacks. Rewrites each unambiguous prefix
// of a long option in `args` (args[0] is the program) to the option's name (`--num` -> `--number`,
// `--output-err=warn` -> `--output-error=warn`; an exact name wins over longer ones). Returns ""
// or getopt's message for the first bad option in command-line order: unrecognized, ambiguous
// (possibilities listed in declaration order, --help and --version last), an unknown letter in a
// cluster, a missing value, a value given to a flag. Stops at "--" and at --help/--version (they
// act before anything after them). Words after a subcommand's name are looked up in that
// subcommand, then in its parents. `stop`, if given, receives the index of the word the reading
// stopped at (the bad option, --help or --version), or args.size().
std::string expand_long_prefixes(const CLI::App& app, std::vector<std::string>& args,
                                 std::size_t* stop = nullptr);

// GNU's wording for a CLI11 error thrown by app.parse(): CLI11 says "The following argument was
// not expected: --foo", GNU says "unrecognized option '--foo'", "invalid option -- 'x'" or
// "extra operand 'x'", naming the first word that was not expected. `args` as parsed.
std::string gnu_message(const CLI::ParseError& e, const CLI::App& app,
                        const std::vector<std::string>& args);

// A usage error found after parse() (an option conflict a command checks itself): "NAME:
// message" and "Try 'NAME --help' for more information.", NAME the name the command was run
// under (program_name()), as parse() words its own. Returns `status`, the command's usage status.
int usage_error(std::string_view message, int status = 1);

// The --stats report, if `format` asks for one: format_stats_text or format_stats_json for
// `prog`, on standard error in one write (a report that cannot be shown does not change the
// exit status).
void report_stats(StatsFormat format, const Stats& stats, std::string_view prog, double seconds);

// "prog (conduit) 0.1.0" plus the licence lines GNU tools print.
std::string version_text(std::string_view prog);

// What a command's main() does, in order: name the program as invoked (init_program, `prog` the
// fallback), declare the options (`bind`, on an App made ready by prepare()), parse() with
// `help()`'s --help text, check what parse() cannot (`check`: a usage error's message, or ""),
// then `run()`. Every command's main() is one call of run_main().
struct Main {
  std::string_view prog;                          // the command's own name
  bool named_as_invoked = false;                  // --version and the App say program_name()
  int usage_status = 1;                           // exit status of a usage error
  std::function<void(CLI::App&)> bind;            // declares the options on the App
  std::function<std::string()> help;              // the --help text (called after bind)
  std::function<std::string(CLI::App&)> check{};  // after parse: "" or a usage error
  std::function<int()> run;                       // the work: the exit status
};

// Runs `main` (see Main) and returns main()'s exit status.
inline int run_main(int argc, char** argv, const Main& main) {
  init_program(argc, argv, main.prog);
  const std::string_view prog = main.named_as_invoked ? program_name() : main.prog;
  CLI::App app{std::string(prog)};
  prepare(app);
  main.bind(app);
  const std::string help = main.help();
  const CommandInfo info{prog, help, main.usage_status};
  if (auto status = parse(app, argc, argv, info)) return *status;
  if (main.check) {
    if (std::string error = main.check(app); !error.empty())
      return usage_error(error, main.usage_status);
  }
  return main.run();
}

}  // namespace conduit::cli
