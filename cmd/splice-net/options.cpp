// options: binds splice-net's subcommands to CLI11 and holds every --help text (the shared
// options' lines come from conduit::cli::common_help).
#include "options.hpp"

#include <cmath>

#include "conduit/net/mime_types.hpp"
#include "conduit/quote.hpp"

namespace splice_net {

namespace {

const std::string_view kMainHelp =
    "Usage: splice-net send [OPTION]... ADDRESS [FILE]...\n"
    "  or:  splice-net recv [OPTION]... ADDRESS\n"
    "  or:  splice-net serve [OPTION]... ADDRESS FILE...|DIR\n"
    "  or:  splice-net fanout [OPTION]... ADDRESS\n"
    "  or:  splice-net relay [OPTION]... LISTEN TARGET\n"
    "Move bytes between files, pipes and TCP or Unix sockets with sendfile(2) and splice(2).\n"
    "\n"
    "  send    connect to ADDRESS and send the FILEs (or standard input), then half-close\n"
    "  recv    listen on ADDRESS, accept one connection and write what arrives to stdout\n"
    "  serve   serve FILE to every client that connects, or files and a directory over HTTP\n"
    "  fanout  send a live stream from standard input to every client that connects\n"
    "  relay   forward each connection on LISTEN to TARGET, both directions\n"
    "\n"
    "ADDRESS is HOST:PORT, [IPV6]:PORT, :PORT or PORT (listen: every interface, IPv4 and IPv6;\n"
    "connect: this machine), or unix:PATH (unix:@NAME for the abstract namespace).\n"
    "\n"
    "Run 'splice-net COMMAND --help' for a command's options.\n"
    "      --help        display this help and exit\n"
    "      --version     output version information and exit\n";

// Under each subcommand's own options: the shared ones (described once, by conduit::cli), then
// --help and --version, all at the column of the options above.
const std::string kCommonHelp =
    conduit::cli::common_help(27) +
    "      --help               display this help and exit\n"
    "      --version            output version information and exit\n";

const std::string kSendHelp = std::string(
    "Usage: splice-net send [OPTION]... ADDRESS [FILE]...\n"
    "Connect to ADDRESS, send each FILE (standard input when none, or for -), then shut down\n"
    "the sending side so the peer sees end of file.\n"
    "\n"
    "  -r, --recv               also copy what the peer sends to standard output, until\n"
    "                           it closes (netcat's two-way use)\n"
    "  -t, --timeout SECONDS    give up connecting after SECONDS\n"
    "  -v, --verbose            report the connection on standard error\n") +
    kCommonHelp + tls_help(TlsSide::Client) +
    "\nExamples:\n  tar cf - dir | splice-net send host:9000\n"
    "  tar cf - dir | splice-net send --tls host:9000\n";

const std::string kRecvHelp = std::string(
    "Usage: splice-net recv [OPTION]... ADDRESS\n"
    "Listen on ADDRESS, accept one connection and write what arrives to standard output.\n"
    "\n"
    "  -k, --keep               accept the next connection after each one ends\n"
    "  -o, --output FILE        write to FILE (created or truncated) instead\n"
    "  -t, --timeout SECONDS    fail when no connection arrives within SECONDS\n"
    "  -v, --verbose            report the listening address and each peer on stderr\n") +
    kCommonHelp + tls_help(TlsSide::Server) +
    "\nExample:\n  splice-net recv :9000 | tar xf -\n";

const std::string kServeHelp = std::string(
    "Usage: splice-net serve [OPTION]... ADDRESS FILE\n"
    "  or:  splice-net serve --http [OPTION]... ADDRESS FILE...|DIR\n"
    "Serve FILE to every client that connects, many at once, from one epoll loop.\n"
    "With --http: each FILE by its name (/NAME), or the files beneath DIR (not dot-files,\n"
    "no symlink out of it; a directory by its index.html), with Last-Modified, ETag, a\n"
    "type by extension, conditional requests and byte ranges (several:\n"
    "multipart/byteranges).\n"
    "Stops accepting on SIGTERM, SIGINT or SIGHUP; a second signal drops what is in flight.\n"
    "A client cut off before the end of its file or response gets a reset, not end of file.\n"
    "\n"
    "      --access-log FILE    with --http, append one line per request to FILE (Common\n"
    "                           Log Format; default: standard error, none with -q)\n"
    "      --content-disposition TYPE\n"
    "                           with --http, send Content-Disposition: TYPE\n"
    "                           ('attachment' or 'inline') and the file's name\n"
    "      --content-type TYPE  Content-Type for --http (default: by extension, from\n"
    "                           /etc/mime.types)\n"
    "      --follow             FILE is still being written: send each client what is\n"
    "                           appended, live (HTTP: chunked), until no process has\n"
    "                           FILE open for writing and it has not grown for --idle\n"
    "                           seconds, or it is deleted, replaced or renamed\n"
    "      --header TEXT        send TEXT (literally) before the file to each client\n"
    "                           (--http: the start of the one FILE's body)\n"
    "      --header-file F      send F's contents before the file to each client\n"
    "      --head-timeout SECONDS\n"
    "                           with --http, answer 408 and close when a request head\n"
    "                           is not whole SECONDS after the connection opened (or\n"
    "                           after its first byte, on a kept-alive one) (default 10)\n"
    "      --http               answer HTTP/1.1 GET and HEAD requests (byte ranges,\n"
    "                           keep-alive) instead of sending the file at once\n"
    "      --idle SECONDS       with --follow, how long FILE must stay unchanged once\n"
    "                           its writers have closed it (default 10)\n"
    "      --index              with --http, list directories without an index.html\n"
    "                           (default: 403)\n"
    "      --max-clients N      serve at most N clients at once (default 1000); others\n"
    "                           wait in the listen queue\n"
    "  -q, --quiet              no log line per connection (--http: per request)\n"
    "      --stop MODE          on SIGTERM/SIGINT/SIGHUP: 'finish' what is in flight\n"
    "                           (default) or 'drop' it\n"
    "  -t, --timeout SECONDS    close a client that makes no progress for SECONDS\n"
    "                           (default 60)\n") +
    kCommonHelp + tls_help(TlsSide::Server) +
    "\nExamples:\n  splice-net serve --http 127.0.0.1:8080 video.mp4\n"
    "  splice-net serve --http --index :8080 /srv/media\n"
    "  capture | xtee rec.ts | splice-net fanout :9000 &\n"
    "  splice-net serve --http --follow --content-type video/mp2t :8080 rec.ts\n";

const std::string kFanoutHelp = std::string(
    "Usage: splice-net fanout [OPTION]... ADDRESS\n"
    "Listen on ADDRESS and send the stream read from standard input to every client that\n"
    "connects: the pages are duplicated with tee(2) into each client's pipe and spliced to its\n"
    "socket. A client that joins mid-stream gets the stream from that point on. When standard\n"
    "input ends, every client gets the rest and a clean close. SIGTERM, SIGINT or SIGHUP end\n"
    "the stream as end of file would; a second signal drops the clients. A client dropped\n"
    "before the end of the stream gets a reset, not end of file.\n"
    "\n"
    "      --content-type TYPE  Content-Type for --http (default application/octet-stream)\n"
    "      --http               answer each client's HTTP GET with a response head (no\n"
    "                           length, Connection: close) before the stream; HEAD gets\n"
    "                           the head only, other methods an error\n"
    "      --max-clients N      accept at most N clients at once (default 1000); others\n"
    "                           wait in the listen queue\n"
    "      --min-clients N      wait for N clients before reading the first byte\n"
    "  -q, --quiet              no log line per client\n"
    "      --slow POLICY        a client a whole buffer (--pipe-size) behind the stream:\n"
    "                           'drop' disconnects it and logs it, so the others never\n"
    "                           stall (default); 'block' waits for it (lossless: the\n"
    "                           slowest client sets the pace)\n"
    "  -t, --timeout SECONDS    with --slow=block, drop a client that takes nothing for\n"
    "                           SECONDS (default: wait for ever); with --tls, also the\n"
    "                           time a client has for its handshake\n") +
    kCommonHelp + tls_help(true) +
    "\nExamples:\n  camera-capture | xtee recording.bin | splice-net fanout --min-clients 2 :9000\n"
    "  camera-capture | splice-net fanout --http --tls --cert c.pem --key k.pem :8443\n";

const std::string kRelayHelp = std::string(
    "Usage: splice-net relay [OPTION]... LISTEN TARGET\n"
    "Accept connections on LISTEN and forward each to TARGET, both directions by splice(2),\n"
    "many connections in one epoll loop (like socat TCP-LISTEN:P,fork TCP:HOST:P). A side's\n"
    "end of file is passed on as a half-close; a reset is passed on and logged.\n"
    "Stops accepting on SIGTERM, SIGINT or SIGHUP; a second signal drops what is in flight.\n"
    "\n"
    "      --max-clients N      relay at most N connections at once (default 1000); others\n"
    "                           wait in the listen queue\n"
    "  -q, --quiet              no log line per connection\n"
    "      --stop MODE          on SIGTERM/SIGINT/SIGHUP: 'finish' the open connections\n"
    "                           (default) or 'drop' them (both sides get a reset)\n"
    "  -t, --timeout SECONDS    close a connection idle both ways for SECONDS (default:\n"
    "                           never); connecting to TARGET gives up after 10 s, or\n"
    "                           SECONDS if shorter\n") +
    kCommonHelp + tls_help(TlsSide::Relay) +
    "\nExamples:\n  splice-net relay :8080 backend.internal:80\n"
    "  splice-net relay --tls --cert c.pem --key k.pem :443 127.0.0.1:8080\n"
    "  splice-net relay --tls-target --ca ca.pem 127.0.0.1:9000 backend.internal:9443\n";

// A count between `min` and 1000000.
CLI::Option* add_count(CLI::App& sub, const std::string& name, std::size_t& out, unsigned long min) {
  return sub
      .add_option_function<std::string>(
          name,
          [&out, min](const std::string& text) {
            std::size_t used = 0;
            unsigned long v = 0;
            try {
              v = std::stoul(text, &used);
            } catch (const std::exception&) {
              used = 0;
            }
            if (used == 0 || used != text.size() || v < min || v > 1000000 || text[0] == '-')
              throw CLI::ValidationError("invalid client count: '" + text + "'");
            out = v;
          })
      ->type_name("N")
      ->trigger_on_parse();  // checked where it stands (conduit::cli::parse); the last one wins
}

CLI::Option* add_stop(CLI::App& sub, Options& o) {
  return sub
      .add_option_function<std::string>(
          "--stop",
          [&o](const std::string& text) {
            if (text == "finish") o.stop = StopMode::Finish;
            else if (text == "drop") o.stop = StopMode::Drop;
            else throw CLI::ValidationError("invalid stop mode: '" + text + "' (finish or drop)");
          })
      ->type_name("MODE")
      ->trigger_on_parse();
}

// Seconds as a positive decimal, with an optional "s", into `out` (`zero`: 0 too).
CLI::Option* add_seconds(CLI::App& sub, const std::string& name, std::optional<double>& out,
                         bool zero = false, const std::string& what = "timeout") {
  return sub
      .add_option_function<std::string>(
          name,
          [&out, zero, what](const std::string& text) {
            std::string t = text;
            if (!t.empty() && t.back() == 's') t.pop_back();
            std::size_t used = 0;
            double v = 0;
            try {
              v = std::stod(t, &used);
            } catch (const std::exception&) {
              used = 0;
            }
            if (t.empty() || used != t.size() || !(v > 0 || (zero && v == 0 && t[0] != '-')) ||
                !std::isfinite(v) || v > 1e6)
              throw CLI::ValidationError("invalid " + what + ": '" + text + "'");
            out = v;
          },
          "seconds")
      ->type_name("SECONDS")
      ->trigger_on_parse();
}

CLI::Option* add_timeout(CLI::App& sub, Options& o) { return add_seconds(sub, "-t,--timeout", o.timeout); }

CLI::App* subcommand(CLI::App& app, const std::string& name, Options& o) {
  CLI::App* sub = app.add_subcommand(name);
  // parse() acts on these; declared in each subcommand too, so that its prefixes count them
  // (send --ve is ambiguous: --verbose, --version).
  sub->add_flag("--help");
  sub->add_flag("--version");
  sub->parse_complete_callback([&o, name] { o.command = name; });
  conduit::cli::add_common_options(*sub, o.common);
  add_timeout(*sub, o);
  sub->allow_extras(false);
  return sub;
}

}  // namespace

std::string_view help_text(std::string_view command) {
  if (command == "send") return kSendHelp;
  if (command == "recv") return kRecvHelp;
  if (command == "serve") return kServeHelp;
  if (command == "fanout") return kFanoutHelp;
  if (command == "relay") return kRelayHelp;
  return kMainHelp;
}

std::vector<CLI::App*> bind(CLI::App& app, Options& o) {
  app.require_subcommand(0, 1);

  CLI::App* send = subcommand(app, "send", o);
  send->add_flag("-r,--recv", o.recv_back);
  send->add_flag("-v,--verbose", o.verbose);
  bind_tls(*send, o.tls, TlsSide::Client);
  send->add_option("address", o.address)->required()->type_name("ADDRESS");
  send->add_option("files", o.files)->type_name("FILE");

  CLI::App* recv = subcommand(app, "recv", o);
  recv->add_flag("-k,--keep", o.keep);
  recv->add_option("-o,--output", o.output)->type_name("FILE");
  recv->add_flag("-v,--verbose", o.verbose);
  bind_tls(*recv, o.tls, TlsSide::Server);
  recv->add_option("address", o.address)->required()->type_name("ADDRESS");

  CLI::App* serve = subcommand(app, "serve", o);
  auto* header = serve->add_option("--header", o.header)->type_name("TEXT");
  auto* header_file = serve->add_option("--header-file", o.header_file)->type_name("F");
  header->excludes(header_file);
  serve->add_flag("--http", o.http);
  add_seconds(*serve, "--head-timeout", o.head_timeout);
  serve->add_option("--access-log", o.access_log)->type_name("FILE");
  serve->add_flag("--index", o.index);
  serve->add_option("--content-type", o.content_type)->type_name("TYPE");
  serve->add_option_function<std::string>(
            "--content-disposition",
            [&o](const std::string& text) {
              if (text != "attachment" && text != "inline")
                throw CLI::ValidationError("invalid content disposition: '" + text + "' (attachment or inline)");
              o.content_disposition = text;
            })
      ->type_name("TYPE")
      ->trigger_on_parse();
  serve->add_flag("--follow", o.follow);
  add_seconds(*serve, "--idle", o.idle, true, "idle time");
  add_count(*serve, "--max-clients", o.max_clients, 1);
  serve->add_flag("-q,--quiet", o.quiet);
  add_stop(*serve, o);
  bind_tls(*serve, o.tls, TlsSide::Server);
  serve->add_option("address", o.address)->required()->type_name("ADDRESS");
  serve->add_option("file", o.files)->required()->expected(1, -1)->type_name("FILE");

  CLI::App* fanout = subcommand(app, "fanout", o);
  add_count(*fanout, "--max-clients", o.max_clients, 1);
  add_count(*fanout, "--min-clients", o.min_clients, 0);
  fanout->add_flag("--http", o.http);
  fanout->add_option("--content-type", o.content_type)->type_name("TYPE");
  fanout->add_flag("-q,--quiet", o.quiet);
  fanout->add_option_function<std::string>(
            "--slow",
            [&o](const std::string& text) {
              if (text == "drop") o.slow = SlowPolicy::Drop;
              else if (text == "block") o.slow = SlowPolicy::Block;
              else throw CLI::ValidationError("invalid slow-client policy: '" + text + "' (drop or block)");
            })
      ->type_name("POLICY")
      ->trigger_on_parse();
  bind_tls(*fanout, o.tls, true);
  fanout->add_option("address", o.address)->required()->type_name("ADDRESS");

  CLI::App* relay = subcommand(app, "relay", o);
  add_count(*relay, "--max-clients", o.max_clients, 1);
  relay->add_flag("-q,--quiet", o.quiet);
  add_stop(*relay, o);
  bind_tls(*relay, o.tls, TlsSide::Relay);
  relay->add_option("listen", o.address)->required()->type_name("LISTEN");
  relay->add_option("target", o.target)->required()->type_name("TARGET");
  return {send, recv, serve, fanout, relay};
}

std::string check(const Options& o) {
  if (o.command.empty()) return "missing command: send, recv, serve, fanout or relay";
  if (std::string tls = check_tls(o); !tls.empty()) return tls;
  if (o.command == "serve") {
    if (!o.http && o.files.size() > 1) return "several FILEs need --http (plain mode serves one)";
    if (o.http && o.files.size() > 1 && (o.header || o.header_file))
      return "--header and --header-file with --http need a single FILE";
    // (--content-type without --http has always been accepted, and ignored: scripts may pass it)
    if (!o.http && (o.index || !o.content_disposition.empty()))
      return "--index and --content-disposition need --http";
    if (!o.http && (o.head_timeout || o.access_log))
      return std::string("cannot use ") + (o.head_timeout ? "--head-timeout" : "--access-log") +
             " without --http";
    if (o.follow && o.files.size() > 1) return "--follow needs a single FILE";
    if (o.follow && o.http && (o.header || o.header_file))
      return "cannot use --header or --header-file with --follow --http";
    if (o.idle && !o.follow) return "cannot use --idle without --follow";
  }
  if ((o.command == "serve" || o.command == "fanout") && !o.content_type.empty() &&
      !conduit::net::http::valid_header_value(o.content_type))
    return "invalid content type: " + conduit::quote_arg(o.content_type) +
           " (control characters would break the response head)";
  if (o.command == "fanout" && o.min_clients > o.max_clients)
    return "--min-clients " + std::to_string(o.min_clients) + " is more than --max-clients " +
           std::to_string(o.max_clients);
  return "";
}

}  // namespace splice_net
