#!/usr/bin/env python3
"""Opens and closes many connections to an HTTP file server, a few at a time, in a mix of what
real clients do, and samples the server's memory and descriptors as it goes: are they flat?

Usage: http_soak.py HOST:PORT --pid PID --small URLPATH=FILE --big URLPATH [--connections N]
                    [--workers W] [--samples S] [--timeout SECONDS]
Connection i does, by i % 10:
  0-3  keep-alive: GET small, HEAD small, GET small with a Range, then the client closes
  4-5  GET small with "Connection: close": the server closes
  6    GET small twice, pipelined in one segment, the second with "Connection: close"
  7    GET big, read 16 KiB of it, close with a reset (SO_LINGER 0): aborted mid-response
  8    connect and close without a word
  9    half a request head, then close
Every small body is checked byte for byte. W workers (threads) hold at most W connections at
once, so the client never needs many descriptors or ports; source addresses rotate over
127.0.0.1-127.0.0.8 (loopback) so that TIME_WAIT never exhausts the ports of one address.
The server's VmRSS (/proc/PID/status) and open descriptors (/proc/PID/fd) are read before the
first connection, S times during the run, and once every connection has ended in the server
(lingering closes included). Prints a Markdown table and a summary line; exits 1 if a response
was wrong, or the server's descriptors at the end are not what they were at the start.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

import peers

TIMEOUT = 30


def server_sample(pid):
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return rss, len(os.listdir("/proc/%d/fd" % pid))


class Soak:
    def __init__(self, args):
        self.host, self.port = peers.parse_address(args.address)
        path, _, file = args.small.partition("=")
        self.small_path = path.encode()
        self.small = open(file, "rb").read()
        self.big_path = args.big.encode()
        self.lock = threading.Lock()
        self.next = 0
        self.total = args.connections
        self.done = 0
        self.failures = []
        self.kinds = [0] * 10
        self.loopback = self.host.startswith("127.")

    def connect(self, i):
        s = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        if self.loopback:
            s.bind(("127.0.0.%d" % (1 + i % 8), 0))
        s.connect((self.host, self.port))
        return s

    def request(self, path, method=b"GET", extra=b""):
        return b"%s %s HTTP/1.1\r\nHost: soak\r\n%s\r\n" % (method, path, extra)

    @staticmethod
    def read_response(s, buf, head_only=False):
        """One response from s (buf: bytes already read): (status, headers, body, rest)."""
        return peers.read_response(s, buf, head_only, strict=True)

    def expect(self, status, body, want_status, want_body):
        if not status.startswith(b"HTTP/1.1 %d " % want_status):
            raise ValueError("status %r, want %d" % (status, want_status))
        if body != want_body:
            raise ValueError("body of %d bytes differs (status %r)" % (len(body), status))

    def expect_close(self, s, rest):
        if rest:
            raise ValueError("%d bytes after the last response" % len(rest))
        if s.recv(1) != b"":
            raise ValueError("the server did not close")

    def one(self, i):
        kind = i % 10
        s = self.connect(i)
        try:
            if kind <= 3:
                s.sendall(self.request(self.small_path))
                st, _, body, rest = self.read_response(s, b"")
                self.expect(st, body, 200, self.small)
                s.sendall(self.request(self.small_path, b"HEAD"))
                st, h, body, rest = self.read_response(s, rest, head_only=True)
                self.expect(st, body, 200, b"")
                if h.get(b"content-length") != str(len(self.small)).encode():
                    raise ValueError("HEAD: Content-Length %r" % h.get(b"content-length"))
                s.sendall(self.request(self.small_path, extra=b"Range: bytes=10-99\r\n"))
                st, _, body, rest = self.read_response(s, rest)
                self.expect(st, body, 206, self.small[10:100])
            elif kind <= 5:
                s.sendall(self.request(self.small_path, extra=b"Connection: close\r\n"))
                st, _, body, rest = self.read_response(s, b"")
                self.expect(st, body, 200, self.small)
                self.expect_close(s, rest)
            elif kind == 6:
                s.sendall(self.request(self.small_path) +
                          self.request(self.small_path, extra=b"Connection: close\r\n"))
                st, _, body, rest = self.read_response(s, b"")
                self.expect(st, body, 200, self.small)
                st, _, body, rest = self.read_response(s, rest)
                self.expect(st, body, 200, self.small)
                self.expect_close(s, rest)
            elif kind == 7:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
                s.sendall(self.request(self.big_path))
                got = b""
                while len(got) < 16384:
                    chunk = s.recv(16384)
                    if not chunk:
                        raise ValueError("big: closed after %d bytes" % len(got))
                    got += chunk
                if not got.startswith(b"HTTP/1.1 200 "):
                    raise ValueError("big: %r" % got[:40])
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif kind == 9:
                s.sendall(b"GET " + self.small_path + b" HTTP/1.1\r\nHo")
        finally:
            s.close()

    def worker(self):
        while True:
            with self.lock:
                if self.next >= self.total:
                    return
                i = self.next
                self.next += 1
            try:
                self.one(i)
            except (OSError, ValueError) as e:
                with self.lock:
                    self.failures.append("connection %d (kind %d): %s: %s" % (i, i % 10, type(e).__name__, e))
            with self.lock:
                self.done += 1
                self.kinds[i % 10] += 1


def wait_for_fds(pid, want, seconds):
    """Until the server holds `want` descriptors (its closes and lingers are over), or time is up."""
    deadline = time.monotonic() + seconds
    while True:
        rss, fds = server_sample(pid)
        if fds <= want or time.monotonic() >= deadline:
            return rss, fds
        time.sleep(0.1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("address")
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--small", required=True, help="URLPATH=FILE")
    p.add_argument("--big", required=True, help="URLPATH of a file of a few MiB or more")
    p.add_argument("--connections", type=int, default=100000)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--samples", type=int, default=10)
    p.add_argument("--timeout", type=float, default=3600)
    args = p.parse_args()
    soak = Soak(args)
    start_rss, start_fds = server_sample(args.pid)
    rows = [(0, start_rss, start_fds, 0.0)]
    started = time.monotonic()
    threads = [threading.Thread(target=soak.worker, daemon=True) for _ in range(args.workers)]
    for t in threads:
        t.start()
    step = max(1, args.connections // max(1, args.samples))
    mark = step
    while any(t.is_alive() for t in threads):
        time.sleep(0.05)
        if time.monotonic() - started > args.timeout:
            soak.failures.append("timed out after %d connections" % soak.done)
            break
        if soak.done >= mark and mark < args.connections:
            rss, fds = server_sample(args.pid)
            rows.append((soak.done, rss, fds, time.monotonic() - started))
            mark += step
    elapsed = time.monotonic() - started
    # Lingering closes end within the server's linger limit (2 s): then every descriptor is back.
    end_rss, end_fds = wait_for_fds(args.pid, start_fds, 10)
    rows.append((soak.done, end_rss, end_fds, time.monotonic() - started))
    print("| connections | server VmRSS (kB) | server fds | seconds |")
    print("|---|---|---|---|")
    for done, rss, fds, t in rows:
        print("| %d | %d | %d | %.1f |" % (done, rss, fds, t))
    first = rows[1][1] if len(rows) > 2 else start_rss
    print("connections %d in %.1f s (%.0f/s), failed %d; fds %d -> %d; VmRSS %d kB at start, %d kB "
          "after the first sample, %d kB at the end" %
          (soak.done, elapsed, soak.done / elapsed if elapsed else 0, len(soak.failures),
           start_fds, end_fds, start_rss, first, end_rss))
    for f in soak.failures[:20]:
        print("FAIL " + f)
    ok = not soak.failures and end_fds == start_fds and soak.done == args.connections
    if end_fds != start_fds:
        print("FAIL the server holds %d descriptors, %d before the run" % (end_fds, start_fds))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
