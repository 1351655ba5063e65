// hw-encrypt: authenticated stream encryption, pipe in and pipe out.
// Options and --help: options.cpp; encrypt/decrypt: run.cpp; keygen.cpp; raw_mode.cpp (--raw);
// output.cpp (OUT through a temporary file). The format and ciphers live in the core (crypto/).
#include "conduit/cli.hpp"
#include "options.hpp"
#include "run.hpp"

int main(int argc, char** argv) {
  using namespace hw_encrypt;
  conduit::init_program(argc, argv, "hw-encrypt");
  Options options;
  CLI::App app{std::string(kProg)};
  conduit::cli::prepare(app);
  bind(app, options);
  const conduit::cli::CommandInfo info{kProg, kHelpText, kExitError};
  if (auto status = conduit::cli::parse(app, argc, argv, info)) return *status;
  if (std::string error = check(options); !error.empty())
    return conduit::cli::usage_error(error, kExitError);
  return run(options);
}
