#!/usr/bin/env python3
"""One HTTP request by http.client, with any header fields; prints "STATUS BODY-LENGTH".

Usage: http_get.py HOST:PORT PATH [--method M] [--twice] [--body-to FILE] [--headers-to FILE] ["Name: value"]...
  --twice: the same request again on the same connection (prints both), proving that the
  connection survived the first answer. --body-to / --headers-to write the (last) body and
  the response's header block to FILE.
"""
import http.client
import sys


def main():
    args = sys.argv[1:]
    host, _, port = args.pop(0).rpartition(":")
    path = args.pop(0)
    method, twice, body_to, headers_to, fields = "GET", False, None, None, []
    while args:
        a = args.pop(0)
        if a == "--method":
            method = args.pop(0)
        elif a == "--twice":
            twice = True
        elif a == "--body-to":
            body_to = args.pop(0)
        elif a == "--headers-to":
            headers_to = args.pop(0)
        else:
            name, _, value = a.partition(":")
            fields.append((name.strip(), value.strip()))
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    out = []
    for _ in range(2 if twice else 1):
        c.putrequest(method, path, skip_accept_encoding=True)
        for name, value in fields:
            c.putheader(name, value)
        c.endheaders()
        r = c.getresponse()
        body = r.read()
        out += [str(r.status), str(len(body))]
        if body_to:
            with open(body_to, "wb") as f:
                f.write(body)
        if headers_to:
            with open(headers_to, "w") as f:
                f.write(str(r.msg))
    print(" ".join(out))


if __name__ == "__main__":
    main()
