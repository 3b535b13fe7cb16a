"""Every request waits for its host's robots.txt, however many arrive while it is fetched.

A crawl starts with several requests to one host at once (ISO's hubs in four languages, its
feed, its fragments). Scrapy fetches robots.txt once and has the others await it; before
crawlers/robots.py's `robot_parser`, every waiter after the first was handed "no rules" and its
page was fetched unchecked. Through the real engine: a mirror whose robots.txt forbids all.
"""

from __future__ import annotations

import ast
import re

from tests.conftest import crawl_replay, mirror_of


def crawl_stats(log: str) -> dict:
    """The Scrapy stats dumped at the end of the crawl's log."""
    dump = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n", log, re.S)
    assert dump, log[-2000:]
    text = re.sub(r"datetime\.datetime\([^)]*\)", "None", dump.group(1))
    return ast.literal_eval(text)


def test_no_page_of_a_forbidding_host_is_fetched(tmp_path):
    root = mirror_of(tmp_path, "www.iso.org")
    (root / "www.iso.org" / "robots.txt").write_text("User-agent: *\nDisallow: /\n")
    log = tmp_path / "crawl.log"
    crawl_replay(tmp_path / "news.db", root, "iso", "-v", "--log", str(log))
    stats = crawl_stats(log.read_text())
    # Several pages were asked for at once, and each was refused by the rules, none fetched.
    assert stats["robotstxt/forbidden"] >= 3, stats
    assert stats["downloader/response_count"] == stats["robotstxt/response_count"], stats
