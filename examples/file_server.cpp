// file_server: an HTTP file server inside your own program, with your own request log, stopped
// from your own code. An example of libconduit's net::FileServer used from outside: built against
// the *installed* library (find_package(conduit) in CMakeLists.txt, or pkg-config in Makefile) by
// tests/cli/library.bats.
//
//   file_server [--requests N] DIR [ADDRESS]
//
// Serves the files beneath DIR over HTTP/1.1 (GET and HEAD, ranges, keep-alive, sendfile) on
// ADDRESS (net/address forms: "127.0.0.1:8080", ":8080", "unix:/run/s"; default 127.0.0.1:0, any
// free port). Says "listening on HOST:PORT" on standard error, then logs one line per response.
// Stops after N responses (the program's own decision, taken inside the event callback), or on
// SIGINT/SIGTERM; either way in-flight responses finish first, and a second stop drops them.
#include <fcntl.h>
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "conduit/fd.hpp"
#include "conduit/net/address.hpp"
#include "conduit/net/file_server.hpp"
#include "conduit/net/http_resources.hpp"
#include "conduit/net/signals.hpp"
#include "conduit/net/socket.hpp"

namespace {

constexpr const char* kProg = "file_server";

int fail(std::string_view what, std::string_view reason) {
  std::fprintf(stderr, "%s: %.*s: %.*s\n", kProg, static_cast<int>(what.size()), what.data(),
               static_cast<int>(reason.size()), reason.data());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  namespace net = conduit::net;
  unsigned long max_requests = 0;  // 0: until a signal
  const char* dir = nullptr;
  const char* address_text = "127.0.0.1:0";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--requests" && i + 1 < argc) {
      max_requests = std::strtoul(argv[++i], nullptr, 10);
    } else if (dir == nullptr) {
      dir = argv[i];
    } else {
      address_text = argv[i];
    }
  }
  if (dir == nullptr) {
    std::fprintf(stderr, "usage: %s [--requests N] DIR [ADDRESS]\n", kProg);
    return 2;
  }

  // The library never touches signal dispositions. The server writes to sockets: a client that
  // goes away must give EPIPE, not kill the program.
  ::signal(SIGPIPE, SIG_IGN);
  // SIGINT and SIGTERM become readable events on the server's loop (a signalfd). Do this before
  // starting threads: they inherit the mask, and a signal must not land in one of them instead.
  conduit::Result<conduit::Fd> signals = net::block_signals({SIGINT, SIGTERM});
  if (!signals.ok()) return fail("signals", signals.message());

  conduit::Fd root(::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail(dir, std::strerror(errno));

  // Errors come back as values: a Result (parse, resolve) or a SocketResult (listen), each with a
  // message ready to print. Nothing here prints or exits on its own.
  conduit::Result<net::Address> address = net::parse_address(address_text);
  if (!address.ok()) return fail(address_text, address.message());
  net::SocketResult listener = net::listen_on(address.value, {.nonblocking = true});
  if (!listener.ok()) return fail("listen", listener.message(address_text));
  std::fprintf(stderr, "%s: listening on %s\n", kProg, net::local_name(listener.fd.get()).c_str());

  net::FileServerSettings settings;
  settings.http = true;
  // The directory form: "/a/b.txt" is DIR/a/b.txt, resolved without leaving DIR; `true` lists
  // directories. `file` stays -1: it is the one-file form's file.
  settings.resources = net::http::Resources::directory(root.get(), true);
  settings.server_name = kProg;
  settings.address = address.value;  // a Unix socket's file is removed when the server stops

  unsigned long answered = 0;
  net::FileServer* self = nullptr;
  // The callback runs on the server's thread, inside run(). The string_views in the event live
  // only for the call: copy what you keep. stop() may be called from here (and only from the
  // thread inside run()); the server defers what it does to the clients until it is safe.
  auto on_event = [&](const net::FileServerEvent& e) {
    using Kind = net::FileServerEvent::Kind;
    switch (e.kind) {
      case Kind::Request:
        // `complete`: the whole response went out; a client that hung up mid-body still has the
        // status that was sent, and the bytes that went out.
        std::fprintf(stderr, "%s: %.*s \"%.*s\" %d %llu bytes %.3f s%s\n", kProg,
                     static_cast<int>(e.peer.size()), e.peer.data(),
                     static_cast<int>(e.request_line.size()), e.request_line.data(), e.status,
                     static_cast<unsigned long long>(e.bytes), e.seconds,
                     e.complete ? "" : " (cut short)");
        if (max_requests != 0 && ++answered == max_requests) self->stop();
        break;
      case Kind::Stopping:
        std::fprintf(stderr, "%s: stopping (%s), %zu connection(s) open\n", kProg,
                     e.signal != 0 ? net::signal_name(e.signal).c_str() : "enough requests",
                     e.open);
        break;
      case Kind::Warning:
      case Kind::Failed:
      case Kind::AcceptPaused:
        std::fprintf(stderr, "%s: %.*s: %s\n", kProg, static_cast<int>(e.call.size()),
                     e.call.data(), std::strerror(e.error));
        break;
      default:  // Opened, Bytes, Closed ...: not worth a line here
        break;
    }
  };
  net::FileServer server(std::move(settings), on_event);
  self = &server;
  // Blocks until stopped and every connection has ended: 0, or -errno when the loop failed
  // (already reported as a Failed event).
  int rc = server.run(std::move(listener.fd), std::move(signals.value));
  std::fprintf(stderr, "%s: stopped after %lu response(s)\n", kProg, answered);
  return rc < 0 ? 1 : 0;
}
