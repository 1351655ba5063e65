// splice-cat: GNU cat, moving pages with splice(2) where the kernel allows it.
// Options and --help: options.cpp; the work: cat.cpp; cat's formatting options: format.cpp.
#include "cat.hpp"
#include "conduit/cli.hpp"
#include "conduit/diag.hpp"

int main(int argc, char** argv) {
  using namespace splice_cat;
  conduit::init_program(argc, argv, kProg);
  Options options;
  CLI::App app{std::string(kProg)};
  conduit::cli::prepare(app);
  bind(app, options);
  const std::string help = help_text(conduit::program_name());
  const conduit::cli::CommandInfo info{kProg, help, 1};
  if (auto status = conduit::cli::parse(app, argc, argv, info)) return *status;
  return run(options);
}
