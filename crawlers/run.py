"""Running the spiders in-process for `stdnews crawl` and `stdnews demo`."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

# The CLI may run from any directory (cron); scrapy.cfg is only found from the repo root.
os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawlers.settings")

from scrapy.crawler import CrawlerProcess  # noqa: E402
from scrapy.spiderloader import SpiderLoader  # noqa: E402
from scrapy.utils.project import get_project_settings  # noqa: E402

from crawlers import connections  # noqa: E402
from crawlers.replay.server import MirrorServer  # noqa: E402
from pipeline.store import (  # noqa: E402
    MAX_SEARCH_SEGMENTS,
    SQLiteError,
    is_full,
    is_locked,
    optimize_search,
)
from pipeline.store.lock import CrawlLock  # noqa: E402

REPLAY_HANDLER = "crawlers.replay.handler.ReplayDownloadHandler"


def spider_loader() -> SpiderLoader:
    """The project's spiders: those of crawlers/spiders/ and those made from the registry."""
    return SpiderLoader.from_settings(get_project_settings())


def spider_names() -> list[str]:
    return sorted(spider_loader().list())


def crawl(
    sources: list[str],
    db_path: Path,
    replay: Path | None = None,
    log_level: str = "WARNING",
    overrides: dict | None = None,
    spider_args: dict | None = None,
    progress: bool = False,
) -> str:
    """Crawl the sources (all at once, one reactor) into db_path; returns the run id.

    Holds the database's crawl lock throughout: raises pipeline.store.lock.CrawlLocked at once
    when another crawl is writing the same database. The spiders share one writer, opened by the
    first and closed once the search index is tidied (crawlers/connections.py).
    """
    with CrawlLock(db_path), connections.kept(db_path):
        return _crawl(sources, db_path, replay, log_level, overrides, spider_args, progress)


def _crawl(sources, db_path, replay, log_level, overrides, spider_args, progress) -> str:
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    settings = get_project_settings()
    settings.set("NEWS_DB_PATH", str(db_path))
    settings.set("STDNEWS_RUN_ID", run_id)
    settings.set("LOG_LEVEL", log_level)
    settings.set("STDNEWS_LOCK_HELD", True)
    settings.set("STDNEWS_PROGRESS", progress)
    server = None
    if replay is not None:
        server = MirrorServer(replay).start()
        settings.set("REPLAY_ADDRESS", server.address)
        settings.set("STDNEWS_REPLAY_DIR", str(replay))
        settings.set("DOWNLOAD_HANDLERS", {"http": REPLAY_HANDLER, "https": REPLAY_HANDLER})
        # A local mirror needs no politeness; the live sites keep the defaults.
        settings.set("AUTOTHROTTLE_ENABLED", False)
        settings.set("DOWNLOAD_DELAY", 0)
        settings.set("DOWNLOAD_SLOTS", {})  # the archive's own delay too (crawlers/archive.py)
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 8)
    for name, value in (overrides or {}).items():
        settings.set(name, value)
    try:
        process = CrawlerProcess(settings)
        for name in sources:
            process.crawl(name, **(spider_args or {}))
        process.start()
    finally:
        if server:
            server.stop()
    tidy_search(db_path)
    return run_id


def tidy_search(db_path: Path) -> None:
    """Merge the search index's segments when there are many: upkeep that the next run does
    when this one cannot (the disk is full, another writer kept the lock)."""
    db = connections.WRITER.acquire(db_path)
    try:
        optimize_search(db, MAX_SEARCH_SEGMENTS)
    except SQLiteError as error:
        if not (is_full(error) or is_locked(error)):
            raise
    finally:
        connections.WRITER.release(db_path)
