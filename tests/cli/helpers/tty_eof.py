#!/usr/bin/env python3
"""tty_eof.py CMD: runs CMD on a pseudo-terminal, types "abc" and a newline, waits for the echo
and the copy, then types EOF (^D); prints the exit status and what the terminal showed, as
GNU's tty-eof test checks that cat and tee end at a terminal's EOF."""
import os
import pty
import select
import sys
import time

pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
os.write(fd, b"abc\n")
out = b""
deadline = time.time() + 10
while b"abc\r\nabc\r\n" not in out and time.time() < deadline:
    if select.select([fd], [], [], 0.5)[0]:
        out += os.read(fd, 100)
os.write(fd, b"\x04")
_, status = os.waitpid(pid, 0)
print(os.WEXITSTATUS(status), repr(out))
