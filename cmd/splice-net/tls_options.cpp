// tls_options: --tls and its companions on splice-net's subcommands: a server side (recv, serve:
// certificate, key, client verification), a client side (send: trust anchors, name check, a
// client certificate), or both (relay: --tls with the clients on LISTEN, --tls-target toward
// TARGET). kTLS is asked for unless --tls-ktls=off.
#include "options.hpp"

namespace splice_net {

void bind_tls(CLI::App& sub, TlsOptions& t, TlsSide side) {
  sub.add_flag("--tls", t.on);
  if (side != TlsSide::Client) {
    sub.add_option("--cert", t.cert)->type_name("FILE");
    sub.add_option("--key", t.key)->type_name("FILE");
    sub.add_option("--verify-client", t.verify_client)->type_name("CA");
  }
  if (side == TlsSide::Relay) sub.add_flag("--tls-target", t.target);
  if (side != TlsSide::Server) {
    sub.add_option("--ca", t.ca)->type_name("FILE");
    sub.add_option("--client-cert", t.client_cert)->type_name("FILE");
    sub.add_option("--client-key", t.client_key)->type_name("FILE");
    sub.add_flag("--insecure", t.insecure);
  }
  sub.add_option_function<std::string>(
         "--tls-ktls",
         [&t](const std::string& text) {
           if (text == "auto") t.ktls = KtlsMode::Auto;
           else if (text == "off") t.ktls = KtlsMode::Off;
           else if (text == "require") t.ktls = KtlsMode::Require;
           else throw CLI::ValidationError("invalid kTLS mode: '" + text + "' (auto, off or require)");
         })
      ->type_name("MODE")
      ->trigger_on_parse();
}

std::string tls_help(TlsSide side) {
  std::string text =
      "\nTLS (TLS 1.3 by default, 1.2 allowed; the kernel encrypts when it can, kTLS):\n";
  if (side == TlsSide::Relay)
    text += "      --tls                speak TLS with the clients on LISTEN\n";
  else
    text += "      --tls                speak TLS on the connection\n";
  if (side != TlsSide::Client) {
    text +=
        "      --cert FILE          the server's certificate chain (PEM); needs --key\n"
        "      --key FILE           the certificate's private key (PEM)\n"
        "      --verify-client CA   require a client certificate issued by CA (PEM)\n";
  }
  if (side == TlsSide::Relay) {
    text +=
        "      --tls-target         speak TLS with TARGET (its certificate and name are\n"
        "                           checked against the options below)\n";
  }
  if (side != TlsSide::Server) {
    text +=
        "      --ca FILE            trust the CAs in FILE (PEM) instead of the system's\n"
        "      --client-cert FILE   present this certificate (mutual TLS); needs --client-key\n"
        "      --client-key FILE    the client certificate's private key (PEM)\n"
        "      --insecure           accept any server certificate and name (no verification)\n";
  }
  text +=
      "      --tls-ktls MODE      kernel TLS: 'auto' (default: when the kernel has it),\n"
      "                           'off', or 'require' (fail when it is not available)\n";
  if (side == TlsSide::Relay)
    text +=
        "  Each handshake must finish within the connect time limit (10 s, or -t if shorter).\n"
        "  A side that closes without close_notify is passed on as a reset, not an end.\n";
  else
    text +=
        "  The handshake must finish within --timeout SECONDS (default 30; serve: its idle\n"
        "  timeout).\n";
  return text;
}

std::string check_tls(const Options& o) {
  const TlsOptions& t = o.tls;
  bool server_opts = !t.cert.empty() || !t.key.empty() || !t.verify_client.empty();
  bool client_opts = !t.ca.empty() || !t.client_cert.empty() || !t.client_key.empty() || t.insecure;
  if (o.command == "relay") {
    if (server_opts && !t.on) return "--cert, --key and --verify-client need --tls";
    if (client_opts && !t.target) return "--ca, --client-cert, --client-key and --insecure need --tls-target";
    if (t.ktls != KtlsMode::Auto && !t.on && !t.target) return "--tls-ktls needs --tls or --tls-target";
  } else {
    if (!t.on) return server_opts || client_opts || t.ktls != KtlsMode::Auto ? "TLS options need --tls" : "";
  }
  if (t.on && o.command != "send" && (t.cert.empty() || t.key.empty()))
    return "--tls needs --cert FILE and --key FILE";
  if (t.client_cert.empty() != t.client_key.empty()) return "--client-cert and --client-key go together";
  if (t.insecure && !t.ca.empty()) return "cannot use --insecure with --ca";
  if (o.recv_back && t.on) return "cannot use --recv with --tls";
  return "";
}

}  // namespace splice_net
