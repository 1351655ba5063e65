// net/relay_conn: connecting to TARGET, the two directions, and how a connection ends (see header).
#include "conduit/net/relay_conn.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>

#include "conduit/net/socket.hpp"
#include "conduit/stats.hpp"

namespace conduit::net {

namespace {

constexpr std::uint32_t kEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
// Bytes one direction may move per turn before the other connections get theirs.
constexpr std::uint64_t kTurnBudget = 2u << 20;

// The relay passes bytes on as they come; the sender already chose how to segment them, so
// Nagle's delay on our side would only add latency to request/response traffic.
void no_delay(int fd) {
  int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);  // fails harmlessly on Unix sockets
}

std::string how(int err, const char* side) {
  if (err == ECONNRESET || err == EPIPE) return std::string("reset by ") + side;
  return std::string(side) + ": " + connection_error(err);
}

}  // namespace

RelayConn::RelayConn(Fd client, std::string peer, const RelayTarget& target,
                     RelayShared& shared, EventLoop& loop, RelayClock::time_point now)
    : client_(std::move(client)), peer_(std::move(peer)), target_(target), shared_(shared), loop_(loop),
      up_(shared, true), down_(shared, false), started_(now), last_active_(now), phase_started_(now) {}

RelayConn::~RelayConn() {
  loop_.remove(client_.get());
  if (target_fd_) loop_.remove(target_fd_.get());
  if (reset_client_) reset_on_close(client_.get());
  if (reset_target_ && target_fd_) reset_on_close(target_fd_.get());
}

RelayConn::Step RelayConn::start(Handler handler, RelayClock::time_point now) {
  handler_ = std::move(handler);
  no_delay(client_.get());
  if (int rc = loop_.add(client_.get(), kEvents, [h = handler_](std::uint32_t ev) { h(false, ev); });
      rc < 0) {
    ending_ = "epoll_ctl: " + std::string(std::strerror(-rc));
    return Step::Close;
  }
  if (shared_.tls) return begin_tls(false, now);
  return connect_next(now);
}

