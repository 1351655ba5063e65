// sigpipe: EPIPE on standard output, handled as GNU cat handles it.
//
// With SIGPIPE at its default action (neither ignored nor blocked) a broken pipe ends the
// process by that signal (status 141 in the shell). The kernel sends it on write, splice,
// sendfile and tee(2) alike (measured on Linux 6.18, pipes and sockets); raise_sigpipe() is for
// an EPIPE that came without it (a send with MSG_NOSIGNAL) or while the command ignores SIGPIPE
// for its sockets' sake. With SIGPIPE ignored (systemd services, `trap '' PIPE` in scripts) or blocked,
// EPIPE is a write error like any other: the command says "prog: write error: Broken pipe"
// and exits 1, never 0 with data lost.
#pragma once

namespace conduit {

// Would SIGPIPE end this process now? Ask before ignoring it for sockets, and keep the answer.
bool sigpipe_fatal() noexcept;

// Ends the process by SIGPIPE: its default action restored, then raised. Returns only if the
// signal is blocked.
void raise_sigpipe() noexcept;

}  // namespace conduit
