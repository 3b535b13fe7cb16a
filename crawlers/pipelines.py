"""Thin adapter: Scrapy's item lifecycle outside, pipeline.normalize and pipeline.store inside."""

from __future__ import annotations

import json
import logging
from collections import Counter

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from crawlers.spiders.base import GONE
from pipeline import health, raw, store, workers
from pipeline.lock import CrawlLock
from pipeline.urls import canonical_url

logger = logging.getLogger(__name__)


class SQLitePipeline:
    """Normalizes each article item and saves it; keeps one `crawls` row per spider run.

    `stdnews crawl` holds the database's crawl lock for the whole process; a bare `scrapy crawl`
    takes it here, so that two crawls never write one database at once.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.settings = crawler.settings
        self.counts: Counter = Counter()
        self.lock: CrawlLock | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self) -> None:
        db_path = self.settings.get("NEWS_DB_PATH")
        if not self.settings.getbool("STDNEWS_LOCK_HELD"):
            self.lock = CrawlLock(db_path).acquire()  # raises CrawlLocked: the crawl stops
        self.db = store.open_db(db_path)
        self.raw = raw.open_raw(db_path)
        run_id = self.settings.get("STDNEWS_RUN_ID") or store.utcnow()
        store.interrupt_stale_crawls(self.db, run_id)
        spider = self.crawler.spider
        self.crawl_id = store.start_crawl(
            self.db, spider.name, run_id, self.settings.get("STDNEWS_REPLAY_DIR") or None
        )

    async def process_item(self, item):
        fields = ItemAdapter(item).asdict()
        url = canonical_url(fields["final_url"] or fields["url"])
        if fields["status"] == 304:
            self.counts["unchanged"] += store.confirm_post(self.db, url)
            self.counts["not_modified"] += 1
            return item
        if fields["status"] in GONE:
            self.counts["gone"] += store.mark_gone(self.db, url, fields["status"])
            return item
        # Kept first, so that a page normalization rejects today can be reprocessed tomorrow.
        raw.save_page(self.raw, url, fields)
        # In a worker process (pipeline/workers.py): downloads go on meanwhile.
        post, rejected = await workers.normalize_async(fields)
        if rejected:
            self.counts["rejected"] += 1
            self.crawler.spider.record_failure(url, "normalize", fields["status"], rejected)
            raise DropItem(rejected)
        if self.crawler.spider.older_than_since(post["published"]):
            self.counts["older"] += 1  # --since, when discovery gave no date (pipeline/health.py)
            raise DropItem("older than --since", log_level="DEBUG")
        self.counts[store.save_post(self.db, post)] += 1
        self.counts["with_date"] += post["published"] is not None
        return item

    def close_spider(self) -> None:
        spider = self.crawler.spider
        stats = self.crawler.stats.get_stats()
        report = health.assess(
            stats,
            self.counts,
            spider.discovery_counts,
            limited=spider.limited,
            stale=spider.stale,
        )
        report["responses_by_status"] = json.dumps(health.responses_by_status(stats))
        report["mode"] = run_mode(spider)
        store.save_validators(self.db, spider.checks)
        store.save_crawl_errors(self.db, self.crawl_id, spider.name, spider.failures)
        store.finish_crawl(self.db, self.crawl_id, **report)
        self.db.close()
        self.raw.close()
        if self.lock:
            self.lock.release()
        logger.info("crawl %s of %s: %s", self.crawl_id, spider.name, report["status"])


def run_mode(spider) -> str:
    if getattr(spider, "full", False):
        return "full"
    if getattr(spider, "since", None):
        return f"since {spider.since.isoformat()}"
    if spider.plan.incremental:
        return "incremental"  # stopped at known pages, conditional discovery
    return "catch-up" if spider.plan.known else "first"  # walked every discovery page
