"""What a crawl of one source knows before it starts: the incremental plan.

A cron run should cost little when nothing changed: known articles are not fetched again,
discovery pages are asked for conditionally, and pagination stops at the first page with nothing
new. That shortcut is only safe when the previous run of the source walked its discovery to the
end without failures (`crawls.complete`); after a killed, limited or failing run, the next one
walks every discovery page again (still skipping known articles), so that it completes the work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.store import open_readonly

# The defaults of the crawl settings (crawlers/settings.py) that plan a run.
# Recent posts are re-checked (conditionally) for changes and removal.
REVISIT_DAYS = 14
# A refused article (OECD's 403s) is asked for again at most this often.
RETRY_REFUSED_HOURS = 6
# Discovery pages of sites no longer published to (spiders' archive_urls) are looked at weekly.
ARCHIVE_RECHECK_DAYS = 7
# Listings of translations (spiders' secondary_urls): after a new article, else at most daily.
SECONDARY_RECHECK_HOURS = 24


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for the validators a page last answered with."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


@dataclass
class Revisit:
    url: str
    etag: str | None = None
    last_modified: str | None = None  # none of the two for a refused post: asked plainly
    archived: bool = False  # stored from the Internet Archive's copy: not looked up there again


@dataclass
class Plan:
    incremental: bool = False  # the previous run was complete: conditional discovery, early stop
    known: set[str] = field(default_factory=set)  # every address of every stored post
    revisits: list[Revisit] = field(default_factory=list)
    # Discovery URL -> (ETag, Last-Modified) as last received with a 200.
    validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    checked: dict[str, str] = field(default_factory=dict)  # discovery URL -> last answered at

    def conditional_headers(self, url: str) -> dict[str, str]:
        return conditional_headers(*self.validators.get(url, (None, None)))


def load(
    db_path: str | Path,
    source: str,
    run_id: str | None,
    revisit_days: int,
    retry_hours: float,
    now: datetime | None = None,
) -> Plan:
    """The plan for crawling `source` into the database at db_path (empty for a new database).

    Read-only: the crawl's pipeline has brought the schema up to date (store.open_db) before
    the spider starts, and a reader neither takes nor waits for the write lock."""
    if not Path(db_path).exists():
        return Plan()
    now = now or datetime.now(UTC)
    db = open_readonly(db_path)
    try:
        last = db.execute(
            "select complete from crawls where source = ? and run_id != ? order by id desc limit 1",
            [source, run_id or ""],
        ).fetchone()
        known = {
            url
            for (url,) in db.execute(
                """select u.url from post_urls u join posts p on p.id = u.post_id
                   where p.source = ? union select url from posts where source = ?""",
                [source, source],
            )
        }
        discovery = list(
            db.execute(
                """select url, etag, last_modified, checked_at, status from http_validators
                   where source = ? and kind = 'discovery'""",
                [source],
            )
        )
        validators = {
            url: (etag, modified)
            for url, etag, modified, _, _ in discovery
            if etag is not None or modified is not None
        }
        checked = {url: at for url, _, _, at, status in discovery if status in (200, 304)}
        return Plan(
            incremental=bool(last and last[0]),
            known=known,
            revisits=revisits(db, source, now, revisit_days, retry_hours),
            validators=validators,
            checked=checked,
        )
    finally:
        db.close()


def revisits(db, source: str, now: datetime, days: int, retry_hours: float) -> list[Revisit]:
    """Recent posts to re-check conditionally, and refused posts due for another try (those
    stored from the Internet Archive's copy too: the site's own page replaces it)."""
    cutoff = (now - timedelta(days=days)).date().isoformat()
    retry_before = (now - timedelta(hours=retry_hours)).isoformat(timespec="seconds")
    rows = db.execute(
        """select p.url, v.etag, v.last_modified,
                  p.text_missing or p.fetched_via is 'archive' as retry,
                  p.fetched_via is 'archive' as archived from posts p
           left join http_validators v on v.url = p.url
           where p.source = ? and p.gone_at is null and (
             (not retry and p.published >= substr(?, 1, length(p.published)))
             or (retry and coalesce(v.checked_at, p.fetched_at, '') < ?))
           order by p.published desc""",
        [source, cutoff, retry_before],
    )
    return [
        Revisit(url, archived=bool(archived)) if retry else Revisit(url, etag, modified)
        for url, etag, modified, retry, archived in rows
    ]
