// sigbus_guard: a fault in a registered mapping of a file that shrank reads zeros and marks the
// range cut; a fault anywhere else (or a range no longer registered, or a SIGBUS sent by kill)
// ends the process by SIGBUS as without the guard, or reaches the program's own handler.
#include "conduit/sigbus_guard.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>

#include "crypto_util.hpp"

namespace conduit {
namespace {

const std::size_t kPage = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

// Died of SIGBUS, as without the guard. Under AddressSanitizer "as without the guard" is ASan's
// own SIGBUS handler, found at install time: its report, and exit status 1.
#if defined(__SANITIZE_ADDRESS__)
#define CONDUIT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONDUIT_ASAN 1
#endif
#endif

bool died_of_sigbus(int status) {
#if defined(CONDUIT_ASAN)
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) return true;
#endif
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
}

// A 4-page file (bytes 0xAB) mapped read-only, then cut to one page: pages 1-3 are beyond its end.
struct ShrunkMapping {
  Fd fd;
  const volatile std::uint8_t* p = nullptr;
  ShrunkMapping() {
    fd = cryptotest::memfd_with(cryptotest::Bytes(4 * kPage, 0xAB));
    void* m = ::mmap(nullptr, 4 * kPage, PROT_READ, MAP_SHARED, fd.get(), 0);
    if (m != MAP_FAILED) p = static_cast<const std::uint8_t*>(m);
  }
  void cut() const { EXPECT_EQ(::ftruncate(fd.get(), static_cast<off_t>(kPage)), 0); }
  ~ShrunkMapping() {
    if (p != nullptr) ::munmap(const_cast<std::uint8_t*>(p), 4 * kPage);
  }
};

TEST(SigbusGuard, AFaultInARegisteredRangeReadsZerosAndMarksTheRangeCut) {
  ASSERT_EQ(install_sigbus_guard(), 0);
  ASSERT_TRUE(sigbus_guard_installed());
  ShrunkMapping m;
  ASSERT_NE(m.p, nullptr);
  GuardedRange range;
  ASSERT_EQ(range.guard(const_cast<std::uint8_t*>(m.p), 4 * kPage), 0);
  EXPECT_EQ(m.p[2 * kPage], 0xAB);
  EXPECT_FALSE(range.cut());
  m.cut();
  EXPECT_EQ(m.p[0], 0xAB);              // still the file's
  EXPECT_EQ(m.p[2 * kPage + 5], 0);     // beyond the end: SIGBUS without the guard
  EXPECT_TRUE(range.cut());
  EXPECT_EQ(m.p[3 * kPage + kPage - 1], 0);  // the rest of the range was zeroed at once
  EXPECT_EQ(m.p[0], 0xAB);
  range.release();
  EXPECT_FALSE(range.guarded());
}

TEST(SigbusGuard, RangesAreCountedAndFreed) {
  ASSERT_EQ(install_sigbus_guard(), 0);
  std::vector<GuardedRange> ranges(GuardedRange::kMaxGuardedRanges);
  alignas(4096) static std::uint8_t where[4096];
  for (auto& r : ranges) ASSERT_EQ(r.guard(where, sizeof where), 0);
  GuardedRange one_more;
  EXPECT_EQ(one_more.guard(where, sizeof where), -ENOSPC);
  ranges.pop_back();  // destroyed: its slot is free again
  EXPECT_EQ(one_more.guard(where, sizeof where), 0);
}

TEST(SigbusGuardDeathTest, AFaultOutsideEveryRegisteredRangeStillKillsBySigbus) {
  ASSERT_EQ(install_sigbus_guard(), 0);
  EXPECT_EXIT(
      {
        ShrunkMapping m;
        m.cut();
        (void)m.p[2 * kPage];
        ::_exit(0);
      },
      died_of_sigbus, "");
}

TEST(SigbusGuardDeathTest, ARangeNoLongerRegisteredIsNotGuarded) {
  ASSERT_EQ(install_sigbus_guard(), 0);
  EXPECT_EXIT(
      {
        ShrunkMapping m;
        GuardedRange range;
        if (range.guard(const_cast<std::uint8_t*>(m.p), 4 * kPage) != 0) ::_exit(3);
        range.release();
        m.cut();
        (void)m.p[2 * kPage];
        ::_exit(0);
      },
      died_of_sigbus, "");
}

TEST(SigbusGuardDeathTest, ASigbusSentByKillStillKills) {
  ASSERT_EQ(install_sigbus_guard(), 0);
  EXPECT_EXIT(
      {
        ::kill(::getpid(), SIGBUS);
        ::_exit(0);
      },
      died_of_sigbus, "");
}

extern "C" void exit_42(int) { ::_exit(42); }

TEST(SigbusGuardDeathTest, TheProgramsOwnHandlerStillGetsTheFaultsOutsideTheRanges) {
  // A fresh process (the guard not installed yet there): its handler first, then the guard.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        struct sigaction sa {};
        sa.sa_handler = exit_42;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGBUS, &sa, nullptr);
        if (install_sigbus_guard() != 0) ::_exit(3);
        ShrunkMapping m;
        m.cut();
        (void)m.p[2 * kPage];
        ::_exit(0);
      },
      ::testing::ExitedWithCode(42), "");
}

}  // namespace
}  // namespace conduit
