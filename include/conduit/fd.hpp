// fd: an owning, move-only file descriptor, and what kind of thing a descriptor is.
//
// The pump picks its path from the kinds of its two ends (a pipe can take splice, an O_APPEND
// file cannot, a regular file can take copy_file_range ...), so classification lives here once.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>
#include <utility>

namespace conduit {

// Owns one descriptor; closes it on destruction. Move-only.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }
  // Gives up ownership without closing.
  int release() noexcept { return std::exchange(fd_, -1); }
  // Closes the current descriptor (errno preserved) and takes `fd`.
  void reset(int fd = -1) noexcept;
  // Closes now and reports close()'s error as -errno (0 on success); for outputs, where a
  // failed close can mean lost data (NFS, quotas).
  int close() noexcept;

 private:
  int fd_ = -1;
};

enum class FdKind : std::uint8_t {
  Pipe,        // pipe or FIFO
  Regular,     // regular file
  Socket,
  Tty,         // a terminal (character device that isatty() accepts)
  DevNull,     // /dev/null (and /dev/zero: a character device that takes splice)
  CharDevice,  // any other character device (/dev/full, /dev/urandom ...)
  BlockDevice,
  Directory,
  Other,
};

std::string_view to_string(FdKind kind) noexcept;

struct FdInfo {
  FdKind kind = FdKind::Other;
  bool append = false;    // O_APPEND: splice, sendfile and copy_file_range refuse it
  bool nonblock = false;  // O_NONBLOCK, possibly left by another process
  bool readable = false;
  bool writable = false;
  dev_t dev = 0;          // st_dev and st_ino identify the file ("input file is output file")
  ino_t ino = 0;
  off_t size = 0;         // st_size: a hint only (/proc files say 0)
  blksize_t block_size = 0;
};

// fstat + fcntl(F_GETFL). Returns 0 or -errno.
int classify(int fd, FdInfo& info) noexcept;

// Sets or clears O_NONBLOCK; returns 0 or -errno.
int set_nonblocking(int fd, bool on) noexcept;

}  // namespace conduit
