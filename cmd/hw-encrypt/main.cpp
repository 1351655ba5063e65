// hw-encrypt: authenticated stream encryption, pipe in and pipe out.
// Options and --help: options.cpp; encrypt/decrypt: run.cpp; keygen.cpp; raw_mode.cpp (--raw);
// output.cpp (OUT's messages; the library's AtomicOutput replaces it). The format and ciphers
// live in the core (crypto/).
#include "conduit/cli.hpp"
#include "options.hpp"
#include "run.hpp"

int main(int argc, char** argv) {
  using namespace hw_encrypt;
  Options options;
  return conduit::cli::run_main(
      argc, argv,
      {.prog = "hw-encrypt",
       .named_as_invoked = true,
       .usage_status = kExitError,
       .bind = [&](CLI::App& app) { bind(app, options); },
       .help = [] { return std::string(kHelpText); },
       .check = [&](CLI::App&) { return check(options); },
       .run = [&] { return run(options); }});
}
