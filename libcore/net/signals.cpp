// net/signals: signalfd over a blocked signal set.
#include "conduit/net/signals.hpp"

#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

namespace conduit::net {

namespace {
sigset_t make_set(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  return set;
}
}  // namespace

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return std::string("SIG") + (abbrev ? abbrev : "?");
}

Fd block_signals(std::initializer_list<int> signals) {
  sigset_t set = make_set(signals);
  if (::pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return Fd{};
  return Fd(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
}

int read_signal(int fd) {
  signalfd_siginfo info{};
  ssize_t n;
  do {
    n = ::read(fd, &info, sizeof info);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EAGAIN ? 0 : -errno;
  if (n != sizeof info) return 0;
  return static_cast<int>(info.ssi_signo);
}

void unblock_signals(std::initializer_list<int> signals) {
  sigset_t set = make_set(signals);
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace conduit::net
