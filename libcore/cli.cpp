// cli: GNU-style help, version and usage errors over CLI11, and the options all commands share.
// CLI11 knows neither abbreviated long options nor getopt's messages, so parse() first reads the
// command line as getopt_long would (expand_long_prefixes), from the options declared on the app.
#include "conduit/cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "conduit/diag.hpp"
#include "conduit/size.hpp"
#include "conduit/version.hpp"

namespace conduit::cli {

namespace {
const std::string kHelpFlag = "--help";
const std::string kVersionFlag = "--version";
// The group of the options a drop-in command shares with its GNU counterpart (mark_gnu_options).
const std::string kGnuGroup = "GNU";

// What an option does with a value, as getopt_long's has_arg says it.
enum class Takes : std::uint8_t { Nothing, Value, OptionalValue };

struct LongName {
  std::string name;  // without "--"
  const CLI::Option* option;
  Takes takes;
};

// CLI11 flags expect no value; an option with expected(0, N) may go without one.
Takes takes_for(const CLI::Option& option, const std::string& name) {
  if (option.get_expected_max() == 0) {
    // A flag declared "--stats{text}" keeps its name in get_fnames(): `--stats[=FORMAT]`.
    const std::vector<std::string>& optional = option.get_fnames();
    bool has_value = std::find(optional.begin(), optional.end(), name) != optional.end();
    return has_value ? Takes::OptionalValue : Takes::Nothing;
  }
  return option.get_expected_min() == 0 ? Takes::OptionalValue : Takes::Value;
}

// The long names `app` declares, in declaration order but --help and --version last, as GNU
// tools list them (the order of getopt's "possibilities").
std::vector<LongName> long_names(const CLI::App& app) {
  std::vector<LongName> names;
  for (const CLI::Option* option : app.get_options())
    for (const std::string& name : option->get_lnames())
      names.push_back({name, option, takes_for(*option, name)});
  std::stable_partition(names.begin(), names.end(), [](const LongName& n) {
    return n.name != "help" && n.name != "version";
  });
  return names;
}

// The names `name` is a prefix of in the first of `scope` and its parents that has any: one
// element when exact or unambiguous, several when ambiguous, none when unknown.
std::vector<LongName> match_long(const CLI::App* scope, const std::string& name) {
  for (; scope != nullptr; scope = scope->get_parent()) {
    std::vector<LongName> matches;
    for (LongName& candidate : long_names(*scope)) {
      if (candidate.name == name) return {candidate};
      // Two names of one option are one possibility, as for getopt (same has_arg, flag, val).
      bool alias = std::any_of(matches.begin(), matches.end(),
                               [&](const LongName& m) { return m.option == candidate.option; });
      if (candidate.name.starts_with(name) && !alias) matches.push_back(candidate);
    }
    if (matches.size() > 1) {
      // A prefix GNU's command reads as one of its own options keeps that meaning; extras
      // sharing the prefix need a longer one. When GNU's options alone are ambiguous, GNU's
      // message (its possibilities only) is the one scripts expect.
      std::vector<LongName> gnu;
      for (const LongName& m : matches)
        if (m.option->get_group() == kGnuGroup) gnu.push_back(m);
      if (!gnu.empty()) return gnu;
    }
    if (!matches.empty()) return matches;
  }
  return {};
}

const CLI::Option* find_short(const CLI::App* scope, char letter) {
  for (; scope != nullptr; scope = scope->get_parent()) {
    for (const CLI::Option* option : scope->get_options()) {
      const std::vector<std::string>& names = option->get_snames();
      if (std::find(names.begin(), names.end(), std::string(1, letter)) != names.end())
        return option;
    }
  }
  return nullptr;
}

const CLI::App* find_subcommand(const CLI::App& scope, const std::string& word) {
  for (const CLI::App* sub : scope.get_subcommands([](const CLI::App*) { return true; }))
    if (sub->check_name(word)) return sub;
  return nullptr;
}

// Checks a cluster of short options ("-nE", "-kFILE"); `i` moves past a value in the next word.
std::string check_short(const CLI::App* scope, const std::vector<std::string>& args,
                        std::size_t& i) {
  const std::string& arg = args[i];
  for (std::size_t k = 1; k < arg.size(); ++k) {
    const CLI::Option* option = find_short(scope, arg[k]);
    if (option == nullptr) return "invalid option -- '" + arg.substr(k, 1) + "'";
    if (option->get_expected_max() == 0) continue;  // a flag
    if (k + 1 < arg.size()) return "";  // the rest of the word is the value
    if (i + 1 == args.size()) return "option requires an argument -- '" + arg.substr(k, 1) + "'";
    ++i;  // the next word is the value, whatever it looks like
    return "";
  }
  return "";
}

// The name messages use: the invoked one (init_program), else the command's own.
std::string_view message_name(const CommandInfo& info) {
  std::string_view invoked = program_name();
  return invoked.empty() ? info.prog : invoked;
}

void print_usage_error(std::string_view prog, std::string_view message) {
  std::string text = std::string(prog) + ": " + std::string(message) + "\nTry '" +
                     std::string(prog) + " --help' for more information.\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
}

void print_usage_error(const CommandInfo& info, const std::string& message) {
  print_usage_error(message_name(info), message);
}

// --help and --version output; a failed write is reported as GNU's close_stdout reports it
// (`cat --version > /dev/full`: "cat: write error: No space left on device", status 1).
int print(std::string_view text, const CommandInfo& info) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (std::fflush(stdout) == 0 && !std::ferror(stdout)) return 0;
  int err = errno;
  std::fprintf(stderr, "%.*s: write error: %s\n", static_cast<int>(message_name(info).size()),
               message_name(info).data(), errno_text(err).c_str());
  return 1;
}

// expand_long_prefixes' loop; leaves `i` at the word it stopped at, args.size() when none.
std::string expand_until_stop(const CLI::App& app, std::vector<std::string>& args,
                              std::size_t& i) {
  const CLI::App* scope = &app;
  // As getopt_long: with POSIXLY_CORRECT set, the first operand ends the options.
  const bool posix = std::getenv("POSIXLY_CORRECT") != nullptr;
  for (; i < args.size(); ++i) {
    std::string& arg = args[i];
    if (arg == "--") {
      i = args.size();
      break;
    }
    if (!arg.starts_with("--")) {
      if (arg.size() > 1 && arg[0] == '-') {
        if (std::string error = check_short(scope, args, i); !error.empty()) return error;
      } else if (const CLI::App* sub = find_subcommand(*scope, arg)) {
        scope = sub;
      } else if (posix) {
        args.insert(args.begin() + static_cast<std::ptrdiff_t>(i), "--");  // CLI11's own stop
        i = args.size();
        break;
      }
      continue;
    }
    std::size_t eq = arg.find('=');
    std::string name = arg.substr(2, eq == std::string::npos ? eq : eq - 2);
    std::vector<LongName> matches = match_long(scope, name);
    if (matches.empty()) return "unrecognized option '" + arg + "'";
    if (matches.size() > 1) {
      std::string error = "option '" + arg + "' is ambiguous; possibilities:";
      for (const LongName& m : matches) error += " '--" + m.name + "'";
      return error;
    }
    const LongName& found = matches.front();
    arg = "--" + found.name + (eq == std::string::npos ? "" : arg.substr(eq));
    // CLI11 reads `--stats=` as plain `--stats`; getopt's caller sees an empty value.
    if (found.takes == Takes::OptionalValue && arg.size() == found.name.size() + 3)
      arg += kEmptyValue;  // "--" name "=" and nothing
    // Before the stop: getopt rejects `--help=x` rather than acting on it.
    if (found.takes == Takes::Nothing && eq != std::string::npos)
      return "option '--" + found.name + "' doesn't allow an argument";
    if (found.name == "help" || found.name == "version") break;
    if (found.takes == Takes::Value && eq == std::string::npos) {
      if (i + 1 == args.size()) return "option '--" + found.name + "' requires an argument";
      ++i;  // the next word is the value, whatever it looks like
    }
  }
  return "";
}

// What getopt's caller rejects in an option's value as it reads it (argmatch, a number that
// does not parse), as opposed to what it checks once all options are read (operands, option
// combinations): the former comes in command-line order with getopt's own errors.
bool is_bad_value(const CLI::ParseError& e) {
  return dynamic_cast<const CLI::ValidationError*>(&e) != nullptr ||
         dynamic_cast<const CLI::ConversionError*>(&e) != nullptr;
}
}  // namespace

