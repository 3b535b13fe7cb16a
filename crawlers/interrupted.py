"""A run stopped by Ctrl-C or SIGTERM is recorded as interrupted, never as a complete run.

Scrapy answers the first Ctrl-C or SIGTERM by closing each spider gracefully (reason
"shutdown"): the item pipeline then writes the spider's `crawls` row as for any finished run,
"ok" and complete when nothing had failed yet. A complete run lets the next one stop at the
first discovery page with nothing new, so the articles this run never reached would be missed
for good. This extension, told after the pipeline (spider_closed comes last), marks that row
`interrupted` and not complete: the next run catches up.
"""

from __future__ import annotations

import logging

from scrapy import signals

from crawlers.connections import WRITER
from pipeline import store

logger = logging.getLogger(__name__)

STOPPED_BY_SIGNAL = "shutdown"  # Scrapy's close reason after SIGINT/SIGTERM


class Interrupted:
    def __init__(self, crawler):
        self.db_path = crawler.settings.get("NEWS_DB_PATH")
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_closed(self, spider, reason: str) -> None:
        if reason == STOPPED_BY_SIGNAL:
            mark_interrupted(self.db_path, spider.name)


def mark_interrupted(db_path: str, source: str) -> None:
    """The source's last crawls row (this run's) becomes interrupted and incomplete, through the
    run's writer (crawlers/connections.py); a database it cannot write is one line in the log."""
    try:
        db = WRITER.acquire(db_path)
    except (store.DatabaseUnusable, store.SQLiteError, OSError) as error:
        logger.error("stdnews crawl: %s: the run not marked interrupted: %s", source, error)
        return
    try:
        store.mark_interrupted(db, source)
    except (store.SQLiteError, OSError) as error:
        logger.error("stdnews crawl: %s: the run not marked interrupted: %s", source, error)
    finally:
        WRITER.release(db_path)
