// net/fanout_tls: the fan-out server's transport per client: the socket itself, or TLS over it
// (settings.tls). The handshake runs in the event loop like the http request does (edge-triggered:
// a step that would block waits for the socket's next change), bounded by handshake_timeout in
// sweep(). With kTLS send the socket encrypts and the engine splices the client's pipe to it as
// for a plain socket; otherwise the engine reads the pipe and hands the pages to the session's
// SSL_write (a Writer: the copying lane), the `tls-user` path (FanoutServer::enter_stream).
#include <sys/socket.h>

#include <cerrno>
#include <span>

#include "conduit/diag.hpp"
#include "conduit/net/fanout_server.hpp"
#include "conduit/net/socket.hpp"

namespace conduit::net {

// True when the handshake is done and the client may go on (its request, or the stream).
bool FanoutServer::tls_handshake(Member& m) {
  if (!m.session) {
    auto made = tls::Session::create(*settings_.tls, m.sock.get(), "");
    if (!made.ok()) {
      kill(m, made.reason);
      return false;
    }
    m.session = std::move(made.value);
  }
  int rc = m.session->handshake_step();
  if (rc == -EAGAIN) return false;
  if (rc < 0) {
    kill(m, m.session->error());
    return false;
  }
  m.handshaking = false;
  m.writable = true;  // the handshake may have taken the socket's last EPOLLOUT edge
  if (!settings_.http) join_stream(m, Clock::now());
  return true;
}

ssize_t FanoutServer::member_send(Member& m, const char* data, std::size_t n) {
  if (!m.session) return ::send(m.sock.get(), data, n, MSG_NOSIGNAL);
  return tls::as_syscall(m.session->write(std::as_bytes(std::span(data, n))));
}

ssize_t FanoutServer::member_recv(Member& m, char* data, std::size_t n) {
  if (!m.session) return ::recv(m.sock.get(), data, n, 0);
  long rc = m.session->read(std::as_writable_bytes(std::span(data, n)));
  // A client that closes without close_notify: it is gone either way, as with a plain end.
  if (rc == -EPROTO && m.session->truncated()) return 0;
  return tls::as_syscall(rc);
}

// Why a send or receive on the client failed: TLS's words when TLS said something.
std::string FanoutServer::io_error(const Member& m, int err) const {
  if (m.session && !m.session->error().empty()) return m.session->error();
  return connection_error(err);
}

// Everything sent: close_notify first (so the client can tell the whole stream from a cut one;
// on a full socket it is skipped and the client sees a truncation, as it must assume anyway),
// then our half-close.
void FanoutServer::end_connection(Member& m) {
  if (m.session) m.session->close_notify();
  ::shutdown(m.sock.get(), SHUT_WR);
}

}  // namespace conduit::net
