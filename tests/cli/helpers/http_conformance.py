#!/usr/bin/env python3
"""RFC 9112 conformance of an HTTP/1.1 file server, request by request, over raw sockets and
Python's http.client: what `splice-net serve --http` must answer as nginx does (or more
strictly, where the RFC says so).

Usage: http_conformance.py HOST:PORT FILE [--only NAME...]
FILE is what the server serves, asked for as /NAME (its base name). Each case sends one request on a new
connection and checks the status line, and for an error: a text/html page whose length is its
Content-Length (none for HEAD), and "Connection: close". Prints one line per failure and
"N passed, N failed"; exits 1 if any failed.
"""
import argparse
import http.client
import os
import socket
import sys

import peers

TIMEOUT = 30


def read_response(sock, head_only=False):
    """One response from sock: (status line, headers dict, body bytes, rest), as text."""
    status, headers, body, rest = peers.read_response(sock, head_only=head_only)
    text = {name.decode(): value.decode() for name, value in headers.items()}
    return status.decode(errors="replace"), text, body, rest


def exchange(port, host, raw, head_only=False):
    """Sends raw bytes on a new connection; returns [(status line, headers, body)]."""
    with socket.create_connection((host, port), timeout=TIMEOUT) as s:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before it has read a long request
        status, headers, body, _ = read_response(s, head_only)
        return [(status, headers, body)]


# The path of the served file: "/" + its name (set by main).
PATH = b"/f"


def get(fields, target=None, method=b"GET", version=b"HTTP/1.1"):
    return method + b" " + (target or PATH) + b" " + version + b"\r\n" + fields + b"\r\n"


def cases():
    """name: (request bytes, expected status code)."""
    return {
        "two Host fields": (get(b"Host: a\r\nHost: b\r\n"), 400),
        "HTTP/1.1 without Host": (get(b""), 400),
        "empty Host": (get(b"Host:\r\n"), 400),
        "Host with a slash": (get(b"Host: a/b\r\n"), 400),
        "differing Content-Length": (get(b"Host: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n") + b"ab", 400),
        "Content-Length list": (get(b"Host: a\r\nContent-Length: 1, 2\r\n") + b"ab", 400),
        "Content-Length with a sign": (get(b"Host: a\r\nContent-Length: +1\r\n") + b"a", 400),
        "Content-Length and Transfer-Encoding":
            (get(b"Host: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n") + b"0\r\n\r\n", 400),
        "Transfer-Encoding in HTTP/1.0":
            (get(b"Transfer-Encoding: chunked\r\n", version=b"HTTP/1.0") + b"0\r\n\r\n", 400),
        "bare CR in a field": (get(b"Host: a\r\nX: a\rb\r\n"), 400),
        "NUL in a field": (get(b"Host: a\r\nX: a\x00b\r\n"), 400),
        "control in a field": (get(b"Host: a\r\nX: a\x01b\r\n"), 400),
        "escape in a field": (get(b"Host: a\r\nX: \x1b[2J\r\n"), 400),
        "DEL in a field": (get(b"Host: a\r\nX: a\x7fb\r\n"), 400),
        "whitespace before the colon": (get(b"Host: a\r\nX : b\r\n"), 400),
        "obs-fold": (get(b"Host: a\r\nX: b\r\n c\r\n"), 400),
        "whitespace before the first field": (get(b" Host: a\r\n"), 400),
        "field name not a token": (get(b"Host: a\r\nX(y): b\r\n"), 400),
        "GET *": (get(b"Host: a\r\n", target=b"*"), 400),
        "HEAD *": (get(b"Host: a\r\n", target=b"*", method=b"HEAD"), 400),
        "target not origin-form": (get(b"Host: a\r\n", target=b"f"), 400),
        "control in the target": (get(b"Host: a\r\n", target=b"/f\x01"), 400),
        "lower-case version": (get(b"Host: a\r\n", version=b"http/1.1"), 400),
        "HTTP/0.9 with a version": (get(b"Host: a\r\n", version=b"HTTP/0.9"), 400),
        "HTTP/2.0": (get(b"Host: a\r\n", version=b"HTTP/2.0"), 505),
        "unknown Transfer-Encoding": (get(b"Host: a\r\nTransfer-Encoding: gzip\r\n"), 501),
        "gzip then chunked": (get(b"Host: a\r\nTransfer-Encoding: gzip, chunked\r\n") + b"0\r\n\r\n", 501),
        "9 KB URL": (get(b"Host: a\r\n", target=PATH + b"?" + b"a" * 9000), 414),
        "20 KB URL": (get(b"Host: a\r\n", target=PATH + b"?" + b"a" * 20000), 414),
        "9 KB field": (get(b"Host: a\r\nX: " + b"a" * 9000 + b"\r\n"), 431),
        "40 KB head": (get(b"Host: a\r\n" + b"".join(b"X%d: %s\r\n" % (i, b"a" * 4000) for i in range(10))), 431),
        "POST": (get(b"Host: a\r\nContent-Length: 3\r\n", method=b"POST") + b"abc", 405),
        # Accepted: these must keep working.
        "plain GET": (get(b"Host: a\r\n"), 200),
        "HTTP/1.0 without Host": (get(b"", version=b"HTTP/1.0"), 200),
        "HTAB and obs-text in a value": (get(b"Host: a\r\nX: a\tb\xe9\r\n"), 200),
        "absolute-form": (get(b"Host: a\r\n", target=b"http://example.com" + PATH), 200),
        "8 KB URL": (get(b"Host: a\r\n", target=PATH + b"?" + b"a" * 8100), 200),
        "30 KB head": (get(b"Host: a\r\n" + b"".join(b"X%d: %s\r\n" % (i, b"a" * 4000) for i in range(7))), 200),
        "GET with a body": (get(b"Host: a\r\nContent-Length: 3\r\n") + b"abc", 200),
        "GET with a chunked body": (get(b"Host: a\r\nTransfer-Encoding: chunked\r\n") +
                                    b"3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n", 200),
        # A chunked body that does not parse, with its head: 400 (nginx: "client sent invalid
        # chunked body"), then the close.
        "chunk size not hex": (get(b"Host: a\r\nTransfer-Encoding: chunked\r\n") + b"zz\r\nabc\r\n0\r\n\r\n", 400),
        "chunk size too large": (get(b"Host: a\r\nTransfer-Encoding: chunked\r\n") + b"1" * 17 + b"\r\n", 400),
        "chunk without its line end": (get(b"Host: a\r\nTransfer-Encoding: chunked\r\n") + b"3\r\nabcX0\r\n\r\n", 400),
    }


