#!/usr/bin/env python3
"""A writer for the --follow tests: appends odd-sized pieces of random bytes to a file.

follow_writer.py FILE COUNT [SEED]: COUNT appends of 1..9999 bytes (a few of them empty), each
flushed by its own write(2), with no pause, so the follower sees the file grow while it copies;
then exits. The bytes are random, so a duplicated or skipped piece cannot go unnoticed by cmp.
"""
import os
import random
import sys

path, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
for i in range(count):
    n = rng.choice((0, 1, 2, 3, 511, 4095, 4097, 9999, rng.randrange(1, 10000)))
    data = rng.randbytes(n)
    while data:
        data = data[os.write(fd, data):]
    if i % 97 == 0:
        os.sched_yield()
os.close(fd)
