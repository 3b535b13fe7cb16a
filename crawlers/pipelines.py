"""Thin adapter: Scrapy's item lifecycle outside, pipeline.normalize and pipeline.store inside."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from functools import partial

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from crawlers import bookkeeping, health
from crawlers.connections import RAW, WRITER
from crawlers.failures import ERROR
from crawlers.frontier.lost import lost as frontier_lost
from crawlers.spiders.base import GONE
from pipeline import store
from pipeline.normalize import workers
from pipeline.store import raw
from pipeline.store.lock import CrawlLock, free_reserve

logger = logging.getLogger(__name__)

# The first full-disk message of this process: every spider of the run stops writing after it.
DISK_FULL: list[str] = []


class StoppedWriting(Exception):
    """The disk is full: this item is not written."""


class NormalizeFailed(Exception):
    """Normalization raised something other than NormalizeError (its __cause__): a fault of
    ours on this page, not a page that is not a post."""


class SQLitePipeline:
    """Normalizes each article item and saves it; keeps one `crawls` row per spider run, and
    writes the run's record (crawlers/bookkeeping.py) when the spider closes.

    `stdnews crawl` holds the database's crawl lock for the whole process; a bare `scrapy crawl`
    takes it here, so that two crawls never write one database at once. Other writers (a
    checkpoint, `stdnews reprocess`, a script) may hold SQLite's write lock at any moment: each
    write waits for it (store.write_async); a post that still cannot be saved is recorded as a
    failed request (reason "locked") and leaves the run incomplete, so the next run fetches it.
    A full disk stops the run with one message, its `crawls` row closed as failed.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.settings = crawler.settings
        self.counts: Counter = Counter()
        self.lock: CrawlLock | None = None
        self.failed: str | None = None  # why the run stopped writing (a full disk)
        self.closing: asyncio.Task | None = None
        self.record = bookkeeping.start(crawler)  # the spider adds to it through the crawler
        # What open_spider took: Scrapy closes the pipeline even when opening it raised.
        self.db: store.Database | None = None
        self.raw: store.Database | None = None
        self.crawl_id: int | None = None
        self.inbox = None  # what the fetchers of a shared frontier push (crawlers/frontier/)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self) -> None:
        db_path = self.settings.get("NEWS_DB_PATH")
        DISK_FULL.clear()  # a new run in this process (every spider opens before any item)
        if not self.settings.getbool("STDNEWS_LOCK_HELD"):
            self.lock = CrawlLock(db_path).acquire()  # raises CrawlLocked: the crawl stops
        self.db = WRITER.acquire(db_path)  # the run's one writer (crawlers/connections.py)
        self.raw = RAW.acquire(db_path)
        run_id = self.settings.get("STDNEWS_RUN_ID") or store.utcnow()
        store.interrupt_stale_crawls(self.db, run_id)
        spider = self.crawler.spider
        self.crawl_id = store.start_crawl(
            self.db, spider.name, run_id, self.settings.get("STDNEWS_REPLAY_DIR") or None
        )
        if self.settings.get("STDNEWS_FRONTIER"):  # the writer of a shared frontier
            from crawlers.frontier.inbox import Inbox

            self.inbox = Inbox(self)
            self.inbox.start()

    async def process_item(self, item):
        await self.handle(ItemAdapter(item).asdict())
        return item

    async def handle(self, fields: dict, normalized=None) -> None:
        """Save one fetched page; `normalized` is a fetcher's (post, rejected) or failure, sent
        through the shared frontier (crawlers/frontier/inbox.py), else it is normalized here."""
        url = fields["post_url"]  # made canonical by the spider
        try:
            return await self.store_item(fields, url, normalized)
        except store.DatabaseLocked as error:
            self.not_saved(url, fields["status"], error)
            raise DropItem(f"not saved: {error}", log_level="DEBUG") from None
        except DropItem:
            raise
        except (store.SQLiteError, OSError) as error:
            if not store.is_full(error):
                self.failed_item(url, fields["status"], "store", error)
            self.stop_writing(error)
        except StoppedWriting:
            pass
        except NormalizeFailed as error:
            self.failed_item(url, fields["status"], "normalize", error.__cause__)
        except Exception as error:  # any other fault of ours: recorded, never a lost post
            self.failed_item(url, fields["status"], "store", error)
        self.counts["not_saved"] += 1
        self.stop_spider()
        raise DropItem(f"not saved: {DISK_FULL[0]}", log_level="DEBUG")

    async def write(self, db, work):
        """Every write waits for SQLite's write lock without blocking the downloads; none once
        the disk is full (the space left is the crawls rows')."""
        if DISK_FULL:
            raise StoppedWriting(DISK_FULL[0])
        return await store.write_async(db, work)

    async def store_item(self, fields: dict, url: str, normalized=None) -> None:
        if fields["status"] == 304:
            confirm = partial(store.confirm_post, self.db, url)
            self.counts["unchanged"] += await self.write(self.db, confirm)
            self.counts["not_modified"] += 1
            return
        if fields["status"] in GONE:
            gone = partial(store.mark_gone, self.db, url, fields["status"])
            self.counts["gone"] += await self.write(self.db, gone)
            return
        # Kept first, so that a page normalization rejects today can be reprocessed tomorrow.
        await self.write(self.raw, partial(raw.save_page, self.raw, url, fields))
        post, rejected = await self.normalized(fields, normalized)
        if rejected:
            self.counts["rejected"] += 1
            self.record.failure(url, "normalize", fields["status"], rejected)
            raise DropItem(rejected)
        if self.crawler.spider.older_than_since(post.published):
            self.counts["older"] += 1  # --since, when discovery gave no date (crawlers/health.py)
            raise DropItem("older than --since", log_level="DEBUG")
        saved = await self.write(self.db, partial(store.save_post, self.db, post))
        self.counts[saved] += 1
        self.counts["with_date"] += post.published is not None

    @staticmethod
    async def normalized(fields: dict, given=None):
        """(post, rejected): a fetcher's, or made in a worker process (pipeline/normalize/
        workers.py) while the downloads go on."""
        if isinstance(given, Exception):
            raise NormalizeFailed from given
        if given is not None:
            return given
        try:
            return await workers.normalize_async(fields)
        except Exception as error:
            raise NormalizeFailed from error

    def not_saved(self, url: str, status: int | None, error: Exception) -> None:
        """A post the write lock kept out: a failed request, so the run is not complete and the
        next one fetches it again."""
        self.counts["not_saved"] += 1
        self.record.failure(url, "store", status, str(error), "locked")

    def failed_item(self, url: str, status: int | None, kind: str, error: BaseException) -> None:
        """An unexpected error kept this post out: a failed request (reason "error") that makes
        the run incomplete and counts among its errors, so the next run fetches it again; one
        line in the log, no traceback."""
        self.counts["failed"] += 1
        line = one_line(error)
        self.record.failure(url, kind, status, line, ERROR)
        logger.error("stdnews crawl: %s not saved (%s): %s", url, kind, line)
        raise DropItem(f"not saved: {line}", log_level="DEBUG")

    def stop_writing(self, error: Exception) -> None:
        """The disk is full: one message for the whole run, no more writes, the run closed."""
        path = self.settings.get("NEWS_DB_PATH")
        if not DISK_FULL:
            DISK_FULL.append(
                f"the disk holding {path} is full: crawl stopped, the database is intact "
                f"(the posts saved so far stay); free some space and run again"
            )
            logger.error("stdnews crawl: %s", DISK_FULL[0])
            free_reserve(path)  # room for the crawls rows (pipeline/store/lock.py)
        self.failed = DISK_FULL[0]

    def stop_spider(self) -> None:
        """Close this spider (not awaited here: closing waits for the items in progress)."""
        self.failed = DISK_FULL[0]
        if self.closing is None:
            engine = self.crawler.engine
            self.closing = asyncio.ensure_future(engine.close_spider_async(reason="disk full"))

    async def close_spider(self) -> None:
        """Write the run's record, then give back what open_spider took (only that: opening
        may have failed half-way, and the shared connections count their users)."""
        try:
            if self.inbox is not None:
                await self.inbox.stop()
            if self.crawl_id is not None:  # else no crawls row to finish: opening failed
                self.finish()
        finally:
            self.release()

    def finish(self) -> None:
        spider = self.crawler.spider
        stats = self.crawler.stats.get_stats()
        if self.inbox is not None:
            stats = {**stats, **shared_stats(stats, self.inbox.remote_stats())}
        report = health.assess(
            stats,
            self.counts,
            self.record.discovery_counts,
            limited=spider.limited,
            stale=self.record.stale,
        )
        report["responses_by_status"] = json.dumps(health.responses_by_status(stats))
        if frontier_lost(self.crawler):  # cut short: its figures say nothing of the site
            self.failed = self.failed or frontier_lost(self.crawler)
            report["warnings"] = []
        report["mode"] = run_mode(spider)
        report.update(self.unsaved_posts(report))
        report["warnings"] = list(report["warnings"]) + self.lost_fetchers()
        try:
            self.save(spider.name, report)
        except (store.SQLiteError, OSError) as error:
            if not store.is_full(error):
                raise
            logger.error("stdnews crawl: %s: the run's record not written (disk full)", spider.name)
        logger.info("crawl %s of %s: %s", self.crawl_id, spider.name, report["status"])

    def lost_fetchers(self) -> list[str]:
        """Fetchers of a shared frontier that stopped mid-run, and what was put back."""
        member = getattr(self.crawler, "stdnews_member", None)
        requeued = member.requeued if member else {}
        return [
            f"fetcher {fetcher} stopped mid-run; {count} requests put back in the frontier"
            for fetcher, count in requeued.items()
        ]

    def release(self) -> None:
        db_path = self.settings.get("NEWS_DB_PATH")
        if self.db is not None:
            self.db = None
            WRITER.release(db_path)
        if self.raw is not None:
            self.raw = None
            RAW.release(db_path)
        if self.lock:
            self.lock.release()
            self.lock = None

    def save(self, source: str, report: dict) -> None:
        """The run's validators, failed requests and crawls row, each waiting for the lock."""
        if not self.failed:  # a full disk: the crawls row first, in the space the reserve gave
            store.save_validators(self.db, self.record.checks)
        store.finish_crawl(self.db, self.crawl_id, **report)
        store.save_crawl_errors(self.db, self.crawl_id, source, self.record.failures)

    def unsaved_posts(self, report: dict) -> dict:
        """The posts this run could not save make it incomplete (and, a full disk, failed)."""
        missing, faulty = self.counts["not_saved"], self.counts["failed"]
        if not missing and not faulty and not self.failed:
            return {}
        warnings = list(report["warnings"])
        if missing or self.failed:
            why = self.failed or "the database stayed locked"
            warnings.append(f"{missing} posts not saved: {why}" if missing else why)
        if faulty:
            warnings.append(f"{faulty} posts not saved after an unexpected error (crawl_errors)")
        errors = report["errors"] + missing + faulty
        changes = {"complete": 0, "errors": errors, "warnings": warnings}
        if self.failed:
            changes.update(status="failed", diagnosis="failed")
        elif report["status"] == "ok":
            changes.update(status="broken", diagnosis="broken")
        return changes


def shared_stats(own: dict, others: dict) -> dict:
    """The coordinator's counts plus the fetchers' (numbers only; times and reasons are its)."""
    return {key: own.get(key, 0) + value for key, value in others.items()}


def one_line(error: BaseException | None) -> str:
    """The error's type and message on one line, bounded (a crawl_errors cell, a log line)."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text[:300]


def run_mode(spider) -> str:
    if getattr(spider, "full", False):
        return "full"
    if getattr(spider, "since", None):
        return f"since {spider.since.isoformat()}"
    if spider.plan.incremental:
        return "incremental"  # stopped at known pages, conditional discovery
    return "catch-up" if spider.plan.known else "first"  # walked every discovery page
