"""The two roles' set-up: the coordinator (`stdnews crawl --frontier`) and a fetcher
(`stdnews fetch`). Both run the same spiders through Scrapy's engine; the settings differ."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from crawlers.frontier import announce, membership
from crawlers.frontier.connection import server
from crawlers.frontier.keys import RunKeys

# The run's keys stay this long after it ends, so that slow fetchers still read "done".
KEEP_AFTER_RUN = 600


def configure(settings, url: str, run: announce.Run, role: str, me: str) -> None:
    """Scrapy settings of a crawl on the shared frontier of `url` (above any override: the
    politeness is the frontier's, across fetchers (queue.py); each process adds none of its own).
    """
    extensions = {**settings.getdict("EXTENSIONS"), "crawlers.frontier.membership.Member": 520}
    # Ahead of every other middleware: robots.txt fetched once per run and host (robots.py).
    middlewares = {
        **settings.getdict("DOWNLOADER_MIDDLEWARES"),
        "crawlers.frontier.robots.SharedRobots": 50,
    }
    values = {
        "STDNEWS_FRONTIER": url,
        "STDNEWS_FRONTIER_ROLE": role,
        "STDNEWS_FRONTIER_FETCHER": me,
        "STDNEWS_FRONTIER_COORDINATOR": run.coordinator,
        "STDNEWS_RUN_ID": run.run_id,
        "SCHEDULER": "crawlers.frontier.scheduler.FrontierScheduler",
        "STDNEWS_FRONTIER_DELAY": run.delay,
        "STDNEWS_FRONTIER_PER_HOST": run.per_host,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(run.per_host, 1),
        "EXTENSIONS": extensions,
        "DOWNLOADER_MIDDLEWARES": middlewares,
    }
    if role == membership.FETCHER:
        values["ITEM_PIPELINES"] = {"crawlers.frontier.outbox.OutboxPipeline": 300}
    settings.setdict(values, priority="cmdline")


@contextmanager
def coordinating(url: str, run: announce.Run) -> Iterator[None]:
    """The run announced for fetchers to join while the block runs; its keys expire after."""
    client = server(url)
    announce.publish(client, run)
    try:
        yield
    finally:
        with contextlib.suppress(redis.RedisError):  # lost mid-run: said already (lost.py)
            announce.withdraw(client, run.run_id)
            for key in client.scan_iter(f"{RunKeys(run.run_id).base}:*"):
                client.expire(key, KEEP_AFTER_RUN)


def fetch(url: str, replay, wait: float | None, log_level: str = "WARNING") -> announce.Run | None:
    """Join the announced run as a fetcher (waiting up to `wait` seconds for one; None: for
    ever) and work on it until it is over; the run, or None when none was announced."""
    from crawlers import run as runner

    run = announce.wait_for_run(server(url), wait)
    if run is None:
        return None
    if run.replay and replay is None:
        raise ValueError(f"run {run.run_id} replays a mirror: give the fetcher --replay DIR")
    settings = runner.get_project_settings()
    settings.set("LOG_LEVEL", log_level)
    if replay is not None:
        runner.replaying(settings, replay)
    configure(settings, url, run, membership.FETCHER, membership.fetcher_id())
    runner.run(settings, run.sources, replay, run.spider_args)
    return run
