// splice-cat: GNU cat, moving pages with splice(2) where the kernel allows it.
// Options and --help: options.cpp; the work: cat.cpp over the library (conduit/cat_copy.hpp).
#include "cat.hpp"
#include "conduit/cli.hpp"

int main(int argc, char** argv) {
  using namespace splice_cat;
  Options options;
  return conduit::cli::run_main(
      argc, argv,
      {.prog = kProg,
       .bind = [&](CLI::App& app) { bind(app, options); },
       .help = [] { return help_text(conduit::program_name()); },
       .run = [&] { return run(options); }});
}
