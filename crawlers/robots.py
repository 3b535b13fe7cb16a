"""robots.txt that the host refuses to show is not read as "everything allowed".

Scrapy parses whatever answers /robots.txt as its rules, so a Cloudflare challenge page (or any
403) becomes an empty rule set: everything allowed. RFC 9309 reads a 4xx answer as "no rules" and
a 5xx answer as "disallow everything". A refusal is neither a missing file nor an outage: the host
(its CDN) does not want automated clients, and we cannot know its rules. So:

* robots.txt answered with a refusal (401/403/429, or a challenge page whatever its status,
  `crawlers.failures` "blocked"), or a 5xx ("unreachable", as RFC 9309 says): nothing more is
  asked of that host in this run. Its pages fail with `RobotsRefused`, an HttpError carrying the
  robots.txt answer, so that errbacks record them as blocked (or unreachable) like a refused page,
  and the archive fallback (crawlers/archive.py) can still fetch the Internet Archive's copy;
* 404/410 and other 4xx: no rules, everything allowed (RFC 9309);
* no answer at all (DNS, timeout): Scrapy's rule, everything allowed, so that each page fails
  with its own network error and the run reports the source unreachable.

Decided again on every run: a host that stops refusing is crawled again on the next one.

Every request waits for its host's rules. Scrapy 2.13+ has each request that arrives while
robots.txt is still being fetched await the same pending Deferred; the first waiter's
`asFuture` callback returns None, so the waiters after it were handed None ("no rules") and
their pages were fetched unchecked (scrapy/scrapy#6802 dropped the pass-through callback).
`robot_parser` here gives each waiter a Deferred of its own, chained so the result passes on.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxt
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawlers import failures
from crawlers import stats as keys

logger = logging.getLogger(__name__)


class RobotsRefused(HttpError):
    """A page not asked for because its host refused to show robots.txt (that answer inside)."""


def refusal(response: Response) -> str | None:
    """The failure reason of a robots.txt answer that forbids crawling the host, else None."""
    reason = failures.of_answer(response.status, response.headers, response.body)
    return reason if reason in (failures.BLOCKED, failures.UNREACHABLE) else None


class RobotsTxtMiddleware(ScrapyRobotsTxt):
    """Scrapy's robots.txt middleware, with refused robots.txt read as "ask nothing here"."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.refused: dict[str, tuple[str, Response]] = {}  # host -> (reason, robots.txt answer)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """The host's rules; a request that arrives while they are fetched waits for them."""
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        waiter: Deferred = Deferred()

        def pass_on(result):
            waiter.callback(result)
            return result  # for the next waiter

        pending.addCallback(pass_on)
        return await maybe_deferred_to_future(waiter)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        reason = refusal(response)
        if reason:
            self.refused[netloc] = (reason, response)
            self._stats.inc_value(keys.ROBOTS_REFUSED_PREFIX + reason)
            logger.warning(
                "%s: robots.txt answered HTTP %s (%s): no page of this host is asked for in "
                "this run",
                netloc,
                response.status,
                reason,
            )
        await super()._parse_robots(response, netloc, request)

    def process_request_2(self, rp, request: Request) -> None:
        refused = self.refused.get(urlparse_cached(request).netloc)
        if refused:
            reason, answer = refused
            self._stats.inc_value(keys.ROBOTS_REFUSED_PAGES)
            raise RobotsRefused(answer, f"robots.txt {reason} (HTTP {answer.status})")
        super().process_request_2(rp, request)
