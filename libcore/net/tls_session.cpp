// net/tls_session: one TLS connection: the handshake with a deadline, whether the kernel took
// each direction, application data, close_notify, KeyUpdate, and OpenSSL's failures in words.
#include <arpa/inet.h>
#include <poll.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>

#include "conduit/net/socket.hpp"
#include "conduit/net/tls.hpp"
#include "conduit/sys.hpp"
#include "tls_errors.hpp"

namespace conduit::net::tls {

namespace {

bool is_ip(std::string_view host) {
  std::string h(host);
  unsigned char buf[16];
  return ::inet_pton(AF_INET, h.c_str(), buf) == 1 || ::inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

int clamp(std::size_t n) { return n > INT_MAX ? INT_MAX : static_cast<int>(n); }

}  // namespace

std::string_view to_string(DataPath path) noexcept {
  switch (path) {
    case DataPath::KtlsSendfile: return "ktls-sendfile";
    case DataPath::KtlsSplice: return "ktls-splice";
    case DataPath::User: return "tls-user";
    case DataPath::None: break;
  }
  return "none";
}

void Session::Free::operator()(ssl_st* ssl) const noexcept { SSL_free(ssl); }

Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Result<Session> Session::create(const Context& context, int fd, std::string_view peer_name) {
  ERR_clear_error();
  Session s;
  s.fd_ = fd;
  s.ssl_.reset(SSL_new(context.native()));
  if (!s.ssl_ || SSL_set_fd(s.ssl_.get(), fd) != 1) {
    return Status::failure(EPROTO, "cannot create a TLS session: " + openssl_reason());
  }
  SSL* ssl = s.ssl_.get();
  if (context.settings().role == Role::Server) {
    SSL_set_accept_state(ssl);
    return s;
  }
  SSL_set_connect_state(ssl);
  std::string host(peer_name);
  if (host.empty()) host = "localhost";  // ADDRESS without a host connects to this machine
  if (is_ip(host)) {
    if (context.settings().verify_peer &&
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) != 1) {
      return Status::failure(EPROTO, "cannot verify against address '" + host + "': " + openssl_reason());
    }
  } else {
    // SNI names hosts, never addresses (RFC 6066). SSL_set_tlsext_host_name, without its C cast.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str()));
    if (context.settings().verify_peer && SSL_set1_host(ssl, host.c_str()) != 1) {
      return Status::failure(EPROTO, "cannot verify against name '" + host + "': " + openssl_reason());
    }
  }
  return s;
}

ssize_t as_syscall(long rc) {
  if (rc >= 0) return rc;
  errno = static_cast<int>(-rc);
  return -1;
}

// Turns an OpenSSL failure of `rc` into -EAGAIN (with wanted_), 0 (a clean close), -errno or
// -EPROTO, with error_ in words. `what` says what was going on ("TLS handshake").
long Session::fail(long rc, std::string_view what) {
  int saved_errno = errno;
  int kind = SSL_get_error(ssl_.get(), static_cast<int>(rc));
  switch (kind) {
    case SSL_ERROR_WANT_READ:
      wanted_ = POLLIN;
      return -EAGAIN;
    case SSL_ERROR_WANT_WRITE:
      wanted_ = POLLOUT;
      return -EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0 && saved_errno != 0 && saved_errno != EAGAIN) {
        error_ = std::string(what) + ": " + connection_error(saved_errno);
        return -saved_errno;
      }
      break;
    default:
      break;
  }
  unsigned long code = ERR_peek_last_error();
  if (kind == SSL_ERROR_SYSCALL || ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    // The peer closed the TCP connection without a close_notify alert: what came may be a part.
    truncated_ = handshake_done_;
    error_ = handshake_done_
                 ? "connection closed without close_notify (possible truncation)"
                 : std::string(what) + ": connection closed by peer";
    ERR_clear_error();
    return -EPROTO;
  }
  long verify = SSL_get_verify_result(ssl_.get());
  if (ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED && verify != X509_V_OK) {
    error_ = std::string(what) + ": certificate verify failed: " +
             X509_verify_cert_error_string(verify);
    ERR_clear_error();
    return -EPROTO;
  }
  std::string reason = openssl_reason();
  // A peer speaking something else (plain HTTP, plaintext) to a TLS port.
  int r = ERR_GET_REASON(code);
  if (r == SSL_R_HTTP_REQUEST || r == SSL_R_WRONG_VERSION_NUMBER || r == SSL_R_PACKET_LENGTH_TOO_LONG ||
      r == SSL_R_HTTPS_PROXY_REQUEST)
    reason += " (the peer does not speak TLS?)";
  // Reasons from SSL_AD_REASON_OFFSET on are alerts the peer sent: it refused us.
  if (r >= SSL_AD_REASON_OFFSET && r < SSL_AD_REASON_OFFSET + 256)
    reason = "refused by peer (" + reason + ")";
  error_ = std::string(what) + ": " + reason;
  return -EPROTO;
}

