// xtee: GNU tee, duplicating pages with tee(2) where the kernel allows it.
// Options and --help: options.cpp; the work: tee.cpp (over conduit::Fanout).
#include "conduit/cli.hpp"
#include "conduit/diag.hpp"
#include "options.hpp"
#include "tee.hpp"

int main(int argc, char** argv) {
  using namespace xtee;
  conduit::init_program(argc, argv, kProg);
  Options options;
  CLI::App app{std::string(kProg)};
  conduit::cli::prepare(app);
  bind(app, options);
  const std::string help = help_text(conduit::program_name());
  const conduit::cli::CommandInfo info{kProg, help, 1};
  if (auto status = conduit::cli::parse(app, argc, argv, info)) return *status;
  finish_options(app, options);
  return run(options);
}
