// output: OUT through a temporary file and rename(2), removed on failure or on a fatal signal.
#include "output.hpp"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "conduit/diag.hpp"

namespace hw_encrypt {

namespace {
// The one temporary file a run has, for the signal handler: a fixed buffer, since only
// async-signal-safe calls (unlink, signal, raise) may touch it there.
char g_temp[PATH_MAX + 1];
volatile sig_atomic_t g_temp_set = 0;

extern "C" void remove_temp_and_die(int sig) {
  if (g_temp_set != 0) ::unlink(g_temp);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void install_handlers() {
  struct sigaction sa {};
  sa.sa_handler = remove_temp_and_die;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) {
    struct sigaction old {};
    // Keep an ignored signal ignored (a shell may have started us with SIGINT ignored).
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    ::sigaction(sig, &sa, nullptr);
  }
}
}  // namespace

int Output::open(const std::string& path) {
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    return 0;
  }
  path_ = path;
  std::string dir = ".";
  std::string base = path;
  if (auto slash = path.rfind('/'); slash != std::string::npos) {
    dir = slash == 0 ? "/" : path.substr(0, slash);
    base = path.substr(slash + 1);
  }
  temp_ = dir + "/." + base + ".hw-encrypt-XXXXXX";
  if (temp_.size() > PATH_MAX) return -ENAMETOOLONG;
  int fd = ::mkostemp(temp_.data(), O_CLOEXEC);
  if (fd < 0) {
    temp_.clear();
    return -errno;
  }
  std::memcpy(g_temp, temp_.c_str(), temp_.size() + 1);
  g_temp_set = 1;
  install_handlers();
  // mkostemp makes 0600; give the file the mode a shell redirection would.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  fd_ = fd;
  return 0;
}

std::string Output::name() const {
  return path_.empty() ? "standard output" : conduit::quote_name(path_);
}

int Output::commit() {
  if (path_.empty()) return 0;
  int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) return -errno;
  if (::rename(temp_.c_str(), path_.c_str()) != 0) return -errno;
  g_temp_set = 0;
  temp_.clear();
  return 0;
}

void Output::discard() noexcept {
  if (temp_.empty()) return;
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  ::unlink(temp_.c_str());
  g_temp_set = 0;
  temp_.clear();
}

}  // namespace hw_encrypt
