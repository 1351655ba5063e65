// mapped_input: windows over a regular file, each registered with the SIGBUS guard while it is
// mapped (see mapped_input.hpp).
//
// Windows are mapped one after another, each from the page that holds the next block, so a
// block never straddles two windows (consecutive windows overlap by less than a block and a
// page when the block size is not a multiple of the page size: a decrypted stream's 65,552-byte
// chunks). A window is unmapped once it is not the current one and no block handed out from it
// is still in use; blocks are finished in order, so windows go oldest first.
#include "conduit/mapped_input.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14; older kernels say EINVAL, and pages fault in as usual
#endif

namespace conduit {

namespace {

std::uint64_t page_size() noexcept {
  static const long page = ::sysconf(_SC_PAGESIZE);
  return page > 0 ? static_cast<std::uint64_t>(page) : 4096;
}

}  // namespace

bool MappedInput::takes(int fd, std::size_t block) noexcept {
  if (!sigbus_guard_installed() || block == 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;
  off_t here = ::lseek(fd, 0, SEEK_CUR);
  return here >= 0 && st.st_size >= here && static_cast<std::uint64_t>(st.st_size - here) >= block;
}

MappedInput::~MappedInput() {
  for (Window& w : windows_) unmap(w);
}

int MappedInput::start(int fd, const MappedInputSettings& settings) noexcept {
  if (!sigbus_guard_installed()) return -ENOTSUP;
  if (settings.block == 0) return -EINVAL;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return -errno;
  if (!S_ISREG(st.st_mode)) return -ENODEV;
  off_t here = ::lseek(fd, 0, SEEK_CUR);
  if (here < 0) return -errno;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const auto offset = static_cast<std::uint64_t>(here);
  if (size < offset || size - offset < settings.block) return -ENODATA;
  fd_ = fd;
  settings_ = settings;
  // A window holds at least one block wherever in a page the block starts.
  settings_.window = std::max(settings.window, settings.block + page_size());
  start_ = offset;
  pos_ = offset;
  limit_ = size;
  active_ = true;
  return 0;
}

bool MappedInput::map_window() noexcept {
  const std::uint64_t off = pos_ & ~(page_size() - 1);
  const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(settings_.window, limit_ - off));
  int flags = MAP_SHARED;
  if (settings_.advice == MapAdvice::Populate) flags |= MAP_POPULATE;
  void* p = ::mmap(nullptr, len, PROT_READ, flags, fd_, static_cast<off_t>(off));
  if (p == MAP_FAILED) return false;
  Window w;
  w.id = next_id_++;
  w.base = static_cast<std::uint8_t*>(p);
  w.len = len;
  w.file_offset = off;
  // Registered before any page is touched (MAP_POPULATE's reads are the kernel's and do not
  // fault: a page beyond the end is simply not populated).
  if (w.range.guard(p, len) != 0) {
    ::munmap(p, len);
    return false;
  }
  if (settings_.advice == MapAdvice::Sequential) {
    ::madvise(p, len, MADV_SEQUENTIAL);  // a hint: its failure changes nothing
  } else if (settings_.advice == MapAdvice::PopulateRead) {
    // Fails with EFAULT when the file shrank meanwhile: the pages then fault (and are guarded).
    ::madvise(p, len, MADV_POPULATE_READ);
  }
  windows_.push_back(std::move(w));
  return true;
}

void MappedInput::unmap(Window& w) noexcept {
  if (w.base == nullptr) return;
  w.range.release();  // never a zero page mapped over whatever comes to live at this address
  ::munmap(w.base, w.len);
  w.base = nullptr;
}

void MappedInput::unmap_unused() noexcept {
  while (!windows_.empty() && windows_.front().blocks == 0 &&
         (windows_.size() > 1 || !active_)) {
    unmap(windows_.front());
    windows_.pop_front();
  }
}

const MappedInput::Window* MappedInput::find(std::uint64_t id) const noexcept {
  for (const Window& w : windows_)
    if (w.id == id) return &w;
  return nullptr;
}

const std::uint8_t* MappedInput::next(std::uint64_t& window, int* error) noexcept {
  if (error != nullptr) *error = 0;
  window = kNoWindow;
  if (!active_) return nullptr;
  const std::size_t block = settings_.block;
  bool ok = pos_ + block <= limit_;
  if (ok && (windows_.empty() ||
             pos_ + block > windows_.back().file_offset + windows_.back().len)) {
    ok = map_window();
    unmap_unused();
  }
  if (!ok) {
    // Mapping is over; blocks handed out stay mapped until they are done.
    active_ = false;
    unmap_unused();
    if (::lseek(fd_, static_cast<off_t>(pos_), SEEK_SET) < 0 && error != nullptr) *error = -errno;
    return nullptr;
  }
  Window& w = windows_.back();
  ++w.blocks;
  window = w.id;
  const std::uint8_t* p = w.base + (pos_ - w.file_offset);
  pos_ += block;
  return p;
}

bool MappedInput::intact(std::uint64_t window, std::uint64_t end, std::uint8_t* next) const noexcept {
  const Window* w = find(window);
  if (w == nullptr || w->range.cut()) return false;
  // Read after the block was: a shrink that reached the block shows here, even one that ended in
  // the block's last page (zeros, no fault). One pread(2) of the block's last byte, or of the
  // byte after it, says both. A failing pread says "not intact": read(2) goes over the same bytes
  // and reports what is wrong.
  std::uint8_t byte = 0;
  const std::uint64_t at = start_ + end - (next != nullptr ? 0 : 1);
  if (::pread(fd_, &byte, 1, static_cast<off_t>(at)) != 1) return false;
  if (next != nullptr) *next = byte;
  return true;
}

void MappedInput::done(std::uint64_t window) noexcept {
  for (Window& w : windows_) {
    if (w.id == window) {
      if (w.blocks > 0) --w.blocks;
      break;
    }
  }
  unmap_unused();
}

int MappedInput::stop(std::uint64_t offset) noexcept {
  active_ = false;
  for (Window& w : windows_) unmap(w);
  windows_.clear();
  pos_ = start_ + offset;
  if (::lseek(fd_, static_cast<off_t>(pos_), SEEK_SET) < 0) return -errno;
  return 0;
}

}  // namespace conduit
