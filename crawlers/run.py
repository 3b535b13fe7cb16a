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
from crawlers.frontier import announce, membership, roles  # noqa: E402
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
    frontier: str | None = None,
    delay: float | None = None,
) -> str:
    """Crawl the sources (all at once, one reactor) into db_path; returns the run id.

    Holds the database's crawl lock throughout: raises pipeline.store.lock.CrawlLocked at once
    when another crawl is writing the same database. The spiders share one writer, opened by the
    first and closed once the search index is tidied (crawlers/connections.py). With `frontier`
    (redis://...), the run is shared with the fetchers that join it (crawlers/frontier/): this
    process coordinates, fetches and writes. `delay`: seconds between two requests to one host
    (default: the settings' DOWNLOAD_DELAY, none for a replay).
    """
    with CrawlLock(db_path), connections.kept(db_path):
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        settings = crawl_settings(run_id, db_path, replay, log_level, progress, delay)
        settings.setdict(overrides or {}, priority="cmdline")
        if frontier is None:
            return _crawl(settings, sources, replay, spider_args)
        run = shared_run(run_id, sources, settings, spider_args, replay)
        roles.configure(settings, frontier, run, membership.COORDINATOR, run.coordinator)
        with roles.coordinating(frontier, run):
            return _crawl(settings, sources, replay, spider_args)


def crawl_settings(run_id, db_path, replay, log_level, progress, delay):
    settings = get_project_settings()
    settings.set("NEWS_DB_PATH", str(db_path))
    settings.set("STDNEWS_RUN_ID", run_id)
    settings.set("LOG_LEVEL", log_level)
    settings.set("STDNEWS_LOCK_HELD", True)
    settings.set("STDNEWS_PROGRESS", progress)
    if replay is not None:
        replaying(settings, replay)
    if delay is not None:
        settings.set("DOWNLOAD_DELAY", delay)
    return settings


def replaying(settings, replay: Path) -> None:
    """A local mirror needs no politeness; the live sites keep the defaults."""
    settings.set("STDNEWS_REPLAY_DIR", str(replay))
    settings.set("DOWNLOAD_HANDLERS", {"http": REPLAY_HANDLER, "https": REPLAY_HANDLER})
    settings.set("AUTOTHROTTLE_ENABLED", False)
    settings.set("DOWNLOAD_DELAY", 0)
    settings.set("DOWNLOAD_SLOTS", {})  # the archive's own delay too (crawlers/archive.py)
    settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 8)


def shared_run(run_id, sources, settings, spider_args, replay) -> announce.Run:
    """What fetchers need to join: the sources, their arguments, the politeness."""
    return announce.Run(
        run_id=run_id,
        sources=list(sources),
        spider_args=dict(spider_args or {}),
        delay=settings.getfloat("DOWNLOAD_DELAY"),
        per_host=settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
        replay=replay is not None,
        coordinator=membership.fetcher_id(),
    )


def _crawl(settings, sources, replay, spider_args) -> str:
    """Run the spiders (a replay: with its loopback server); returns the run id."""
    run(settings, sources, replay, spider_args)
    tidy_search(Path(settings.get("NEWS_DB_PATH")))
    return settings.get("STDNEWS_RUN_ID")


def run(settings, sources, replay: Path | None, spider_args) -> None:
    """The spiders of `sources` in one reactor, until every one has closed."""
    server = None
    if replay is not None:
        server = MirrorServer(replay).start()
        settings.set("REPLAY_ADDRESS", server.address)
    try:
        process = CrawlerProcess(settings)
        for name in sources:
            process.crawl(name, **(spider_args or {}))
        process.start()
    finally:
        if server:
            server.stop()


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
