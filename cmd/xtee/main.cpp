// xtee: GNU tee, duplicating pages with tee(2) where the kernel allows it.
// Options and --help: options.cpp; the work: tee.cpp (over conduit::Fanout).
#include "conduit/cli.hpp"
#include "options.hpp"
#include "tee.hpp"

int main(int argc, char** argv) {
  using namespace xtee;
  Options options;
  return conduit::cli::run_main(
      argc, argv,
      {.prog = kProg,
       .bind = [&](CLI::App& app) { bind(app, options); },
       .help = [] { return help_text(conduit::program_name()); },
       .check = [&](CLI::App& app) {
         finish_options(app, options);
         return std::string();
       },
       .run = [&] { return run(options); }});
}
