"""Benchmark: normalizing one article page (after download, before storage), beside trafilatura.

Two corpora: the snapshot's article pages (8-20 KB), and the same pages grown to the 30-60 KB of
typical live pages by the chrome real sites carry (mega-menus, inline scripts and JSON, footers),
made by a seeded generator. For each page: our `normalize()` (extraction, dates, language,
organizations, standards, topics, duplicates hash) and `trafilatura.extract(with_metadata=True)`,
in the same run. Run alone, it prints its table and merges its rows into bench/results.json.

    .venv/bin/python bench/normalize.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import results  # noqa: E402
import trafilatura  # noqa: E402

from pipeline.normalize.extract import decode_html  # noqa: E402
from pipeline.normalize.post import normalize  # noqa: E402
from pipeline.normalize.sources import source_for_url  # noqa: E402
from pipeline.normalize.urls import canonical_url  # noqa: E402
from pipeline.paths import SNAPSHOT  # noqa: E402

TARGET_MS = 5.0


def snapshot_pages() -> list[tuple[str, str]]:
    """(url, html) of every article page in the snapshot."""
    pages = []
    for file in sorted(p for p in SNAPSHOT.rglob("*") if p.is_file()):
        relative = file.relative_to(SNAPSHOT).as_posix().removesuffix("index.html")
        url = canonical_url("https://" + relative)
        source = source_for_url(url)
        if source and source.is_article(url):
            pages.append((url, decode_html(file.read_bytes())))
    return pages


def grown(html: str, rng: random.Random) -> str:
    """The page with the weight of live chrome: a mega-menu, inline scripts, a long footer."""
    menu = "".join(
        f'<li><a href="/section/{i}/{rng.randrange(10**6)}">Section {i} item</a></li>'
        for i in range(rng.randrange(150, 300))
    )
    state = json.dumps(
        {
            f"k{i}": "".join(rng.choices("abcdefghij0123456789", k=40))
            for i in range(rng.randrange(150, 400))
        }
    )
    chrome = (
        f"<nav class='mega-menu'><ul>{menu}</ul></nav><script>window.__STATE__ = {state};</script>"
    )
    footer = f"<footer class='site-footer'><ul>{menu[: len(menu) // 2]}</ul></footer>"
    return html.replace("<body", chrome.join(["<body", ""]), 1).replace(
        "</body>", footer + "</body>"
    )


def timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return (time.perf_counter() - start) * 1000


def measure(pages: list[tuple[str, str]], repeat: int) -> dict:
    ours, theirs = [], []
    items = [{"url": url, "html": html, "source": source_for_url(url).id} for url, html in pages]
    for _ in range(repeat):  # all pages each round: no cache keeps a page between its timings
        for item in items:
            ours.append(timed(normalize, item))
            theirs.append(
                timed(trafilatura.extract, item["html"], url=item["url"], with_metadata=True)
            )

    def stats(values):  # noqa: E306
        return {
            "median_ms": round(statistics.median(values), 2),
            "p95_ms": round(results.percentile(values, 0.95), 2),
        }

    sizes = [len(html.encode()) / 1024 for _, html in pages]
    return {
        "ours": stats(ours),
        "trafilatura": stats(theirs),
        "ratio_ours_to_trafilatura": round(statistics.median(ours) / statistics.median(theirs), 2),
        "pages": len(pages),
        "median_kb": round(statistics.median(sizes), 1),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timings per page (default 3)")
    args = parser.parse_args(argv)
    rng = random.Random(20261122)
    pages = snapshot_pages()
    for url, html in pages[:3]:  # warm caches (vocabularies, language model, selectors)
        normalize({"url": url, "html": html, "source": source_for_url(url).id})
    rows = []
    for name, corpus in (
        ("snapshot", pages),
        ("grown-30-60kb", [(u, grown(h, rng)) for u, h in pages]),
    ):
        figures = measure(corpus, args.repeat)
        ours, theirs = figures["ours"]["median_ms"], figures["trafilatura"]["median_ms"]
        rows.append(
            results.result(
                f"normalize/{name}",
                figures,
                f"median <= {TARGET_MS} ms and <= trafilatura's median",
                ours <= TARGET_MS and ours <= theirs,
            )
        )
    return rows


if __name__ == "__main__":
    results.standalone(main())
