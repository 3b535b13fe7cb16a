"""Benchmark: what bylines cost per post, beside normalize() per post (which includes them).

The corpora of bench/normalize.py (the snapshot's article pages, and the same pages grown to
the 30-60 KB of live pages). For each page: `bylines.authors()` as normalize() calls it (the
page parsed again, the markup rules, the API record's names, a signature line, trafilatura's
guess where the page has something it reads authors from), the parse alone (the share a tree
handed over by extraction would save), and the whole `normalize()`. Run alone, it prints its
table and merges its rows into bench/results.json.

    .venv/bin/python bench/bylines.py [--repeat N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import normalize as page_bench  # noqa: E402  (bench/normalize.py: its corpora and timer)
import results  # noqa: E402

from pipeline.normalize import bylines  # noqa: E402
from pipeline.normalize.extract import extract, parse_html  # noqa: E402
from pipeline.normalize.post import normalize  # noqa: E402
from pipeline.normalize.sources import source_for_url  # noqa: E402

# Bylines should stay a small part of a post's normalization.
TARGET_RATIO = 0.25


def measure(pages: list[tuple[str, str]], repeat: int) -> dict:
    items = [{"url": url, "html": html, "source": source_for_url(url).id} for url, html in pages]
    texts = [extract(i["html"], i["url"], source_for_url(i["url"])).text for i in items]
    ours, parse, whole = [], [], []
    for _ in range(repeat):  # all pages each round: no cache keeps a page between its timings
        for item, text in zip(items, texts, strict=True):
            ours.append(page_bench.timed(bylines.authors, item["html"], text, {}))
            parse.append(page_bench.timed(parse_html, item["html"]))
            whole.append(page_bench.timed(normalize, item))
    credited = sum(
        bool(bylines.authors(i["html"], t, {})) for i, t in zip(items, texts, strict=True)
    )

    def stats(values):  # noqa: E306
        return {
            "median_ms": round(statistics.median(values), 3),
            "p95_ms": round(results.percentile(values, 0.95), 3),
        }

    return {
        "bylines": stats(ours),
        "parse_alone": stats(parse),
        "normalize": stats(whole),
        "ratio_median": round(statistics.median(ours) / statistics.median(whole), 3),
        "share_of_total": round(sum(ours) / sum(whole), 3),
        "pages": len(pages),
        "pages_credited": credited,
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timings per page (default 3)")
    args = parser.parse_args(argv)
    rng = random.Random(20261122)
    pages = page_bench.snapshot_pages()
    for url, html in pages[:3]:  # warm caches (vocabularies, language model, selectors)
        normalize({"url": url, "html": html, "source": source_for_url(url).id})
        bylines.authors(html)
    rows = []
    for name, corpus in (
        ("snapshot", pages),
        ("grown-30-60kb", [(u, page_bench.grown(h, rng)) for u, h in pages]),
    ):
        figures = measure(corpus, args.repeat)
        rows.append(
            results.result(
                f"bylines/{name}",
                figures,
                f"bylines <= {TARGET_RATIO:.0%} of normalize() per post (medians)",
                figures["ratio_median"] <= TARGET_RATIO,
            )
        )
    return rows


if __name__ == "__main__":
    results.standalone(main())
