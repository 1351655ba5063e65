#!/usr/bin/env python3
"""Peers for the `splice-net relay` tests: a backend server and clients that check every byte.

  relay_clients.py server MODE ADDRESS      ADDRESS: 127.0.0.1:0, [::1]:0 or unix:/path. Prints
        "listening PORT|PATH", then "conn N" as connection N is accepted, and what MODE reports.
        MODE answer: read to end of file, then send the bytes back reversed and close
                     (the client must half-close for the answer to come).
             banner: send "banner\\n" and shut down writing at once, then read to end of
                     file and print "got N" (the half-close the other way).
             reset:  read 1 MiB, then close with SO_LINGER 0 (a reset).
             count:  read to end of file or error; print "eof N" or "reset N".
             slow:   a small receive buffer, 64 KiB reads with pauses, to end of file; then
                     send back the SHA-256 (hex) of what came (the relay must stall and resume).
  relay_clients.py clients ADDRESS [--clients N] [--wait-file F]
        N concurrent clients, each with its own random data (1-256 KiB): connect, (wait until F
        exists), send everything, half-close, read the answer to end of file and compare it with
        the reversed data. Prints "ok=N failed=M"; exits 1 if any failed.
  relay_clients.py send ADDRESS BYTES   send BYTES (until refused), print "reset" when the
        connection was reset (or broken) and "sent" when everything went out.
  relay_clients.py abort ADDRESS        send 100000 bytes, then close with SO_LINGER 0.
  relay_clients.py idle ADDRESS         connect, send nothing; print "closed" when the relay
        closes the connection (end of file or reset).
  relay_clients.py stuck ADDRESS        a listener that never accepts, its queue filled: a
        connect to it hangs (TCP: SYNs dropped) or fails with EAGAIN (Unix). Prints "listening".
"""
import asyncio
import hashlib
import os
import random
import socket
import socketserver
import struct
import sys
import threading
import time


def split(address):
    if address.startswith("unix:"):
        return socket.AF_UNIX, address[5:]
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    return socket.AF_INET6 if ":" in host else socket.AF_INET, (host, int(port))


def connect(address):
    family, where = split(address)
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(where)
    return s


LOCK = threading.Lock()


def say(text):
    # One write per line, under a lock: the server's threads must not interleave their lines.
    with LOCK:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def read_all(sock):
    chunks = []
    while True:
        b = sock.recv(1 << 20)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


class Handler(socketserver.BaseRequestHandler):
    count = 0

    def handle(self):
        with LOCK:
            Handler.count += 1
            n = Handler.count
        say("conn %d" % n)
        c = self.request
        c.settimeout(60)
        mode = self.server.mode
        if mode == "answer":
            c.sendall(read_all(c)[::-1])
        elif mode == "banner":
            c.sendall(b"banner\n")
            c.shutdown(socket.SHUT_WR)
            say("got %d" % len(read_all(c)))
        elif mode == "reset":
            got = 0
            while got < 1 << 20:
                b = c.recv(65536)
                if not b:
                    break
                got += len(b)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode == "slow":
            h = hashlib.sha256()
            while True:
                b = c.recv(65536)
                if not b:
                    break
                h.update(b)
                time.sleep(0.002)
            c.sendall(h.hexdigest().encode() + b"\n")
        elif mode == "count":
            n = 0
            try:
                while True:
                    b = c.recv(65536)
                    if not b:
                        say("eof %d" % n)
                        return
                    n += len(b)
            except ConnectionResetError:
                say("reset %d" % n)


def server(mode, address):
    family, where = split(address)
    if family == socket.AF_UNIX:
        base = socketserver.ThreadingUnixStreamServer
    else:
        class base(socketserver.ThreadingTCPServer):
            address_family = family
    base.allow_reuse_address = True
    base.daemon_threads = True
    base.request_queue_size = 512
    srv = base(where, Handler, bind_and_activate=False)
    if mode == "slow":  # inherited by accepted sockets: the window stays small
        srv.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    srv.server_bind()
    srv.server_activate()
    srv.mode = mode
    name = srv.server_address
    say("listening %s" % (name if family == socket.AF_UNIX else name[1]))
    srv.serve_forever()


async def one_client(address, wait_file, rng):
    data = rng.randbytes(rng.randint(1024, 256 * 1024))
    family, where = split(address)
    if family == socket.AF_UNIX:
        reader, writer = await asyncio.open_unix_connection(where)
    else:
        reader, writer = await asyncio.open_connection(*where)
    if wait_file:
        while not os.path.exists(wait_file):
            await asyncio.sleep(0.02)
    writer.write(data)
    await writer.drain()
    writer.write_eof()
    answer = await reader.read()
    writer.close()
    if answer != data[::-1]:
        return "sent %d bytes, got %d back (or different bytes)" % (len(data), len(answer))
    return None


async def clients(address, n, wait_file):
    rng = random.Random(os.getpid())
    results = await asyncio.gather(*(one_client(address, wait_file, rng) for _ in range(n)),
                                   return_exceptions=True)
    failed = [r for r in results if r is not None]
    for r in failed[:5]:
        print("failure: %s" % (r,), file=sys.stderr)
    say("ok=%d failed=%d" % (n - len(failed), len(failed)))
    return 1 if failed else 0


def send(address, total):
    s = connect(address)
    block = os.urandom(1 << 16)
    sent = 0
    try:
        while sent < total:
            sent += s.send(block)
    except (ConnectionResetError, BrokenPipeError):
        say("reset")
        return
    try:
        s.shutdown(socket.SHUT_WR)
        read_all(s)
    except (ConnectionResetError, BrokenPipeError):
        say("reset")
        return
    say("sent")


def abort(address):
    s = connect(address)
    s.sendall(b"x" * 100000)
    time.sleep(0.2)  # let the bytes reach the server before the reset
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def idle(address):
    try:
        # A reset can come before connect() even returns (the relay refuses at once).
        read_all(connect(address))
    except ConnectionResetError:
        pass
    say("closed")


def stuck(address):
    family, where = split(address)
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind(where)
    s.listen(0)
    held = []
    for _ in range(8):  # more than the queue takes
        x = socket.socket(family, socket.SOCK_STREAM)
        x.setblocking(False)
        try:
            x.connect(s.getsockname())
        except (BlockingIOError, InterruptedError):
            pass
        held.append(x)
    name = s.getsockname()
    say("listening %s" % (name if family == socket.AF_UNIX else name[1]))
    time.sleep(60)


def main(argv):
    if argv[0] == "server":
        server(argv[1], argv[2])
    elif argv[0] == "clients":
        n, wait_file = 10, None
        rest = argv[2:]
        while rest:
            if rest[0] == "--clients":
                n = int(rest[1])
            elif rest[0] == "--wait-file":
                wait_file = rest[1]
            rest = rest[2:]
        return asyncio.run(clients(argv[1], n, wait_file))
    elif argv[0] == "send":
        send(argv[1], int(argv[2]))
    elif argv[0] == "abort":
        abort(argv[1])
    elif argv[0] == "idle":
        idle(argv[1])
    elif argv[0] == "stuck":
        stuck(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
