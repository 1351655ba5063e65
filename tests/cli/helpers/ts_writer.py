#!/usr/bin/env python3
"""A recorder for the serve --follow tests: appends a synthetic MPEG-TS stream to a file.

ts_writer.py FILE COUNT [GATE]: COUNT appends of odd sizes (1..4999 bytes, cutting packets
anywhere) of a stream of 188-byte transport packets (sync byte 0x47, PID 0x100, a continuity
counter, random payload), each by its own write(2) on one descriptor held open throughout.
With GATE, a quarter of the appends are written first, then the writer waits (at most 60 s)
until the file GATE exists, so followers join a recording in progress; then the rest; then it
completes the last packet, closes the file and exits. Random payload: a duplicated or skipped piece cannot pass cmp.
"""
import os
import random
import sys
import time

path, count = sys.argv[1], int(sys.argv[2])
gate = sys.argv[3] if len(sys.argv) > 3 else None
rng = random.Random(188)


def packets():
    cc = 0
    while True:
        yield bytes((0x47, 0x01, 0x00, 0x10 | cc)) + rng.randbytes(184)
        cc = (cc + 1) % 16


stream = packets()
pending = b""
fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
for i in range(count):
    if gate and i == count // 4:
        for _ in range(1200):
            if os.path.exists(gate):
                break
            time.sleep(0.05)
    n = rng.choice((1, 187, 188, 189, 1316, 4095, rng.randrange(1, 5000)))
    while len(pending) < n:
        pending += next(stream)
    data, pending = pending[:n], pending[n:]
    while data:
        data = data[os.write(fd, data):]
    if i % 53 == 0:
        os.sched_yield()
while pending:  # the rest of the last packet: a recording ends on a packet boundary
    pending = pending[os.write(fd, pending):]
os.close(fd)
