// atomic_output: OUT replaced through a temporary file and rename(2), or written in place when
// it is not a regular file (atomic_output.hpp says which and why).
#include "conduit/atomic_output.hpp"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

#include "conduit/fd.hpp"
#include "conduit/pump.hpp"

namespace conduit {

namespace {
// The one named temporary file a run has, for the signal handler: a fixed buffer, since only
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

void set_signal_temp(const std::string& name) {
  g_temp_set = 0;
  if (name.size() > PATH_MAX) return;
  std::memcpy(g_temp, name.c_str(), name.size() + 1);
  g_temp_set = 1;
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Whether `path` names an open descriptor (/dev/stdout, /dev/fd/N, /proc/self/fd/N ...): its
// own name or a symlink on the way to the file is under /proc. What the caller's descriptor
// refers to is theirs to write, as a shell redirection would; replacing the file behind it would
// bypass how they opened it (O_APPEND, a file since renamed or deleted).
bool names_descriptor(const std::string& path) {
  std::string cur = path;
  for (int hops = 0; hops < 40; ++hops) {
    if (cur.rfind("/proc/", 0) == 0) return true;
    char buf[PATH_MAX];
    ssize_t n = ::readlink(cur.c_str(), buf, sizeof buf - 1);
    if (n < 0) return false;
    std::string link(buf, static_cast<std::size_t>(n));
    cur = link.front() == '/' ? link : dir_of(cur) + "/" + link;
  }
  return false;
}

// A random suffix for a temporary name, as mkstemp's XXXXXX.
std::string random_suffix() {
  static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char bytes[6] = {};
  if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    auto seed = static_cast<unsigned>(::getpid()) ^ static_cast<unsigned>(reinterpret_cast<std::uintptr_t>(bytes));
    for (auto& b : bytes) b = static_cast<unsigned char>(seed = seed * 1103515245u + 12345u);
  }
  std::string s;
  for (unsigned char b : bytes) s += chars[b % (sizeof chars - 1)];
  return s;
}
}  // namespace

int AtomicOutput::open(const std::string& path, const AtomicOutputSettings& settings) {
  const bool whole = settings.whole;
  tag_ = settings.tag;
  remove_on_signal_ = settings.remove_on_signal;
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    return whole ? open_spool() : 0;
  }
  path_ = path;
  struct stat st {};
  bool exists = ::stat(path.c_str(), &st) == 0;
  if (!exists && errno != ENOENT) return -errno;
  struct stat lst {};
  bool dangling = !exists && ::lstat(path.c_str(), &lst) == 0;
  if ((exists && !S_ISREG(st.st_mode)) || dangling || names_descriptor(path)) {
    // In place, as `> OUT` would open it (a dangling symlink: its target is created).
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0666);
    if (fd < 0) return -errno;
    fd_ = fd;
    return whole ? open_spool() : 0;
  }
  if (exists) {
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
    if (!real) return -errno;
    target_ = real.get();
  } else {
    target_ = path;
  }
  dir_ = dir_of(target_);
  replacing_ = true;

  // The mode the replacement gets: the old file's, or what `> OUT` would create.
  mode_t mask = ::umask(0);
  ::umask(mask);
  const mode_t mode = exists ? (st.st_mode & 07777) : (0666 & ~mask);
  int fd = ::open(dir_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0) {
    unnamed_ = true;
    fd_ = fd;
  } else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
    // This filesystem (or an old kernel) has no O_TMPFILE: a named temporary file.
    if (int rc = open_named_temp(); rc < 0) return rc;
  } else {
    return -errno;
  }
  if (remove_on_signal_) install_handlers();
  if (exists) {
    // Owner and group first (chown clears set-id bits), and only where permitted: a user may
    // decrypt over a file they can write but do not own.
    if (::fchown(fd_, st.st_uid, st.st_gid) != 0 && errno != EPERM) {
      int err = errno;
      discard();
      return -err;
    }
  }
  if (::fchmod(fd_, mode) != 0) {
    int err = errno;
    discard();
    return -err;
  }
  return 0;
}

