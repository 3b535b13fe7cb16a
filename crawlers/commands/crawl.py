"""`scrapy crawl SPIDER` that exits with the run's answer, as `stdnews crawl` does.

Scrapy's own crawl command exits 1 only when the spider could not be started; a run whose
source answered blocked, broken or gone, or that was interrupted, would exit 0. This one reads
the spider's `crawls` row when the run ends, prints its one-line summary and exits with its
status (pipeline/verdicts.py); no row of this run (the database could not be opened, another
crawl held the lock) is a failed run, 1.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from urllib.parse import quote

from scrapy.commands.crawl import Command as ScrapyCrawl

from pipeline import verdicts


class Command(ScrapyCrawl):
    def run(self, args, opts) -> None:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        super().run(args, opts)
        if self.exitcode:  # Scrapy's own failure (the spider could not start)
            return
        row = last_crawl(self.settings.get("NEWS_DB_PATH"), args[0], started)
        print(summary(args[0], row))
        self.exitcode = verdicts.row_status(row)


def summary(source: str, row: dict | None) -> str:
    """The line `stdnews crawl` prints for the source."""
    if row is None:
        return f"{source}: FAILED (no crawls row of this run)"
    if verdicts.diagnosis(row) == "FAILED":
        return f"{source}: FAILED (the spider did not finish)"
    return verdicts.source_line(row)


def last_crawl(db_path: str, source: str, since: str) -> dict | None:
    """The source's crawls row started at or after `since` (this run's), or None."""
    try:
        # Quoted: a path with "?", "#" or "%" is no URI otherwise (and the row is not found).
        db = sqlite3.connect(f"file:{quote(str(db_path))}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    db.row_factory = sqlite3.Row
    try:
        row = db.execute(
            "select * from crawls where source = ? and started >= ? order by id desc limit 1",
            [source, since],
        ).fetchone()
    except sqlite3.Error:
        row = None
    finally:
        db.close()
    return dict(row) if row else None