std::string expand_long_prefixes(const CLI::App& app, std::vector<std::string>& args,
                                 std::size_t* stop) {
  std::size_t i = 1;
  std::string error = expand_until_stop(app, args, i);
  if (stop != nullptr) *stop = std::min(i, args.size());
  return error;
}

std::string gnu_message(const CLI::ParseError& e, const CLI::App& app,
                        const std::vector<std::string>& args) {
  if (dynamic_cast<const CLI::ExtrasError*>(&e) == nullptr) return e.what();
  // What CLI11 did not expect stays in the apps' lists, in command-line order (with a "--").
  std::vector<std::string> extras = app.remaining(true);
  auto first = std::find_if(extras.begin(), extras.end(),
                            [](const std::string& word) { return word != "--"; });
  if (first == extras.end()) return e.what();
  const std::string& word = *first;
  auto end_of_options = std::find(args.begin() + (args.empty() ? 0 : 1), args.end(), "--");
  bool option = word.size() > 1 && word[0] == '-' &&
                std::find(args.begin(), end_of_options, word) != end_of_options;
  if (option && word.starts_with("--")) return "unrecognized option '" + word + "'";
  if (option) return "invalid option -- '" + word.substr(1, 1) + "'";
  return "extra operand " + quote_arg(word);  // GNU: quote(); getopt's own messages are raw
}

void prepare(CLI::App& app) {
  app.set_help_flag();
  app.set_version_flag();
  app.add_flag(kHelpFlag)->description("display this help and exit");
  app.add_flag(kVersionFlag)->description("output version information and exit");
}

void mark_gnu_options(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) option->group(kGnuGroup);
}

