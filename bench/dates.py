"""Benchmark: the generic publication-date fallback on real news pages, beside htmldate.

The corpus is not ours to ship: it is htmldate's own evaluation set (its repository's `tests/`
folder: `eval_*.json` map each page's URL to its file and expected day, the files sit in
`test_set/`, `cache/` or `eval/`). Give that folder on the command line or in
STDNEWS_DATES_CORPUS; without it the benchmark says so and reports nothing. For each page, in the
same run: our fallback alone (`extract.generic_published`, no source: no site selector can match
these pages) on the parsed page, and `htmldate.find_date(original_date=True)`, both given the
page's URL. Exact-day accuracy counts a month or a year as a miss.

    .venv/bin/python bench/dates.py [CORPUS_DIR] [--limit N] [--misses]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import results  # noqa: E402

from pipeline.normalize.extract import Page, decode_html, generic_published, parse_html  # noqa: E402

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")  # labels without a day ("nan") are left out
FOLDERS = ("test_set", "cache", "eval", ".")
# Ours may trail htmldate by this much on real pages (it is the reference, not a rival).
MAX_GAP = 0.05


def corpus(folder: Path) -> list[tuple[str, Path, str]]:
    """(url, file, expected day) of every labelled page whose file is present."""
    pages = []
    for labels in sorted(folder.glob("*.json")):
        for url, entry in json.loads(labels.read_text(encoding="utf-8")).items():
            if (
                not isinstance(entry, dict)
                or not DAY.match(str(entry.get("date")))
                or not entry.get("file")
            ):
                continue
            file = next(
                (
                    folder / sub / entry["file"]
                    for sub in FOLDERS
                    if (folder / sub / entry["file"]).is_file()
                ),
                None,
            )
            if file:
                pages.append((url, file, entry["date"]))
    return pages


def ours(html: str, url: str) -> str | None:
    tree = parse_html(html)
    found = generic_published(Page(tree), url) if tree is not None else None
    return found.value[:10] if found and found.precision == "day" else None


def theirs(html: str, url: str) -> str | None:
    from htmldate import find_date

    return find_date(html, original_date=True, url=url)


def timed(function, *args) -> tuple[str | None, float]:
    start = time.perf_counter()
    try:
        value = function(*args)
    except Exception as error:  # noqa: BLE001 - a crash is a miss, counted and shown
        value = f"crash: {type(error).__name__}"
    return value, (time.perf_counter() - start) * 1000


def measure(pages, show_misses: bool) -> dict:
    figures: dict = {}
    for name, function in (("ours", ours), ("htmldate", theirs)):
        right, times, crashes = 0, [], 0
        for url, file, expected in pages:
            value, ms = timed(function, decode_html(file.read_bytes()), url)
            right += value == expected
            crashes += str(value).startswith("crash")
            times.append(ms)
            if show_misses and value != expected:
                print(f"  miss {name}: {file.name} expected {expected} got {value} ({url})")
        figures[name] = {
            "accuracy": round(right / len(pages), 3),
            "right": right,
            "crashes": crashes,
            "median_ms": round(statistics.median(times), 2),
            "mean_ms": round(statistics.fmean(times), 2),
        }
    figures["pages"] = len(pages)
    return figures


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "corpus",
        nargs="?",
        default=os.environ.get("STDNEWS_DATES_CORPUS"),
        help="htmldate's tests/ folder (or STDNEWS_DATES_CORPUS)",
    )
    parser.add_argument("--limit", type=int, help="only the first N pages")
    parser.add_argument("--misses", action="store_true", help="print each page missed")
    args = parser.parse_args(argv)
    folder = Path(args.corpus) if args.corpus else None
    pages = corpus(folder) if folder and folder.is_dir() else []
    if not pages:
        print(
            "dates: no corpus (give htmldate's tests/ folder or set STDNEWS_DATES_CORPUS); skipped"
        )
        return []
    pages = pages[: args.limit] if args.limit else pages
    figures = measure(pages, args.misses)
    gap = figures["htmldate"]["accuracy"] - figures["ours"]["accuracy"]
    print(f"{figures['pages']} pages   exact day   median ms   mean ms   crashes")
    for name in ("ours", "htmldate"):
        row = figures[name]
        print(
            f"{name:<9} {row['accuracy']:>14.3f} {row['median_ms']:>11.2f} "
            f"{row['mean_ms']:>9.2f} {row['crashes']:>9}"
        )
    target = f"accuracy within {MAX_GAP:.2f} of htmldate's, no crash"
    passed = gap <= MAX_GAP and figures["ours"]["crashes"] == 0
    return [results.result("dates/fallback", figures, target, passed)]


if __name__ == "__main__":
    results.standalone(main())
