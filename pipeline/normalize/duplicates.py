"""Duplicates: the same text under two URLs or two sources (a joint statement, a republication).

A 64-bit simhash over word 3-shingles of the body; two bodies whose hashes differ in at most
MAX_DISTANCE bits are near-duplicates. Candidates come from an index of four 16-bit bands (two
hashes within 3 bits share at least one band), so a new post is compared with a handful of
stored ones, not all of them. Language versions are different texts, so never duplicates.

The hashing lives here; the look-up among stored posts is pipeline/store/duplicates.py.
"""

from __future__ import annotations

import re
import zlib

MAX_DISTANCE = 3
# Short texts (a refused page, a teaser) say too little to call two posts the same.
MIN_WORDS = 50
_WORD = re.compile(r"\w+")


def simhash(text: str) -> int | None:
    """Signed 64-bit simhash (SQLite integers are signed), None for texts too short to tell."""
    import numpy as np  # here: the writing process only compares stored hashes

    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS:
        return None
    threes = zip(words, words[1:], words[2:], strict=False)
    shingles = map(str.encode, map(" ".join, threes))
    # CRC-32 (C speed, stable across runs and machines), spread over 64 bits by splitmix64.
    digests = _mix(np.fromiter(map(zlib.crc32, shingles), np.uint64, len(words) - 2))
    # How many digests have each bit set: bytes in little-endian order, bits least first.
    bits = np.unpackbits(digests.astype("<u8").view(np.uint8), bitorder="little")
    ones = bits.reshape(-1, 64).sum(axis=0)
    majority = np.packbits(ones * 2 > len(digests), bitorder="little")  # bit 0 first
    value = int.from_bytes(majority.tobytes(), "little")
    return value - (1 << 64) if value >= 1 << 63 else value


def _mix(z):
    """splitmix64's finalizer, vectorized: every input bit moves about half the output bits."""
    import numpy as np

    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def bands(value: int) -> list[int]:
    unsigned = value & (1 << 64) - 1
    return [unsigned >> (16 * band) & 0xFFFF for band in range(4)]


def distance(a: int, b: int) -> int:
    return ((a ^ b) & (1 << 64) - 1).bit_count()
