// net/tls_stream: the data path over an established session. With kTLS the socket is an
// ordinary fd for application data, so the pump does the work (sendfile from a file, splice
// from or to a pipe) and the kernel encrypts or decrypts. A record that is not data (an alert:
// close_notify) makes splice fail with EINVAL and read with EIO, leaving the record queued:
// OpenSSL then reads it with the control message it needs. Without kTLS, every byte is read,
// encrypted or decrypted, and written here, from a buffer of the pump's read/write size.
#include <poll.h>

#include <cerrno>
#include <vector>

#include "conduit/net/tls.hpp"
#include "conduit/progress.hpp"
#include "conduit/sys.hpp"

namespace conduit::net::tls {

namespace {

TransferResult failed(std::uint64_t bytes, int err, PumpResult::Side side, std::string reason = {}) {
  TransferResult t;
  t.result.bytes = bytes;
  t.result.error = err;
  t.result.side = side;
  t.reason = std::move(reason);
  return t;
}

void count(Stats* stats, Progress* progress, std::uint64_t n) {
  if (stats) {
    stats->add(Path::ReadWrite, n);
    stats->count(Call::Read);
    stats->count(Call::Write);
  }
  if (progress) progress->advance(n);
}

// Writes all of `data` through the session, waiting on a non-blocking socket: 0 or -errno.
long write_all(Session& session, std::span<const std::byte> data) {
  while (!data.empty()) {
    long n = session.write(data);
    if (n == -EAGAIN) {
      if (int rc = sys::wait_fd(session.fd(), session.wanted()); rc < 0) return rc;
      continue;
    }
    if (n < 0) return n;
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return 0;
}

}  // namespace

TransferResult send_stream(Session& session, Pump& pump, int in, const FdInfo& in_info, Stats* stats,
                           Progress* progress) {
  if (session.ktls_send()) {
    FdInfo sock_info;
    classify(session.fd(), sock_info);
    std::uint64_t sendfile_before = stats ? stats->bytes_of(Path::Sendfile) : 0;
    TransferResult t;
    t.result = pump.run(in, in_info, session.fd(), sock_info);
    bool by_sendfile = stats ? stats->bytes_of(Path::Sendfile) > sendfile_before
                             : in_info.kind == FdKind::Regular;
    t.path = by_sendfile ? DataPath::KtlsSendfile : DataPath::KtlsSplice;
    return t;
  }
  std::vector<std::byte> buf(pump.options().buffer_size);
  std::uint64_t sent = 0;
  for (;;) {
    ssize_t n = sys::read(in, buf);
    if (n == -EAGAIN) {  // an input someone left non-blocking
      if (int rc = sys::wait_fd(in, POLLIN); rc < 0) return failed(sent, -rc, PumpResult::Side::Input);
      continue;
    }
    if (n < 0) return failed(sent, static_cast<int>(-n), PumpResult::Side::Input);
    if (n == 0) break;
    long rc = write_all(session, std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)));
    if (rc < 0) {
      TransferResult t = failed(sent, static_cast<int>(-rc), PumpResult::Side::Output, session.error());
      t.path = DataPath::User;
      return t;
    }
    sent += static_cast<std::uint64_t>(n);
    count(stats, progress, static_cast<std::uint64_t>(n));
  }
  TransferResult t;
  t.result.bytes = sent;
  t.path = DataPath::User;
  return t;
}

TransferResult recv_stream(Session& session, Pump& pump, int out, const FdInfo& out_info, Stats* stats,
                           Progress* progress) {
  std::vector<std::byte> buf(pump.options().buffer_size);
  std::uint64_t received = 0;
  const bool kernel = session.ktls_recv();
  const DataPath path = kernel ? DataPath::KtlsSplice : DataPath::User;
  FdInfo sock_info;
  if (kernel) classify(session.fd(), sock_info);
  for (;;) {
    if (kernel) {
      PumpResult r = pump.run(session.fd(), sock_info, out, out_info);
      received += r.bytes;
      if (r.ok()) {
        // End of the TCP stream with no close_notify before it.
        TransferResult t = failed(received, EPROTO, PumpResult::Side::Input,
                                  "connection closed without close_notify (possible truncation)");
        t.path = path;
        return t;
      }
      if (r.side != PumpResult::Side::Input || (r.error != EINVAL && r.error != EIO)) {
        TransferResult t = failed(received, r.error, r.side);
        t.path = path;
        return t;
      }
      // Not a data record: OpenSSL takes it (below), then the kernel path resumes.
    }
    long n = session.read(buf);
    if (n == -EAGAIN) {
      if (int rc = sys::wait_fd(session.fd(), session.wanted()); rc < 0) {
        TransferResult t = failed(received, -rc, PumpResult::Side::Input);
        t.path = path;
        return t;
      }
      continue;
    }
    if (n < 0) {
      TransferResult t = failed(received, static_cast<int>(-n), PumpResult::Side::Input, session.error());
      t.path = path;
      return t;
    }
    if (n == 0) break;  // close_notify
    std::size_t written = 0;
    ssize_t w = sys::write_all(out, std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)), &written);
    received += written;
    count(stats, progress, written);
    if (w < 0) {
      TransferResult t = failed(received, static_cast<int>(-w), PumpResult::Side::Output);
      t.path = path;
      return t;
    }
  }
  TransferResult t;
  t.result.bytes = received;
  t.path = path;
  return t;
}

}  // namespace conduit::net::tls
