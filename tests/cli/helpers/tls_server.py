#!/usr/bin/env python3
"""A TLS server peer (Python's ssl, OpenSSL underneath) for the relay --tls-target tests.

Usage: tls_server.py CERT KEY MODE [--send FILE] [--got FILE]
  Listens on 127.0.0.1:0 and prints "listening PORT"; accepts one connection and, by MODE:
    answer: reads to the client's close_notify (into --got), then sends FILE and its own
            close_notify (a TLS 1.3 half-close each way); prints "eof N" after reading N bytes.
    cut:    sends FILE at once, then closes the TCP connection without close_notify (a
            truncation the relay must pass on as a reset); reads nothing.
  Reading ends with "eof N" (close_notify), or "error N: WHY" (a reset, a close without
  close_notify); the exit status is 0 only after "eof".
"""
import argparse
import socket
import ssl
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cert")
    p.add_argument("key")
    p.add_argument("mode", choices=["answer", "cut"])
    p.add_argument("--send")
    p.add_argument("--got")
    a = p.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    print("listening", ls.getsockname()[1], flush=True)
    raw, _ = ls.accept()
    raw.settimeout(30)
    # suppress_ragged_eofs=False: a close without close_notify is an error, not end of file.
    s = ctx.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False)
    if a.mode == "cut":
        with open(a.send, "rb") as f:
            s.sendall(f.read())
        raw.close()  # no close_notify: Python's close() sends none
        return 0
    got = bytearray()
    status = 0
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        print("eof", len(got), flush=True)
    except (OSError, ssl.SSLError) as e:
        print("error %d: %s" % (len(got), e), flush=True)
        status = 1
    if a.got:
        with open(a.got, "wb") as f:
            f.write(got)
    if status == 0 and a.send:
        with open(a.send, "rb") as f:
            s.sendall(f.read())
        s.unwrap()  # close_notify (the client's came already)
    raw.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
