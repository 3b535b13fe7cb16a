"""Benchmark: near-duplicates' hashing beside normalization, and the look-up among many posts.

Two parts, in one run:
- hashing: per snapshot article, `normalize()` (which computes the simhash), the simhash alone,
  and the MinHash signature with its bucket hashes (what the writer adds per post), each timed;
  the signature's median is reported as a share of normalization's.
- look-up: a SQLite file with the schema of `stdnews migrate` holding N posts' indexes (random
  signatures, buckets and simhash bands, written band by band in key order so that building
  1,000,000 takes a minute or two), then every snapshot body stored as an original (through the
  store's index_post) and a copy of each with 5 % of its words changed looked up (candidates
  through the bands, then compared) and written (index_post: look-up, links, bands). Reports
  the look-up's and the write's median and p95, the candidates per look-up, the copies found,
  and the file's size. The OS page cache is warm (the file was just written): a cold cache adds
  the disk's seeks, one per band.

    .venv/bin/python bench/duplicates.py [--posts N ...] [--repeat R]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import results  # noqa: E402
from normalize import snapshot_pages, timed  # noqa: E402

from pipeline.normalize import duplicates  # noqa: E402
from pipeline.normalize import evaluate_duplicates as near  # noqa: E402
from pipeline.normalize.post import normalize  # noqa: E402
from pipeline.normalize.sources import source_for_url  # noqa: E402
from pipeline.store import duplicates as index  # noqa: E402
from pipeline.store import open_db  # noqa: E402

# The signature and its buckets: at most this share of normalization's median per post.
HASH_SHARE = 0.2
LOOKUP_P95_MS = 10.0
CHUNK = 100_000
SEEN = "2026-01-01T00:00:00+00:00"


def hashing(pages: list[tuple[str, str]], repeat: int) -> tuple[dict, list[str]]:
    """Per-post milliseconds of normalize, the simhash and the signature; the bodies."""
    items = [{"url": u, "html": h, "source": source_for_url(u).id} for u, h in pages]
    texts = [normalize(item).text for item in items]  # warms the caches, gives the bodies
    texts = [t for t in texts if duplicates.simhash(t) is not None]
    norm, sim, sig = [], [], []
    for _ in range(repeat):
        for item in items:
            norm.append(timed(normalize, item))
        for text in texts:
            sim.append(timed(duplicates.simhash, text))
            sig.append(timed(lambda t: duplicates.buckets(duplicates.signature(t)), text))
    medians = [statistics.median(v) for v in (norm, sim, sig)]
    figures = {
        "normalize_median_ms": round(medians[0], 2),
        "simhash_median_ms": round(medians[1], 3),
        "minhash_median_ms": round(medians[2], 3),
        "minhash_p95_ms": round(results.percentile(sig, 0.95), 3),
        "minhash_share_of_normalize": round(medians[2] / medians[0], 3),
        "bodies": len(texts),
        "median_words": statistics.median(len(t.split()) for t in texts),
    }
    return figures, texts


def post_id(i: int) -> str:
    return f"{i:016x}"


def build(path: Path, posts: int, seed: int) -> float:
    """N posts with random indexes in a fresh database; returns the seconds it took. Written
    without a journal (a throwaway file): WAL would write every page twice."""
    started = time.perf_counter()
    open_db(path).close()  # the schema of `stdnews migrate`
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = delete", "journal_mode = off", "synchronous = off"):
        conn.execute(f"pragma {pragma}")
    conn.execute("pragma cache_size = -1000000")  # 1 GB: the indexes being built stay in memory
    for (name,) in conn.execute("select name from sqlite_master where type = 'trigger'").fetchall():
        conn.execute(f"drop trigger {name}")  # search indexes: not what is measured here
    rng = np.random.default_rng(seed)
    conn.execute("begin")
    ids = np.array([post_id(i) for i in range(posts)])
    simhashes = rng.integers(-(2**63), 2**63 - 1, posts, dtype=np.int64)
    for start in range(0, posts, CHUNK):
        chunk = ids[start : start + CHUNK].tolist()
        conn.executemany(
            "insert into posts (id, source, url, title, first_seen, simhash, language, "
            "story_id) values (?, 'iso', ?, 'A post', ?, ?, 'en', ?)",
            [
                (p, f"https://bench.test/{p}", SEEN, h, p)
                for p, h in zip(chunk, simhashes[start : start + CHUNK].tolist(), strict=True)
            ],
        )
        signatures = rng.integers(0, 2**32, (len(chunk), duplicates.NUM_PERM), dtype=np.uint32)
        conn.executemany(
            "insert into minhash_signatures (post_id, signature) values (?, ?)",
            zip(chunk, map(bytes, signatures.astype("<u4")), strict=True),
        )
    unsigned = simhashes.view(np.uint64)
    for band in range(4):  # as duplicates.bands() cuts them, in the index's order
        values = (unsigned >> np.uint64(16 * band) & np.uint64(0xFFFF)).astype(np.int64)
        order = np.argsort(values, kind="stable")
        conn.executemany(
            "insert into simhash_bands (post_id, band, value) values (?, ?, ?)",
            zip(ids[order].tolist(), [band] * posts, values[order].tolist(), strict=True),
        )
    for band in range(duplicates.BANDS):  # in key order: the B-tree only grows at its end
        buckets = rng.integers(-(2**63), 2**63 - 1, posts, dtype=np.int64)
        order = np.argsort(buckets)
        conn.executemany(
            "insert into minhash_bands (band, bucket, post_id) values (?, ?, ?)",
            zip([band] * posts, buckets[order].tolist(), ids[order].tolist(), strict=True),
        )
    conn.execute("commit")
    conn.execute("analyze")
    conn.close()
    return time.perf_counter() - started


def lookups(path: Path, texts: list[str], seed: int) -> dict:
    """Originals written, then a changed copy of each looked up and written."""
    db = open_db(path)
    rng = random.Random(seed)
    pool = sorted({w for t in texts for w in t.split() if w.isalpha() and len(w) > 3})
    with db.conn:
        for n, text in enumerate(texts):
            row = original_row(db, f"original-{n}", text, SEEN)
            index.index_post(db, row)
    looked, written, candidates, found = [], [], [], 0
    with db.conn:
        for n, text in enumerate(texts):
            copy = near.replaced(text, 0.05, rng, pool)
            row = original_row(db, f"copy-{n}", copy, "2026-02-01T00:00:00+00:00")
            post = index.from_row(row)
            start = time.perf_counter()
            matched = index.matches(db, post)
            looked.append((time.perf_counter() - start) * 1000)
            candidates.append(len(index.candidates(db, post)))
            written.append(timed(index.index_post, db, row))
            found += any(other.id == f"original-{n}" for other, _ in matched)
    db.close()
    return {
        "lookup_median_ms": round(statistics.median(looked), 2),
        "lookup_p95_ms": round(results.percentile(looked, 0.95), 2),
        "index_post_median_ms": round(statistics.median(written), 2),
        "index_post_p95_ms": round(results.percentile(written, 0.95), 2),
        "candidates_median": statistics.median(candidates),
        "candidates_max": max(candidates),
        "copies_found": f"{found}/{len(texts)}",
    }


def original_row(db, pid: str, text: str, seen: str) -> dict:
    """A `posts` row written as the store writes one, before index_post."""
    row = {
        "id": pid,
        "source": "iso",
        "url": f"https://bench.test/{pid}",
        "title": "A post",
        "first_seen": seen,
        "simhash": duplicates.simhash(text),
        "language": "en",
        "story_id": pid,
        "text": text,
    }
    db.execute(
        "insert into posts (id, source, url, title, first_seen, simhash, language, story_id, "
        "text) values (:id, :source, :url, :title, :first_seen, :simhash, :language, "
        ":story_id, :text)",
        row,
    )
    return row


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--posts", type=int, action="append", help="posts in the index (repeatable; 1,000,000)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timings per page (default 3)")
    args = parser.parse_args(argv)
    figures, texts = hashing(snapshot_pages(), args.repeat)
    share = figures["minhash_share_of_normalize"]
    rows = [
        results.result(
            "duplicates/hashing",
            figures,
            f"minhash <= {HASH_SHARE:.0%} of normalize's median",
            share <= HASH_SHARE,
        )
    ]
    for posts in args.posts or [1_000_000]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "news.db"
            seconds = build(path, posts, seed=posts)
            measured = lookups(path, texts, seed=19)
            measured |= {
                "posts": posts,
                "build_s": round(seconds, 1),
                "file_mb": round(path.stat().st_size / 2**20),
            }
        rows.append(
            results.result(
                f"duplicates/lookup-{posts}",
                measured,
                f"look-up p95 <= {LOOKUP_P95_MS} ms, every copy found",
                measured["lookup_p95_ms"] <= LOOKUP_P95_MS
                and measured["copies_found"] == f"{len(texts)}/{len(texts)}",
            )
        )
    return rows


if __name__ == "__main__":
    results.standalone(main())
