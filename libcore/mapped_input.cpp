// mapped_input: see the header for why; here, the mapping and the SIGBUS handler.
#include "conduit/mapped_input.hpp"

#include <linux/magic.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <utility>

namespace conduit {

namespace {

// The handler's view of the one active mapping. Globals because a signal handler can reach
// nothing else; g_owner guards them so that only one MappedInput at a time fills them in.
std::atomic<bool> g_owner{false};
std::atomic<std::uint8_t*> g_begin{nullptr};
std::atomic<std::uint8_t*> g_end{nullptr};
std::atomic<bool> g_faulted{false};
std::size_t g_page = 4096;
struct sigaction g_previous {};

static_assert(std::atomic<std::uint8_t*>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "the SIGBUS handler needs lock-free atomics");

extern "C" void on_sigbus(int sig, siginfo_t* info, void* /*context*/) {
  auto* addr = static_cast<std::uint8_t*>(info->si_addr);
  std::uint8_t* begin = g_begin.load();
  std::uint8_t* end = g_end.load();
  if (info->si_code > 0 && begin != nullptr && addr >= begin && addr < end) {
    // The file shrank under the mapping. A private zero page in place of the missing one lets
    // the faulting read finish; intact() reports it. (mmap is a plain system call on Linux,
    // safe here although POSIX does not list it as async-signal-safe.)
    auto page = reinterpret_cast<std::uintptr_t>(addr) & ~(g_page - 1);
    void* zero = ::mmap(reinterpret_cast<void*>(page), g_page, PROT_READ,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (zero != MAP_FAILED) {
      g_faulted.store(true);
      return;
    }
  }
  // Not ours: put the previous disposition back and let it act. A fault recurs on return and
  // meets that disposition; a sent signal is raised again.
  ::sigaction(SIGBUS, &g_previous, nullptr);
  if (info->si_code <= 0) ::raise(sig);
}

// File systems whose regular files hold exactly st_size bytes of ordinary page-cache data.
// Anything else (proc, sysfs, FUSE, device files in disguise) is read, never mapped.
bool mappable_file_system(int fd) {
  struct statfs fs {};
  if (::fstatfs(fd, &fs) != 0) return false;
  switch (static_cast<unsigned long>(fs.f_type)) {
    case EXT4_SUPER_MAGIC:
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
    case F2FS_SUPER_MAGIC:
    case TMPFS_MAGIC:
    case OVERLAYFS_SUPER_MAGIC:
    case NFS_SUPER_MAGIC:
      return true;
    default:
      return false;
  }
}

}  // namespace

MappedInput MappedInput::map_rest(int fd, std::size_t min_bytes) noexcept {
  MappedInput m;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return m;
  off_t offset = ::lseek(fd, 0, SEEK_CUR);
  if (offset < 0 || st.st_size - offset < static_cast<off_t>(min_bytes) || st.st_size <= offset) return m;
  if (!mappable_file_system(fd)) return m;
  if (g_owner.exchange(true)) return m;  // another mapping is active

  g_page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  auto aligned = static_cast<off_t>(static_cast<std::uint64_t>(offset) & ~(std::uint64_t{g_page} - 1));
  auto len = static_cast<std::size_t>(st.st_size - aligned);
  void* p = ::mmap(nullptr, len, PROT_READ, MAP_PRIVATE, fd, aligned);
  if (p == MAP_FAILED) {
    g_owner.store(false);
    return m;
  }
  ::madvise(p, len, MADV_SEQUENTIAL);

  struct sigaction sa {};
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  g_faulted.store(false);
  g_begin.store(static_cast<std::uint8_t*>(p));
  g_end.store(static_cast<std::uint8_t*>(p) + len);
  ::sigaction(SIGBUS, &sa, &g_previous);

  m.fd_ = fd;
  m.map_ = static_cast<std::uint8_t*>(p);
  m.map_len_ = len;
  m.base_ = m.map_ + (offset - aligned);
  m.start_ = static_cast<std::uint64_t>(offset);
  m.len_ = static_cast<std::uint64_t>(st.st_size - offset);
  return m;
}

MappedInput::MappedInput(MappedInput&& other) noexcept { *this = std::move(other); }

MappedInput& MappedInput::operator=(MappedInput&& other) noexcept {
  if (this != &other) {
    unmap();
    fd_ = std::exchange(other.fd_, -1);
    map_ = std::exchange(other.map_, nullptr);
    map_len_ = std::exchange(other.map_len_, 0);
    base_ = std::exchange(other.base_, nullptr);
    start_ = std::exchange(other.start_, 0);
    len_ = std::exchange(other.len_, 0);
    pos_ = std::exchange(other.pos_, 0);
    populated_ = std::exchange(other.populated_, 0);
    stopped_ = std::exchange(other.stopped_, false);
  }
  return *this;
}

MappedInput::~MappedInput() { unmap(); }

std::span<const std::uint8_t> MappedInput::next(std::size_t max) noexcept {
  if (!active()) return {};
  std::uint64_t n = std::min<std::uint64_t>(max, len_ - pos_);
  if (pos_ + n > populated_) populate(pos_ + n);
  std::span<const std::uint8_t> piece(base_ + pos_, static_cast<std::size_t>(n));
  pos_ += n;
  return piece;
}

void MappedInput::populate(std::uint64_t upto) noexcept {
  // Page-table entries a window at a time: one madvise instead of a page fault per 16 pages
  // (fault-around), which costs about 7 us each on these virtual machines. Where the kernel
  // lacks MADV_POPULATE_READ (before 5.14) or the file shrank, faults do the job as before.
  constexpr std::uint64_t kWindow = 4 << 20;
  std::uint64_t from = populated_;
  std::uint64_t to = std::min(len_, std::max(upto, from + kWindow));
  auto* begin = reinterpret_cast<std::uint8_t*>(
      reinterpret_cast<std::uintptr_t>(base_ + from) & ~(std::uintptr_t{g_page} - 1));
  ::madvise(begin, static_cast<std::size_t>(base_ + to - begin), MADV_POPULATE_READ);
  populated_ = to;
}

bool MappedInput::intact(std::uint64_t upto) const noexcept {
  if (base_ == nullptr) return true;
  if (g_faulted.load()) return false;
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return false;
  return static_cast<std::uint64_t>(st.st_size) >= start_ + upto;
}

int MappedInput::stop() noexcept {
  if (!active()) return 0;
  stopped_ = true;
  if (::lseek(fd_, static_cast<off_t>(start_ + pos_), SEEK_SET) < 0) return -errno;
  return 0;
}

void MappedInput::unmap() noexcept {
  if (map_ == nullptr) return;
  // The handler forgets the range before it goes, then the previous disposition returns.
  g_begin.store(nullptr);
  g_end.store(nullptr);
  ::munmap(map_, map_len_);
  ::sigaction(SIGBUS, &g_previous, nullptr);
  g_owner.store(false);
  map_ = nullptr;
  base_ = nullptr;
}

}  // namespace conduit
