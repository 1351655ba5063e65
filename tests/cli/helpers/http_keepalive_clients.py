#!/usr/bin/env python3
"""Many concurrent keep-alive HTTP clients: all connected at once, each making several requests
on its one connection, every body checked.

Usage: http_keepalive_clients.py HOST:PORT FILE [--clients N] [--requests R] [--timeout S]
Raises its own RLIMIT_NOFILE to the hard limit (N sockets need N descriptors). Every client
connects and makes its first request; only when every client has its first response (so all N
connections are open in the server at once) do they make the other R-1 (the last with
"Connection: close") and check that the server then closes. FILE is asked for as /NAME.
Prints "ok=N failed=M" and exits 1 if any failed or the run took longer than --timeout.
"""
import asyncio
import os
import resource
import sys

import peers


async def response(reader, expect):
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200 "):
        raise ValueError("status %r" % head[:40])
    if b"\r\nContent-Length: %d\r\n" % len(expect) not in head:
        raise ValueError("head %r" % head)
    body = await reader.readexactly(len(expect))
    if body != expect:
        raise ValueError("body differs")
    return head


async def client(host, port, path, expect, requests, all_first, count_first, n):
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    try:
        for i in range(requests):
            last = i == requests - 1
            writer.write(b"GET %s HTTP/1.1\r\nHost: t\r\n%s\r\n" % (path, b"Connection: close\r\n" if last else b""))
            await writer.drain()
            head = await response(reader, expect)
            if i == 0:
                count_first[0] += 1
                if count_first[0] == n:
                    all_first.set()
                await all_first.wait()
            if not last and b"Connection: keep-alive" not in head:
                raise ValueError("closed early")
        if await reader.read(1) != b"":
            raise ValueError("data after the last response")
        return None
    except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
        all_first.set()  # one failure must not leave the others waiting for ever
        return "%s: %s" % (type(e).__name__, e)
    finally:
        writer.close()


async def main():
    p = peers.client_parser("address", "file", timeout=120)
    p.add_argument("--clients", type=int, default=100)
    p.add_argument("--requests", type=int, default=3)
    a = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    host, port = peers.parse_address(a.address)
    expect = open(a.file, "rb").read()
    path = b"/" + os.path.basename(a.file).encode()
    all_first, count_first = asyncio.Event(), [0]
    tasks = [client(host, port, path, expect, a.requests, all_first,
                    count_first, a.clients) for _ in range(a.clients)]
    try:
        results = await asyncio.wait_for(asyncio.gather(*tasks), a.timeout)
    except asyncio.TimeoutError:
        print("timed out after %g s (%d of %d clients had a first response)" % (a.timeout, count_first[0], a.clients))
        sys.exit(1)
    failed = [r for r in results if r]
    print("ok=%d failed=%d" % (len(results) - len(failed), len(failed)))
    for r in sorted(set(failed))[:5]:
        print("  " + r)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    asyncio.run(main())
