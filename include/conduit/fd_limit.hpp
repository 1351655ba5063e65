// fd_limit: a server's descriptor budget. Linux starts processes with a soft RLIMIT_NOFILE of
// 1024 (for select(2)'s sake) under a hard limit that is usually far higher; a server that
// never uses select() can raise the soft limit to the hard one and hold that many connections
// (each client is one descriptor) instead of pausing accept() at EMFILE after about a thousand.
#pragma once

namespace conduit {

// Raises the soft RLIMIT_NOFILE to the hard limit (capped by /proc/sys/fs/nr_open, which
// setrlimit enforces for an infinite hard limit). Returns the soft limit now in force, or
// -errno when it cannot be read or raised (the old limit then stays).
long raise_fd_limit() noexcept;

}  // namespace conduit
