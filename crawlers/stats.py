"""The crawl's own stats keys: named once, for the components that count (spiders, middlewares)
and for crawlers/health.py, which reads them into the run's `crawls` row.

Keys ending in "/" are prefixes, completed by a discovery path, a failure kind and reason, or
an HTTP status. Scrapy's own keys that health.py reads are named here too, so that every key
the verdict depends on is in one place.
"""

from __future__ import annotations

# Scrapy's: responses per HTTP status, requests, responses, items, callbacks' exceptions.
STATUS_PREFIX = "downloader/response_status_count/"
REQUESTS = "downloader/request_count"
RESPONSES = "downloader/response_count"
ITEMS = "item_scraped_count"
SPIDER_EXCEPTIONS = "spider_exceptions/count"

# Discovery (crawlers/spiders/base.py): article links per discovery path (+ "selector",
# "links", "feed", "sitemap", "api", ...); DISCOVERY_GENERIC_NEXT is no path (it holds "_").
DISCOVERY_PREFIX = "stdnews/discovery/"
DISCOVERY_GENERIC_NEXT = DISCOVERY_PREFIX + "generic_next"  # pages any theme's pagination gave
DISCOVERY_NOT_MODIFIED = "stdnews/discovery_not_modified"
DISCOVERY_EXHAUSTED = "stdnews/discovery_exhausted"  # a "load more" endpoint with nothing more
DISCOVERY_FAILED = "stdnews/discovery_failed"  # a failure that leaves the run incomplete
DISCOVERY_REPLACED = "stdnews/discovery_replaced"  # OECD's API page read from its RSS twin
SELECTOR_STALE = "stdnews/selector_stale"
ARCHIVES_SKIPPED = "stdnews/archives_skipped"
SITEMAPS_SKIPPED = "stdnews/sitemaps_skipped"
SECONDARY_SKIPPED = "stdnews/secondary_skipped"

# Articles.
ARTICLES_REQUESTED = "stdnews/articles_requested"
ARTICLES_KNOWN = "stdnews/articles_known"
ARTICLES_FAILED = "stdnews/articles_failed"
ARTICLES_REFUSED = "stdnews/articles_refused"  # by the site or robots.txt: not our error

# Failed requests: + "discovery/" or "article/" + a crawlers/failures.py reason.
FAILED_PREFIX = "stdnews/failed/"

# crawlers/robots.py: + a refusal reason, and the pages not asked for because of it.
ROBOTS_REFUSED_PREFIX = "stdnews/robots_refused/"
ROBOTS_REFUSED_PAGES = ROBOTS_REFUSED_PREFIX + "pages"

# crawlers/hosts.py: requests not sent to a host given up for the run.
UNREACHABLE_SKIPPED = "stdnews/unreachable_skipped"

# crawlers/archive.py: the Internet Archive's lookups.
ARCHIVE_REQUESTED = "stdnews/archive/requested"
ARCHIVE_FOUND = "stdnews/archive/found"  # blocked pages read from the archive instead
ARCHIVE_MISSING = "stdnews/archive/missing"
ARCHIVE_FAILED = "stdnews/archive/failed"
ARCHIVE_CAPPED = "stdnews/archive/capped"
ARCHIVE_KEPT = "stdnews/archive/kept"  # a post stored from the archive: not looked up again
