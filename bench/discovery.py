"""Benchmark: what generic discovery costs per discovery page and per article it finds.

Every discovery page is now read three ways (the site's selectors, every link with the date of
its item, the page's pagination and feeds; crawlers/discovery.py). This times the spider's
`discovered()` plus `discovery.next_pages()` on the snapshot's HTML discovery pages and on a
generated listing of 500 items (1,500 links with topics and a menu), beside lxml's own parse of
the same page. The target is per article found: a small share of the few milliseconds each
article costs to normalize (bench/normalize.py).

    .venv/bin/python bench/discovery.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import lxml.html
from scrapy.http import HtmlResponse, Request

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import results  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402

from crawlers import discovery  # noqa: E402
from crawlers.spiders.iec import IecSpider  # noqa: E402
from crawlers.spiders.iso import IsoSpider  # noqa: E402
from pipeline.normalize.sources import SOURCES  # noqa: E402
from pipeline.normalize.urls import canonical_url  # noqa: E402
from pipeline.paths import SNAPSHOT  # noqa: E402

LARGE_ITEMS = 500
TARGET_MS_PER_ARTICLE = 0.1  # about 2% of an article's normalization


def listing(items: int) -> str:
    """A listing of `items` articles with dates, topic links, a menu and numbered pages."""
    rows = "".join(
        f'<div class="views-row"><time datetime="2024-01-{i % 28 + 1:02d}">day</time>'
        f'<h3><a href="/blog/post-{i}">Post {i}</a></h3><a href="/topics/t{i % 9}">topic</a></div>'
        for i in range(items)
    )
    menu = "".join(f'<li><a href="/section-{i}">Section {i}</a></li>' for i in range(60))
    pager = '<ul><li class="active"><span>1</span></li><li><a href="?page=1">2</a></li></ul>'
    return f"<html><body><ul>{menu}</ul><main>{rows}</main>{pager}</body></html>"


def pages() -> list[tuple[str, str, type]]:
    """(url, html, spider class) of the snapshot's HTML discovery pages and the large listing."""
    found = [("https://www.iec.ch/blog", listing(LARGE_ITEMS), IecSpider)]
    for host, spider in (("www.iso.org", IsoSpider), ("www.iec.ch", IecSpider)):
        for file in sorted((SNAPSHOT / host).rglob("*")):
            url = f"https://{host}/{file.relative_to(SNAPSHOT / host)}"
            if file.is_file() and not SOURCES[spider.name].is_article(url) and "robots" not in url:
                text = file.read_text("utf-8", errors="replace")
                if text.lstrip().lower().startswith(("<!doctype html", "<html")):
                    found.append((url, text, spider))
    return found


def timed(function, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    spiders = {cls: cls.from_crawler(get_crawler(cls)) for cls in (IecSpider, IsoSpider)}
    ours, parse = [], []
    for url, html, cls in pages():
        body = html.encode()

        def read(url=url, body=body, spider=spiders[cls]):
            canonical_url.cache_clear()  # a page is read once a run: no warm cache
            response = HtmlResponse(url=url, body=body, encoding="utf-8", request=Request(url))
            spider.discovered(response)
            discovery.next_pages(response)

        ours.append(timed(read, args.rounds))
        parse.append(timed(lambda body=body: lxml.html.fromstring(body), args.rounds))
    figures = {
        "pages": len(ours),
        "median_ms": round(statistics.median(ours), 2),
        "large_listing_ms": round(ours[0], 2),
        "lxml_parse_median_ms": round(statistics.median(parse), 2),
        "large_listing_parse_ms": round(parse[0], 2),
        "ratio_large_to_parse": round(ours[0] / parse[0], 1),
        "ms_per_article": round(ours[0] / LARGE_ITEMS, 3),
    }
    passed = figures["ms_per_article"] <= TARGET_MS_PER_ARTICLE
    target = f"<= {TARGET_MS_PER_ARTICLE:g} ms per article found"
    row = results.result("discovery", figures, target, passed)
    print(results.table([row]))
    return [row]


if __name__ == "__main__":
    results.save(main())
