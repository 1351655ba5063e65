#!/usr/bin/env python3
"""Many concurrent clients of `splice-net fanout`, each checking what it received against SOURCE.

Usage: fanout_clients.py ADDRESS SOURCE [--fast N] [--slow N] [--stall N] [--quit N]
                         [--slow-expect full|prefix] [--timeout SECONDS]
All clients connect first (run fanout with --min-clients equal to their number, so every client
is there before the first byte), then:
  --fast N   read as fast as they can; must receive exactly SOURCE.
  --slow N   read 16 KiB every 5 ms; must receive exactly SOURCE (--slow-expect full, for
             --slow=block) or a non-empty prefix of it (prefix: a client dropped as slow gets
             a contiguous start of the stream and then the end of the connection).
  --stall N  small receive buffer, never read until every other client is done, then read what
             is left: must be a prefix of SOURCE shorter than SOURCE (it was dropped).
  --quit N   read 64 KiB, then close: disconnecting mid-stream.
Prints "fast=A slow_full=B slow_short=C stall_short=D quit=E failed=F" and exits 1 if any client
failed its check or the run exceeded --timeout.
"""
import asyncio
import socket
import sys

from peers import client_parser, parse_address


async def connect_socket(addr, rcvbuf=None):
    sock = socket.socket(socket.AF_INET6 if ":" in addr[0] else socket.AF_INET)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, addr)
    return sock


async def connect(addr):
    return await asyncio.open_connection(sock=await connect_socket(addr), limit=1 << 20)


async def read_prefix(reader, source, size=1 << 20, pause=0.0):
    """Reads until EOF comparing as it goes (no buffer grows): the number of bytes received,
    or -1 when they stop matching the start of `source`."""
    got = 0
    while True:
        try:
            chunk = await reader.read(size)
        except ConnectionResetError:
            break
        if not chunk:
            break
        if source[got:got + len(chunk)] != chunk:
            return -1
        got += len(chunk)
        if pause:
            await asyncio.sleep(pause)
    return got


def check_prefix(got, source, allow_full):
    if got < 0:
        return "got bytes that are not the start of the stream"
    if got == 0:
        return "got nothing"
    if not allow_full and got == len(source):
        return "got the whole stream: was not dropped"
    return None


async def fast(conn, source):
    reader, writer = conn
    got = await read_prefix(reader, source)
    writer.close()
    if got != len(source):
        return "fast: got %d bytes, want %d (or content differs)" % (got, len(source))
    return None


async def slow(conn, source, expect_full):
    reader, writer = conn
    got = await read_prefix(reader, source, 16384, 0.005)
    writer.close()
    if got == len(source):
        return None
    if expect_full:
        return "slow: got %d bytes, want %d (or content differs)" % (got, len(source))
    err = check_prefix(got, source, False)
    return "slow: " + err if err else "short"


def read_prefix_blocking(sock, source):
    """read_prefix on a plain socket: the kernel gives what it holds before the reset."""
    sock.setblocking(True)
    sock.settimeout(30)
    got = 0
    while True:
        try:
            chunk = sock.recv(1 << 20)
        except ConnectionResetError:
            break
        if not chunk:
            break
        if source[got:got + len(chunk)] != chunk:
            return -1
        got += len(chunk)
    return got


async def stall(sock, source, others_done):
    # A plain socket, not an asyncio stream: a stream's transport would read (and buffer) for
    # it all along, so it would not stall, and a reset noticed while it still buffered would
    # hide the buffered prefix (StreamReader.read raises a pending error before returning data).
    await others_done.wait()
    got = await asyncio.get_running_loop().run_in_executor(None, read_prefix_blocking, sock, source)
    sock.close()
    err = check_prefix(got, source, False)
    return "stall: " + err if err else None


async def quit_early(conn):
    reader, writer = conn
    got = 0
    while got < 65536:
        chunk = await reader.read(65536 - got)
        if not chunk:
            return "quit: stream ended after %d bytes" % got
        got += len(chunk)
    writer.close()
    return None


async def main():
    ap = client_parser("address", "source")
    ap.add_argument("--fast", type=int, default=0)
    ap.add_argument("--slow", type=int, default=0)
    ap.add_argument("--stall", type=int, default=0)
    ap.add_argument("--quit", type=int, default=0)
    ap.add_argument("--slow-expect", choices=["full", "prefix"], default="full")
    args = ap.parse_args()
    addr = parse_address(args.address)
    source = memoryview(open(args.source, "rb").read())  # slices compare without copying

    conns = {}
    for kind, count in (("fast", args.fast), ("slow", args.slow), ("stall", args.stall),
                        ("quit", args.quit)):
        conns[kind] = [await (connect_socket(addr, 4096) if kind == "stall" else connect(addr))
                       for _ in range(count)]
    others_done = asyncio.Event()
    others = ([asyncio.create_task(fast(c, source)) for c in conns["fast"]] +
              [asyncio.create_task(slow(c, source, args.slow_expect == "full")) for c in conns["slow"]] +
              [asyncio.create_task(quit_early(c)) for c in conns["quit"]])
    stalled = [asyncio.create_task(stall(c, source, others_done)) for c in conns["stall"]]
    try:
        results = await asyncio.wait_for(asyncio.gather(*others), args.timeout)
        others_done.set()
        stall_results = await asyncio.wait_for(asyncio.gather(*stalled), args.timeout)
    except asyncio.TimeoutError:
        print("timeout: clients did not finish in %s s" % args.timeout)
        return 1
    slow_results = results[args.fast:args.fast + args.slow]
    failed = [r for r in results + stall_results if r not in (None, "short")]
    for r in failed[:5]:
        print("client failed:", r)
    print("fast=%d slow_full=%d slow_short=%d stall_short=%d quit=%d failed=%d" % (
        sum(1 for r in results[:args.fast] if r is None),
        sum(1 for r in slow_results if r is None),
        sum(1 for r in slow_results if r == "short"),
        sum(1 for r in stall_results if r is None),
        sum(1 for r in results[args.fast + args.slow:] if r is None),
        len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
