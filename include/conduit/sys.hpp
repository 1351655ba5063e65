// sys: thin wrappers over the data-moving system calls.
//
// Each retries EINTR and returns the call's result (bytes moved, >= 0) or -errno. Nothing else
// hides inside them: no fallback, no polling, no logging. Callers print strerror(-ret).
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <span>

namespace conduit::sys {

// splice(2): one of fd_in / fd_out must be a pipe. Offsets may be null (use the file position);
// a non-null offset on a pipe or socket is ESPIPE.
ssize_t splice(int fd_in, loff_t* off_in, int fd_out, loff_t* off_out, size_t len,
               unsigned flags) noexcept;

// tee(2): both fds must be pipes, and not the same pipe. Duplicates without consuming.
ssize_t tee(int fd_in, int fd_out, size_t len, unsigned flags) noexcept;

// vmsplice(2): only for memory that never changes afterwards (see docs/KERNEL-NOTES.md).
ssize_t vmsplice(int pipe_fd, const struct iovec* iov, size_t count, unsigned flags) noexcept;

// sendfile(2): fd_in must be mmap-able (a regular file); at most 0x7ffff000 bytes per call.
ssize_t sendfile(int fd_out, int fd_in, off_t* offset, size_t count) noexcept;

// copy_file_range(2): regular file to regular file.
ssize_t copy_file_range(int fd_in, loff_t* off_in, int fd_out, loff_t* off_out, size_t len,
                        unsigned flags) noexcept;

ssize_t read(int fd, std::span<std::byte> buf) noexcept;
ssize_t pread(int fd, std::span<std::byte> buf, off_t offset) noexcept;
ssize_t write(int fd, std::span<const std::byte> buf) noexcept;

// One read(2) that waits out EAGAIN (an fd someone left O_NONBLOCK) with poll() instead of
// failing or spinning. Returns bytes read (0 at the end of input) or -errno, a failed wait's too.
ssize_t read_some(int fd, std::span<std::byte> buf) noexcept;

// Reads until `buf` is full or the input ends, waiting out EAGAIN as read_some does. Returns
// bytes read (fewer than buf.size() only at the end of input) or -errno, a failed wait's too.
// `*calls` (if given) is increased by the number of read(2) calls made, for --stats.
ssize_t read_full(int fd, std::span<std::byte> buf, std::uint64_t* calls = nullptr) noexcept;

// read_full into pieces of `piece` bytes `stride` bytes apart (piece j at base + j * stride),
// `total` bytes in all, with as few readv(2) calls as the input allows: a stream's chunks read
// straight into the places their tags leave room for. Returns the bytes read (fewer than
// `total` only at the end of input) or -errno; EAGAIN is waited out as read_full does. `*calls`
// (if given) counts the readv(2) calls.
ssize_t read_strided(int fd, std::byte* base, size_t piece, size_t stride, size_t total,
                     std::uint64_t* calls = nullptr) noexcept;

// Writes all of `buf`, polling when the fd is non-blocking and would block. Returns bytes
// written (== buf.size()) or -errno; on error, `*written` (if given) says how much went out.
ssize_t write_all(int fd, std::span<const std::byte> buf, size_t* written = nullptr) noexcept;

// Waits until `fd` is readable (events = POLLIN) or writable (POLLOUT). timeout_ms < 0 waits
// forever. Returns 1 when ready (or hung up / in error: the next call will tell), 0 on timeout,
// -errno on failure.
int wait_fd(int fd, short events, int timeout_ms = -1) noexcept;

// True when `rc` (a -errno from splice, tee, sendfile or copy_file_range) means "this path does
// not work for these fds" (EINVAL, ENOSYS, EOPNOTSUPP, EXDEV, ESPIPE, EBADF). KERNEL-NOTES.md:
// only on a path's *first* call is that a reason to fall back to read/write; after bytes have
// moved it is a real error.
constexpr bool unsupported(long rc) noexcept {
  switch (-rc) {
    case EINVAL: case ENOSYS: case EOPNOTSUPP: case EXDEV: case ESPIPE: case EBADF:
      return true;
    default:
      return false;
  }
}

// The largest count sendfile/splice accept in one call on Linux.
inline constexpr size_t kMaxRwCount = 0x7ffff000;

}  // namespace conduit::sys
