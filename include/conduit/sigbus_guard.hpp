// sigbus_guard: reading a file through a mapping without dying when the file shrinks under it.
//
// A page of a MAP_SHARED file mapping that lies wholly beyond the file's end raises SIGBUS when
// touched: a file truncated while it is mapped kills the reader, wherever the access happens
// (inside libcrypto, for hw-encrypt). The guard is a SIGBUS handler for the ranges the program
// registers: a fault inside one maps anonymous zero pages over the rest of that range
// (MAP_FIXED), marks the range "cut" and returns, so the interrupted code finishes on zeros; the
// owner of the range checks `cut()` before it trusts what it read, and throws that work away.
// No longjmp: code that faulted (a cipher) runs to its end normally.
//
// A fault anywhere else is none of the guard's business: it puts back the disposition it found
// (SIG_DFL, or the program's own handler) and lets the fault happen again, so the process dies
// by SIGBUS (or the earlier handler runs) exactly as without the guard. A SIGBUS sent with
// kill(2) is re-raised the same way.
//
// The library never installs it on its own: a program opts in (hw-encrypt does in main), and
// the library maps inputs only while it is installed (mapped_input.hpp). The handler uses only
// atomics and system calls (mmap, sigaction, tgkill), which are async-signal-safe on Linux.
#pragma once

#include <cstddef>

namespace conduit {

// Installs the SIGBUS handler (SA_SIGINFO; the previous action is kept for faults outside the
// registered ranges). Idempotent. Returns 0 or -errno.
int install_sigbus_guard() noexcept;

// Whether install_sigbus_guard() succeeded in this process.
bool sigbus_guard_installed() noexcept;

// A registered range, [begin, begin + len) of this process's address space; move-only, and
// unregistered when destroyed (before the range is unmapped: the guard must never zero-map
// over memory that is no longer the owner's). Several ranges may be registered at once, from
// any thread (up to kMaxGuardedRanges).
class GuardedRange {
 public:
  static constexpr std::size_t kMaxGuardedRanges = 64;

  GuardedRange() = default;
  ~GuardedRange();
  GuardedRange(GuardedRange&& other) noexcept;
  GuardedRange& operator=(GuardedRange&& other) noexcept;
  GuardedRange(const GuardedRange&) = delete;
  GuardedRange& operator=(const GuardedRange&) = delete;

  // Registers the range; `begin` page-aligned. Returns 0, -ENOTSUP when the guard is not
  // installed, -ENOSPC when kMaxGuardedRanges are registered already.
  int guard(void* begin, std::size_t len) noexcept;

  // True once a fault inside the range replaced pages of it with zeros: what was read from it
  // may hold zeros instead of the file's bytes. Read it after the accesses it should cover
  // (after the threads that read the range were joined or synchronised with).
  bool cut() const noexcept;

  // Unregisters (the destructor does it too).
  void release() noexcept;

  bool guarded() const noexcept { return slot_ >= 0; }

 private:
  int slot_ = -1;
};

}  // namespace conduit
