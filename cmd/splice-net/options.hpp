// options: splice-net's command line: one CLI11 subcommand per mode (send, recv, serve, fanout,
// relay), the shared extras, and the --help texts (written once, here).
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conduit/cli.hpp"
#include "conduit/diag.hpp"

namespace splice_net {

// The name messages use: the one it was invoked under (conduit::init_program in main).
inline const std::string_view& kProg = conduit::program_name();

enum class StopMode { Finish, Drop };

// fanout: what happens to a client that falls a whole buffer behind the stream.
enum class SlowPolicy { Drop, Block };

// --tls and its companions (tls_options.cpp).
enum class KtlsMode { Auto, Off, Require };
struct TlsOptions {
  bool on = false;                    // --tls (relay: with the clients, on LISTEN)
  bool target = false;                // relay --tls-target: TLS to TARGET (the client options)
  std::string cert, key;              // server: --cert, --key
  std::string verify_client;          // server: --verify-client CA (mutual TLS)
  std::string ca;                     // client: --ca (default: the system's CAs)
  std::string client_cert, client_key;  // client: --client-cert, --client-key
  bool insecure = false;              // client: --insecure (no certificate or name check)
  KtlsMode ktls = KtlsMode::Auto;     // --tls-ktls
};

struct Options {
  std::string command;                 // "send", "recv", "serve", "fanout" or "relay"
  std::string address;                 // ADDRESS operand (relay: LISTEN)
  std::string target;                  // relay: TARGET
  std::vector<std::string> files;      // send: FILE... (none: stdin); serve: FILE... or DIR
  bool recv_back = false;              // send --recv
  std::optional<std::string> output;   // recv -o FILE
  bool keep = false;                   // recv --keep
  bool verbose = false;                // -v: "listening on", "connected to"
  bool quiet = false;                  // serve, fanout, relay -q: no per-connection log lines
  std::optional<std::string> header;       // serve --header TEXT
  std::optional<std::string> header_file;  // serve --header-file FILE
  bool http = false;                       // serve --http
  std::optional<double> head_timeout;      // serve --head-timeout SECONDS (HTTP request heads)
  std::optional<std::string> access_log;   // serve --access-log FILE
  bool index = false;                      // serve --index: list directories
  std::string content_type;                // serve --content-type (empty: by extension)
  std::string content_disposition;         // serve --content-disposition: attachment, inline
  bool follow = false;                     // serve --follow: send what is appended to FILE
  std::optional<double> idle;              // serve --idle SECONDS (default 10)
  std::size_t max_clients = 1000;      // serve, fanout, relay: connections at once
  std::size_t min_clients = 0;         // fanout: wait for this many before reading stdin
  SlowPolicy slow = SlowPolicy::Drop;  // fanout --slow
  // seconds: connect (send), first connection (recv), idle client (serve, fanout, relay)
  std::optional<double> timeout;
  StopMode stop = StopMode::Finish;
  TlsOptions tls;
  conduit::cli::CommonOptions common;
};

// Declares the subcommands and their options on `app`, bound to `options`. Returns the
// subcommands, whose names tell main which one --help is about.
std::vector<CLI::App*> bind(CLI::App& app, Options& options);

// --help for the whole command, and for one subcommand ("" = whole command).
std::string_view help_text(std::string_view command);

// Checks combinations CLI11 cannot express; returns an error message or "".
std::string check(const Options& options);

// tls_options.cpp: the TLS options of a connecting (send), listening (recv, serve) or relaying
// (both: --tls for LISTEN, --tls-target for TARGET) subcommand, their --help block, and their
// checks ("" when fine).
enum class TlsSide { Client, Server, Relay };
void bind_tls(CLI::App& sub, TlsOptions& tls, TlsSide side);
std::string tls_help(TlsSide side);
inline void bind_tls(CLI::App& sub, TlsOptions& tls, bool server) {
  bind_tls(sub, tls, server ? TlsSide::Server : TlsSide::Client);
}
inline std::string tls_help(bool server) { return tls_help(server ? TlsSide::Server : TlsSide::Client); }
std::string check_tls(const Options& options);

}  // namespace splice_net
