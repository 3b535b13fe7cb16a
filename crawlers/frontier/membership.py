"""Who works on a run, and when a source's part of it is over (an extension on every crawler).

Every process (the coordinator and each `stdnews fetch`) joins the run under a fetcher id and
keeps a heartbeat key alive while it works; every beat it also publishes its stats (for the
writer's crawls row) and reports done the requests it finished (scheduler.py).

A fetcher's spider idles until the coordinator says the source is done. The coordinator's spider
closes when, in one atomic look at Redis, no request of the source is queued, none is in flight
in any fetcher and no event waits to be written, and its own writer is not busy. On each beat the
coordinator looks for fetchers whose heartbeat stopped (killed, crashed, cut off): their in-flight
requests go back to the frontier for another fetcher, and the run's record says so.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from twisted.internet.task import LoopingCall

from crawlers.frontier import announce
from crawlers.frontier.connection import server
from crawlers.frontier.keys import RunKeys
from crawlers.frontier.lost import guarded
from crawlers.frontier.scheduler import wake
from crawlers.frontier.turns import SharedTurns
from crawlers.stats import ARTICLES_REQUESTED

logger = logging.getLogger(__name__)

COORDINATOR, FETCHER = "coordinator", "fetcher"
# KEYS: the source's pending count, events list, the run's fetchers. ARGV: the in-flight hashes'
# prefix. 1 when nothing is queued, waiting to be written or in flight in any fetcher.
OVER = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then return 0 end
if redis.call('LLEN', KEYS[2]) > 0 then return 0 end
for _, fetcher in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  if redis.call('HLEN', ARGV[1] .. fetcher) > 0 then return 0 end
end
return 1
"""
# How often an idle fetcher looks at the frontier again.
IDLE_POLL = 0.25


def fetcher_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Member:
    """The run's bookkeeping of one crawler (one source) of one process."""

    def __init__(self, crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.server = server(settings.get("STDNEWS_FRONTIER"))
        self.keys = RunKeys(settings.get("STDNEWS_RUN_ID"))
        self.me = settings.get("STDNEWS_FRONTIER_FETCHER")
        self.role = settings.get("STDNEWS_FRONTIER_ROLE")
        self.coordinator = settings.get("STDNEWS_FRONTIER_COORDINATOR", "")
        self.ttl = settings.getfloat("STDNEWS_FRONTIER_HEARTBEAT", 10.0)
        self.beat = LoopingCall(self.heartbeat)
        self.scheduler = None  # the engine's, once the spider is open
        self.requeued: dict[str, int] = {}  # dead fetcher -> requests put back (coordinator)
        self.over_script = self.server.register_script(OVER)
        crawler.stdnews_publish_stats = self.publish_stats
        crawler.stdnews_member = self
        crawler.stdnews_turns = SharedTurns(crawler)  # crawlers/archive.py's, across fetchers
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)
        crawler.signals.connect(self.dropped, signal=signals.request_dropped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def source(self) -> str:
        return self.crawler.spider.name

    @guarded()
    def opened(self, spider, **_) -> None:
        self.scheduler = self.crawler.engine._slot.scheduler  # scheduler.FrontierScheduler
        self.server.sadd(self.keys.fetchers, self.me)
        self.heartbeat()
        self.beat.start(max(self.ttl / 5, 0.2), now=False)

    @guarded()
    def heartbeat(self) -> None:
        self.server.set(self.keys.alive(self.me), "1", px=int(self.ttl * 1000))
        self.scheduler.sweep()
        if self.role == COORDINATOR:
            announce.refresh(self.server, self.keys.run_id)
            self.requeue_the_dead()
        else:
            self.publish_stats()

    def publish_stats(self) -> None:
        """This fetcher's counts so far (numbers only), for the coordinator to add up."""
        if self.role == COORDINATOR:
            return  # the writer reads its own
        stats = {k: v for k, v in self.crawler.stats.get_stats().items() if is_number(v)}
        self.server.hset(self.keys.stats(self.source), self.me, json.dumps(stats))

    def requeue_the_dead(self) -> None:
        left = self.keys.left(self.source)
        for member in self.server.smembers(self.keys.fetchers):
            fetcher = member.decode()
            if self.server.sismember(left, fetcher) or self.server.exists(self.keys.alive(fetcher)):
                continue
            self.server.sadd(left, fetcher)  # given up: what it pushes later is still written
            count = self.scheduler.queue.requeue(self.keys.inflight(self.source, fetcher))
            self.requeued[fetcher] = count
            logger.warning(
                "stdnews crawl: fetcher %s stopped answering; %d of its requests of %s put back "
                "in the frontier",
                fetcher,
                count,
                self.source,
            )

    @guarded()
    def idle(self, spider, **_) -> None:
        self.scheduler.sweep(everything=True)  # this engine is idle: it works on nothing
        if self.role == COORDINATOR:
            self.requeue_the_dead()
            if self.over():
                self.server.set(self.keys.done(self.source), "1")
                return
        elif self.server.exists(self.keys.done(self.source)) or self.coordinator_gone():
            return
        wake(self.crawler, IDLE_POLL)
        raise DontCloseSpider

    def over(self) -> bool:
        """Nothing queued, in flight or waiting to be written, in one atomic look (a Lua
        script: a fetcher that joins and takes a request meanwhile is seen)."""
        inbox = getattr(self.crawler, "stdnews_inbox", None)
        if inbox is not None and inbox.busy:
            return False
        keys = [
            f"{self.keys.queue(self.source)}:pending",
            self.keys.events(self.source),
            self.keys.fetchers,
        ]
        return bool(self.over_script(keys, [self.keys.inflight(self.source, "")]))

    def coordinator_gone(self) -> bool:
        """The coordinator's heartbeat stopped: nobody will say the run is over."""
        gone = bool(self.coordinator) and not self.server.exists(self.keys.alive(self.coordinator))
        if gone:
            logger.error("stdnews fetch: the coordinator of run %s stopped", self.keys.run_id)
        return gone

    def dropped(self, request, spider) -> None:
        """An article another fetcher asked for already (found by another discovery path):
        the spider counted it as requested, the frontier's duplicate filter did not send it."""
        if getattr(request.callback, "__name__", "") == "parse_article":
            self.crawler.stats.inc_value(ARTICLES_REQUESTED, -1)

    @guarded()
    def closed(self, spider, reason, **_) -> None:
        if self.beat.running:
            self.beat.stop()
        self.scheduler.sweep(everything=True)
        self.publish_stats()
        self.server.sadd(self.keys.left(self.source), self.me)


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
