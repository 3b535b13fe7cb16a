"""The operator's view of the crawls table: each source's health and the last runs.

Pure reads; `stdnews status` prints them and turns them into an exit status for monitoring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlite_utils import Database

from pipeline import verdicts

TREND_RUNS = 10


@dataclass
class SourceHealth:
    source: str
    last_run: dict | None  # the latest crawls row
    last_success: str | None  # finished time of the latest run with status ok
    posts: int
    newest: str | None  # latest publication date stored
    trend: list[int] = field(default_factory=list)  # new posts per run, oldest first
    crawling: bool = False  # a crawl holds the database's lock now

    @property
    def status(self) -> str:
        if not self.last_run:
            return "never crawled"
        if self.last_run["status"] == "running" and not self.crawling:
            return "interrupted"  # its process died before closing the run
        if self.last_run["status"] in ("ok", "broken"):
            # blocked, unreachable, gone, changed... (older rows: ok or broken)
            return self.last_run.get("diagnosis") or self.last_run["status"]
        return self.last_run["status"]

    def problems(self, now: datetime, max_age: float | None) -> list[str]:
        """Why this source needs the operator's attention (empty when healthy)."""
        found = []
        if self.status not in ("ok", "running", "never crawled"):
            found.append(f"last run {self.status}")
        if max_age is not None:
            limit = (now - timedelta(hours=max_age)).isoformat(timespec="seconds")
            if not self.last_success or self.last_success < limit:
                found.append(f"no successful crawl in the last {max_age:g} hours")
        return found

    def exit_status(self, now: datetime, max_age: float | None) -> int:
        """0 when healthy, else the answer's own status (pipeline/verdicts.py); a run that was
        interrupted or a crawl that is too old count as broken."""
        if not self.problems(now, max_age):
            return verdicts.OK
        exit_status = verdicts.exit_status(self.status)
        return exit_status if exit_status not in (verdicts.OK, verdicts.FAILED) else verdicts.BROKEN


def sources(db: Database, crawling: bool = False) -> list[SourceHealth]:
    """Health of every source of the sources table (`crawling`: a crawl runs now)."""
    return [
        source_health(db, source, crawling) for (source,) in db.execute("select id from sources")
    ]


def source_health(db: Database, source: str, crawling: bool = False) -> SourceHealth:
    runs = list(
        db.query(
            "select * from crawls where source = ? order by id desc limit ?", [source, TREND_RUNS]
        )
    )
    success = db.execute(
        "select max(finished) from crawls where source = ? and status = 'ok'", [source]
    ).fetchone()[0]
    posts, newest = db.execute(
        "select count(*), max(published) from posts where source = ?", [source]
    ).fetchone()
    return SourceHealth(
        source=source,
        last_run=runs[0] if runs else None,
        last_success=success,
        posts=posts,
        newest=newest,
        trend=[run["new_posts"] or 0 for run in reversed(runs)],
        crawling=crawling,
    )


def last_runs(db: Database, limit: int) -> list[dict]:
    """The latest runs, one row per run: when, how long, each source's status and new posts."""
    return list(
        db.query(
            """select run_id, min(started) as started, max(finished) as finished,
                 group_concat(source || ' ' || status, ', ') as statuses,
                 sum(new_posts) as new_posts, sum(updated_posts) as updated_posts,
                 sum(gone_posts) as gone_posts, sum(errors) as errors,
                 sum(requests) as requests
               from crawls group by run_id order by min(id) desc limit ?""",
            [limit],
        )
    )


def seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
