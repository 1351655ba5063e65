// cli: GNU-style help, version and usage errors over CLI11, and the options all commands share.
#include "conduit/cli.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "conduit/size.hpp"
#include "conduit/version.hpp"

namespace conduit::cli {

namespace {
const std::string kHelpFlag = "--help";
const std::string kVersionFlag = "--version";

// CLI11 says "The following argument was not expected: --foo"; GNU says
// "unrecognized option '--foo'" or "invalid option -- 'x'". Users and scripts know the latter.
std::string gnu_message(const CLI::ParseError& e, int argc, char** argv) {
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    for (int i = 1; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (arg == "--") break;
      if (arg.size() > 2 && arg.starts_with("--"))
        return "unrecognized option '" + std::string(arg) + "'";
      if (arg.size() > 1 && arg[0] == '-')
        return "invalid option -- '" + std::string(arg.substr(1, 1)) + "'";
    }
  }
  std::string what = e.what();
  return what;
}
}  // namespace

void prepare(CLI::App& app) {
  app.set_help_flag();
  app.set_version_flag();
  app.add_flag(kHelpFlag)->description("display this help and exit");
  app.add_flag(kVersionFlag)->description("output version information and exit");
}

void add_common_options(CLI::App& app, CommonOptions& options) {
  app.add_option_function<std::string>(
         "--pipe-size",
         [&options](const std::string& text) {
           auto size = parse_size(text);
           if (!size || *size < 4096 || *size > (1ULL << 31))
             throw CLI::ValidationError("invalid pipe size: '" + text + "'");
           options.pipe_size = static_cast<std::size_t>(*size);
         },
         "capacity to aim for in pipes we own or grow")
      ->type_name("SIZE");
  app.add_flag("--no-splice", options.no_splice, "move data with read/write only");
  app.add_flag("--progress", options.progress, "show a progress meter on stderr");
  // A flag with an optional value: `--stats` or `--stats=json`, never taking the next word
  // (that would swallow a FILE operand, unlike getopt's optional arguments).
  app.add_flag("--stats{text}")
      ->description("report bytes per path and syscall counts on stderr (FORMAT: text or json)")
      ->each([&options](const std::string& format) {
        if (format == "text") options.stats = StatsFormat::Text;
        else if (format == "json") options.stats = StatsFormat::Json;
        else throw CLI::ValidationError("invalid format '" + format + "' (text or json)");
      })
      ->type_name("[=FORMAT]");
}

std::optional<int> parse(CLI::App& app, int argc, char** argv, const CommandInfo& info) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version win over errors elsewhere on the line, as with getopt_long.
    for (int i = 1; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (arg == "--") break;
      if (arg == kHelpFlag) {
        std::fwrite(info.help_text.data(), 1, info.help_text.size(), stdout);
        return std::fflush(stdout) == 0 ? 0 : 1;
      }
    }
    std::fprintf(stderr, "%.*s: %s\nTry '%.*s --help' for more information.\n",
                 static_cast<int>(info.prog.size()), info.prog.data(),
                 gnu_message(e, argc, argv).c_str(), static_cast<int>(info.prog.size()),
                 info.prog.data());
    return info.usage_status;
  }
  if (app.count(kHelpFlag) > 0) {
    std::fwrite(info.help_text.data(), 1, info.help_text.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  if (app.count(kVersionFlag) > 0) {
    std::string text = version_text(info.prog);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  return std::nullopt;
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

}  // namespace conduit::cli
