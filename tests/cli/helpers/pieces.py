#!/usr/bin/env python3
"""pieces.py FILE: FILE on standard output in writes of random sizes (0 to three 64 KiB sealed
chunks), as a socket or a producer hands a stream over. The sizes are reproducible: seeded by the
file's length."""
import os
import random
import sys

data = open(sys.argv[1], "rb").read()
rng, at = random.Random(len(data)), 0
try:
    while at < len(data):
        n = rng.randint(0, 3 * 65552)
        os.write(1, data[at:at + n])
        at += n
except BrokenPipeError:  # the reader refused the stream before its end
    pass
