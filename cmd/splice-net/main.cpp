// splice-net: netcat-like send / recv / serve over TCP and Unix sockets, moving file and pipe
// pages with sendfile(2) and splice(2). Options and --help: options.cpp; each subcommand in its
// own file (send.cpp, recv.cpp, serve.cpp, fanout.cpp, relay.cpp).
#include "commands.hpp"
#include "conduit/cli.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
  using namespace splice_net;
  Options options;
  std::vector<CLI::App*> subs;
  // --help is about the subcommand named before it, if any. parse() prints it, and the
  // version, wherever they stand: nothing after it sees them.
  auto help = [&] {
    std::string_view named;
    for (int i = 1; i < argc && named.empty(); ++i) {
      std::string_view arg = argv[i];
      if (arg == "--") break;
      for (const CLI::App* sub : subs)
        if (arg == sub->get_name()) named = arg;
    }
    return std::string(help_text(named));
  };
  auto run = [&] {
    if (options.command == "send") return run_send(options);
    if (options.command == "recv") return run_recv(options);
    if (options.command == "fanout") return run_fanout(options);
    if (options.command == "relay") return run_relay(options);
    return run_serve(options);
  };
  return conduit::cli::run_main(
      argc, argv,
      {.prog = "splice-net",
       .named_as_invoked = true,
       .bind = [&](CLI::App& app) { subs = bind(app, options); },
       .help = help,
       .check = [&](CLI::App&) { return check(options); },
       .run = run});
}
