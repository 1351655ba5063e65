// cli: what every command's option parsing shares, on top of CLI11.
//
// GNU behaviour users expect from drop-in tools: `--help` prints the command's own usage text
// (written once, in the command) and exits 0; `--version` prints "prog (conduit) X.Y.Z"; a usage
// error prints "prog: message" and "Try 'prog --help' for more information." and exits 1 (CLI11's
// own codes start at 100). The extras shared by all commands (--pipe-size, --no-splice,
// --progress, --stats[=json]) are declared here once.
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "conduit/pipe.hpp"

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
};

// Replaces CLI11's help flag by --help/--version handled in parse().
void prepare(CLI::App& app);

// Adds --pipe-size SIZE, --no-splice, --progress, --stats[=text|json] bound to `options`.
void add_common_options(CLI::App& app, CommonOptions& options);

// Parses argv. Returns std::nullopt when the command should run, or the status main() should
// return: 0 after --help/--version, info.usage_status after a usage error (message printed).
std::optional<int> parse(CLI::App& app, int argc, char** argv, const CommandInfo& info);

// "prog (conduit) 0.1.0" plus the licence lines GNU tools print.
std::string version_text(std::string_view prog);

}  // namespace conduit::cli
