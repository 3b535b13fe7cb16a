"""A spider run's bookkeeping: what it records besides its posts, for the item pipeline to write.

The checks (validators and status of every page asked for: `http_validators`), the failed
requests (`crawl_errors`), the article links each discovery start URL gave and the start URLs
whose site selectors went stale (both judged by crawlers/health.py for the `crawls` row). The
item pipeline owns the record: it takes its crawler's (made by the first to reach it, so that
what the spider records before the pipeline is built is kept) and writes it when the spider
closes. The spider and the pipeline reach it through the crawler (`of(crawler)`), as they reach
the run's stats, rather than leaving it on the spider for the pipeline to collect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

ATTRIBUTE = "stdnews_record"  # the crawler's attribute that holds its run's record


@dataclass
class RunRecord:
    checks: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    # Article links found from each start URL (its later pages included): a discovery page
    # that answers but gives none means its layout changed.
    discovery_counts: dict[str, int] = field(default_factory=dict)
    # Start URLs whose page the site's own selectors no longer read, though it links articles.
    stale: set[str] = field(default_factory=set)

    def check(
        self, url: str, source: str, kind: str, status: int, etag: str | None, modified: str | None
    ) -> None:
        """A page answered (or failed): its validators, kept for the next run's requests."""
        self.checks.append(
            {
                "url": url,
                "source": source,
                "kind": kind,
                "status": status,
                "etag": etag,
                "last_modified": modified,
            }
        )

    def failure(
        self, url: str, kind: str, status: int | None, error: str, reason: str | None = None
    ) -> None:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        self.failures.append(
            {"url": url, "kind": kind, "status": status, "error": error, "at": at, "reason": reason}
        )

    def discovered(self, root: str, links: int) -> None:
        """The discovery path of start URL `root` gave `links` article links (0: it answered)."""
        self.discovery_counts[root] = self.discovery_counts.get(root, 0) + links


def start(crawler) -> RunRecord:
    """The crawler's run record, made if it has none yet (the item pipeline's, taken when it is
    built): what the spider recorded before then is kept, not replaced."""
    record = getattr(crawler, ATTRIBUTE, None)
    if record is None:
        record = RunRecord()
        setattr(crawler, ATTRIBUTE, record)
    return record


def of(crawler) -> RunRecord:
    """The crawler's run record; a spider crawled without the item pipeline (a test of its
    callbacks) gets one that nothing writes."""
    return start(crawler)
