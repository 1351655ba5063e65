// net/file_server: the file server's loop, clock and stop (see the header).
#include "conduit/net/file_server.hpp"

#include <cerrno>
#include <utility>

#include "conduit/net/socket.hpp"

namespace conduit::net {

namespace {
constexpr auto kSweepEvery = std::chrono::milliseconds(200);
const std::string kDroppedStopping = "dropped: server stopping";
const std::string kStopping = "server stopping";
const std::string kDone = "done";
}  // namespace

FileServer::FileServer(FileServerSettings settings, OnEvent on_event)
    : settings_(std::move(settings)), on_event_(std::move(on_event)),
      server_loop_(*this, loop_,
                   {kSweepEvery, settings_.max_clients, settings_.drop_on_stop, settings_.address}) {
  ctx_.file = settings_.file;
  ctx_.file_name = settings_.file_label;
  ctx_.header = settings_.header;
  ctx_.http = settings_.http;
  ctx_.server_name = settings_.server_name;
  // HTTP only. No mime.types is no fault (the built-in types serve); one that cannot be read is
  // said.
  bool load = settings_.http && !settings_.mime_types.empty();
  if (Status st = load ? mime_.load(settings_.mime_types) : Status{};
      !st.ok() && st.error != ENOENT) {
    FileServerEvent e{FileServerEvent::Kind::Warning};
    e.call = settings_.mime_types;
    e.error = st.error;
    emit(e);
  }
  if (settings_.resources) ctx_.resources = &*settings_.resources;
  ctx_.responder.mime = &mime_;
  ctx_.responder.content_type = settings_.content_type;
  ctx_.responder.disposition = settings_.disposition;
  ctx_.responder.server = settings_.server_name;
  ctx_.zero_copy = settings_.zero_copy;
  ctx_.linger_limit = settings_.linger_limit;
  ctx_.tls = settings_.tls;
  ctx_.on_bytes = [this](std::uint64_t n) {
    FileServerEvent e{FileServerEvent::Kind::Bytes};
    e.bytes = n;
    emit(e);
  };
  ctx_.on_request = [this](const RequestRecord& r) {
    FileServerEvent e{FileServerEvent::Kind::Request};
    e.peer = r.peer;
    e.request_line = r.request_line;
    e.status = r.status;
    e.bytes = r.body_bytes;
    e.seconds = r.seconds;
    e.complete = r.complete;
    emit(e);
  };
}

FileServer::~FileServer() = default;

int FileServer::run(Fd listener, Fd signals) { return server_loop_.run(std::move(listener), std::move(signals)); }

void FileServer::stop(int signal) { server_loop_.stop(signal); }

int FileServer::start() {
  if (!settings_.follow) return 0;
  followed_ = std::make_unique<FollowedFile>(settings_.file, settings_.follow_path, settings_.follow_idle);
  ctx_.follow = followed_.get();
  if (int rc = followed_->start(loop_, [this] { on_file_change(); }, Clock::now()); rc < 0) {
    FileServerEvent e{FileServerEvent::Kind::Warning};  // followed by polling instead
    e.call = "inotify";
    e.error = -rc;
    emit(e);
  }
  return 0;
}

void FileServer::tick(Clock::time_point now) {
  if (followed_) followed_->tick(now);
  sweep(now);
}

void FileServer::accept(Fd sock, std::string peer, Clock::time_point now) {
  int fd = sock.get();
  auto client = std::make_unique<ServeClient>(std::move(sock), std::move(peer), ctx_, now);
  if (int rc = loop_.add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                         [this, fd](std::uint32_t) { on_client(fd); });
      rc < 0) {
    FileServerEvent e{FileServerEvent::Kind::Warning};
    e.call = "epoll_ctl";
    e.error = -rc;
    emit(e);
    return;  // the client is closed as it goes out of scope
  }
  FileServerEvent e{FileServerEvent::Kind::Opened};
  e.peer = client->peer();
  clients_.emplace(fd, std::move(client));
  emit(e);
}

