"""A one-line live progress display on the terminal, for `stdnews crawl` run by hand.

Enabled by the STDNEWS_PROGRESS setting (the CLI sets it when stderr is a terminal; cron gets
the quiet summary only). One line for all spiders of the process, redrawn twice a second.
"""

from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured

# Shared by the spiders of one process: source -> [requests, items].
PROGRESS: dict[str, list[int]] = {}
_last_draw = [0.0]


class Progress:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("STDNEWS_PROGRESS"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.request, signal=signals.request_scheduled)
        crawler.signals.connect(extension.item, signal=signals.item_scraped)
        crawler.signals.connect(extension.item, signal=signals.item_dropped)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def _count(self, index: int) -> None:
        PROGRESS.setdefault(self.crawler.spider.name, [0, 0])[index] += 1
        draw()

    def request(self, request, spider=None):
        self._count(0)

    def item(self, item, response=None, spider=None, **kwargs):
        self._count(1)

    def closed(self, spider=None, reason=None):
        draw(force=True)


def draw(force: bool = False) -> None:
    now = time.monotonic()
    if not force and now - _last_draw[0] < 0.5:
        return
    _last_draw[0] = now
    parts = [
        f"{name} {items} posts/{requests} requests"
        for name, (requests, items) in sorted(PROGRESS.items())
    ]
    sys.stderr.write("\r\033[K" + "  ".join(parts))
    sys.stderr.flush()
