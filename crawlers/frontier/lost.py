"""A frontier that stops answering mid-run: one line, the run stopped and marked failed.

Every call to Redis made while a run goes on is guarded (`guarded`, `guarded_async`): a Redis
error marks the crawler's run as lost, says so once per process, and closes the spider; the
method answers its harmless default (no request, nothing pending, the spider may close). The
coordinator's `crawls` rows then say `failed` with the reason and the run is incomplete, so the
next one catches up; a fetcher exits 1 with the same line. No traceback: Redis going away is an
expected failure.
"""

from __future__ import annotations

import asyncio
import functools
import logging

import redis

logger = logging.getLogger(__name__)

ATTRIBUTE = "stdnews_frontier_lost"  # the crawler's: why its run stopped
LOST: list[str] = []  # this process's first such message


def frontier_lost(crawler, error: Exception) -> None:
    if getattr(crawler, ATTRIBUTE, None):
        return
    url = crawler.settings.get("STDNEWS_FRONTIER")
    message = f"the frontier {url} stopped answering ({error}): run stopped, incomplete"
    setattr(crawler, ATTRIBUTE, message)
    if not LOST:
        LOST.append(message)
        logger.error("stdnews: %s", message)
    engine = crawler.engine
    if engine is not None and engine.spider is not None:
        asyncio.ensure_future(engine.close_spider_async(reason="frontier lost"))


def lost(crawler) -> str | None:
    return getattr(crawler, ATTRIBUTE, None)


def guarded(default=None):
    """A method of an object with a `crawler`: a Redis error loses the frontier, answers
    `default`. (A signal handler so wrapped takes `**_`: Scrapy's dispatcher gives a handler
    that accepts any keyword every argument of the signal.)"""

    def wrap(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except redis.RedisError as error:
                frontier_lost(self.crawler, error)
                return default

        return call

    return wrap


def guarded_async(default=None):
    def wrap(method):
        @functools.wraps(method)
        async def call(self, *args, **kwargs):
            try:
                return await method(self, *args, **kwargs)
            except redis.RedisError as error:
                frontier_lost(self.crawler, error)
                return default

        return call

    return wrap
