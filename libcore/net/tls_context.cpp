// net/tls_context: the OpenSSL context of one side: versions (1.3 by default, 1.2 allowed), no
// renegotiation, kTLS asked for, certificates and trust anchors, ALPN. Files are opened here
// first so that a missing one is named with its errno, not with OpenSSL's "system library".
#include <fcntl.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>

#include "conduit/net/tls.hpp"
#include "conduit/quote.hpp"
#include "tls_errors.hpp"

namespace conduit::net::tls {

namespace {

// Success when `path` can be opened for reading, else its errno and "PATH: reason".
Status unreadable(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return Status::failure(err, quote_name(path) + ": " + std::strerror(err));
  }
  ::close(fd);
  return {};
}

// A failure OpenSSL (or the settings) refused, without an errno of its own.
Status refused(std::string why) { return Status::failure(EPROTO, std::move(why)); }

// The server's choice: the first of the client's protocols that it serves. A client that
// offers only others is refused (no_application_protocol); one that offers none is served.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned in_len, void* arg) {
  const auto* ours = static_cast<const std::string*>(arg);
  unsigned char* chosen = nullptr;
  int rc = SSL_select_next_proto(&chosen, out_len, reinterpret_cast<const unsigned char*>(ours->data()),
                                 static_cast<unsigned>(ours->size()), in, in_len);
  if (rc != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

void Context::Free::operator()(ssl_ctx_st* ctx) const noexcept { SSL_CTX_free(ctx); }

Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;
Context::~Context() = default;

Result<Context> Context::create(const ContextSettings& s) {
  ERR_clear_error();
  Context c;
  c.settings_ = s;
  const bool server = s.role == Role::Server;
  c.ctx_.reset(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!c.ctx_) {
    return refused("cannot create a TLS context: " + openssl_reason());
  }
  SSL_CTX* ctx = c.ctx_.get();
  SSL_CTX_set_min_proto_version(ctx, s.allow_tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
  // Renegotiation (TLS 1.2) is refused: it would change keys under a kTLS socket, and it has a
  // history of attacks. TLS 1.3's KeyUpdate is the supported way to rekey.
  std::uint64_t options = SSL_OP_NO_RENEGOTIATION;
  if (s.ktls) options |= SSL_OP_ENABLE_KTLS;
  SSL_CTX_set_options(ctx, options);
  // Writes may return short on a non-blocking socket and be retried from a new buffer address.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

  // No TLS 1.3 session tickets: nothing here resumes sessions, and a client that never reads
  // (ncat --send-only) would close with the tickets unread in its socket, which makes its
  // kernel reset the connection and throw away the end of what it sent.
  if (server) SSL_CTX_set_num_tickets(ctx, 0);

  if (server && (s.cert_file.empty() || s.key_file.empty())) {
    return Status::failure(EINVAL, "a TLS server needs a certificate and its key");
  }
  if (!s.cert_file.empty() || !s.key_file.empty()) {
    const std::string& cert = s.cert_file.empty() ? s.key_file : s.cert_file;
    const std::string& key = s.key_file.empty() ? s.cert_file : s.key_file;
    if (Status st = unreadable(cert); !st.ok()) return st;
    if (Status st = unreadable(key); !st.ok()) return st;
    if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
      return refused(quote_name(cert) + ": not a PEM certificate: " + openssl_reason());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      // OpenSSL compares the key with the certificate already here.
      bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
      std::string reason = openssl_reason();
      return refused(quote_name(key) + (mismatch ? ": the key does not match the certificate " + quote_name(cert)
                                                 : ": not a PEM private key: " + reason));
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      ERR_clear_error();
      return refused(quote_name(key) + ": the key does not match the certificate " + quote_name(cert));
    }
  }

  if (!s.ca_file.empty()) {
    if (Status st = unreadable(s.ca_file); !st.ok()) return st;
    if (SSL_CTX_load_verify_locations(ctx, s.ca_file.c_str(), nullptr) != 1) {
      return refused(quote_name(s.ca_file) + ": no PEM certificate: " + openssl_reason());
    }
  }
  if (server) {
    if (!s.ca_file.empty()) {
      // Mutual TLS: the client must present a certificate from these CAs.
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(s.ca_file.c_str()))
        SSL_CTX_set_client_CA_list(ctx, names);
    }
  } else if (s.verify_peer) {
    if (s.ca_file.empty() && SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return refused("cannot load the system's CA certificates: " + openssl_reason());
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }

  if (!s.alpn.empty()) {
    c.alpn_wire_ = std::make_unique<std::string>();
    for (const std::string& p : s.alpn) {
      if (p.empty() || p.size() > 255) {
        return Status::failure(EINVAL, "invalid ALPN protocol name '" + p + "'");
      }
      c.alpn_wire_->push_back(static_cast<char>(p.size()));
      *c.alpn_wire_ += p;
    }
    if (server) {
      SSL_CTX_set_alpn_select_cb(ctx, select_alpn, c.alpn_wire_.get());
    } else if (SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(c.alpn_wire_->data()),
                                       static_cast<unsigned>(c.alpn_wire_->size())) != 0) {
      return refused("cannot set ALPN: " + openssl_reason());
    }
  }
  ERR_clear_error();
  return c;
}

}  // namespace conduit::net::tls
