#!/usr/bin/env python3
"""splice-cat-io: run a command with its input and output wired to a chosen kind of file.

Used by the splice-cat bats tests to compare splice-cat with GNU cat across the input x output
matrix: both programs get the same wiring and their output bytes and exit status are compared.

  splice-cat-io.py compare INKIND OUTKIND SRC ORACLE PROG -- OPTSETS...
      Each OPTSET is "prog options|oracle options" (words split on spaces). Runs ORACLE and PROG
      for each set and prints one line per mismatch; exits 1 when any.

Input kinds:  regular empty proc fifo socket stdin-file stdin-pipe
Output kinds: pipe file append null socket tcp tty
"""
import os
import pty
import socket
import subprocess
import sys
import tempfile
import threading


def feed(fd_or_sock, data, close):
    def run():
        try:
            if isinstance(fd_or_sock, socket.socket):
                fd_or_sock.sendall(data)
                fd_or_sock.shutdown(socket.SHUT_WR)
            else:
                write_all(fd_or_sock, data)
        except OSError:
            pass
        finally:
            close()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def drain(reader):
    chunks = []

    def run():
        while True:
            try:
                b = reader()
            except OSError:  # a pty master says EIO once the slave side is gone
                break
            if not b:
                break
            chunks.append(b)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, chunks


def run_once(argv, inkind, outkind, src, tmp):
    """Returns (stdout bytes, exit status as the shell would show it)."""
    data = open(src, "rb").read()
    args = list(argv)
    stdin = subprocess.DEVNULL
    closers = []
    threads = []

    if inkind == "regular":
        args.append(src)
    elif inkind == "empty":
        empty = os.path.join(tmp, "empty")
        open(empty, "wb").close()
        args.append(empty)
    elif inkind == "proc":
        args += ["/proc/version", "/proc/1/cmdline"]
    elif inkind == "fifo":
        fifo = os.path.join(tmp, "fifo")
        if os.path.exists(fifo):
            os.unlink(fifo)
        os.mkfifo(fifo)
        args.append(fifo)

        def fifo_writer():
            fd = os.open(fifo, os.O_WRONLY)
            try:
                write_all(fd, data)
            except OSError:
                pass
            os.close(fd)
        t = threading.Thread(target=fifo_writer, daemon=True)
        t.start()
        threads.append(t)
    elif inkind == "socket":
        in_a, in_b = socket.socketpair()
        stdin = in_b.fileno()
        closers.append(in_b.close)
        threads.append(feed(in_a, data, in_a.close))
    elif inkind == "stdin-file":
        stdin = open(src, "rb")
        closers.append(stdin.close)
    elif inkind == "stdin-pipe":
        in_r, in_w = os.pipe()
        stdin = in_r
        closers.append(lambda: os.close(in_r))
        threads.append(feed(in_w, data, lambda: os.close(in_w)))
    else:
        raise SystemExit("unknown input kind " + inkind)

    out_path = os.path.join(tmp, "out")
    stdout = None
    reader_thread = None
    chunks = None
    listener = None
    if outkind == "pipe":
        out_r, out_w = os.pipe()
        stdout = out_w
        closers.append(lambda: os.close(out_w))
        reader_thread, chunks = drain(lambda: os.read(out_r, 1 << 20))
        after_read = lambda: os.close(out_r)
    elif outkind in ("file", "append"):
        with open(out_path, "wb") as f:
            f.write(b"previous\n" if outkind == "append" else b"")
        flags = os.O_WRONLY | (os.O_APPEND if outkind == "append" else os.O_TRUNC)
        stdout = os.open(out_path, flags)
        fd = stdout
        closers.append(lambda: os.close(fd))
    elif outkind == "null":
        stdout = subprocess.DEVNULL
    elif outkind in ("socket", "tcp"):
        if outkind == "socket":
            a, b = socket.socketpair()
        else:
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            b = socket.create_connection(listener.getsockname())
            a, _ = listener.accept()
            listener.close()
        stdout = b.fileno()
        closers.append(b.close)
        reader_thread, chunks = drain(lambda: a.recv(1 << 20))
        after_read = a.close
    elif outkind == "tty":
        master, slave = pty.openpty()
        stdout = slave
        closers.append(lambda: os.close(slave))
        reader_thread, chunks = drain(lambda: os.read(master, 1 << 20))
        after_read = lambda: os.close(master)
    else:
        raise SystemExit("unknown output kind " + outkind)

    proc = subprocess.Popen(args, stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL)
    for close in closers:
        close()
    rc = proc.wait(timeout=60)
    if rc < 0:
        rc = 128 - rc
    for t in threads:
        t.join(timeout=10)
    if reader_thread is not None:
        reader_thread.join(timeout=30)
        after_read()
        out = b"".join(chunks)
    elif outkind in ("file", "append"):
        out = open(out_path, "rb").read()
    else:
        out = b""
    return out, rc


def main():
    if len(sys.argv) < 8 or sys.argv[1] != "compare" or sys.argv[7] != "--":
        raise SystemExit(__doc__)
    inkind, outkind, src, oracle, prog = sys.argv[2:7]
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for optset in sys.argv[8:] or ["|"]:
            mine, _, theirs = optset.partition("|")
            exp, exp_rc = run_once([oracle] + theirs.split(), inkind, outkind, src, tmp)
            got, got_rc = run_once([prog] + mine.split(), inkind, outkind, src, tmp)
            if exp != got or exp_rc != got_rc:
                bad += 1
                print(f"MISMATCH {inkind} -> {outkind} [{mine}] vs oracle [{theirs}]: "
                      f"{len(got)} bytes rc {got_rc}, expected {len(exp)} bytes rc {exp_rc}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
