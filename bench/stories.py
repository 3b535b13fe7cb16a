"""Benchmark: what clustering stories across publishers costs per post, beside normalization.

Two parts, in one run:
- snapshot: the snapshot's article pages normalized and stored into a fresh SQLite file with
  the schema of `stdnews migrate`; then, per post, `normalize()` and the clustering step as
  save_post runs it (`store.stories.assign`: the sentence keys indexed, the candidates looked
  up, scored, the cluster written), each timed; the step's median as a share of normalization's.
- at scale: the same file grown by N posts written straight into `posts`, `story_sentences`
  and `post_standards` (dates over eight years, four sources, bodies of snapshot sentences each
  made unique, a standard or two on a third of them, a few sentences shared with another post),
  then every snapshot post assigned again: the step's median and p95 and its candidates, so the
  look-up's cost with many posts in the date window shows.

    .venv/bin/python bench/stories.py [--posts N ...] [--repeat R]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import results  # noqa: E402
from normalize import snapshot_pages, timed  # noqa: E402

from pipeline.normalize import stories  # noqa: E402
from pipeline.normalize.post import normalize  # noqa: E402
from pipeline.normalize.sources import source_for_url  # noqa: E402
from pipeline.store import open_db, save_post  # noqa: E402
from pipeline.store import stories as clusters  # noqa: E402

# The clustering step: at most this share of normalization's median per post.
STEP_SHARE = 0.5
STEP_P95_MS = 20.0
SOURCES = ("iec", "bipm", "iso", "oecd")
FIRST_DAY, DAYS = date(2019, 1, 1), 8 * 365


def stored_snapshot(folder: Path) -> tuple[object, list, list[float]]:
    """The snapshot's posts normalized (each timed) and saved into folder/news.db."""
    pages = snapshot_pages()
    items = [{"url": u, "html": h, "source": source_for_url(u).id} for u, h in pages]
    posts = [normalize(item) for item in items]  # warms the caches
    db = open_db(folder / "news.db")
    for post in posts:
        save_post(db, post)
    return db, posts, [timed(normalize, item) for item in items]


def assign_times(db, posts: list, repeat: int) -> tuple[list[float], list[int]]:
    """Milliseconds of the clustering step per post (each in its transaction, as in save_post),
    and the candidates each looked at."""
    times, looked = [], []
    for _ in range(repeat):
        for post in posts:
            with db.conn:
                times.append(timed(clusters.assign, db, post.id))
            looked.append(len(clusters.candidates(db.conn, clusters.load(db.conn, post.id))))
    return times, looked


def grow(db, start: int, count: int, pool: list[str], names: list[str], rng) -> None:
    """count more posts straight into the tables the look-up reads; a third of them name two
    of the standards the snapshot's posts name (candidates through the link tables)."""
    batch_posts, batch_sentences, batch_standards = [], [], []
    for number in range(start, start + count):
        pid = f"g{number:08d}"
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        body = [f"{s} (item {number}-{i})" for i, s in enumerate(rng.sample(pool, 12))]
        if rng.random() < 0.02:  # a few sentences another post holds too
            body += rng.sample(pool, 2)
        text = " ".join(body)
        url = f"https://example.org/{pid}"
        row = (pid, rng.choice(SOURCES), url, f"Post {number}", text, day.isoformat(), "en", pid)
        batch_posts.append(row)
        batch_sentences += [(key, pid) for key in stories.sentences(text)]
        if rng.random() < 0.33:
            batch_standards += [(pid, s, "text") for s in rng.sample(names, 2)]
        if len(batch_posts) == 10_000 or number == start + count - 1:
            write_batch(db, batch_posts, batch_sentences, batch_standards)
            batch_posts, batch_sentences, batch_standards = [], [], []


def write_batch(db, posts: list, sentences: list, standards: list) -> None:
    with db.conn:
        db.conn.executemany(
            "insert or ignore into standards (id) values (?)", [(s[1],) for s in standards]
        )
        db.conn.executemany(
            "insert into posts (id, source, url, title, text, published, language, story_id)"
            " values (?, ?, ?, ?, ?, ?, ?, ?)",
            posts,
        )
        db.conn.executemany(
            "insert or ignore into story_sentences (key, post_id) values (?, ?)", sentences
        )
        db.conn.executemany(
            "insert or ignore into post_standards (post_id, standard_id, origin) values (?, ?, ?)",
            standards,
        )


def stats(values: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(values), 3),
        "p95_ms": round(results.percentile(values, 0.95), 3),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, action="append", help="posts to grow to (repeatable)")
    parser.add_argument("--repeat", type=int, default=3, help="timings per post (default 3)")
    args = parser.parse_args(argv)
    rng = random.Random(20261203)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        db, posts, normalizing = stored_snapshot(Path(folder))
        step, looked = assign_times(db, posts, args.repeat)
        figures = {
            "clustering": stats(step),
            "normalize": stats(normalizing),
            "share_of_normalize": round(
                statistics.median(step) / statistics.median(normalizing), 3
            ),
            "candidates_median": statistics.median(looked),
            "posts": len(posts),
            "clusters": db.execute("select count(*) from story_clusters").fetchone()[0],
        }
        rows.append(
            results.result(
                "stories/snapshot",
                figures,
                f"clustering <= {STEP_SHARE:.0%} of normalize() per post (medians)",
                figures["share_of_normalize"] <= STEP_SHARE,
            )
        )
        pool = sorted({s for p in posts for s in stories.sentences(p.text).values()})
        names = sorted({s for p in posts for s in p.standards})
        grown = 0
        for target in sorted(args.posts or [20_000]):
            grow(db, grown, target - grown, pool, names, rng)
            grown = target
            step, looked = assign_times(db, posts, 1)
            figures = {
                "clustering": stats(step),
                "candidates_median": statistics.median(looked),
                "candidates_max": max(looked),
                "posts": target + len(posts),
            }
            rows.append(
                results.result(
                    f"stories/{target}-posts",
                    figures,
                    f"clustering p95 <= {STEP_P95_MS:.0f} ms per post",
                    figures["clustering"]["p95_ms"] <= STEP_P95_MS,
                )
            )
        db.close()
    return rows


if __name__ == "__main__":
    results.standalone(main())
