"""Duplicates: the same text under two URLs or two sources (a joint statement, a republication).

Two hashes of the body's word 3-shingles:
- a 64-bit simhash: bodies whose hashes differ in at most MAX_DISTANCE bits are near-duplicates.
  Candidates come from four 16-bit bands (two hashes within 3 bits share at least one band). It
  only finds copies that are nearly whole: one changed word in a hundred already moves more bits.
- a MinHash signature (datasketch, NUM_PERM 32-bit minimums): the share of equal minimums
  estimates the Jaccard similarity of the two shingle sets, so copies with a sentence added, a
  few words changed or paragraphs moved are found; at least MIN_JACCARD makes a near-duplicate.
  Its BANDS bands of ROWS minimums each are hashed into buckets: two signatures that agree on a
  whole band are candidates (locality-sensitive hashing), so a new post is compared with a
  handful of stored ones, not all of them.
Language versions are different texts, so never duplicates; the store also skips candidates in
another language (a translation quoting names and figures shares a few shingles).

The hashing lives here; the look-up among stored posts is pipeline/store/duplicates.py.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import sys
import zlib
from functools import cache

MAX_DISTANCE = 3
# Short texts (a refused page, a teaser) say too little to call two posts the same.
MIN_WORDS = 50
_WORD = re.compile(r"\w+")

NUM_PERM = 128
# 32 bands of 4: two bodies of Jaccard 0.6 share a band with probability 0.99, of 0.3 with 0.23
# (then their signatures tell them apart), of 0.05 almost never.
BANDS, ROWS = 32, 4
# Same-template posts of one series (two meetings' reports around the same boilerplate) stay
# well under it; a copy with 5 % of its words changed stays above (tests/gold/near_duplicates).
MIN_JACCARD = 0.6
# The permutations' seed: stored signatures are only comparable with the same one.
SEED = 19


def shingles(text: str) -> list[bytes] | None:
    """The body's word 3-shingles, lowercased; None for texts too short to tell."""
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS:
        return None
    return list(map(str.encode, map(" ".join, zip(words, words[1:], words[2:], strict=False))))


def simhash(text: str) -> int | None:
    """Signed 64-bit simhash (SQLite integers are signed), None for texts too short to tell."""
    import numpy as np  # here: the writing process only compares stored hashes

    found = shingles(text)
    if found is None:
        return None
    # CRC-32 (C speed, stable across runs and machines), spread over 64 bits by splitmix64.
    digests = _mix(np.fromiter(map(zlib.crc32, found), np.uint64, len(found)))
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


@cache
def _minhash_class():
    """datasketch's MinHash, loaded without the package's `__init__`: that one imports every
    sketch of the package, its LSH classes and through them SciPy, which took longer than a
    crawl's first hundred posts in every process that writes (we keep our own bands in SQLite
    and use none of them). The placeholder package is removed at once, so that a later `import
    datasketch` runs the whole package as usual, with this same module."""
    if "datasketch" in sys.modules:
        return sys.modules["datasketch"].MinHash
    try:
        spec = importlib.util.find_spec("datasketch")
        sys.modules["datasketch"] = importlib.util.module_from_spec(spec)
        try:
            return importlib.import_module("datasketch.minhash").MinHash
        finally:
            del sys.modules["datasketch"]
    except (ImportError, AttributeError):  # another layout of the package: the usual way
        from datasketch import MinHash

        return MinHash


@cache
def _permutations():
    """The NUM_PERM permutations, drawn once per process (drawing them costs more than a post)."""
    return _minhash_class()(num_perm=NUM_PERM, seed=SEED, scheme="affine32").permutations


def signature(text: str) -> bytes | None:
    """The body's MinHash: NUM_PERM little-endian 32-bit minimums (a BLOB of 4 * NUM_PERM
    bytes), None for texts too short to tell. CRC-32 hashes the shingles: datasketch's default
    SHA-1 costs twice as much per post and datasketch's affine32 scheme mixes the hash anyway."""
    found = shingles(text)
    if found is None:
        return None
    minhash = _minhash_class()(
        num_perm=NUM_PERM, permutations=_permutations(), scheme="affine32", hashfunc=zlib.crc32
    )
    minhash.update_batch(found)
    return minhash.hashvalues.astype("<u4").tobytes()


def buckets(value: bytes) -> list[int]:
    """The signature's BANDS buckets: each band's ROWS minimums hashed to a signed 64-bit
    integer (SQLite's), the band's number mixed in so that bands never share a bucket."""
    size = 4 * ROWS
    return [
        int.from_bytes(
            hashlib.blake2b(
                value[i * size : (i + 1) * size], digest_size=8, salt=bytes([i])
            ).digest(),
            "little",
            signed=True,
        )
        for i in range(BANDS)
    ]


def jaccard(a: bytes, b: bytes) -> float:
    """The Jaccard similarity of two bodies' shingles as their signatures estimate it."""
    import numpy as np

    return float(np.count_nonzero(np.frombuffer(a, "<u4") == np.frombuffer(b, "<u4")) / NUM_PERM)


def match(
    simhash_a: int | None,
    signature_a: bytes | None,
    simhash_b: int | None,
    signature_b: bytes | None,
) -> tuple[float, str] | None:
    """(similarity, method) when the two bodies are near-duplicates, else None. The similarity
    is the estimated Jaccard where both have signatures (1 minus the share of differing simhash
    bits otherwise); the method says which hash found it, MinHash first."""
    similarity = jaccard(signature_a, signature_b) if signature_a and signature_b else None
    if similarity is not None and similarity >= MIN_JACCARD:
        return round(similarity, 3), "minhash"
    if simhash_a is None or simhash_b is None:
        return None
    bits = distance(simhash_a, simhash_b)
    if bits > MAX_DISTANCE:
        return None
    return round(1 - bits / 64 if similarity is None else similarity, 3), "simhash"
