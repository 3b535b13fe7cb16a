"""A host that cannot be reached is given up for the rest of the run, in one line, not hundreds.

Without this, a site that is down (or a machine with no network) costs every request its retries,
delays and timeouts, and prints a traceback for each robots.txt: minutes of noise that say less
than one line. After a host fails at the connection level (DNS, refused, no route, timeouts:
crawlers/failures.py's "unreachable") `STDNEWS_HOST_DOWN_AFTER` times in a row, with no answer in
between, its remaining requests fail at once as unreachable (the spiders record each in
`crawl_errors`, so nothing is lost: the run is incomplete and the next one asks again).

It also keeps Scrapy's own log quiet about expected network failures: robots.txt download errors
and retry give-ups are logged as one line at INFO level, without traceback.
"""

from __future__ import annotations

import logging
from collections import Counter
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

from crawlers import failures
from crawlers import stats as keys

logger = logging.getLogger(__name__)

# Scrapy's loggers that report expected network failures with a traceback or at ERROR level.
NOISY_LOGGERS = ("scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.retry")


class HostUnreachable(IgnoreRequest):
    """A request not sent: its host failed to answer earlier in this run."""


class UnreachableHosts:
    def __init__(self, crawler):
        self.limit = crawler.settings.getint("STDNEWS_HOST_DOWN_AFTER", 2)
        self.failed: Counter = Counter()
        self.why: dict[str, str] = {}
        self.reported: set[str] = set()
        self.stats = crawler.stats
        quiet_network_failures()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        host = urlsplit(request.url).hostname or ""
        if self.failed[host] >= self.limit:
            self.stats.inc_value(keys.UNREACHABLE_SKIPPED)
            raise HostUnreachable(f"unreachable: {host} did not answer ({self.why[host]})")
        return None

    def process_response(self, request, response):
        self.failed.pop(urlsplit(request.url).hostname or "", None)  # it answers after all
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, HostUnreachable):
            return None  # ours: the host is counted already
        if failures.from_exception(exception) != failures.UNREACHABLE:
            return None
        host = urlsplit(request.url).hostname or ""
        self.failed[host] += 1  # one retry still goes out: a resolver may fail once
        self.why[host] = f"{type(exception).__name__}: {exception}"[:200]
        if self.failed[host] >= self.limit and host not in self.reported:
            self.reported.add(host)
            logger.warning(
                "%s is unreachable (%s): its other requests are not sent", host, self.why[host]
            )
        return None


class ExpectedFailures(logging.Filter):
    """Scrapy's reports of network failures become one INFO line without a traceback (the
    spiders record each failed request with its reason)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        expected = error is not None and failures.from_exception(error) == failures.UNREACHABLE
        if expected or "Gave up retrying" in str(record.msg):
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def quiet_network_failures() -> None:
    for name in NOISY_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, ExpectedFailures) for f in target.filters):
            target.addFilter(ExpectedFailures())
