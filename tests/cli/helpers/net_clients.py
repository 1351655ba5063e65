#!/usr/bin/env python3
"""Many concurrent clients for `splice-net serve`, each checking every byte it gets.

Usage: net_clients.py ADDRESS FILE [--clients N] [--http] [--header TEXT] [--slow N]
                      [--stall N] [--hold SECONDS] [--timeout SECONDS]
ADDRESS is host:port, [v6]:port or unix:/path.
  --clients N  normal clients: read as fast as they can; each must receive the header (or a
               valid HTTP 200 head) followed by exactly FILE's bytes.
  --slow N     extra clients that read 4 KiB at a time with a pause: must complete too.
  --stall N    extra clients that connect and never read until every other client is done:
               proves a stalled client never holds the others up.
  --hold S     every client connects first, then waits S seconds before reading (fills the
               server's descriptor table for the EMFILE test).
Prints "ok=N failed=M" and exits 1 if any client failed or the run exceeded --timeout.
"""
import os
import asyncio
import hashlib
import sys

import peers


def parse_address(text):
    if text.startswith("unix:"):
        return ("unix", text[5:])
    return ("tcp",) + peers.parse_address(text)


async def connect(addr):
    if addr[0] == "unix":
        return await asyncio.open_unix_connection(addr[1], limit=1 << 20)
    return await asyncio.open_connection(addr[1], addr[2], limit=1 << 20)


async def client(addr, args, expect, slow, connected, start):
    reader, writer = await connect(addr)
    connected.release()
    await start.wait()
    if args.http:
        # serve --http serves FILE by its name
        name = os.path.basename(args.file).encode()
        writer.write(b"GET /" + name + b" HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        await writer.drain()
    data = bytearray()
    while True:
        chunk = await reader.read(4096 if slow else 1 << 20)
        if not chunk:
            break
        data += chunk
        if slow:
            await asyncio.sleep(0.001)
    writer.close()
    if args.http:
        head, sep, body = bytes(data).partition(b"\r\n\r\n")
        if not sep or not head.startswith(b"HTTP/1.1 200 "):
            return "bad head: %r" % head[:80]
        if b"\r\nContent-Length: %d\r\n" % len(expect[1]) not in head + b"\r\n":
            return "bad Content-Length: %r" % head
        data = body
    else:
        prefix = args.header.encode()
        if not data.startswith(prefix):
            return "missing header"
        data = data[len(prefix):]
    if len(data) != len(expect[1]) or hashlib.sha256(data).digest() != expect[0]:
        return "got %d bytes, want %d (or content differs)" % (len(data), len(expect[1]))
    return None


async def stalled(addr, done):
    reader, writer = await connect(addr)
    await done.wait()
    writer.close()
    return None


async def main():
    ap = peers.client_parser("address", "file")
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--http", action="store_true")
    ap.add_argument("--header", default="")
    ap.add_argument("--slow", type=int, default=0)
    ap.add_argument("--stall", type=int, default=0)
    ap.add_argument("--hold", type=float, default=0.0)
    args = ap.parse_args()
    addr = parse_address(args.address)
    content = open(args.file, "rb").read()
    expect = (hashlib.sha256(content).digest(), content)

    done = asyncio.Event()
    stall_tasks = [asyncio.create_task(stalled(addr, done)) for _ in range(args.stall)]
    await asyncio.sleep(0)
    total = args.clients + args.slow
    connected = asyncio.Semaphore(0)
    start = asyncio.Event()
    tasks = [asyncio.create_task(client(addr, args, expect, i >= args.clients, connected, start))
             for i in range(total)]
    if args.hold > 0:
        for _ in range(total):
            await connected.acquire()
        await asyncio.sleep(args.hold)
    start.set()
    try:
        results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), args.timeout)
    except asyncio.TimeoutError:
        print("timeout: clients did not finish in %s s" % args.timeout)
        return 1
    # Every normal and slow client finished while the stalled ones still held their sockets.
    stalled_open = sum(1 for t in stall_tasks if not t.done())
    done.set()
    await asyncio.gather(*stall_tasks, return_exceptions=True)
    failed = [r for r in results if r is not None]
    for r in failed[:5]:
        print("client failed:", r)
    print("ok=%d failed=%d stalled_open=%d" % (total - len(failed), len(failed), stalled_open))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
