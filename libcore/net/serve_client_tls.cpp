// net/serve_client_tls: the file server's transport: the socket itself, or TLS over it. With
// kTLS send the socket encrypts, so the body still goes by sendfile(2); otherwise pread and
// SSL_write. The handshake runs inside the event loop like any other step (edge-triggered: a
// step that would block waits for the socket's next change), bounded by the idle timeout.
#include <sys/socket.h>

#include <cerrno>

#include "conduit/net/serve_client.hpp"

namespace conduit::net {

ServeClient::Step ServeClient::tls_handshake(Clock::time_point now) {
  if (!tls_) {
    auto made = tls::Session::create(*ctx_.tls, fd_.get(), "");
    if (!made.ok()) {
      ending_ = made.reason;
      return Step::Close;
    }
    tls_ = std::move(made.value);
  }
  int rc = tls_->handshake_step();
  if (rc == -EAGAIN) return Step::Wait;
  if (rc < 0) {
    ending_ = tls_->error();
    return Step::Close;
  }
  last_active_ = now;
  return Step::Continue;
}

ssize_t ServeClient::io_recv(char* buf, std::size_t n) {
  if (!tls_) return ::recv(fd_.get(), buf, n, 0);
  long rc = tls_->read(std::as_writable_bytes(std::span(buf, n)));
  // Between requests a client may just go; there is nothing of ours for it to have lost.
  if (rc == -EPROTO && tls_->truncated()) return 0;
  return tls::as_syscall(rc);
}

ssize_t ServeClient::io_send(const char* buf, std::size_t n, int flags) {
  if (!tls_) return ::send(fd_.get(), buf, n, flags);
  return tls::as_syscall(tls_->write(std::as_bytes(std::span(buf, n))));
}

bool ServeClient::can_sendfile() const noexcept { return !tls_ || tls_->ktls_send(); }

void ServeClient::end_of_data() {
  // close_notify: the client can tell the whole from a part. On a full socket it is skipped:
  // the client then sees a truncation, which is what it must assume anyway.
  if (tls_) tls_->close_notify();
}

}  // namespace conduit::net
