"""Opening a database: the writer's `open_db` (schema, WAL, start-up upkeep) and the readers'
`open_readonly` (nothing written); the full-text indexes' upkeep."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlite_utils import Database

from pipeline.normalize import vocab
from pipeline.normalize.sources import SOURCES
from pipeline.store import search
from pipeline.store.connection import (
    BOOKKEEPING_WAIT,
    DatabaseUnusable,
    immediate,
    lock_wait,
    read_immutable,
    set_busy_timeout,
    unusable,
    writable,
    write,
)
from pipeline.store.migrations import index_pairs, index_pairs_pending, migrations, pairs_indexed


def open_db(path: str | Path) -> Database:
    """Open (creating if needed) a database with the current schema, in WAL mode, as a writer.

    Raises DatabaseUnusable for a file that is not a database, cannot be read, or is read-only.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise unusable(path, error) from None
    if path.is_dir():
        raise DatabaseUnusable(f"{path}: is a folder, not a database")
    if not writable(path):
        raise DatabaseUnusable(f"{path}: is read-only (this command writes to it)")
    try:
        db = Database(path)
    except sqlite3.Error as error:
        raise unusable(path, error) from None
    try:
        configure(db)
        if upkeep_needed(db):
            write(db, lambda: upkeep(db), max(lock_wait(), BOOKKEEPING_WAIT))
    except (sqlite3.Error, OSError) as error:
        db.close()
        raise unusable(path, error) from None
    return db


def configure(db: Database) -> None:
    """The writer's connection: busy timeout, WAL, synchronous=NORMAL, foreign keys."""
    set_busy_timeout(db, max(lock_wait(), BOOKKEEPING_WAIT))
    db.execute("select count(*) from sqlite_master").fetchone()  # "not a database" here
    # Readers (Datasette) keep reading while a crawl writes; writers wait rather than fail.
    if db.journal_mode != "wal":
        db.enable_wal()
    # WAL with synchronous=NORMAL: a crash or kill -9 loses nothing committed and never corrupts;
    # only a power cut may drop the last transactions. Spares an fsync per post.
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    search.register(db.conn)  # fts_pairs(), which posts_pairs_fts is written with


def upkeep_needed(db: Database) -> bool:
    """Read first, so that opening an up-to-date database writes nothing (and takes no lock,
    and works on a full disk)."""
    return bool(
        migrations.pending(db)
        or not pairs_indexed(db)
        or db.execute("select count(*) from posts_pairs_pending").fetchone()[0]
        or reference_data_changed(db)
    )


def upkeep(db: Database) -> None:
    """The start-up writes, in one immediate transaction: migrations, the pairs index (a dump
    leaves it out; someone dropped the triggers; posts another tool wrote since stdnews last
    did), reference data. Two processes opening at once: the second finds it done."""
    migrations.apply(db)
    if not pairs_indexed(db):
        index_pairs(db)
    index_pairs_pending(db.conn)
    save_reference_data(db)


def open_readonly(path: str | Path) -> Database:
    """Open a database for reading only: no migrations, no upkeep, nothing written.

    `mode=ro`; `immutable=1` as well when the file or its folder is not writable (a dump, a
    read-only mount, `chattr +i`) and no WAL lies beside it (read_immutable). Raises
    DatabaseUnusable for a missing, unreadable or corrupt file.
    """
    path = Path(path)
    if not path.exists():
        raise DatabaseUnusable(f"{path}: no such database")
    if path.is_dir():
        raise DatabaseUnusable(f"{path}: is a folder, not a database")
    if not os.access(path, os.R_OK):
        raise DatabaseUnusable(f"{path}: cannot be read (permission denied)")
    immutable = "&immutable=1" if read_immutable(path) else ""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro{immutable}"
    try:
        db = Database(sqlite3.connect(uri, uri=True, check_same_thread=False))
    except sqlite3.Error as error:
        raise unusable(path, error) from None
    try:
        set_busy_timeout(db, max(lock_wait(), BOOKKEEPING_WAIT))
        db.execute("select count(*) from sqlite_master").fetchone()
        search.register(db.conn)  # what reading needs: the search's SQL functions
    except sqlite3.Error as error:
        db.close()
        raise unusable(path, error) from None
    return db


def reference_data() -> dict[str, list[dict]]:
    """The rows of `sources` and `organizations`, from their definitions."""
    sources = [
        {field: getattr(s, field) for field in ("id", "name", "organization", "homepage")}
        | {"news_url": s.news_url}
        for s in SOURCES.values()
    ]
    fields = ("acronym", "kind", "country", "homepage")
    organizations = [
        {"id": o["id"], **{field: o.get(field) for field in fields}, "name": o["name"]}
        for o in vocab.organizations()
    ]
    return {"sources": sources, "organizations": organizations}


def reference_data_changed(db: Database) -> bool:
    """Do the stored sources and organizations differ from their definitions?"""
    for table, rows in reference_data().items():
        stored = {row["id"]: row for row in db[table].rows}
        if any(stored.get(row["id"]) != row for row in rows):
            return True
    return False


def save_reference_data(db: Database) -> None:
    """Sources and the organization gazetteer, refreshed from their definitions on every open
    where they changed."""
    with immediate(db):
        for table, rows in reference_data().items():
            db[table].upsert_all(rows, pk="id")


# An incremental crawl leaves a few more segments in the full-text index each time (FTS5 merges
# them in fours); merged into one, a common search on a large corpus reads one, not dozens.
MAX_SEARCH_SEGMENTS = 10


SEARCH_TABLES = ("posts_fts", "posts_pairs_fts")


def optimize_search(db: Database, max_segments: int = 1) -> bool:
    """Merge each full-text index (posts_fts, and its word pairs posts_pairs_fts) into one
    segment when it has more than max_segments (seconds on a large corpus: docs/performance.md).
    True when one merged."""
    merged = False
    for table in SEARCH_TABLES:
        segments = db.execute(f"select count(distinct segid) from {table}_idx").fetchone()[0]
        if segments > max_segments:
            write(db, lambda t=table: db.execute(f"insert into {t}({t}) values('optimize')"))
            merged = True
    if merged:  # ANALYZE writes: it waits for the lock like any write (a crawl may hold it)
        write(db, lambda: db.execute("pragma optimize"))
    return merged