void add_common_options(CLI::App& app, CommonOptions& options) {
  app.add_option_function<std::string>(
         "--pipe-size",
         [&options](const std::string& text) {
           auto size = parse_size(text);
           if (!size || *size < 4096 || *size > (1ULL << 31))
             throw CLI::ValidationError("invalid pipe size: " + quote_arg(text));
           options.pipe_size = static_cast<std::size_t>(*size);
           options.pipe_size_given = true;
         },
         "capacity to aim for in pipes we own or grow")
      ->type_name("SIZE")
      ->trigger_on_parse();  // checked where it stands, as getopt's caller would (see parse())
  app.add_flag("--no-splice", options.no_splice, "move data with read/write only");
  app.add_flag("--progress", options.progress, "show a progress meter on stderr");
  // A flag with an optional value: `--stats` or `--stats=json`, never taking the next word
  // (that would swallow a FILE operand, unlike getopt's optional arguments).
  app.add_flag("--stats{text}")
      ->description("report bytes per path and syscall counts on stderr (FORMAT: text or json)")
      ->each([&options](const std::string& format) {
        if (format == "text") options.stats = StatsFormat::Text;
        else if (format == "json") options.stats = StatsFormat::Json;
        else throw CLI::ValidationError("invalid format " + quote_arg(optional_value(format)) + " (text or json)");
      })
      ->type_name("[=FORMAT]")
      ->trigger_on_parse();
}

namespace {
// The shared options as --help describes them (add_common_options declares them).
constexpr HelpItem kCommonHelp[] = {
    {"--pipe-size=SIZE", "capacity to aim for in pipes (default 1M)"},
    {"--no-splice", "move data with read/write only"},
    {"--progress", "show a progress meter on standard error"},
    {"--stats[=FORMAT]",
     "after the run, report bytes per path and system calls\n"
     "on standard error (FORMAT: text (default) or json)"},
};

void add_help_line(std::string& text, const HelpItem& item, std::size_t column) {
  std::string line = "      ";
  line += item.option;
  line.resize(std::max(column, line.size() + 2), ' ');
  text += line;
  for (char c : item.what) {
    text += c;
    if (c == '\n') text.append(column, ' ');  // a continuation starts under the first line
  }
  text += '\n';
}
}  // namespace

std::string common_help(std::size_t column) {
  std::string text;
  for (const HelpItem& item : kCommonHelp) add_help_line(text, item, column);
  return text;
}

std::string extras_help(std::string_view gnu_name, std::size_t column,
                        std::initializer_list<HelpItem> own) {
  std::string text = "\nExtras (not in GNU ";
  text += gnu_name;
  text += "):\n";
  for (const HelpItem& item : own) add_help_line(text, item, column);
  text += common_help(column);
  // GNU's own lines, aligned as GNU aligns them in every command.
  text +=
      "      --help        display this help and exit\n"
      "      --version     output version information and exit\n";
  return text;
}

std::optional<int> parse(CLI::App& app, int argc, char** argv, const CommandInfo& info) {
  std::vector<std::string> args(argv, argv + argc);
  std::size_t stop = args.size();
  std::string error = expand_long_prefixes(app, args, &stop);
  // CLI11 reads only the words before the stop, so that it reports a bad value given before a
  // bad option, --help or --version (getopt's caller would have rejected it first) and nothing
  // after them (getopt never gets that far).
  std::vector<char*> argp;
  for (std::size_t i = 0; i < stop; ++i) argp.push_back(args[i].data());
  argp.push_back(nullptr);
  try {
    app.parse(static_cast<int>(stop), argp.data());
  } catch (const CLI::ParseError& e) {
    // Before a stop, what CLI11 checks after reading all options (a missing operand, an option
    // of the parent after a subcommand's name) loses to the stop: getopt acts on it first.
    if (stop == args.size() || is_bad_value(e)) {
      print_usage_error(info, gnu_message(e, app, args));
      return info.usage_status;
    }
  }
  if (!error.empty()) {
    print_usage_error(info, error);
    return info.usage_status;
  }
  if (stop == args.size()) return std::nullopt;
  if (args[stop] == kHelpFlag) return print(info.help_text, info);
  return print(version_text(info.prog), info);  // the only other stop
}

std::string version_text(std::string_view prog) {
  std::string text(prog);
  text += " (conduit) ";
  text += kVersion;
  text +=
      "\nCopyright (C) 2026 the conduit developers.\n"
      "License MIT: <https://opensource.org/licenses/MIT>.\n"
      "This is free software: you are free to change and redistribute it.\n"
      "There is NO WARRANTY, to the extent permitted by law.\n";
  return text;
}

int usage_error(std::string_view message, int status) {
  print_usage_error(program_name(), message);
  return status;
}

void report_stats(StatsFormat format, const Stats& stats, std::string_view prog, double seconds) {
  if (format == StatsFormat::None) return;
  std::string text = format == StatsFormat::Json ? format_stats_json(stats, prog, seconds)
                                                 : format_stats_text(stats, prog, seconds);
  ssize_t rc = ::write(STDERR_FILENO, text.data(), text.size());
  (void)rc;  // a report that cannot be shown must not change the status
}

}  // namespace conduit::cli
