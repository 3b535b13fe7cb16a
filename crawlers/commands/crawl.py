"""`scrapy crawl SPIDER` that exits with the run's answer, as `stdnews crawl` does.

Scrapy's own crawl command exits 1 only when the spider could not be started; a run whose
source answered blocked, broken or gone, or that was interrupted, would exit 0. This one reads
the spider's `crawls` row when the run ends, prints its one-line summary and exits with its
status (pipeline/verdicts.py); no row of this run (the database could not be opened, another
crawl held the lock) is a failed run, 1.
"""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.commands.crawl import Command as ScrapyCrawl

from pipeline import store, verdicts


class Command(ScrapyCrawl):
    def run(self, args, opts) -> None:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        super().run(args, opts)
        if self.exitcode:  # Scrapy's own failure (the spider could not start)
            return
        row = this_runs_row(self.settings.get("NEWS_DB_PATH"), args[0], started)
        print(summary(args[0], row))
        self.exitcode = verdicts.row_status(row)


def summary(source: str, row: dict | None) -> str:
    """The line `stdnews crawl` prints for the source."""
    if row is None:
        return f"{source}: FAILED (no crawls row of this run)"
    if verdicts.diagnosis(row) == "FAILED":
        return f"{source}: FAILED (the spider did not finish)"
    return verdicts.source_line(row)


def this_runs_row(db_path: str, source: str, since: str) -> dict | None:
    """The source's crawls row started at or after `since` (this run's), or None."""
    try:
        db = store.open_readonly(db_path)
    except store.DatabaseUnusable:
        return None
    try:
        return store.last_crawl(db, source, since)
    except store.SQLiteError:
        return None
    finally:
        db.close()
