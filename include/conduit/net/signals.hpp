// net/signals: termination signals as a readable fd, so a server's event loop sees SIGTERM and
// SIGINT as ordinary events (no handler, no global flag, no EINTR races).
#pragma once

#include <initializer_list>
#include <string>

#include "conduit/fd.hpp"
#include "conduit/result.hpp"

namespace conduit::net {

// Blocks `signals` in this thread (and threads it starts later) and returns a non-blocking
// signalfd for them (the error: pthread_sigmask's or signalfd's errno).
Result<Fd> block_signals(std::initializer_list<int> signals);

// Reads one pending signal from a signalfd: its number, 0 when none is pending, or -errno.
int read_signal(int fd);

// A signal's name for messages: "SIGTERM", "SIGHUP" ("SIG?" for a number without one).
std::string signal_name(int sig);

// Unblocks `signals` again (pending ones are delivered at once, with their default action):
// 0 or -errno.
int unblock_signals(std::initializer_list<int> signals);

// Blocks `signals` again after unblock_signals(), for the signalfd block_signals() gave: 0 or
// -errno.
int reblock_signals(std::initializer_list<int> signals);

}  // namespace conduit::net