int AtomicOutput::open_named_temp() {
  temp_ = dir_ + "/." + base_of(target_) + "." + tag_ + "-XXXXXX";
  if (temp_.size() > PATH_MAX) {
    temp_.clear();
    return -ENAMETOOLONG;
  }
  int fd = ::mkostemp(temp_.data(), O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    g_temp_set = 0;
    temp_.clear();
    return -err;
  }
  if (remove_on_signal_) set_signal_temp(temp_);
  fd_ = fd;
  return 0;
}

// Gives the finished O_TMPFILE file a temporary name beside OUT (linkat cannot replace an
// existing name, so the rename over OUT follows). A crash between the two leaves that name.
int AtomicOutput::link_temp() {
  char proc[64];
  std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd_);
  for (int tries = 0; tries < 100; ++tries) {
    std::string name = dir_ + "/." + base_of(target_) + "." + tag_ + "-" + random_suffix();
    if (name.size() > PATH_MAX) return -ENAMETOOLONG;
    if (remove_on_signal_) set_signal_temp(name);
    // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH on older kernels; /proc/self/fd does not.
    int rc = ::linkat(fd_, "", AT_FDCWD, name.c_str(), AT_EMPTY_PATH);
    if (rc != 0 && errno != EEXIST)
      rc = ::linkat(AT_FDCWD, proc, AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW);
    if (rc == 0) {
      temp_ = name;
      unnamed_ = false;
      return 0;
    }
    if (errno != EEXIST) {
      int err = errno;
      g_temp_set = 0;
      return -err;
    }
  }
  g_temp_set = 0;
  return -EEXIST;
}

// The spool for --whole: unnamed from the start (O_TMPFILE), or named for an instant where the
// filesystem refuses that. Mode 0600: it holds the plaintext.
int AtomicOutput::open_spool() {
  const char* env = std::getenv("TMPDIR");
  spool_dir_ = env != nullptr && *env != '\0' ? env : "/tmp";
  int fd = ::open(spool_dir_.c_str(), O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    std::string name = spool_dir_ + "/." + tag_ + "-whole-XXXXXX";
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(name.c_str());
  }
  if (fd < 0) {
    int err = errno;
    if (!path_.empty() && fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return -err;
  }
  final_fd_ = fd_;
  fd_ = fd;
  return 0;
}

// Copies the spool to the real output by the best path (copy_file_range, splice, sendfile).
int AtomicOutput::copy_spool() {
  if (::lseek(fd_, 0, SEEK_SET) < 0) return -errno;
  conduit::FdInfo in_info;
  conduit::FdInfo out_info;
  if (int rc = conduit::classify(fd_, in_info); rc < 0) return rc;
  if (int rc = conduit::classify(final_fd_, out_info); rc < 0) return rc;
  conduit::Pump pump(conduit::PumpOptions{});
  conduit::PumpResult r = pump.run(fd_, in_info, final_fd_, out_info);
  return r.ok() ? 0 : -r.error;
}

int AtomicOutput::commit() {
  if (final_fd_ >= 0) {
    int rc = copy_spool();
    ::close(std::exchange(fd_, final_fd_));
    final_fd_ = -1;
    if (rc < 0) {
      discard();
      return rc;
    }
  }
  if (path_.empty()) return 0;
  if (!replacing_) {
    int fd = std::exchange(fd_, -1);
    return ::close(fd) == 0 ? 0 : -errno;
  }
  if (unnamed_) {
    if (int rc = link_temp(); rc < 0) {
      discard();
      return rc;
    }
  }
  int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0 || ::rename(temp_.c_str(), target_.c_str()) != 0) {
    int err = errno;
    discard();
    return -err;
  }
  g_temp_set = 0;
  temp_.clear();
  replacing_ = false;
  return 0;
}

void AtomicOutput::discard() noexcept {
  if (final_fd_ >= 0) {
    // The spool goes, unread: nothing reaches the real output.
    ::close(std::exchange(fd_, final_fd_));
    final_fd_ = -1;
  }
  if (fd_ >= 0 && !path_.empty()) ::close(fd_);
  fd_ = -1;
  if (temp_.empty()) return;
  ::unlink(temp_.c_str());
  g_temp_set = 0;
  temp_.clear();
}

}  // namespace conduit