int Session::handshake_step() {
  ERR_clear_error();
  errno = 0;
  int rc = SSL_do_handshake(ssl_.get());
  if (rc == 1) {
    handshake_done_ = true;
    return 0;
  }
  long r = fail(rc, "TLS handshake");
  return r == 0 ? -EPROTO : static_cast<int>(r);
}

int Session::handshake(int timeout_ms) {
  if (int rc = set_nonblocking(fd_, true); rc < 0) {
    error_ = std::string("TLS handshake: ") + std::strerror(-rc);
    return rc;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int rc = handshake_step();
    if (rc != -EAGAIN) return rc;
    int left = -1;
    if (timeout_ms >= 0) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
                    .count();
      left = ms > 0 ? static_cast<int>(ms) : 0;
    }
    int ready = sys::wait_fd(fd_, wanted_, left);
    if (ready < 0) {
      error_ = std::string("TLS handshake: ") + std::strerror(-ready);
      return ready;
    }
    if (ready == 0) {
      char s[32];
      std::snprintf(s, sizeof s, "%g", timeout_ms / 1000.0);
      error_ = std::string("TLS handshake not finished after ") + s + " s";
      return -ETIMEDOUT;
    }
  }
}

bool Session::ktls_send() const noexcept { return BIO_get_ktls_send(SSL_get_wbio(ssl_.get())) != 0; }
bool Session::ktls_recv() const noexcept { return BIO_get_ktls_recv(SSL_get_rbio(ssl_.get())) != 0; }

std::string Session::version() const { return SSL_get_version(ssl_.get()); }

std::string Session::cipher() const {
  const char* name = SSL_get_cipher_name(ssl_.get());
  return name ? name : "";
}

std::string Session::alpn() const {
  const unsigned char* data = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl_.get(), &data, &len);
  return data ? std::string(reinterpret_cast<const char*>(data), len) : std::string();
}

long Session::read(std::span<std::byte> buf) {
  ERR_clear_error();
  errno = 0;
  int rc = SSL_read(ssl_.get(), buf.data(), clamp(buf.size()));
  if (rc > 0) return rc;
  return fail(rc, "TLS read");
}

long Session::write(std::span<const std::byte> buf) {
  ERR_clear_error();
  errno = 0;
  int rc = SSL_write(ssl_.get(), buf.data(), clamp(buf.size()));
  if (rc > 0) return rc;
  long r = fail(rc, "TLS write");
  return r == 0 ? -EPIPE : r;
}

long Session::sendfile(int file, off_t offset, std::size_t count) {
  ERR_clear_error();
  errno = 0;
  ossl_ssize_t rc = SSL_sendfile(ssl_.get(), file, offset, count, 0);
  if (rc >= 0) return static_cast<long>(rc);
  long r = fail(static_cast<long>(rc), "TLS sendfile");
  return r == 0 ? -EPIPE : r;
}

int Session::close_notify() {
  if (sent_close_notify_) return 0;
  ERR_clear_error();
  errno = 0;
  int rc = SSL_shutdown(ssl_.get());
  if (rc >= 0) {
    sent_close_notify_ = true;
    return 0;
  }
  long r = fail(rc, "TLS close_notify");
  return r == 0 ? 0 : static_cast<int>(r);
}

int Session::key_update(bool request_peer) {
  ERR_clear_error();
  if (SSL_key_update(ssl_.get(), request_peer ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED) != 1) {
    error_ = "TLS key update: " + openssl_reason();
    return -EPROTO;
  }
  return 0;
}

}  // namespace conduit::net::tls
