// probe: the first-call rule of every fast path, written once.
//
// KERNEL-NOTES.md: an "unsupported here" error (sys::unsupported: EINVAL, ENOSYS, EOPNOTSUPP,
// EXDEV, ESPIPE, EBADF) from the *first* call of splice, tee, sendfile or copy_file_range means
// "this path does not work for these fds": the caller falls back to a slower path, and nothing is
// lost or duplicated because nothing has moved yet. Once the path has moved a byte, the same
// error is a real error (a full disk, a vanished device) and must be reported. A PathProbe
// follows one path's calls and answers that question; each fallback it orders is counted in
// Stats::fallbacks, which `--stats` reports.
//
//   PathProbe probe;
//   ssize_t n = sys::splice(...);
//   if (probe.falls_back(n, stats)) return read_write();   // refused before any byte moved
//   if (n < 0) return fail(-n);                            // a real error
#pragma once

#include <cstdint>

#include "conduit/stats.hpp"
#include "conduit/sys.hpp"

namespace conduit {

class PathProbe {
 public:
  // What a 0 from the path's first call means. End: the end of the input (splice, tee,
  // sendfile). Refusal: "unsupported" too (copy_file_range on procfs answers 0 although the
  // file has data); after the first byte a 0 is the end either way.
  enum class FirstZero : std::uint8_t { End, Refusal };

  constexpr explicit PathProbe(FirstZero zero = FirstZero::End) noexcept : zero_(zero) {}

  // Feeds one call's result (bytes moved, or -errno). A positive count proves the path. True
  // when the caller must leave the path: the path is unproven and `rc` is a refusal. Each true
  // answer adds one to `stats.fallbacks`. Other results (EAGAIN, real errors, the end) are the
  // caller's to handle, as before.
  [[nodiscard]] bool falls_back(long rc, Stats& stats) noexcept {
    if (rc > 0) {
      proven_ = true;
      return false;
    }
    if (proven_) return false;
    bool refused = rc < 0 ? sys::unsupported(rc) : zero_ == FirstZero::Refusal;
    if (refused) stats.fallbacks++;
    return refused;
  }

  // Records that the path moved bytes in a call falls_back() did not see.
  constexpr void prove() noexcept { proven_ = true; }
  // The path has moved a byte: its errors are real errors.
  constexpr bool proven() const noexcept { return proven_; }

 private:
  FirstZero zero_;
  bool proven_ = false;
};

}  // namespace conduit
