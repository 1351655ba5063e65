// sigpipe: see the header.
#include "conduit/sigpipe.hpp"

#include <signal.h>

namespace conduit {

bool sigpipe_fatal() noexcept {
  struct sigaction current {};
  sigset_t blocked;
  if (::sigaction(SIGPIPE, nullptr, &current) != 0 || current.sa_handler != SIG_DFL) return false;
  return ::pthread_sigmask(SIG_BLOCK, nullptr, &blocked) == 0 && sigismember(&blocked, SIGPIPE) == 0;
}

void raise_sigpipe() noexcept {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(SIGPIPE, &dfl, nullptr);
  ::raise(SIGPIPE);
}

}  // namespace conduit
