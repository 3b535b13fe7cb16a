"""A run's own records: its `crawls` row, from start to finish, and its failed requests."""

from __future__ import annotations

from sqlite_utils import Database

from pipeline.store.connection import (
    bookkeeping,
    utcnow,
)


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
