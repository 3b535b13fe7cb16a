"""Blocked pages through a polite channel: the Internet Archive's copy (Wayback Machine).

A downloader middleware. When a page of a source answers with a refusal (`crawlers.failures`
"blocked": 401/403/429 or a bot challenge, also when robots.txt was refused, see
crawlers/robots.py), it asks the Wayback Machine's availability API for the closest copy
(`archive.org/wayback/available?url=...`) and, when one of a 200 answer exists, fetches the copy's
original bytes through the `id_` form of its address (`web.archive.org/web/<timestamp>id_/<url>`,
no banner, no rewritten links), as trafilatura's archive fallback does. The copy goes to the
spider as the page's answer: the original URL and request (callback, errback, cb_kwargs, meta),
with meta `fetched_via="archive"` and `archived_at=<YYYYMMDDhhmmss>`. With no copy, or when the
archive fails, the refusal goes on unchanged and the errback records the page as blocked.

Never a way around a challenge: the live host is asked once, as ourselves; the archive is asked as
ourselves too (the project's User-Agent and contact URL), through the engine, so its robots.txt is
obeyed, on a download slot of its own ("archive", STDNEWS_ARCHIVE_DELAY between requests, one at a
time), at most STDNEWS_ARCHIVE_MAX_LOOKUPS lookups per source and run (the rest wait for a later
run), and not at all once it proved unreachable in this run. STDNEWS_ARCHIVE_FALLBACK=False (env
STDNEWS_ARCHIVE=0) switches it off.

Stats: stdnews/archive/requested (lookups), found, missing (no usable copy), failed (the archive
did not answer), capped (over the lookup budget).
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import quote

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached

from crawlers import failures
from crawlers import stats as keys
from crawlers.robots import RobotsRefused

logger = logging.getLogger(__name__)

AVAILABLE = "https://archive.org/wayback/available?url="
COPY = "https://web.archive.org/web/{timestamp}id_/{url}"
HOSTS = ("archive.org",)  # and its subdomains (web.archive.org)
SLOT = "archive"
META = "stdnews_archive"  # on the archive's own requests: never looked up in the archive
TIMESTAMP = re.compile(r"/web/(\d{14})id_/")
# The copy's validators are the archive's, not the site's: a revisit must not send them there.
DROPPED_HEADERS = (b"ETag", b"Last-Modified", b"Set-Cookie")


def is_blocked(response: Response) -> bool:
    reason = failures.of_answer(response.status, response.headers, response.body)
    return reason == failures.BLOCKED


def closest(answer: Response) -> str | None:
    """The timestamp of the availability API's closest copy, when it is of a 200 answer."""
    try:
        found = json.loads(answer.body)["archived_snapshots"].get("closest") or {}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    timestamp = str(found.get("timestamp") or "")
    usable = found.get("available") and str(found.get("status")) == "200"
    return timestamp if usable and re.fullmatch(r"\d{14}", timestamp) else None