void FileServer::on_client(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  ServeClient::Step step = it->second->advance(Clock::now());
  switch (step) {
    case ServeClient::Step::Wait: break;  // edge-triggered: epoll reports the next change
    case ServeClient::Step::Again: loop_.wake(fd, EPOLLOUT); break;
    case ServeClient::Step::Close:
    case ServeClient::Step::Continue: close_client(fd); break;
  }
}

void FileServer::close_client(int fd, const std::string* why) {
  std::unique_ptr<ServeClient> owned = take_out(clients_, fd);
  if (!owned) return;
  ServeClient& c = *owned;
  if (why) c.set_ending(*why);
  if (c.mid_response()) reset_on_close(fd);  // cut short: the client must see it
  c.report_request(Clock::now());
  loop_.remove(fd);
  FileServerEvent e{FileServerEvent::Kind::Closed};
  e.peer = c.peer();
  e.bytes = c.sent();
  e.requests = c.requests();
  e.last_request = c.last_request();
  e.seconds = std::chrono::duration<double>(Clock::now() - c.started()).count();
  e.reason = c.ending();
  e.note = c.note();
  e.noteworthy = c.noteworthy();
  emit(e);
}

void FileServer::sweep(Clock::time_point now) {
  doomed_.clear();
  overdue_.clear();
  for (auto& [fd, c] : clients_) {
    if (c->state() == ServeClient::State::Linger && now >= c->linger_deadline()) doomed_.push_back(fd);
    else if (c->awaiting_growth()) continue;  // waiting for the file, not for the client
    else if (settings_.http && c->head_overdue(now, settings_.head_timeout)) overdue_.push_back(fd);
    else if (now - c->last_active() >= settings_.idle_timeout) doomed_.push_back(fd);
    else if (ctx_.stopping && c->idle_between_requests()) doomed_.push_back(fd);
  }
  const std::string idle =
      "idle for " + format_seconds(static_cast<double>(settings_.idle_timeout.count()) / 1000) + " s";
  for (int fd : doomed_) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) continue;
    ServeClient& c = *it->second;
    if (c.state() == ServeClient::State::Linger) close_client(fd, c.ending().empty() ? &kDone : nullptr);
    else if (ctx_.stopping && c.idle_between_requests()) close_client(fd, &kStopping);
    else close_client(fd, &idle);
  }
  const std::string late = "request head not complete within " +
      format_seconds(static_cast<double>(settings_.head_timeout.count()) / 1000) + " s";
  for (int fd : overdue_) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) continue;
    if (it->second->expire_head(late)) on_client(fd);  // sends the 408, lingers
    else close_client(fd, &late);
  }
}

void FileServer::drop_all() {
  for (int fd : keys_of(clients_)) close_client(fd, &kDroppedStopping);
}

// The followed file grew or is no longer followed: the clients that have all of it go on.
// Growth (reported from the loop itself: the inotify callback, tick) moves them on at once, one
// epoll_wait less per append; the end may come from stop() inside an event handler, so it only
// wakes them for the next round.
void FileServer::on_file_change() {
  std::vector<int> waiting;
  for (auto& [fd, c] : clients_)
    if (c->awaiting_growth()) waiting.push_back(fd);
  for (int fd : waiting) {  // on_client may close it: not while walking the table
    if (followed_->following()) on_client(fd);
    else loop_.wake(fd, EPOLLOUT);
  }
  if (followed_->following() || follow_reported_) return;
  follow_reported_ = true;
  FileServerEvent e{FileServerEvent::Kind::FollowEnded};
  e.follow_end = followed_->end();
  e.error = followed_->error();
  e.writers_checked = followed_->writers_checked();
  emit(e);
}

// The first stop: responses end with what exists now, keep-alive connections with the current
// response (the loop's tick right after closes the idle ones).
void FileServer::stopping() {
  ctx_.stopping = true;
  if (followed_) followed_->stop();
}

}  // namespace conduit::net
