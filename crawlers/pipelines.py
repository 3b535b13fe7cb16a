"""Thin adapter: Scrapy's item lifecycle outside, pipeline.normalize and pipeline.store inside."""

from __future__ import annotations

import logging
from collections import Counter

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from pipeline import health, raw, store
from pipeline.normalize import NormalizeError, canonical_url, normalize

logger = logging.getLogger(__name__)


class SQLitePipeline:
    """Normalizes each article item and saves it; keeps one `crawls` row per spider run."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.settings = crawler.settings
        self.counts: Counter = Counter()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self) -> None:
        self.db = store.open_db(self.settings.get("NEWS_DB_PATH"))
        self.raw = raw.open_raw(self.settings.get("NEWS_DB_PATH"))
        self.crawl_id = store.start_crawl(
            self.db,
            self.crawler.spider.name,
            self.settings.get("STDNEWS_RUN_ID") or store.utcnow(),
            self.settings.get("STDNEWS_REPLAY_DIR") or None,
        )

    def process_item(self, item):
        fields = ItemAdapter(item).asdict()
        # Kept first, so that a page normalization rejects today can be reprocessed tomorrow.
        raw.save_page(self.raw, canonical_url(fields["final_url"] or fields["url"]), fields)
        try:
            post = normalize(fields)
        except NormalizeError as error:
            self.counts["rejected"] += 1
            raise DropItem(str(error)) from error
        self.counts[store.save_post(self.db, post)] += 1
        self.counts["with_date"] += post["published"] is not None
        return item

    def close_spider(self) -> None:
        stats = self.crawler.stats.get_stats()
        discovery = getattr(self.crawler.spider, "discovery_counts", {})
        report = health.assess(stats, self.counts, discovery)
        store.finish_crawl(self.db, self.crawl_id, **report)
        self.db.close()
        self.raw.close()
        logger.info("crawl %s of %s: %s", self.crawl_id, self.crawler.spider.name, report["status"])
