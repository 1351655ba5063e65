// xtee: GNU tee, duplicating pages with tee(2) where the kernel allows it.
// Options and --help: options.cpp; the work: tee.cpp (over conduit::Fanout).
#include <cstdio>
#include <vector>

#include "conduit/cli.hpp"
#include "options.hpp"
#include "tee.hpp"

int main(int argc, char** argv) {
  using namespace xtee;
  std::string error;
  std::vector<std::string> args = expand_long_prefixes(argc, argv, error);
  if (!error.empty()) {
    std::fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n", kProg.data(),
                 error.c_str(), kProg.data());
    return 1;
  }
  std::vector<char*> argp;
  for (std::string& arg : args) argp.push_back(arg.data());
  argp.push_back(nullptr);

  Options options;
  CLI::App app{std::string(kProg)};
  conduit::cli::prepare(app);
  bind(app, options);
  const conduit::cli::CommandInfo info{kProg, kHelpText, 1};
  if (auto status = conduit::cli::parse(app, argc, argp.data(), info)) return *status;
  if (auto status = finish_options(app, options)) return *status;
  return run(options);
}
