"""The writer's side: the coordinator's item pipeline drains what the fetchers pushed.

The events of a source (outbox.py) are taken in order, a batch at a time, and go through the same
code as the coordinator's own items (crawlers/pipelines.py): the raw page kept, the post saved
with the write policy every writer follows, a rejected or failed page recorded as a failed request.
The record's entries join the coordinator's record, and the fetchers' stats are added to its own
when the crawls row is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter

from scrapy.exceptions import DropItem

from crawlers.frontier.connection import server
from crawlers.frontier.keys import RunKeys
from crawlers.frontier.lost import guarded, guarded_async
from pipeline.normalize.types import Post

logger = logging.getLogger(__name__)

BATCH = 100
IDLE_SLEEP = 0.05
MAX_IDLE_SLEEP = 0.5


class RemoteFailure(Exception):
    """Normalization failed in a fetcher (its message, as the fetcher gave it)."""


class Inbox:
    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.crawler = pipeline.crawler
        settings = pipeline.crawler.settings
        self.server = server(settings.get("STDNEWS_FRONTIER"))
        self.keys = RunKeys(settings.get("STDNEWS_RUN_ID"))
        self.busy = False  # a batch is being written: the run is not over
        self.task: asyncio.Task | None = None
        self.stopping = False
        self.written: Counter = Counter()
        pipeline.crawler.stdnews_inbox = self

    def start(self) -> None:
        self.task = asyncio.ensure_future(self.drain())

    async def stop(self) -> None:
        """Finish the batch in hand, write what is left, then stop (the run is over, or
        interrupted: what the fetchers pushed is written before the run's record)."""
        self.stopping = True
        if self.task is not None:
            await self.task
            self.task = None
        while await self.drain_once():
            pass

    async def drain(self) -> None:
        """Batches as they come; when there are none, looks again less and less often (a run
        of a hundred sources has a hundred inboxes in this process)."""
        pause = IDLE_SLEEP
        while not self.stopping:
            if await self.drain_once():
                pause = IDLE_SLEEP
            else:
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_IDLE_SLEEP)

    @guarded_async(default=0)
    async def drain_once(self) -> int:
        key = self.keys.events(self.pipeline.crawler.spider.name)
        batch = self.server.lpop(key, BATCH)
        if not batch:
            return 0
        self.busy = True
        try:
            for data in batch:
                await self.apply(json.loads(data))
        finally:
            self.busy = False
        return len(batch)

    async def apply(self, event: dict) -> None:
        kind = event.pop("event")
        self.written[kind] += 1
        record = self.pipeline.record
        if kind == "item":
            await self.item(event)
        elif kind == "check":
            record.checks.append(event)
        elif kind == "failure":
            record.failures.append(event)
        elif kind == "discovered":
            record.discovered(event["root"], event["links"])
        elif kind == "stale":
            record.stale.add(event["root"])
        else:
            logger.error("stdnews crawl: unknown frontier event %r, skipped", kind)

    async def item(self, event: dict) -> None:
        normalized = None
        if "error" in event:
            normalized = RemoteFailure(event["error"])
        elif "post" in event or "rejected" in event:
            post = Post.from_dict(event["post"]) if event.get("post") else None
            normalized = (post, event.get("rejected"))
        # Recorded (rejected, older than --since, not saved) as for a local item.
        with contextlib.suppress(DropItem):
            await self.pipeline.handle(event["fields"], normalized)

    @guarded(default={})
    def remote_stats(self) -> dict:
        """The fetchers' stats, added up (their last published counts)."""
        crawler = self.pipeline.crawler
        me = crawler.settings.get("STDNEWS_FRONTIER_FETCHER")
        total: Counter = Counter()
        for fetcher, data in self.server.hgetall(self.keys.stats(crawler.spider.name)).items():
            if fetcher.decode() != me:
                total.update(json.loads(data))
        return total