def check_error_page(status, headers, body, head_only):
    problems = []
    if headers.get("content-type") != "text/html":
        problems.append("Content-Type %r" % headers.get("content-type"))
    if headers.get("connection") != "close":
        problems.append("Connection %r" % headers.get("connection"))
    length = int(headers.get("content-length", "-1"))
    if head_only:
        if length <= 0:
            problems.append("HEAD: Content-Length %d" % length)
    else:
        if length != len(body) or b"<html>" not in body or status.split(" ", 1)[1].encode() not in body:
            problems.append("page %r (Content-Length %d)" % (body[:80], length))
    return problems


def run_case(args, host, port, raw, want):
    head_only = raw.startswith(b"HEAD ")
    (status, headers, body), = exchange(port, host, raw, head_only)
    problems = []
    if not status.startswith("HTTP/1.1 %d " % want):
        problems.append("status %r, want %d" % (status, want))
    elif want >= 400:
        problems += check_error_page(status, headers, body, head_only)
    elif body != args.content:
        problems.append("body of %d bytes, not the file" % len(body))
    return problems


def case_smuggled_body(host, port, content):
    """A Content-Length body that holds a request is thrown away, not answered."""
    smuggled = b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"
    raw = (get(b"Host: a\r\nContent-Length: %d\r\n" % len(smuggled)) + smuggled +
           get(b"Host: a\r\nConnection: close\r\n", target=PATH + b"?next"))
    with socket.create_connection((host, port), timeout=TIMEOUT) as s:
        s.sendall(raw)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    count = data.count(b"HTTP/1.1 200 OK\r\n")
    return [] if count == 2 and data.count(b"HTTP/1.1 ") == 2 else ["%d responses: %r" % (count, data[:200])]


def case_expect_continue(host, port, content):
    """100 before the response to an accepted request; the body then goes and is dropped."""
    with socket.create_connection((host, port), timeout=TIMEOUT) as s:
        s.sendall(get(b"Host: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n"))
        first = s.recv(25)
        while len(first) < 25:
            more = s.recv(25 - len(first))
            if not more:
                break
            first += more
        if first != b"HTTP/1.1 100 Continue\r\n\r\n":
            return ["first bytes %r" % first]
        s.sendall(b"hello")
        status, headers, body, _ = read_response(s)
        if not status.startswith("HTTP/1.1 200 ") or body != content:
            return ["after 100: %r" % status]
    return []


