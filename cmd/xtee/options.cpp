// options: binds xtee's options to CLI11 and holds the --help text (written once, here; the
// extras block comes from conduit::cli::extras_help).
#include "options.hpp"

#include <array>

#include "conduit/quote.hpp"

namespace xtee {

std::string help_text(std::string_view prog) {
  return "Usage: " + std::string(prog) + " [OPTION]... [FILE]...\n" +
         std::string(
             "Copy standard input to each FILE, and also to standard output,\n"
             "duplicating pages with tee(2) where the kernel allows it.\n"
             "\n"
             "  -a, --append              append to the given FILEs, do not overwrite\n"
             "  -i, --ignore-interrupts   ignore interrupt signals\n"
             "  -p                        diagnose errors writing to non pipes\n"
             "      --output-error[=MODE]   set behavior on write error.  See MODE below\n") +
         conduit::cli::extras_help("tee", 28) +
         "\n"
         "MODE determines behavior with write errors on the outputs:\n"
         "  warn           diagnose errors writing to any output\n"
         "  warn-nopipe    diagnose errors writing to any output not a pipe\n"
         "  exit           exit on error writing to any output\n"
         "  exit-nopipe    exit on error writing to any output not a pipe\n"
         "The default MODE for the -p option is 'warn-nopipe'.\n"
         "The default operation when --output-error is not specified, is to\n"
         "exit immediately on error writing to a pipe, and diagnose errors\n"
         "writing to non pipe outputs.\n"
         "\n"
         "A FILE named - is a file of that name, as in GNU tee.\n"
         "See xtee(1) for how outputs are fed (tee(2), splice, or read/write).\n";
}

namespace {

struct Mode {
  std::string_view name;
  OutputError value;
};
constexpr std::array<Mode, 4> kModes = {{
    {"warn", OutputError::Warn},
    {"warn-nopipe", OutputError::WarnNopipe},
    {"exit", OutputError::Exit},
    {"exit-nopipe", OutputError::ExitNopipe},
}};

// GNU argmatch: an exact name, or a prefix of exactly one name. Throws GNU's message as a
// CLI::ConversionError, which parse() prints as is (each() would prefix a ValidationError's
// with the option's name).
OutputError match_mode(const std::string& arg) {
  const Mode* found = nullptr;
  bool ambiguous = false;
  for (const Mode& m : kModes) {
    if (m.name == arg) return m.value;
    if (m.name.starts_with(arg)) {
      if (found) ambiguous = true;
      found = &m;
    }
  }
  if (found && !ambiguous) return found->value;
  // GNU's argmatch_invalid and argmatch_valid, quoted with quote() (‘…’ in a UTF-8 locale).
  std::string msg = std::string(ambiguous ? "ambiguous" : "invalid") + " argument " +
                    conduit::quote_arg(arg) + " for " + conduit::quote_arg("--output-error") +
                    "\nValid arguments are:";
  for (const Mode& m : kModes) msg += "\n  - " + conduit::quote_arg(m.name);
  throw CLI::ConversionError(msg);
}

}  // namespace

void bind(CLI::App& app, Options& o) {
  app.add_flag("-a,--append", o.append, "append to the given FILEs, do not overwrite");
  app.add_flag("-i,--ignore-interrupts", o.ignore_interrupts, "ignore interrupt signals");
  app.add_flag("-p", o.p, "diagnose errors writing to non pipes");
  // `--output-error` or `--output-error=MODE`, never taking the next word (a FILE).
  app.add_flag("--output-error{warn-nopipe}")
      ->description("set behavior on write error")
      ->each([&o](const std::string& mode) { o.output_error_modes.push_back(match_mode(conduit::cli::optional_value(mode))); })
      ->type_name("[=MODE]")
      ->trigger_on_parse();  // MODE checked where it stands, as tee's argmatch does
  conduit::cli::mark_gnu_options(app);  // GNU's abbreviations win over the extras below
  conduit::cli::add_common_options(app, o.common);
  app.add_option("files", o.files)->type_name("FILE");
  app.allow_extras(false);
}

void finish_options(const CLI::App& app, Options& o) {
  // The last of -p and --output-error on the command line decides, as with getopt.
  const CLI::Option* p = app.get_option("-p");
  const CLI::Option* oe = app.get_option("--output-error");
  std::size_t oe_seen = 0;
  for (const CLI::Option* opt : app.parse_order()) {
    if (opt == p) {
      o.output_error = OutputError::WarnNopipe;
    } else if (opt == oe && oe_seen < o.output_error_modes.size()) {
      // parse_order lists an option once per occurrence; its modes come in the same order.
      o.output_error = o.output_error_modes[oe_seen++];
    }
  }
}

}  // namespace xtee
