// serve: a single-threaded epoll server that gives every client the file (optionally after a
// header, or over HTTP/1.1). The per-client work is in serve_client.cpp, the listener's
// (--max-clients, EMFILE back-off) in acceptor.cpp; this file owns the signals and the clock:
//  - every client that makes no progress for --timeout seconds is closed; lingering closes are
//    bounded;
//  - SIGTERM/SIGINT/SIGHUP (signalfd): stop accepting, then finish or drop what is in flight
//    (--stop); a second signal drops it. A client cut off in the middle of a response (drop,
//    --timeout) gets a reset, never a clean end of file.
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <unordered_map>

#include "commands.hpp"
#include "conduit/diag.hpp"
#include "conduit/net/event_loop.hpp"
#include "conduit/net/signals.hpp"
#include "conduit/net/socket.hpp"
#include "acceptor.hpp"
#include "serve_client.hpp"

namespace splice_net {

namespace {

constexpr auto kSweepEvery = std::chrono::milliseconds(200);

class Server {
 public:
  Server(const Options& o, ServeContext& ctx, conduit::Diag& diag, const conduit::net::Address& address)
      : o_(o), ctx_(ctx), diag_(diag),
        idle_(std::chrono::milliseconds(timeout_ms(o, 60))),
        acceptor_(loop_, address, o.max_clients, "clients") {}

  int run(conduit::Fd listener, conduit::Fd signals);

 private:
  void on_connection(conduit::Fd fd, std::string peer, Clock::time_point now);
  void on_signal();
  void on_client(int fd);
  void close_client(int fd, const char* why = nullptr);
  void sweep(Clock::time_point now);
  void drop_all(const char* why);

  const Options& o_;
  ServeContext& ctx_;
  conduit::Diag& diag_;
  std::chrono::milliseconds idle_;
  conduit::net::EventLoop loop_;
  Acceptor acceptor_;
  conduit::Fd signals_;
  std::unordered_map<int, std::unique_ptr<Client>> clients_;
  std::vector<int> doomed_;
};

int Server::run(conduit::Fd listener, conduit::Fd signals) {
  signals_ = std::move(signals);
  if (int rc = loop_.open(); rc < 0) {
    diag_.error("epoll", -rc);
    return 1;
  }
  acceptor_.start(
      std::move(listener),
      [this](conduit::Fd fd, std::string peer, Clock::time_point now) {
        on_connection(std::move(fd), std::move(peer), now);
      },
      [this] { return clients_.size(); });
  loop_.add(signals_.get(), EPOLLIN, [this](std::uint32_t) { on_signal(); });
  Clock::time_point last_sweep = Clock::now();
  for (;;) {
    if (ctx_.stopping && clients_.empty()) break;
    Clock::time_point now = Clock::now();
    long timeout = acceptor_.wait_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(kSweepEvery).count(), now);
    int rc = loop_.run_once(static_cast<int>(timeout));
    if (rc < 0) {
      diag_.error("epoll_wait", -rc);
      break;
    }
    now = Clock::now();
    if (now - last_sweep >= kSweepEvery) {
      sweep(now);
      last_sweep = now;
    }
    acceptor_.update(now);
  }
  return 0;
}

void Server::on_connection(conduit::Fd sock, std::string peer, Clock::time_point now) {
  int fd = sock.get();
  auto client = std::make_unique<Client>(std::move(sock), std::move(peer), ctx_, now);
  if (int rc = loop_.add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                         [this, fd](std::uint32_t) { on_client(fd); });
      rc < 0) {
    diag_.warn("epoll_ctl: " + std::string(strerror(-rc)));
    return;  // the client is closed as it goes out of scope
  }
  clients_.emplace(fd, std::move(client));
}

void Server::on_client(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  switch (it->second->advance(Clock::now())) {
    case Client::Step::Wait: break;  // edge-triggered: epoll reports the next change
    case Client::Step::Again: loop_.wake(fd, EPOLLOUT); break;
    case Client::Step::Close:
    case Client::Step::Continue: close_client(fd); break;
  }
}

void Server::close_client(int fd, const char* why) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  Client& c = *it->second;
  if (why) c.set_ending(why);
  if (c.mid_response()) conduit::net::reset_on_close(fd);  // cut short: the client must see it
  loop_.remove(fd);
  if (!o_.quiet || c.noteworthy()) log_line(c.summary(Clock::now()));
  clients_.erase(it);
}

