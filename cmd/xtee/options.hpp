// options: xtee's command line: GNU tee's options and conduit's shared extras.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "conduit/cli.hpp"

namespace xtee {

inline constexpr std::string_view kProg = "xtee";

// GNU tee's behaviours on a write error. Sigpipe is the default without -p/--output-error:
// SIGPIPE keeps its default action (a vanished pipe reader kills tee), other errors are
// diagnosed and the rest of the outputs carry on.
enum class OutputError { Sigpipe, Warn, WarnNopipe, Exit, ExitNopipe };

struct Options {
  bool append = false;             // -a: open FILEs with O_APPEND
  bool ignore_interrupts = false;  // -i: SIGINT ignored
  bool p = false;                  // -p: --output-error=warn-nopipe
  std::vector<OutputError> output_error_modes;  // each --output-error, resolved afterwards
  OutputError output_error = OutputError::Sigpipe;
  conduit::cli::CommonOptions common;
  std::vector<std::string> files;  // "-" is a file named "-", as POSIX and GNU tee 9.1 say
};

void bind(CLI::App& app, Options& options);

// After parsing: resolves -p / --output-error (the last one given wins, as with getopt). MODE
// itself is checked while parsing, as GNU's argmatch does (unambiguous prefixes accepted).
void finish_options(const CLI::App& app, Options& options);

// The --help text (GNU tee's, plus the extras).
std::string help_text(std::string_view prog);  // naming the command `prog` as invoked

}  // namespace xtee