// Tries the endpoints from endpoint_ on until one is connecting or connected.
RelayConn::Step RelayConn::connect_next(RelayClock::time_point now) {
  while (endpoint_ < target_.endpoints.size()) {
    const Endpoint& e = target_.endpoints[endpoint_];
    Fd fd(::socket(e.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    int rc = fd ? ::connect(fd.get(), e.addr(), e.length) : -1;
    int err = rc == 0 ? 0 : errno;
    if (rc < 0 && err == EAGAIN && e.family == AF_UNIX) {
      // A Unix listener with a full queue: not a refusal; try again on the next tick.
      retry_connect_ = true;
      return Step::Wait;
    }
    if (rc == 0 || err == EINPROGRESS) {
      target_fd_ = std::move(fd);
      if (int add = loop_.add(target_fd_.get(), kEvents, [h = handler_](std::uint32_t ev) { h(true, ev); });
          add < 0) {
        ending_ = "epoll_ctl: " + std::string(std::strerror(-add));
        return Step::Close;
      }
      return rc == 0 ? connected(now) : Step::Wait;
    }
    connect_error_ = err;
    ++endpoint_;
  }
  return target_failure(target_.text + ": " + std::strerror(connect_error_));
}

// TARGET could not be reached: the client gets a reset, as it would from a refused connect,
// so that a client that half-closed cannot take the empty answer for a complete one.
RelayConn::Step RelayConn::target_failure(std::string why) {
  target_failed_ = true;
  reset_client_ = true;
  ending_ = std::move(why);
  return Step::Close;
}

RelayConn::Step RelayConn::connected(RelayClock::time_point now) {
  no_delay(target_fd_.get());
  if (target_.tls) return begin_tls(true, now);
  return open(now);
}

RelayConn::Step RelayConn::open(RelayClock::time_point now) {
  if (std::string why = ktls_shortfall(); !why.empty()) {
    abort(std::move(why), true);
    return Step::Close;
  }
  state_ = State::Open;
  tls::Session* client_tls = client_tls_ ? &*client_tls_ : nullptr;
  tls::Session* target_tls = target_tls_ ? &*target_tls_ : nullptr;
  up_.attach(client_.get(), target_fd_.get(), client_tls, target_tls);
  down_.attach(target_fd_.get(), client_.get(), target_tls, client_tls);
  last_active_ = now;
  return pump(now);
}

RelayConn::Step RelayConn::on_event(bool target, std::uint32_t events, RelayClock::time_point now) {
  // A handshake waits for its own socket; the other side's bytes wait in theirs meanwhile.
  if (state_ == State::ClientHandshake) return target ? Step::Wait : handshake(false, now);
  if (state_ == State::TargetHandshake) return target ? handshake(true, now) : Step::Wait;
  if (state_ == State::Connecting) {
    if (!target || !target_fd_) return Step::Wait;  // client bytes wait in its socket meanwhile
    pollfd p{target_fd_.get(), POLLOUT, 0};
    if (::poll(&p, 1, 0) <= 0) return Step::Wait;
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(target_fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err == 0) return connected(now);
    connect_error_ = err;
    loop_.remove(target_fd_.get());
    target_fd_.reset();
    ++endpoint_;
    return connect_next(now);
  }
  if (events & EPOLLERR) {
    // A reset while neither direction has anything to do would otherwise go unnoticed.
    int err = 0;
    socklen_t len = sizeof err;
    int fd = target ? target_fd_.get() : client_.get();
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) return side_error(target, err);
  }
  return pump(now);
}

RelayConn::Step RelayConn::pump(RelayClock::time_point now) {
  RelayDirection::Result a = up_.pump(kTurnBudget);
  if (a == RelayDirection::Result::Failed) return failed(up_, true);
  RelayDirection::Result b = down_.pump(kTurnBudget);
  if (b == RelayDirection::Result::Failed) return failed(down_, false);
  if (std::uint64_t total = up_.bytes() + down_.bytes(); total != seen_bytes_) {
    seen_bytes_ = total;
    last_active_ = now;
  }
  if (up_.done() && down_.done()) {
    ending_ = "done";
    return Step::Close;
  }
  return a == RelayDirection::Result::Again || b == RelayDirection::Result::Again ? Step::Again
                                                                                 : Step::Wait;
}

// up: client -> target. An error reading the source of `up` is the client's, and so on.
RelayConn::Step RelayConn::failed(const RelayDirection& direction, bool up) {
  bool client_side = up == direction.failed_at_source();
  return side_error(!client_side, direction.error());
}

RelayConn::Step RelayConn::side_error(bool target, int err) {
  std::string words = tls_words(target, err);
  ending_ = words.empty() ? how(err, target ? "target" : "client")
                          : std::string(target ? "target" : "client") + ": " + words;
  // Pass it on: the other side must not take a cut connection for a complete one.
  if (target) reset_client_ = true;
  else reset_target_ = true;
  return Step::Close;
}

RelayConn::Step RelayConn::tick(RelayClock::time_point now, std::chrono::milliseconds idle) {
  if (state_ == State::ClientHandshake || state_ == State::TargetHandshake) {
    return now - phase_started_ >= target_.connect_timeout ? handshake_timeout() : Step::Wait;
  }
  if (state_ == State::Connecting) {
    if (now - phase_started_ >= target_.connect_timeout) {
      return target_failure(target_.text + ": connection timed out after " +
                            format_seconds(static_cast<double>(target_.connect_timeout.count()) / 1000) + " s");
    }
    if (retry_connect_) {
      retry_connect_ = false;
      return connect_next(now);
    }
    return Step::Wait;
  }
  if (idle.count() > 0 && now - last_active_ >= idle) {
    ending_ = "idle for " + format_seconds(static_cast<double>(idle.count()) / 1000) + " s";
    return Step::Close;
  }
  return Step::Wait;
}

void RelayConn::abort(std::string why, bool reset) {
  ending_ = std::move(why);
  reset_client_ = reset_target_ = reset;
}

}  // namespace conduit::net
