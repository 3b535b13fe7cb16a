"""Benchmark: what the people stage costs per post, beside normalize() per post (which includes
it).

Corpora: the snapshot's article pages (bench/normalize.py's), their bodies ten times over (long
posts: the stage reads every sentence), and a worst case of bodies where every sentence has a
role word and names (each sentence goes through the whole construction matching). For each
post: `people.find()` on its title and text as normalize() calls it (the text's words split
beforehand, as the organizations' stage of normalize() has split them), and the whole
`normalize()` of its page (the worst case has no page: the figure is people.find() alone, for
its ratio to the snapshot's normalize()). And the store's side: save_post() of posts that all
name one person (the worst case: their row is recomputed from all their mentions at each
write) beside the same posts naming nobody, in a real SQLite file. Run alone, it prints its
table and merges its rows into bench/results.json.

    .venv/bin/python bench/people.py [--repeat N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import normalize as page_bench  # noqa: E402  (bench/normalize.py: its corpora and timer)
import results  # noqa: E402

from pipeline.normalize import people, phrases  # noqa: E402
from pipeline.normalize.post import normalize  # noqa: E402
from pipeline.normalize.sources import source_for_url  # noqa: E402
from pipeline.normalize.types import Post  # noqa: E402
from pipeline.store import open_db, save_post  # noqa: E402

# The people stage should stay a small part of a post's normalization.
TARGET_RATIO = 0.10
ROLE_SENTENCES = [
    "“We agree,” said Dr {a} {b}, Director of the BIPM, at the meeting in Sèvres.",
    "ISO Secretary-General {a} {b} and IEC President {b} {a} signed the agreement.",
    "The Chair of ISO/TC {n}, {a} {b}, said the committee would meet again in {n}.",
    "« Oui », a déclaré {a} {b}, secrétaire général de l’OCDE, lors de la réunion.",
    "Former OECD Secretary-General {a} {b} and the Director of the OECD Centre spoke.",
]
WORDS = ["Anna", "Keller", "Marta", "Oliveira", "Tomas", "Lindqvist", "Kenji", "Morita"]


def role_dense(rng: random.Random, sentences: int = 60) -> str:
    """A body where every sentence has a role word and capitalized names."""
    return " ".join(
        rng.choice(ROLE_SENTENCES).format(
            a=rng.choice(WORDS), b=rng.choice(WORDS), n=rng.randrange(300)
        )
        for _ in range(sentences)
    )


def stats(values: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(values), 3),
        "p95_ms": round(results.percentile(values, 0.95), 3),
    }


def measure(posts: list[tuple[str, str, str]], items: list[dict] | None, repeat: int) -> dict:
    """people.find() per post (title, text, language) and, given the pages, normalize()."""
    ours, whole = [], []
    for _ in range(repeat):  # all posts each round: no cache keeps a post between its timings
        for title, text, language in posts:
            # Split into words beforehand, as in normalize(), where the organizations' stage
            # has split the same text (phrases.words_of keeps the last few).
            phrases.words_of(phrases.post_text(title, text))
            ours.append(page_bench.timed(people.find, title, text, language))
        for item in items or []:
            whole.append(page_bench.timed(normalize, item))
    found = sum(len(people.find(*post)) for post in posts)
    figures = {"people": stats(ours), "posts": len(posts), "mentions_found": found}
    if whole:
        figures["normalize"] = stats(whole)
        figures["ratio_median"] = round(statistics.median(ours) / statistics.median(whole), 3)
        figures["share_of_total"] = round(sum(ours) / sum(whole), 3)
        figures["median_words"] = statistics.median(len(text.split()) for _, text, _ in posts)
    return figures


def store_posts(count: int, named: bool) -> list[Post]:
    """Posts of one day each, all naming one person (named) or nobody."""
    text = "“It works,” said ISO Secretary-General Ana Ruiz at the meeting in Geneva."
    mentions = people.find("", text, "en") if named else []
    return [
        Post(
            id=f"{i:016x}",
            source="iso",
            url=f"https://www.iso.org/contents/news/bench/{i}.html",
            title=f"Post {i}",
            published=(date(2000, 1, 1) + timedelta(days=i)).isoformat(),
            published_precision="day",
            language="en",
            text=text,
            people=mentions,
        )
        for i in range(count)
    ]


def measure_store(count: int) -> dict:
    """save_post() per post, with and without the person, in a real SQLite file."""
    figures = {}
    for named in (False, True):
        with tempfile.TemporaryDirectory() as folder:
            db = open_db(Path(folder) / "news.db")
            times = []
            for post in store_posts(count, named):
                start = time.perf_counter()
                save_post(db, post)
                times.append((time.perf_counter() - start) * 1000)
            db.close()
        tail = times[-max(1, count // 10) :]  # the last tenth: the person has most mentions
        figures["with_person" if named else "without"] = {
            "median_ms": round(statistics.median(times), 3),
            "last_tenth_median_ms": round(statistics.median(tail), 3),
        }
    figures["posts"] = count
    figures["extra_ms_last_tenth"] = round(
        figures["with_person"]["last_tenth_median_ms"] - figures["without"]["last_tenth_median_ms"],
        3,
    )
    return figures


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timings per post (default 3)")
    parser.add_argument(
        "--store-posts", type=int, default=2000, help="posts naming one person (default 2000)"
    )
    args = parser.parse_args(argv)
    items = [
        {"url": url, "html": html, "source": source_for_url(url).id}
        for url, html in page_bench.snapshot_pages()
    ]
    normalized = [normalize(item) for item in items]  # also warms the caches
    posts = [(p.title, p.text, p.language) for p in normalized]
    long_posts = [(t, "\n\n".join([text] * 10), lang) for t, text, lang in posts]
    rng = random.Random(20261203)
    dense = [("Meeting", role_dense(rng), "en") for _ in range(len(posts))]
    snapshot = measure(posts, items, args.repeat)
    rows = [
        results.result(
            "people/snapshot",
            snapshot,
            f"people <= {TARGET_RATIO:.0%} of normalize() per post (medians)",
            snapshot["ratio_median"] <= TARGET_RATIO,
        )
    ]
    base = snapshot["normalize"]["median_ms"]
    for name, corpus in (("long-bodies-x10", long_posts), ("role-dense", dense)):
        figures = measure(corpus, None, args.repeat)
        figures["ratio_to_snapshot_normalize"] = round(figures["people"]["median_ms"] / base, 3)
        rows.append(results.result(f"people/{name}", figures, "reported", None))
    rows.append(results.result("people/store", measure_store(args.store_posts), "reported", None))
    return rows


if __name__ == "__main__":
    results.standalone(main())
