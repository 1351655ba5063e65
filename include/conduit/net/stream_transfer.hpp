// stream_transfer: one connection's stream, plain or TLS, the netcat way: everything from an
// input to a connected socket, or everything a peer sends to an output until it closes, and the
// waits around them (a client to accept, a peer to take what we sent before we close).
// `splice-net send` and `recv` are these calls plus their options and messages; a program that
// embeds the library gets the same paths (sendfile, splice, kTLS) and the same kernel rules.
// Nothing here prints: results are values (TransferResult's PumpResult names the failed side).
// `stats` and `progress` are the ones the pump was made with: the pump counts its own paths in
// them, and the TLS path counts its user-space copies there too.
#pragma once

#include "conduit/fd.hpp"
#include "conduit/net/tls.hpp"
#include "conduit/pump.hpp"
#include "conduit/stats.hpp"

namespace conduit {
class Progress;
}

namespace conduit::net {

// Everything from `in` to the connected socket `sock`: through `session` when one is given
// (tls::send_stream: kTLS or user-space TLS), else by the pump (sendfile from a file, splice
// from a pipe). Neither shuts the socket down nor sends close_notify: the caller ends the stream.
tls::TransferResult send_over(tls::Session* session, Pump& pump, int in, const FdInfo& in_info,
                              int sock, const FdInfo& sock_info, Stats* stats = nullptr,
                              Progress* progress = nullptr);

// Everything the peer on `conn` sends, to `out`, until it closes. `conn` is made O_NONBLOCK
// exactly when `out` is a pipe: an empty socket is then EAGAIN and a poll, never a splice asleep
// holding the pipe while its reader waits for bytes already there (KERNEL-NOTES.md); other
// outputs go through the pump's own broker pipe and the socket stays blocking. With a session,
// a clean end (the peer's close_notify) is answered with ours.
tls::TransferResult receive_from(tls::Session* session, Pump& pump, int conn, int out,
                                 const FdInfo& out_info, Stats* stats = nullptr,
                                 Progress* progress = nullptr);

// Closing a TCP socket that holds unread bytes sends a reset, and a reset throws away whatever
// of ours the peer has not acknowledged yet. Waits until the peer's kernel has taken all we sent
// (SIOCOUTQ empty), discarding what it sends meanwhile. A Unix socket returns at once (its
// bytes are in the peer's queue already). Returns 0 or -errno (a failed poll or ioctl; an error
// on the socket ends the wait with 0: there is nothing left to protect).
int settle_before_close(int sock);

// What wait_for_client() saw first.
struct ClientWait {
  enum class What { Ready, Signal, Timeout, Failed } what = What::Failed;
  int error = 0;  // Failed: poll's positive errno
};

// Waits for a connection on `listener`, a signal on `signal_fd` (a signalfd; -1: none) or
// `timeout_ms` (< 0: none). A pending signal wins over a pending client.
ClientWait wait_for_client(int listener, int signal_fd, int timeout_ms);

}  // namespace conduit::net
