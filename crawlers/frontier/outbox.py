"""A fetcher's item pipeline: pages normalized here, pushed to Redis for the one writer.

Each event is JSON on the source's events list (keys.RunKeys.events), written in order by the
coordinator (inbox.py): an article's item with its post (or why normalization rejected it), and
the run record's entries as the spider makes them (checks, failed requests, discovery counts,
stale selectors), so that a fetcher killed later has lost none of them.
"""

from __future__ import annotations

import json

from itemadapter import ItemAdapter

from crawlers import bookkeeping
from crawlers.frontier.connection import server
from crawlers.frontier.keys import RunKeys
from crawlers.frontier.lost import guarded
from crawlers.spiders.base import GONE
from pipeline.normalize import workers


class PushedSet(set):
    """The record's stale start URLs: each added one is pushed too."""

    def __init__(self, push):
        super().__init__()
        self.push = push

    def add(self, root: str) -> None:
        super().add(root)
        self.push({"event": "stale", "root": root})


class OutboxRecord(bookkeeping.RunRecord):
    """A run record whose entries go to the writer as they are made."""

    def __init__(self, push):
        super().__init__()
        self.push = push
        self.stale = PushedSet(push)

    def check(self, url, source, kind, status, etag, modified) -> None:
        row = {"url": url, "source": source, "kind": kind, "status": status}
        self.push({"event": "check", **row, "etag": etag, "last_modified": modified})

    def failure(self, url, kind, status, error, reason=None) -> None:
        super().failure(url, kind, status, error, reason)
        self.push({"event": "failure", **self.failures.pop()})

    def discovered(self, root: str, links: int) -> None:
        self.push({"event": "discovered", "root": root, "links": links})


class OutboxPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.server = server(settings.get("STDNEWS_FRONTIER"))
        self.keys = RunKeys(settings.get("STDNEWS_RUN_ID"))
        setattr(crawler, bookkeeping.ATTRIBUTE, OutboxRecord(self.push))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @guarded()
    def push(self, event: dict) -> None:
        key = self.keys.events(self.crawler.spider.name)
        self.server.rpush(key, json.dumps(event, separators=(",", ":")))

    async def process_item(self, item):
        fields = ItemAdapter(item).asdict()
        event = {"event": "item", "fields": fields}
        if fields["status"] != 304 and fields["status"] not in GONE:
            try:
                post, rejected = await workers.normalize_async(fields)
            except Exception as error:  # the writer records it as a failed request
                event["error"] = f"{type(error).__name__}: {error}"
            else:
                event["post"] = post.to_dict() if post else None
                event["rejected"] = rejected
        self.push(event)
        return item
