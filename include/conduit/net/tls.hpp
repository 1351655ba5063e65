// net/tls: TLS over a connected socket with OpenSSL, handing the record layer to the kernel
// (kTLS) when both OpenSSL and the kernel can take it.
//
// A Context holds what every connection of one side shares (certificates, trust anchors, ALPN,
// versions: TLS 1.3 by default, 1.2 allowed); a Session is one connection. After the handshake
// the session says whether the kernel took the sending side (ktls_send) and the receiving side
// (ktls_recv) of the socket: then the socket itself encrypts or decrypts, and plain sendfile(2)
// and splice(2) on it carry application data, zero-copy. Otherwise every byte goes through
// read()/write() here, encrypted in user space; the bytes on the wire are the same.
//
// Errors are values: -errno for the socket's own failures (ECONNRESET ...), -EPROTO for TLS
// failures (a certificate refused, a handshake alert, a close without close_notify), with the
// words in error(). Nothing here prints or exits.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "conduit/fd.hpp"
#include "conduit/pump.hpp"
#include "conduit/result.hpp"
#include "conduit/stats.hpp"

struct ssl_ctx_st;
struct ssl_st;

namespace conduit::net::tls {

enum class Role : std::uint8_t { Client, Server };

struct ContextSettings {
  Role role = Role::Client;
  // Server: its certificate chain and key (PEM), both required. Client: a certificate for
  // mutual TLS, optional.
  std::string cert_file;
  std::string key_file;
  // Client: the CAs a server certificate must chain to ("" = the system's). Server: when not
  // empty, every client must present a certificate that chains to these (mutual TLS).
  std::string ca_file;
  bool verify_peer = true;        // client: check the server's certificate and name (false: --insecure)
  std::vector<std::string> alpn;  // protocols offered (client) or the only ones accepted (server)
  bool ktls = true;               // ask OpenSSL for kernel TLS (SSL_OP_ENABLE_KTLS)
  bool allow_tls12 = true;        // false: TLS 1.3 only
};

class Context {
 public:
  // The context, or why not: the errno of a file that cannot be opened, EINVAL for settings
  // that cannot work, EPROTO for what OpenSSL refused, with the words in `reason` ("FILE: No
  // such file or directory", "FILE: the key does not match the certificate CERT" ...).
  static Result<Context> create(const ContextSettings& settings);

  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;
  ~Context();

  ssl_ctx_st* native() const noexcept { return ctx_.get(); }
  const ContextSettings& settings() const noexcept { return settings_; }

 private:
  struct Free {
    void operator()(ssl_ctx_st* ctx) const noexcept;
  };
  friend struct conduit::Result<Context>;  // holds an empty one on failure
  Context() = default;
  std::unique_ptr<ssl_ctx_st, Free> ctx_;
  ContextSettings settings_;
  // ALPN in wire format (length-prefixed names): the server's selection callback reads it
  // through a pointer, so it lives on the heap and survives moves of the Context.
  std::unique_ptr<std::string> alpn_wire_;
};

// How a session's payload moved, for --stats: the kernel's sendfile or splice on a kTLS socket,
// or user-space TLS.
enum class DataPath : std::uint8_t { None, KtlsSendfile, KtlsSplice, User };
std::string_view to_string(DataPath path) noexcept;

class Session {
 public:
  // A session on `fd` (borrowed: connected, and kept open longer than the session).
  // `peer_name`: a client's host to verify the certificate against (a DNS name or an IP
  // address) and to send as SNI (names only); ignored by a server. On failure EPROTO with
  // OpenSSL's words in `reason`.
  static Result<Session> create(const Context& context, int fd, std::string_view peer_name);

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  // One step of the handshake on a non-blocking socket: 0 when done, -EAGAIN when it needs the
  // socket readable or writable (wanted()), else an error (error() says why).
  int handshake_step();
  // The whole handshake within `timeout_ms` (< 0: no limit), polling the socket (made
  // non-blocking for it and left so). -ETIMEDOUT when it did not finish in time.
  int handshake(int timeout_ms);
  short wanted() const noexcept { return wanted_; }  // POLLIN or POLLOUT after -EAGAIN

  bool ktls_send() const noexcept;
  bool ktls_recv() const noexcept;
  std::string version() const;   // "TLSv1.3"
  std::string cipher() const;    // "TLS_AES_256_GCM_SHA384"
  std::string alpn() const;      // the protocol agreed on, "" when none

  // Application data. read: bytes (> 0), 0 at a clean end (close_notify), or an error: a close
  // without close_notify is -EPROTO ("closed without close_notify: data may be truncated").
  // write: bytes written (all of them on a blocking socket). Both: -EAGAIN on a non-blocking
  // socket, with wanted() set.
  long read(std::span<std::byte> buf);
  long write(std::span<const std::byte> buf);
  // The most plaintext one record carries. On a non-blocking socket write() returns after one
  // record (partial writes are on), so a caller that reads a file to write it reads at most
  // this much per write: a larger read is mostly read again for the next call.
  static constexpr std::size_t kRecordPayload = 16384;
  // kTLS send only: `count` bytes of `file` from `offset` through the kernel (SSL_sendfile).
  long sendfile(int file, off_t offset, std::size_t count);
  // Sends close_notify (once): 0, -EAGAIN (wanted()), or an error.
  int close_notify();
  // A TLS 1.3 KeyUpdate (asking the peer to update too when `request_peer`), sent with the next
  // write. 0 or -EPROTO (TLS 1.2, or refused).
  int key_update(bool request_peer);

  const std::string& error() const noexcept { return error_; }
  // The last error was a close without close_notify after the handshake.
  bool truncated() const noexcept { return truncated_; }
  bool handshake_done() const noexcept { return handshake_done_; }
  int fd() const noexcept { return fd_; }
  ssl_st* native() const noexcept { return ssl_.get(); }

 private:
  struct Free {
    void operator()(ssl_st* ssl) const noexcept;
  };
  friend struct conduit::Result<Session>;  // holds an empty one on failure
  Session() = default;
  long fail(long rc, std::string_view what);
  std::unique_ptr<ssl_st, Free> ssl_;
  int fd_ = -1;
  short wanted_ = 0;
  bool sent_close_notify_ = false;
  bool handshake_done_ = false;
  bool truncated_ = false;
  std::string error_;
};

// A Session's read() or write() result in the shape of recv(2)/send(2): bytes, or -1 with
// errno set (EAGAIN, EPROTO ...), for a send or receive path shared with plain sockets.
ssize_t as_syscall(long rc);

// The data path over a session whose handshake is done, on a blocking socket (or one the pump
// polls). Bytes are counted in `stats` (per path, as the pump counts them) and the path taken is
// returned in `path`.
struct TransferResult {
  PumpResult result;   // bytes of application data; error side Input/Output as the pump's
  DataPath path = DataPath::None;
  std::string reason;  // the TLS words for a TLS error (side names the socket's side)
};

// Everything from `in` to the peer: with kTLS send, the pump onto the socket (sendfile from a
// file, splice from a pipe); otherwise read + encrypt in user space. Does not send close_notify.
TransferResult send_stream(Session& session, Pump& pump, int in, const FdInfo& in_info,
                           Stats* stats, Progress* progress = nullptr);

// Everything the peer sends to `out` until its close_notify: with kTLS receive, the pump from
// the socket (splice), records that are not data (alerts) read through OpenSSL; otherwise
// decrypt in user space and write. A close without close_notify is an Input error.
TransferResult recv_stream(Session& session, Pump& pump, int out, const FdInfo& out_info,
                           Stats* stats, Progress* progress = nullptr);

}  // namespace conduit::net::tls
