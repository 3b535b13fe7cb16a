"""robots.txt asked for once per run and host, whichever fetcher needs it first.

Each process reads robots.txt before its first request to a host (crawlers/robots.py); N
fetchers would ask N times. This downloader middleware, ahead of every other, shares the answer:
the first fetcher to need a host's robots.txt claims it in Redis and fetches it; the others wait
for its answer (status, headers, body, as received) and replay it to their own robots.txt
middleware, which then decides exactly as for a fetched one (a refusal included). A claim that
is not answered in time (the claimer died, the host never answered) lets the waiter fetch it.
"""

from __future__ import annotations

import asyncio
import time

from scrapy.http import Response
from scrapy.http.headers import Headers
from scrapy.responsetypes import responsetypes

from crawlers.frontier import codec
from crawlers.frontier.connection import server
from crawlers.frontier.keys import RunKeys
from crawlers.frontier.lost import guarded, guarded_async
from crawlers.frontier.queue import host_of

CLAIM_SECONDS = 60.0  # a claimer's answer is waited for this long at most
POLL = 0.1
SHARED = "frontier-robots"  # the flag of an answer replayed from another fetcher


class SharedRobots:
    def __init__(self, crawler):
        settings = crawler.settings
        self.server = server(settings.get("STDNEWS_FRONTIER"))
        self.keys = RunKeys(settings.get("STDNEWS_RUN_ID"))
        self.me = settings.get("STDNEWS_FRONTIER_FETCHER")
        self.stats = crawler.stats
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @guarded_async()
    async def process_request(self, request):
        if not is_robots(request):
            return None
        key = self.keys.robots(host_of(request.url))
        deadline = time.monotonic() + CLAIM_SECONDS
        while time.monotonic() < deadline:
            if (cached := self.server.get(key)) is not None:
                return replayed(cached, request)
            if self.server.set(f"{key}:claim", self.me, nx=True, ex=int(CLAIM_SECONDS)):
                return None  # ours to fetch
            await asyncio.sleep(POLL)
        return None

    def process_response(self, request, response):
        if is_robots(request) and SHARED in response.flags:
            self.uncount(response)
        elif is_robots(request):
            self.remember(request, response)
        return response

    @guarded()
    def remember(self, request, response) -> None:
        answer = {
            "status": response.status,
            "headers": dict(response.headers.items()),
            "body": response.body,
        }
        self.server.set(self.keys.robots(host_of(request.url)), codec.dumps(answer))

    def uncount(self, response) -> None:
        """Scrapy's downloader stats counted the replayed answer as a response: it was not
        one (the run's crawls row counts what the hosts answered)."""
        self.stats.inc_value("downloader/response_count", -1)
        self.stats.inc_value(f"downloader/response_status_count/{response.status}", -1)

    @guarded()
    def process_exception(self, request, exception):
        """No answer: the next fetcher that needs it tries for itself."""
        if is_robots(request):
            self.server.delete(f"{self.keys.robots(host_of(request.url))}:claim")


def is_robots(request) -> bool:
    return request.url.split("?")[0].endswith("/robots.txt") and bool(
        request.meta.get("dont_obey_robotstxt")
    )


def replayed(data: bytes, request) -> Response:
    answer = codec.loads(data)
    headers = Headers(answer["headers"])
    cls = responsetypes.from_args(headers=headers, url=request.url, body=answer["body"])
    return cls(
        url=request.url,
        status=answer["status"],
        headers=headers,
        body=answer["body"],
        request=request,
        flags=[SHARED],
    )
