// file_watch: the kernel side of following a growing file, shared by follow (splice-cat
// --follow, tail -f) and the file server's --follow (net/followed_file): inotify set-up, the
// watch on an open file, draining its events, the truncation rule, and whether anyone still has
// the file open for writing.
#pragma once

#include <sys/inotify.h>

#include <cstdint>
#include <functional>

#include "conduit/fd.hpp"
#include "conduit/result.hpp"

namespace conduit {

// What a followed file's watch asks for: growth, a writer's close, renames, unlinks (IN_ATTRIB:
// the link count changed, which is how an unlink or a rename over the name shows while the
// file is held open: IN_DELETE_SELF waits for the last close).
inline constexpr std::uint32_t kGrowthEvents =
    IN_MODIFY | IN_CLOSE_WRITE | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB;

// A non-blocking, close-on-exec inotify instance, or inotify_init1's errno.
Result<Fd> open_inotify();

// Watches the file open as `fd` (through /proc/self/fd, so a rename between its open() and
// here cannot make it watch another file). The watch descriptor, or -errno.
int watch_open_file(int inotify, int fd, std::uint32_t mask);

// Reads every pending event (the fd is non-blocking) and calls on_event(wd, mask) for each.
void drain_inotify(int inotify, const std::function<void(int wd, std::uint32_t mask)>& on_event);

// A regular file now `size` bytes long that had `known` bytes copied from it shrank: it was
// truncated (tail's rule: what comes next is copied from its start, or, for a server, the
// stream it promised is broken).
constexpr bool truncated(std::uint64_t size, std::uint64_t known) noexcept { return size < known; }

// Whether any process has the file open for writing, asked by taking (and at once releasing) a
// read lease, which the kernel refuses with EAGAIN exactly then. Unknown where a lease cannot be
// taken: a file owned by another user (without CAP_LEASE), leases disabled, a filesystem without
// them. A writer opening the file in the instant the lease is held waits for its release, and
// the lease break is signalled by SIGURG, ignored by default, instead of SIGIO, which kills.
enum class Writers : std::uint8_t { None, Some, Unknown };
Writers file_writers(int fd);

}  // namespace conduit
