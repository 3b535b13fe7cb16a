"""scrapy-redis' scheduler and duplicate filter on the run's keys and the per-host queue.

What this adds to scrapy_redis.scheduler.Scheduler:
- the keys are the run's (keys.py) and the queue is queue.HostQueue with the run's politeness;
- nothing is flushed when a process closes (other fetchers still use the frontier: the
  coordinator removes the run's keys at the end);
- when no host may be asked yet, the engine is woken when the first one may, rather than at its
  next heartbeat (every 5 s);
- each request taken is reported done (removed from the fetcher's in-flight hash) once the engine
  has finished with it: its response scraped, its items through the pipelines, its new requests
  queued; its host lease is given back as soon as its download is over.
"""

from __future__ import annotations

from scrapy import signals
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from crawlers.frontier import codec, connection
from crawlers.frontier.keys import RunKeys
from crawlers.frontier.lost import guarded
from crawlers.frontier.queue import LEASE, HostQueue


class FrontierScheduler(Scheduler):
    def __init__(self, server, crawler, **kwargs):
        super().__init__(server, persist=True, **kwargs)
        self.crawler = crawler
        self.keys = RunKeys(crawler.settings.get("STDNEWS_RUN_ID"))
        self.fetcher = crawler.settings.get("STDNEWS_FRONTIER_FETCHER")
        self.taken: dict[str, object] = {}  # lease -> the request the engine works on
        crawler.signals.connect(self.left_downloader, signal=signals.request_left_downloader)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        server = connection.server(settings.get("STDNEWS_FRONTIER"))
        instance = cls(server, crawler, serializer=codec)
        instance.stats = crawler.stats
        return instance

    def open(self, spider):
        self.spider = spider
        name = spider.name
        settings = self.crawler.settings
        politeness = (
            settings.getfloat("STDNEWS_FRONTIER_DELAY"),
            settings.getint("STDNEWS_FRONTIER_PER_HOST"),
        )
        self.queue = HostQueue(
            self.server,
            spider,
            self.keys.queue(name),
            self.serializer,
            inflight=self.keys.inflight(name, self.fetcher),
            politeness=politeness,
        )
        self.df = RFPDupeFilter(self.server, key=self.keys.seen(name))

    @guarded()
    def close(self, reason):
        """Nothing flushed: the frontier is the run's, not this process's."""
        self.sweep(everything=True)

    @guarded(default=False)
    def enqueue_request(self, request):
        """scrapy-redis' own, without its deprecated stats call (and the warning in the log)."""
        request.meta.pop(LEASE, None)  # a retry or redirect of a request this fetcher took
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    @guarded()
    def next_request(self):
        self.sweep()
        request = self.queue.pop()
        if request is None:
            if self.queue.wait is not None:
                wake(self.crawler, self.queue.wait)
            return None
        self.taken[request.meta[LEASE][0]] = request
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    @guarded(default=False)
    def has_pending_requests(self) -> bool:
        return len(self.queue) > 0

    @guarded()
    def left_downloader(self, request, spider=None, **_):
        lease = request.meta.get(LEASE)
        if lease:
            self.queue.release(*lease)

    @guarded(default=0)
    def sweep(self, everything: bool = False) -> int:
        """Report done the requests the engine no longer works on; returns how many. Their
        stats go first: when the coordinator sees nothing in flight, the stats are complete."""
        busy = in_progress(self.crawler)
        done = [lease for lease, request in self.taken.items() if everything or request not in busy]
        if done:
            publish_stats = getattr(self.crawler, "stdnews_publish_stats", None)
            if publish_stats:
                publish_stats()
            for lease in done:
                request = self.taken.pop(lease)
                self.queue.release(*request.meta[LEASE])
                self.queue.finished(lease)
        return len(done)


def in_progress(crawler) -> set:
    """The requests the engine has taken and not finished (downloading or being scraped).

    Scrapy keeps them in its engine slot (`inprogress`, private): a request leaves it only after
    its response went through the spider and its items through the pipelines, which is the
    moment a fetcher may forget it. Pinned with Scrapy (pyproject.toml); tests/test_frontier.py
    kills a fetcher mid-run and would lose posts if this went wrong.
    """
    slot = getattr(crawler.engine, "_slot", None)
    return slot.inprogress if slot is not None else set()


def wake(crawler, seconds: float) -> None:
    """Ask the engine for the next request in `seconds` (its heartbeat would wait up to 5 s)."""
    slot = getattr(crawler.engine, "_slot", None)
    if slot is not None:
        slot.nextcall.schedule(seconds)
