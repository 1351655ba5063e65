// tls: what send, recv and serve share for --tls: the context from the options, the handshake's
// time limit, the --tls-ktls=require check and the words for -v.
#include "commands.hpp"

namespace splice_net {

namespace tls = conduit::net::tls;

std::optional<tls::Context> tls_context(const Options& o, bool server, conduit::Diag& diag) {
  tls::ContextSettings s;
  s.role = server ? tls::Role::Server : tls::Role::Client;
  s.ktls = o.tls.ktls != KtlsMode::Off;
  if (server) {
    s.cert_file = o.tls.cert;
    s.key_file = o.tls.key;
    s.ca_file = o.tls.verify_client;
    // HTTP/1.0 is served too (serve ends its bodies by the close), so a client that offers
    // only http/1.0 (curl --http1.0) is not refused, as nginx accepts it; http/1.1 first: the
    // server's order decides for a client offering both.
    if (o.http) s.alpn = {"http/1.1", "http/1.0"};
  } else {
    s.cert_file = o.tls.client_cert;
    s.key_file = o.tls.client_key;
    s.ca_file = o.tls.ca;
    s.verify_peer = !o.tls.insecure;
  }
  auto context = tls::Context::create(s);
  if (!context.ok()) {
    diag.error(context.reason);
    return std::nullopt;
  }
  return std::move(context.value);
}

int handshake_ms(const Options& o) { return timeout_ms(o, 30); }

std::string ktls_shortfall(const Options& o, const tls::Session& session, bool sending) {
  if (o.tls.ktls != KtlsMode::Require) return "";
  if (sending ? session.ktls_send() : session.ktls_recv()) return "";
  return std::string("kernel TLS is not available for ") + (sending ? "sending" : "receiving") + " (" +
         session.version() + ", " + session.cipher() +
         "; the kernel needs the tls module, OpenSSL kTLS support and a cipher both have)";
}

std::string tls_summary(const tls::Session& session) {
  std::string text = session.version() + ", " + session.cipher();
  if (session.ktls_send() && session.ktls_recv()) text += ", kTLS send and receive";
  else if (session.ktls_send()) text += ", kTLS send";
  else if (session.ktls_recv()) text += ", kTLS receive";
  else text += ", user-space TLS";
  return text;
}

}  // namespace splice_net
