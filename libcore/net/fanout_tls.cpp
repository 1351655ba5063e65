// net/fanout_tls: the fan-out server's transport per client: the socket itself, or TLS over it
// (settings.tls). The handshake runs in the event loop like the http request does (edge-triggered:
// a step that would block waits for the socket's next change), bounded by handshake_timeout in
// sweep(). With kTLS send the socket encrypts and the client's pipe is spliced to it as for a
// plain socket; otherwise its pages are read from the pipe into `plain` and SSL_written, the
// `tls-user` path. `sent` counts what SSL_write took, so queued() still covers `plain`.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <span>

#include "conduit/diag.hpp"
#include "conduit/net/fanout_server.hpp"
#include "conduit/net/socket.hpp"
#include "conduit/sys.hpp"

namespace conduit::net {

namespace {

constexpr std::size_t kTlsChunk = 64 * 1024;  // plaintext per refill: four full records

// -errno from a Session call as the system calls say it: -1 and errno.
ssize_t as_syscall(long rc) {
  if (rc >= 0) return rc;
  errno = static_cast<int>(-rc);
  return -1;
}

}  // namespace

// True when the handshake is done and the client may go on (its request, or the stream).
bool FanoutServer::tls_handshake(Member& m) {
  if (!m.session) {
    std::string error;
    m.session = tls::Session::create(*settings_.tls, m.sock.get(), "", error);
    if (!m.session) {
      kill(m, error);
      return false;
    }
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
  return as_syscall(m.session->write(std::as_bytes(std::span(data, n))));
}

ssize_t FanoutServer::member_recv(Member& m, char* data, std::size_t n) {
  if (!m.session) return ::recv(m.sock.get(), data, n, 0);
  long rc = m.session->read(std::as_writable_bytes(std::span(data, n)));
  // A client that closes without close_notify: it is gone either way, as with a plain end.
  if (rc == -EPROTO && m.session->truncated()) return 0;
  return as_syscall(rc);
}

// Why a send or receive on the client failed: TLS's words when TLS said something.
std::string FanoutServer::io_error(const Member& m, int err) const {
  if (m.session && !m.session->error().empty()) return m.session->error();
  return connection_error(err);
}

// The user-space TLS path of the splice path: the client's pipe, read into `plain`, SSL_written.
bool FanoutServer::tls_drain(Member& m) {
  bool moved = false;
  while (m.queued() > 0) {
    if (m.plain_off == m.plain.size()) {
      std::size_t held = static_cast<std::size_t>(m.queued());
      m.plain.resize(std::min(kTlsChunk, held));
      m.plain_off = 0;
      stats_.count(Call::Read);
      ssize_t n = sys::read(m.pipe.read_fd(), std::as_writable_bytes(std::span(m.plain)));
      if (n <= 0) {  // our own pipe with bytes in it: only memory trouble gets here
        m.plain.clear();
        kill(m, errno_text(n < 0 ? static_cast<int>(-n) : EIO));
        break;
      }
      m.plain.resize(static_cast<std::size_t>(n));
    }
    stats_.count(Call::Write);
    ssize_t n = member_send(m, m.plain.data() + m.plain_off, m.plain.size() - m.plain_off);
    if (n > 0) {
      m.plain_off += static_cast<std::size_t>(n);
      m.sent += static_cast<std::uint64_t>(n);
      m.last_progress = Clock::now();
      stats_.add(Path::ReadWrite, static_cast<std::uint64_t>(n));
      moved = true;
      continue;
    }
    if (n < 0 && errno == EAGAIN) m.writable = false;
    else kill(m, io_error(m, n < 0 ? errno : EPIPE));
    break;
  }
  if (m.plain_off == m.plain.size()) {
    m.plain.clear();
    m.plain_off = 0;
  }
  return moved;
}

// Everything sent: close_notify first (so the client can tell the whole stream from a cut one;
// on a full socket it is skipped and the client sees a truncation, as it must assume anyway),
// then our half-close.
void FanoutServer::end_connection(Member& m) {
  if (m.session) m.session->close_notify();
  ::shutdown(m.sock.get(), SHUT_WR);
}

}  // namespace conduit::net
