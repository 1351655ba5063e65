// splice-net: netcat-like send / recv / serve over TCP and Unix sockets, moving file and pipe
// pages with sendfile(2) and splice(2). Options and --help: options.cpp; each subcommand in its
// own file (send.cpp, recv.cpp, serve.cpp, fanout.cpp, relay.cpp).
#include "commands.hpp"
#include "conduit/cli.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
  using namespace splice_net;
  conduit::init_program(argc, argv, "splice-net");
  Options options;
  CLI::App app{std::string(kProg)};
  conduit::cli::prepare(app);
  std::vector<CLI::App*> subs = bind(app, options);

  // --help is about the subcommand named before it, if any. parse() prints it, and the
  // version, wherever they stand: nothing after it sees them.
  std::string_view named;
  for (int i = 1; i < argc && named.empty(); ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") break;
    for (const CLI::App* sub : subs)
      if (arg == sub->get_name()) named = arg;
  }
  const conduit::cli::CommandInfo info{kProg, help_text(named), 1};
  if (auto status = conduit::cli::parse(app, argc, argv, info)) return *status;
  if (std::string error = check(options); !error.empty()) return conduit::cli::usage_error(error);
  if (options.command == "send") return run_send(options);
  if (options.command == "recv") return run_recv(options);
  if (options.command == "fanout") return run_fanout(options);
  if (options.command == "relay") return run_relay(options);
  return run_serve(options);
}