def case_expect_refused(host, port, content):
    """A refused request gets its final status, no 100, and the connection closes."""
    (status, headers, body), = exchange(
        port, host, get(b"Host: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n", method=b"PUT"))
    if not status.startswith("HTTP/1.1 405 ") or headers.get("connection") != "close":
        return ["%r %r" % (status, headers)]
    return []


def case_http_client(host, port, content):
    """Python's http.client: keep-alive over several requests, a HEAD, a range."""
    c = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    problems = []
    for _ in range(3):
        c.request("GET", PATH.decode())
        r = c.getresponse()
        if r.status != 200 or r.read() != content:
            problems.append("GET: %d" % r.status)
    c.request("HEAD", PATH.decode())
    r = c.getresponse()
    if r.status != 200 or r.read() != b"" or r.getheader("Content-Length") != str(len(content)):
        problems.append("HEAD: %d" % r.status)
    c.request("GET", PATH.decode(), headers={"Range": "bytes=1-3"})
    r = c.getresponse()
    if r.status != 206 or r.read() != content[1:4]:
        problems.append("Range: %d" % r.status)
    c.request("GET", PATH.decode(), headers={"X-Bad": "a\x01b"})  # http.client checks only CR/LF
    r = c.getresponse()
    if r.status != 400 or r.getheader("Content-Type") != "text/html" or b"400 Bad Request" not in r.read():
        problems.append("control in a field via http.client: %d" % r.status)
    c.close()
    return problems


def case_chunked_keep_alive(host, port, content):
    """A chunked request body (http.client's encode_chunked) is decoded and thrown away: the
    connection stays open for the next request, whose response is the file (nginx does so)."""
    c = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    problems = []
    body = [b"x" * 5000, b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n", b"y" * 70000]
    c.request("GET", PATH.decode(), body=iter(body), encode_chunked=True)
    first = c.sock
    r = c.getresponse()
    if r.status != 200 or r.read() != content or r.will_close:
        problems.append("first: %d, will_close %s" % (r.status, r.will_close))
    c.request("GET", PATH.decode())
    r = c.getresponse()
    if r.status != 200 or r.read() != content:
        problems.append("second: %d" % r.status)
    if c.sock is not first:
        problems.append("the connection was not kept")
    c.close()
    return problems


def case_chunked_pipelined(host, port, content):
    """Two requests with chunked bodies and a third without, sent at once: three responses,
    nothing from the bodies answered."""
    chunked = get(b"Host: a\r\nTransfer-Encoding: chunked\r\n")
    raw = (chunked + b"23\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n\r\n0\r\n\r\n" +
           chunked + b"1\r\nz\r\n0\r\n\r\n" +
           get(b"Host: a\r\nConnection: close\r\n", target=PATH + b"?last"))
    with socket.create_connection((host, port), timeout=TIMEOUT) as s:
        s.sendall(raw)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    count = data.count(b"HTTP/1.1 200 OK\r\n")
    return [] if count == 3 and data.count(b"HTTP/1.1 ") == 3 else ["%d responses: %r" % (count, data[:300])]


SPECIAL = {
    "chunked body, connection kept (http.client)": case_chunked_keep_alive,
    "chunked bodies pipelined": case_chunked_pipelined,
    "body never parsed as a request": case_smuggled_body,
    "Expect: 100-continue": case_expect_continue,
    "Expect refused": case_expect_refused,
    "http.client keep-alive, HEAD, Range, bad field": case_http_client,
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("address")
    p.add_argument("file")
    p.add_argument("--only", nargs="*", default=None)
    args = p.parse_args()
    host, port = peers.parse_address(args.address)
    args.content = open(args.file, "rb").read()
    global PATH
    PATH = b"/" + os.path.basename(args.file).encode()
    CASES = cases()
    passed = failed = 0
    names = list(CASES) + list(SPECIAL)
    for name in names:
        if args.only is not None and name not in args.only:
            continue
        try:
            if name in CASES:
                problems = run_case(args, host, port, *CASES[name])
            else:
                problems = SPECIAL[name](host, port, args.content)
        except (OSError, ValueError, http.client.HTTPException) as e:
            problems = ["%s: %s" % (type(e).__name__, e)]
        if problems:
            failed += 1
            print("FAIL %s: %s" % (name, "; ".join(problems)))
        else:
            passed += 1
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