void Server::sweep(Clock::time_point now) {
  doomed_.clear();
  for (auto& [fd, c] : clients_) {
    if (c->state() == Client::State::Linger && now >= c->linger_deadline()) doomed_.push_back(fd);
    else if (now - c->last_active() >= idle_) doomed_.push_back(fd);
    else if (ctx_.stopping && c->idle_between_requests()) doomed_.push_back(fd);
  }
  for (int fd : doomed_) {
    Client& c = *clients_[fd];
    if (c.state() == Client::State::Linger) close_client(fd, "done");
    else if (ctx_.stopping && c.idle_between_requests()) close_client(fd, "server stopping");
    else close_client(fd, ("idle for " + seconds_text(static_cast<double>(idle_.count()) / 1000) + " s").c_str());
  }
}

void Server::drop_all(const char* why) {
  std::vector<int> fds;
  for (auto& [fd, c] : clients_) fds.push_back(fd);
  for (int fd : fds) close_client(fd, why);
}

void Server::on_signal() {
  for (;;) {
    int sig = conduit::net::read_signal(signals_.get());
    if (sig <= 0) return;
    std::string name = std::string("SIG") + (sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
    if (!ctx_.stopping) {
      ctx_.stopping = true;
      acceptor_.stop();
      bool drop = o_.stop == StopMode::Drop;
      log_line(std::string(kProg) + ": " + name + ": stopping; " + (drop ? "dropping " : "finishing ") +
               std::to_string(clients_.size()) + " connections");
      if (drop) drop_all("dropped: server stopping");
      sweep(Clock::now());  // idle keep-alive connections close at once
    } else {
      log_line(std::string(kProg) + ": " + name + ": dropping " + std::to_string(clients_.size()) +
               " connections");
      drop_all("dropped: server stopping");
    }
  }
}

// Reads a --header-file whole (headers are small; a limit keeps a mistake from eating memory).
bool read_header_file(const std::string& name, std::string& out, conduit::Diag& diag) {
  conduit::Fd fd(::open(name.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    diag.error(conduit::quote_name(name), errno);
    return false;
  }
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      diag.error(conduit::quote_name(name), errno);
      return false;
    }
    if (n == 0) return true;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > (64u << 20)) {
      diag.error(conduit::quote_name(name) + ": header file too large (over 64 MiB)");
      return false;
    }
  }
}

}  // namespace

int run_serve(const Options& o) {
  auto start = Clock::now();
  conduit::Diag diag{std::string(kProg)};
  ::signal(SIGPIPE, SIG_IGN);  // sendfile to a closed socket: EPIPE, not death
  auto address = parse_or_report(o.address);
  if (!address) return 1;

  ServeContext ctx;
  const std::string& file_name = o.files.front();
  ctx.file_name = conduit::quote_name(file_name);
  // O_NONBLOCK: opening a FIFO nobody writes to (or a serial line) would otherwise wait for
  // ever, before it could be refused for not being a regular file.
  conduit::Fd file(::open(file_name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!file) {
    diag.error(ctx.file_name, errno);
    return 1;
  }
  conduit::FdInfo info;
  if (int rc = conduit::classify(file.get(), info); rc < 0) {
    diag.error(ctx.file_name, -rc);
    return 1;
  }
  if (info.kind != conduit::FdKind::Regular) {
    diag.error(ctx.file_name + ": not a regular file (serve needs a file it can send from any offset)");
    return 1;
  }
  conduit::set_nonblocking(file.get(), false);  // a file never waits anyway: tidiness only
  ctx.file = file.get();
  ctx.http = o.http;
  ctx.content_type = o.content_type;
  ctx.zero_copy = !o.common.no_splice;
  if (o.header) ctx.header = *o.header;
  if (o.header_file && !read_header_file(*o.header_file, ctx.header, diag)) return 1;
  std::optional<conduit::Progress> progress;
  if (o.common.progress) progress.emplace(std::string(kProg), std::nullopt);
  ctx.progress = progress ? &*progress : nullptr;

  auto listening = start_listening(o, *address, diag, o.http ? " (HTTP)" : "");
  if (!listening) return 1;

  Server server(o, ctx, diag, *address);
  server.run(std::move(listening->listener), std::move(listening->signals));
  if (progress) progress->finish();
  if (ctx.file_changed) diag.error(ctx.file_name + ": changed size while being served");
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  report_stats(o, ctx.stats, seconds);
  return diag.exit_status();
}

}  // namespace splice_net
