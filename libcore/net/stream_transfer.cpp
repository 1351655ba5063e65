// stream_transfer: send_over, receive_from and the waits around them (see the header).
#include "conduit/net/stream_transfer.hpp"

#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>

namespace conduit::net {

tls::TransferResult send_over(tls::Session* session, Pump& pump, int in, const FdInfo& in_info,
                              int sock, const FdInfo& sock_info, Stats* stats,
                              Progress* progress) {
  if (session) return tls::send_stream(*session, pump, in, in_info, stats, progress);
  tls::TransferResult t;
  t.result = pump.run(in, in_info, sock, sock_info);
  return t;
}

tls::TransferResult receive_from(tls::Session* session, Pump& pump, int conn, int out,
                                 const FdInfo& out_info, Stats* stats, Progress* progress) {
  tls::TransferResult t;
  if (int rc = set_nonblocking(conn, out_info.kind == FdKind::Pipe); rc < 0) {
    t.result = {0, -rc, PumpResult::Side::Input};
    return t;
  }
  if (session) {
    t = tls::recv_stream(*session, pump, out, out_info, stats, progress);
    // Our close_notify in answer to the peer's (the end of a clean TLS connection); a peer
    // already gone cannot take it, and what it sent is complete all the same.
    if (t.result.ok()) session->close_notify();
    return t;
  }
  FdInfo conn_info;
  if (int rc = classify(conn, conn_info); rc < 0) {
    t.result = {0, -rc, PumpResult::Side::Input};
    return t;
  }
  t.result = pump.run(conn, conn_info, out, out_info);
  return t;
}

int settle_before_close(int sock) {
  int domain = 0;
  socklen_t len = sizeof domain;
  if (::getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0) return -errno;
  if (domain == AF_UNIX) return 0;
  char scratch[4096];
  for (;;) {
    while (::recv(sock, scratch, sizeof scratch, MSG_DONTWAIT) > 0) {
    }
    int queued = 0;
    if (::ioctl(sock, SIOCOUTQ, &queued) < 0) return -errno;
    if (queued == 0) return 0;
    pollfd p{sock, POLLIN, 0};
    if (::poll(&p, 1, 10) < 0 && errno != EINTR) return -errno;
    if (p.revents & (POLLERR | POLLNVAL)) return 0;
  }
}

ClientWait wait_for_client(int listener, int signal_fd, int timeout_ms) {
  pollfd fds[2] = {{listener, POLLIN, 0}, {signal_fd, POLLIN, 0}};
  for (;;) {
    int rc = ::poll(fds, signal_fd >= 0 ? 2 : 1, timeout_ms);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return {ClientWait::What::Failed, errno};
    if (rc == 0) return {ClientWait::What::Timeout};
    if (signal_fd >= 0 && fds[1].revents != 0) return {ClientWait::What::Signal};
    return {ClientWait::What::Ready};
  }
}

}  // namespace conduit::net
