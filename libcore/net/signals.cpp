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

Result<Fd> block_signals(std::initializer_list<int> signals) {
  sigset_t set = make_set(signals);
  // pthread_sigmask returns its error; it does not set errno.
  if (int rc = ::pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) return Status::failure(rc);
  Fd fd(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd) return Status::failure(errno);
  return fd;
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

int unblock_signals(std::initializer_list<int> signals) {
  sigset_t set = make_set(signals);
  return -::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

int reblock_signals(std::initializer_list<int> signals) {
  sigset_t set = make_set(signals);
  return -::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace conduit::net
