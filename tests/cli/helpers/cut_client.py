#!/usr/bin/env python3
"""A client that says how its connection ended: a clean end of file, or a reset.

Usage: cut_client.py ADDRESS [--http] [--path PATH] [--first N] [--mark FILE] [--go FILE]
ADDRESS is host:port, [v6]:port or unix:/path.
  Connects with a small receive buffer, sends a GET request for PATH (default /) with --http, reads at least N bytes
  (default 65536; 0: none), creates MARK, waits until GO exists (when given; the server meanwhile
  cuts it off, or not), then reads to the end. Prints "eof TOTAL" when the connection ended with
  a clean end of file, "reset TOTAL" when it ended with ECONNRESET; TOTAL counts every byte
  received (an HTTP head included).
"""
import argparse
import os
import socket
import sys
import time


def connect(address):
    if address.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        where = address[5:]
    else:
        host, _, port = address.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        where = (host, int(port))
    # Small, so that a client that stops reading soon holds the server back.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.connect(where)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("address")
    ap.add_argument("--http", action="store_true")
    ap.add_argument("--path", default="/")
    ap.add_argument("--first", type=int, default=65536)
    ap.add_argument("--mark")
    ap.add_argument("--go")
    args = ap.parse_args()
    s = connect(args.address)
    if args.http:
        s.sendall(b"GET " + args.path.encode() + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    total = 0
    how = "eof"
    try:
        while total < args.first:
            b = s.recv(65536)
            if not b:
                break
            total += len(b)
        if args.mark:
            open(args.mark, "w").close()
        while args.go and not os.path.exists(args.go):
            time.sleep(0.02)
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            total += len(b)
    except ConnectionResetError:
        how = "reset"
    print("%s %d" % (how, total), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