class ArchiveFallback:
    """process_response: a blocked page -> its archived copy, when the archive has one."""

    def __init__(self, crawler):
        if not crawler.settings.getbool("STDNEWS_ARCHIVE_FALLBACK"):
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.budget = crawler.settings.getint("STDNEWS_ARCHIVE_MAX_LOOKUPS")
        # The archive slot's delay (none in a replay), applied across fetchers when shared.
        self.delay = crawler.settings.getdict("DOWNLOAD_SLOTS").get(SLOT, {}).get("delay", 0)
        self.lookups = 0
        self.unreachable = False  # the archive failed to answer: not asked again this run
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        """The archive's hosts join the spider's domains, so that Scrapy's offsite filter lets
        their robots.txt through (filtered, it would be read as "everything allowed")."""
        domains = list(getattr(spider, "allowed_domains", None) or [])
        if domains:
            spider.allowed_domains = [*domains, *(h for h in HOSTS if h not in domains)]

    async def process_response(self, request: Request, response: Response) -> Response:
        if not self.applies(request) or not is_blocked(response):
            return response
        return await self.copy_of(request) or response

    async def process_exception(self, request: Request, exception: Exception):
        """A page whose host refused robots.txt: the archive's copy, else the refusal goes on."""
        refused = isinstance(exception, RobotsRefused) and is_blocked(exception.response)
        return await self.copy_of(request) if refused and self.applies(request) else None

    def applies(self, request: Request) -> bool:
        """A source's page: not the archive's own requests, not robots.txt."""
        if request.meta.get(META) or request.meta.get("dont_obey_robotstxt"):
            return False
        if request.meta.get("archive_kept"):
            self.stats.inc_value(keys.ARCHIVE_KEPT)
            return False
        return urlparse_cached(request).path != "/robots.txt"

    async def copy_of(self, request: Request) -> Response | None:
        """The archived copy as the answer to request, or None (no copy, archive failed)."""
        if self.unreachable:
            return None
        if self.spent() > self.budget:
            self.stats.inc_value(keys.ARCHIVE_CAPPED)
            return None
        self.stats.inc_value(keys.ARCHIVE_REQUESTED)
        try:
            answer = await self.fetch(AVAILABLE + quote(request.url, safe=":/"))
            if answer.status >= 400:
                return self.refused_by_archive(request, answer.status)
            timestamp = closest(answer)
            copy = timestamp and await self.fetch(COPY.format(timestamp=timestamp, url=request.url))
        except Exception as error:  # noqa: BLE001 (any failure of the archive: the refusal stands)
            return self.failed(request, error)
        if not copy or copy.status != 200 or is_blocked(copy):
            self.stats.inc_value(keys.ARCHIVE_MISSING)
            logger.debug("no archived copy of %s", request.url)
            return None
        self.stats.inc_value(keys.ARCHIVE_FOUND)
        return self.as_answer(request, copy, timestamp)

    def spent(self) -> int:
        """Lookups of this source and run, this one included: all fetchers' in a shared crawl
        (crawlers/frontier/turns.py), so that N of them look up no more than one would."""
        shared = getattr(self.crawler, "stdnews_turns", None)
        if shared is not None:
            return shared.spend("archive_lookups", self.crawler.spider.name)
        self.lookups += 1
        return self.lookups

    async def fetch(self, url: str) -> Response:
        shared = getattr(self.crawler, "stdnews_turns", None)
        if shared is not None:  # the archive's delay holds across the fetchers of a shared crawl
            await shared.wait(SLOT, self.delay)
        meta = {
            META: True,
            "download_slot": SLOT,
            "allow_offsite": True,
            "autothrottle_dont_adjust_delay": True,
        }
        return await self.crawler.engine.download_async(
            Request(url, callback=NO_CALLBACK, meta=meta)
        )

    def refused_by_archive(self, request: Request, status: int) -> None:
        """The archive answered with an error: 429 (slow down) or 403 end the lookups of this
        run; another error counts as a failed lookup."""
        self.stats.inc_value(keys.ARCHIVE_FAILED)
        if status in (403, 429):
            self.unreachable = True
            logger.warning("the Internet Archive answered %s: no more lookups this run", status)
        else:
            logger.info("archive lookup of %s answered %s", request.url, status)
        return None

    def failed(self, request: Request, error: Exception) -> None:
        self.stats.inc_value(keys.ARCHIVE_FAILED)
        if failures.from_exception(error) == failures.UNREACHABLE:
            self.unreachable = True
            logger.warning("the Internet Archive is unreachable (%s): no more lookups", error)
        else:
            logger.warning("archive lookup of %s failed: %s", request.url, error)
        return None

    def as_answer(self, request: Request, copy: Response, timestamp: str) -> Response:
        """The copy under the page's own URL and request, marked as the archive's."""
        found = TIMESTAMP.search(copy.url)  # the archive may redirect to a nearby capture
        request.meta["fetched_via"] = "archive"
        request.meta["archived_at"] = found.group(1) if found else timestamp
        headers = copy.headers.copy()
        for name in DROPPED_HEADERS:
            headers.pop(name, None)
        logger.info("archived copy (%s) of %s", request.meta["archived_at"], request.url)
        return copy.replace(
            url=request.url, request=request, headers=headers, flags=[*copy.flags, "archive"]
        )
