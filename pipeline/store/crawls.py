"""A run's own records: its `crawls` row, from start to finish (and read back when the run
ends), and its failed requests."""

from __future__ import annotations

from functools import partial

from sqlite_utils import Database

from pipeline.store.connection import BOOKKEEPING_WAIT, bookkeeping, lock_wait, utcnow, write


def save_crawl_errors(db: Database, crawl_id: int, source: str, errors: list[dict]) -> None:
    """Failed URLs of a run (url, kind, status, error, at)."""
    with bookkeeping(db):
        db["crawl_errors"].insert_all(
            [{"crawl_id": crawl_id, "source": source, **error} for error in errors], pk="id"
        )


def interrupt_stale_crawls(db: Database, run_id: str) -> None:
    """Runs still marked running belong to a dead process (the crawl lock is ours now)."""
    with bookkeeping(db):
        db.execute(
            "update crawls set status = 'interrupted' where status = 'running' and run_id != ?",
            [run_id],
        )


def start_crawl(db: Database, source: str, run_id: str, replay: str | None = None) -> int:
    with bookkeeping(db):
        table = db["crawls"].insert(
            {
                "run_id": run_id,
                "source": source,
                "started": utcnow(),
                "status": "running",
                "replay": replay,
            }
        )
    return table.last_pk


def finish_crawl(db: Database, crawl_id: int, **figures) -> None:
    figures.setdefault("finished", utcnow())
    if isinstance(figures.get("warnings"), list):
        figures["warnings"] = "\n".join(figures["warnings"]) or None
    with bookkeeping(db):
        db["crawls"].update(crawl_id, figures)


def mark_interrupted(db: Database, source: str) -> None:
    """The source's last crawls row (one crawl at a time per database: the run's) becomes
    interrupted and incomplete, whatever was written into it, waiting for the lock as the run's
    other records do."""
    write(db, partial(_mark_interrupted, db, source), max(lock_wait(), BOOKKEEPING_WAIT))


def _mark_interrupted(db: Database, source: str) -> None:
    db.execute(
        "update crawls set status = 'interrupted', complete = 0, "
        "finished = coalesce(finished, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')) "
        "where id = (select max(id) from crawls where source = ?)",
        [source],
    )


def stop_run(db: Database, run_id: str) -> None:
    """The run's rows still marked running become interrupted and incomplete: its process
    stopped before their spiders closed (a second Ctrl-C), and nothing runs any more."""
    with bookkeeping(db):
        db.execute(
            "update crawls set status = 'interrupted', complete = 0"
            " where run_id = ? and status = 'running'",
            [run_id],
        )


def last_crawl(db: Database, source: str, since: str) -> dict | None:
    """The source's latest crawls row started at or after `since` (a run's own), or None."""
    rows = db.query(
        "select * from crawls where source = ? and started >= ? order by id desc limit 1",
        [source, since],
    )
    return next(iter(rows), None)
