#!/usr/bin/env python3
"""An independent hw-encrypt stream decoder, written from docs/stream-format.md alone.

Usage: hw_encrypt_decode.py (--key FILE | --passphrase FILE) [--context STRING] [IN]
Writes the plaintext to standard output only after the whole stream verified; exits 0 when it
did, 2 (with a reason on stderr) when it did not. It shares no code with hw-encrypt: if the spec
and the implementation ever disagree, the tests that use it fail.
"""
import argparse
import hashlib
import hmac
import string
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"\x89HWENC\r\n"


def fail(why):
    print("hw_encrypt_decode: " + why, file=sys.stderr)
    sys.exit(2)


def hkdf(ikm, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def load_key(path):
    data = open(path, "rb").read()
    if len(data) == 32:
        return data
    text = data.strip()
    if len(text) == 64 and all(chr(c) in string.hexdigits for c in text):
        return bytes.fromhex(text.decode())
    fail("key file must hold 32 bytes or 64 hex digits")


def load_passphrase(path):
    return open(path, "rb").read().split(b"\n", 1)[0].rstrip(b"\r")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key")
    ap.add_argument("--passphrase")
    ap.add_argument("--context")
    ap.add_argument("input", nargs="?", default="-")
    a = ap.parse_args()
    data = sys.stdin.buffer.read() if a.input == "-" else open(a.input, "rb").read()

    if len(data) < 12 or data[:8] != MAGIC:
        fail("bad magic")
    version, algorithm, chunk_log2, source = data[8], data[9], data[10], data[11]
    if version not in (1, 2) or algorithm != 1:
        fail("unknown version or algorithm")
    if (version == 2) != (a.context is not None):
        fail("version 2 streams, and only they, need --context")
    if not 10 <= chunk_log2 <= 20:
        fail("bad chunk size")
    salt = data[12:44]
    if source == 1:
        if a.key is None:
            fail("a key stream needs --key")
        ikm = load_key(a.key)
        body_end = 44
    elif source == 2:
        if a.passphrase is None:
            fail("a passphrase stream needs --passphrase")
        log2_n, r, p = data[44], data[45], data[46]
        if (r, p) != (8, 1) or not 10 <= log2_n <= 20:
            fail("scrypt parameters out of range")
        ikm = hashlib.scrypt(load_passphrase(a.passphrase), salt=salt, n=1 << log2_n, r=r, p=p,
                             maxmem=(1 << 31) - 1, dklen=32)
        body_end = 47
    else:
        fail("bad key source")
    if len(data) < body_end + 32:
        fail("truncated header")
    if version == 1:
        header_key = hkdf(ikm, salt, b"hw-encrypt v1 header")
        payload_key = hkdf(ikm, salt, b"hw-encrypt v1 payload")
    else:
        context = a.context.encode()
        header_key = hkdf(ikm, salt, b"hw-encrypt v2 header\x00" + context)
        payload_key = hkdf(ikm, salt, b"hw-encrypt v2 payload\x00" + context)
    mac = hmac.new(header_key, data[:body_end], hashlib.sha256).digest()
    if not hmac.compare_digest(mac, data[body_end:body_end + 32]):
        fail("wrong key or modified header")

    aead = AESGCM(payload_key)
    sealed = (1 << chunk_log2) + 16
    payload = data[body_end + 32:]
    if not payload:
        fail("no chunks")
    out = []
    i = 0
    pos = 0
    while True:
        piece = payload[pos:pos + sealed]
        last = pos + len(piece) == len(payload)
        if len(piece) < 16:
            fail("cut inside chunk %d" % i)
        nonce = i.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
        try:
            out.append(aead.decrypt(nonce, piece, None))
        except InvalidTag:
            fail("chunk %d failed authentication" % i)
        if last:
            if len(piece) == 16 and i > 0:
                fail("empty last chunk after full ones")
            break
        pos += sealed
        i += 1
    sys.stdout.buffer.write(b"".join(out))


if __name__ == "__main__":
    main()
