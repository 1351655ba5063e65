// net/relay_direction_tls: a relayed direction with TLS at either end (see relay_direction.hpp).
// The kernel path (kTLS) needs the kernel on the source's receiving side and the destination's
// sending side; anything less, and the whole direction goes through OpenSSL in user space, with
// the same bytes on the wire.
#include <sys/socket.h>

#include <cerrno>

#include "conduit/net/relay_direction.hpp"
#include "conduit/sys.hpp"

namespace conduit::net {

void RelayDirection::attach(int from, int to, tls::Session* from_tls, tls::Session* to_tls) {
  from_ = from;
  to_ = to;
  from_tls_ = from_tls;
  to_tls_ = to_tls;
  if (!from_tls && !to_tls) return;
  bool kernel = (!from_tls || from_tls->ktls_recv()) && (!to_tls || to_tls->ktls_send());
  if (!kernel) mode_ = Mode::ReadWrite;
  if (mode_ != Mode::Splice) shared_.tls_path = tls::DataPath::User;
  else if (shared_.tls_path == tls::DataPath::None) shared_.tls_path = tls::DataPath::KtlsSplice;
}

ssize_t RelayDirection::read_source(std::span<std::byte> buf) {
  if (!from_tls_) return sys::read(from_, buf);
  // Bytes, 0 at close_notify, -EAGAIN, or an error: a close without close_notify is -EPROTO.
  return from_tls_->read(buf);
}

ssize_t RelayDirection::write_destination(std::span<const std::byte> buf) {
  if (!to_tls_) return sys::write(to_, buf);
  return to_tls_->write(buf);
}

ssize_t RelayDirection::end_destination() {
  if (to_tls_) {
    // The peer tells a whole stream from a cut one by this alert; TLS 1.3 keeps the other
    // direction open after it (a half-close, as the plain relay's shutdown).
    int rc = to_tls_->close_notify();
    if (rc == -EAGAIN) return rc;
    // Any other failure: the peer is gone already; the other direction will say how.
  }
  ::shutdown(to_, SHUT_WR);
  return 0;
}

// A kTLS socket refuses splice for a record that is not data (EINVAL, or EIO) and reads 0 at
// the TCP end whether or not a close_notify came first: OpenSSL must read what follows, to take
// the alert or to tell a truncation from a clean end. Bytes already in the pipe go first.
bool RelayDirection::to_user_tls(ssize_t rc) {
  if (!from_tls_ || (rc != 0 && rc != -EINVAL && rc != -EIO)) return false;
  mode_ = Mode::ReadWrite;
  if (pipe_queued_ == 0) release_pipe();
  return true;
}

}  // namespace conduit::net
