// sigbus_guard: the SIGBUS handler over registered ranges (see sigbus_guard.hpp).
//
// The table is a fixed array of slots, so the handler walks it without locks or allocation: a
// slot is claimed by an atomic exchange, filled (end before begin), and published by a non-zero
// begin; it is cleared begin first. An owner unregisters only after every access to its range
// is over, so the handler never sees a range disappear under a fault inside it.
#include "conduit/sigbus_guard.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>

namespace conduit {

namespace {

struct Slot {
  std::atomic<bool> used{false};
  std::atomic<std::uintptr_t> begin{0};  // 0: free
  std::atomic<std::uintptr_t> end{0};
  std::atomic<bool> cut{false};
};

std::array<Slot, GuardedRange::kMaxGuardedRanges> g_slots;
std::atomic<bool> g_installed{false};
std::uintptr_t g_page = 4096;
struct sigaction g_previous {};

// The disposition found at install time, for a SIGBUS that is not ours: the program's handler
// is called as the kernel would have called it; otherwise the default action is put back, and
// the fault, happening again when the handler returns, ends the process by SIGBUS.
void pass_on(int sig, siginfo_t* info, void* context) {
  if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
    g_previous.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(SIGBUS, &dfl, nullptr);
  // A SIGBUS sent by kill(2) does not come back by itself: send it again. It stays pending (this
  // handler blocks it) and kills on return. A fault (si_code > 0) recurs on return.
  if (info->si_code <= 0) ::raise(SIGBUS);
}

void on_sigbus(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  if (info->si_code > 0) {  // raised by a fault (BUS_ADRERR ...), not sent (SI_USER, SI_TKILL)
    const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
    for (Slot& s : g_slots) {
      const std::uintptr_t begin = s.begin.load(std::memory_order_acquire);
      if (begin == 0 || addr < begin) continue;
      const std::uintptr_t end = s.end.load(std::memory_order_acquire);
      if (addr >= end) continue;
      // Zero pages from the faulting page to the end of the range: the pages after it are
      // beyond the file's end too (it shrank), and one call spares a signal per page.
      const std::uintptr_t page = addr & ~(g_page - 1);
      void* p = ::mmap(reinterpret_cast<void*>(page), end - page, PROT_READ,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      if (p == MAP_FAILED) break;  // cannot recover: die as without the guard
      s.cut.store(true, std::memory_order_release);
      errno = saved_errno;
      return;
    }
  }
  pass_on(sig, info, context);
  errno = saved_errno;
}

}  // namespace

int install_sigbus_guard() noexcept {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (g_installed.load()) return 0;
  long page = ::sysconf(_SC_PAGESIZE);
  if (page > 0) g_page = static_cast<std::uintptr_t>(page);
  struct sigaction sa {};
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (::sigaction(SIGBUS, &sa, &g_previous) != 0) return -errno;
  g_installed.store(true);
  return 0;
}

bool sigbus_guard_installed() noexcept { return g_installed.load(); }

GuardedRange::~GuardedRange() { release(); }

GuardedRange::GuardedRange(GuardedRange&& other) noexcept : slot_(other.slot_) { other.slot_ = -1; }

GuardedRange& GuardedRange::operator=(GuardedRange&& other) noexcept {
  if (this != &other) {
    release();
    slot_ = other.slot_;
    other.slot_ = -1;
  }
  return *this;
}

int GuardedRange::guard(void* begin, std::size_t len) noexcept {
  release();
  if (!g_installed.load()) return -ENOTSUP;
  if (begin == nullptr || len == 0) return -EINVAL;
  for (std::size_t i = 0; i < g_slots.size(); ++i) {
    Slot& s = g_slots[i];
    if (s.used.exchange(true, std::memory_order_acq_rel)) continue;
    const auto b = reinterpret_cast<std::uintptr_t>(begin);
    s.cut.store(false, std::memory_order_relaxed);
    s.end.store(b + len, std::memory_order_release);
    s.begin.store(b, std::memory_order_release);
    slot_ = static_cast<int>(i);
    return 0;
  }
  return -ENOSPC;
}

bool GuardedRange::cut() const noexcept {
  return slot_ >= 0 && g_slots[static_cast<std::size_t>(slot_)].cut.load(std::memory_order_acquire);
}

void GuardedRange::release() noexcept {
  if (slot_ < 0) return;
  Slot& s = g_slots[static_cast<std::size_t>(slot_)];
  s.begin.store(0, std::memory_order_release);
  s.end.store(0, std::memory_order_release);
  s.cut.store(false, std::memory_order_relaxed);
  s.used.store(false, std::memory_order_release);
  slot_ = -1;
}

}  // namespace conduit
