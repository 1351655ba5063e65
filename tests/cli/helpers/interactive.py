#!/usr/bin/env python3
"""Interactive peers: bytes that have arrived must reach the reader at once.

A command that splices a socket (or a tty) into a pipe must not sleep inside that splice: the
kernel holds the pipe's lock there, so the program reading the pipe cannot take bytes that are
already in it. These peers fail (exit 1, "timed out ...") when a round does not complete within
TIMEOUT seconds, instead of hanging.

Usage:
  interactive.py trickle ADDRESS TEXT HOLD
      connect, send TEXT, keep the connection open HOLD seconds, close.
  interactive.py reader TIMEOUT
      select() on stdin, then read it: the bytes must come within TIMEOUT seconds (prints them).
  interactive.py chat ROUNDS TIMEOUT -- CMD...
      run CMD with pipes on stdin and stdout; each round writes a line to CMD and must read the
      same line back (CMD talks to an echo server).
  interactive.py sockchat ROUNDS TIMEOUT -- CMD...
      run CMD with a connected TCP socket as stdin and a pipe as stdout; each round sends a line
      on the socket and must read it from the pipe.
  interactive.py ptychat ROUNDS TIMEOUT -- CMD...
      the same with a terminal (the slave of a pty, echo off) as stdin.
  interactive.py netchat ADDRESS ROUNDS TIMEOUT
      connect to ADDRESS (an echo server, or a relay to one); each round sends a line and must
      read it back.
  interactive.py lines ADDRESS ROUNDS TIMEOUT FIFO
      connect to ADDRESS (a fanout of FIFO), then each round writes a line into FIFO and must
      receive it on the connection.
ADDRESS is host:port or unix:/path.
"""
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import termios
import threading
import time


def bounded(seconds, what, call, on_timeout=None):
    """call() within `seconds`, else exit 1. A read() held up on the pipe's lock sleeps
    uninterruptibly (no signal gets it out), so the call runs on a thread and is left behind;
    on_timeout() then frees it (kills the command), so that this process can exit."""
    box = []
    worker = threading.Thread(target=lambda: box.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    if box:
        return box[0]
    print("timed out after %.1f s %s" % (seconds, what), flush=True)
    if on_timeout:
        on_timeout()
    os._exit(1)


def connect(address):
    if address.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(address[5:])
        return s
    host, _, port = address.rpartition(":")
    return socket.create_connection((host.strip("[]"), int(port)))


def read_line(read):
    """Reads with read(n) until a newline or the end of the stream."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = read(4096)
        if not chunk:
            break
        data += chunk
    return data


def rounds(count, timeout, send, read, on_timeout=None):
    for i in range(count):
        line = b"round %d\n" % i
        what = "waiting for %r" % line
        send(line)
        got = bounded(timeout, what, lambda: read_line(read), on_timeout)
        if got != line:
            print("round %d: got %r" % (i, got), flush=True)
            sys.exit(1)
    print("%d rounds" % count, flush=True)


def trickle(address, text, hold):
    s = connect(address)
    s.sendall(text.encode())
    time.sleep(float(hold))
    s.close()


def reader(timeout):
    select.select([0], [], [])
    start = time.monotonic()
    data = bounded(float(timeout), "reading bytes select() said were there",
                   lambda: os.read(0, 4096))
    print("got %r after %.1f s" % (data, time.monotonic() - start), flush=True)


def chat(count, timeout, cmd):
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        def send(line):
            p.stdin.write(line)
            p.stdin.flush()
        rounds(count, timeout, send, lambda n: os.read(p.stdout.fileno(), n), p.kill)
    finally:
        p.kill()


def sockchat(count, timeout, cmd):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    listener.close()
    p = subprocess.Popen(cmd, stdin=server, stdout=subprocess.PIPE)
    server.close()
    try:
        rounds(count, timeout, client.sendall, lambda n: os.read(p.stdout.fileno(), n), p.kill)
    finally:
        p.kill()


def ptychat(count, timeout, cmd):
    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~termios.ECHO  # only CMD's output comes back
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    p = subprocess.Popen(cmd, stdin=slave, stdout=subprocess.PIPE)
    os.close(slave)
    try:
        rounds(count, timeout, lambda line: os.write(master, line),
               lambda n: os.read(p.stdout.fileno(), n), p.kill)
    finally:
        p.kill()


def netchat(address, count, timeout):
    s = connect(address)
    rounds(count, timeout, s.sendall, s.recv)
    s.close()


def lines(address, count, timeout, fifo):
    s = connect(address)
    with open(fifo, "wb", buffering=0) as f:
        rounds(count, timeout, f.write, s.recv)
    s.close()


def main(argv):
    if "--" in argv:
        cut = argv.index("--")
        argv, cmd = argv[:cut], argv[cut + 1:]
    mode = argv[1]
    if mode == "trickle":
        trickle(argv[2], argv[3], argv[4])
    elif mode == "reader":
        reader(argv[2])
    elif mode == "chat":
        chat(int(argv[2]), float(argv[3]), cmd)
    elif mode == "sockchat":
        sockchat(int(argv[2]), float(argv[3]), cmd)
    elif mode == "ptychat":
        ptychat(int(argv[2]), float(argv[3]), cmd)
    elif mode == "netchat":
        netchat(argv[2], int(argv[3]), float(argv[4]))
    elif mode == "lines":
        lines(argv[2], int(argv[3]), float(argv[4]), argv[5])
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main(sys.argv)
