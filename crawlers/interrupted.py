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
import sqlite3
from functools import partial

from scrapy import signals
from sqlite_utils import Database

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
    """The source's last crawls row (one crawl at a time per database: this run's) becomes
    interrupted and incomplete, whatever the pipeline wrote. It waits for the write lock as the
    run's other records do; a database it still cannot write is one line in the log."""
    try:
        db = Database(sqlite3.connect(db_path, check_same_thread=False))
    except sqlite3.Error as error:
        logger.error("stdnews crawl: %s: the run not marked interrupted: %s", source, error)
        return
    try:
        store.write(db, partial(mark, db, source), max(store.lock_wait(), store.BOOKKEEPING_WAIT))
    except (sqlite3.Error, OSError) as error:
        logger.error("stdnews crawl: %s: the run not marked interrupted: %s", source, error)
    finally:
        db.close()


def mark(db: Database, source: str) -> None:
    db.execute(
        "update crawls set status = 'interrupted', complete = 0, "
        "finished = coalesce(finished, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')) "
        "where id = (select max(id) from crawls where source = ?)",
        [source],
    )
