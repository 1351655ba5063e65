"""What the Python test clients share: addresses, the command line they start from, and an
HTTP/1.1 response read off a raw socket. Imported by the scripts next to it (python3 puts a
script's own folder first on sys.path)."""
import argparse


def parse_address(text):
    """HOST:PORT, [V6]:PORT or :PORT (127.0.0.1) as (host, port)."""
    host, _, port = text.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def client_parser(*positional, timeout=60.0):
    """The command line of a client script: its positional arguments (ADDRESS first) and
    --timeout SECONDS (for the whole run); the script adds its own options."""
    p = argparse.ArgumentParser()
    for name in positional:
        p.add_argument(name)
    p.add_argument("--timeout", type=float, default=timeout)
    return p


def read_response(sock, buf=b"", head_only=False, strict=False):
    """One response from sock (buf: bytes already read): (status line, headers by lower-case
    name, body, what came after it), all bytes. A close before the whole response raises
    ValueError when `strict`; otherwise what arrived is returned."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            if strict:
                raise ValueError("closed before a response head (%d bytes)" % len(buf))
            break
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    length = 0 if head_only else int(headers.get(b"content-length", b"0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            if strict:
                raise ValueError("closed in the middle of a body")
            break
        rest += chunk
    return lines[0], headers, rest[:length], rest[length:]
