"""Writing to SQLite: pure `save_*`/`open_db` functions over a sqlite-utils Database.

A post and all its links are written in one transaction, keyed by the post id (a hash of the
canonical URL), so that re-running a crawl updates in place and never duplicates.

Every process that writes follows one policy (docs/operations.md, "Concurrent writers"): each
write transaction starts `BEGIN IMMEDIATE` (`immediate()`), so that it waits for SQLite's write
lock up front; a deferred transaction that reads first fails at once with "database is locked"
when it upgrades, whatever the busy timeout. `write()` runs one transaction again from the start,
with backoff, until the lock is had or the wait (`lock_wait()`) is over; then it raises
`DatabaseLocked`, which the crawl records as a failed request. Commands that only read use
`open_readonly()`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from sqlite_utils import Database

from pipeline import duplicates, search, vocab
from pipeline.migrations import index_pairs, index_pairs_pending, migrations, pairs_indexed
from pipeline.sources import SOURCES

T = TypeVar("T")

POST_COLUMNS = (
    "id",
    "source",
    "url",
    "title",
    "title_source",
    "published",
    "published_precision",
    "published_source",
    "published_year",
    "published_month",
    "language",
    "description",
    "text",
    "text_source",
    "word_count",
    "content_hash",
    "http_status",
    "fetched_at",
    "story_id",
    "generation",
    "text_missing",
    "updated",
    "updated_source",
    "simhash",
    "fetched_via",
    "archived_at",
)
# Kept from the stored post when a fetch returns no body (a 403 must not erase a good body),
# with where that body came from.
BODY_COLUMNS = ("text", "text_source", "word_count", "content_hash", "text_missing", "simhash",
                "fetched_via", "archived_at")  # fmt: skip

# How long one write waits for SQLite's write lock, in all, before it gives up (seconds). Long
# enough for any checkpoint (Litestream), dump or other writer; a post that still cannot be
# saved is recorded as failed and fetched again by the next run. STDNEWS_LOCK_WAIT overrides it.
LOCK_WAIT = 120.0
# The start-up upkeep and a run's own records (crawls rows, errors) wait at least this long.
BOOKKEEPING_WAIT = 300.0
# One attempt of the crawl's asynchronous writes blocks the event loop at most this long (with
# dozens of items waiting, longer attempts would add up); the rest of the wait is spent in
# pauses that let downloads and the other items go on.
ATTEMPT_WAIT = 0.01
# Pauses between attempts grow to at most MAX_PAUSE, as SQLite's own busy handler does.
FIRST_PAUSE, MAX_PAUSE = 0.01, 0.1
BUSY, LOCKED, FULL, NOTADB, CORRUPT, READONLY, CANTOPEN, PERM = 5, 6, 13, 26, 11, 8, 14, 3


class DatabaseUnusable(Exception):
    """A database that cannot be opened as asked; the message is one line naming the file."""


class DatabaseLocked(sqlite3.OperationalError):
    """SQLite's write lock could not be had within the wait."""


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def lock_wait() -> float:
    """Seconds one write waits for the lock (STDNEWS_LOCK_WAIT, else LOCK_WAIT)."""
    try:
        return max(float(os.environ.get("STDNEWS_LOCK_WAIT", LOCK_WAIT)), 0.0)
    except ValueError:
        return LOCK_WAIT


def error_code(error: BaseException) -> int | None:
    """SQLite's primary result code of an error (None when it is not SQLite's)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_locked(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and (
        error_code(error) in (BUSY, LOCKED) or "database is locked" in str(error)
    )


def is_full(error: BaseException) -> bool:
    """The disk (or the file system's quota) is full."""
    if isinstance(error, OSError) and error.errno in (28, 122):  # ENOSPC, EDQUOT
        return True
    return isinstance(error, sqlite3.Error) and (
        error_code(error) == FULL or "disk is full" in str(error)
    )


def set_busy_timeout(db: Database, seconds: float) -> None:
    db.conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")


@contextmanager
def immediate(db: Database) -> Iterator[Database]:
    """One write transaction that takes the write lock at its start (BEGIN IMMEDIATE, waiting
    as long as the busy timeout), commits, or rolls back on any error. Inside another
    transaction, it is part of that one."""
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
        conn.commit()
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise


class Backoff:
    """The attempts of one write within its wait: each a BEGIN IMMEDIATE transaction with a
    busy timeout of at most `attempt` seconds, then a growing pause (of the event loop in
    write_async, of the process in write) before the whole transaction is tried again."""

    def __init__(self, db: Database, wait: float | None, attempt: float | None = None):
        self.db = db
        self.wait = lock_wait() if wait is None else wait
        self.deadline = time.monotonic() + self.wait
        self.attempt_wait = attempt
        self.pause = FIRST_PAUSE
        self.attempts = 0
        self.busy = db.execute("PRAGMA busy_timeout").fetchone()[0] / 1000

    def run(self, work: Callable[[], T]) -> T:
        remaining = max(self.deadline - time.monotonic(), 0.0)
        self.attempts += 1
        set_busy_timeout(self.db, min(remaining, self.attempt_wait or remaining))
        try:
            with immediate(self.db):
                return work()
        finally:
            set_busy_timeout(self.db, self.busy)

    def pause_after(self, error: sqlite3.OperationalError) -> float:
        """The pause before the next attempt; raises DatabaseLocked when the wait is over, and
        the error itself when it is not the lock's."""
        if not is_locked(error):
            raise error
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise DatabaseLocked(
                f"database is locked: another process held the write lock for "
                f"{self.wait:g} s ({self.attempts} attempts)"
            ) from error
        pause, self.pause = min(self.pause, remaining), min(self.pause * 2, MAX_PAUSE)
        return pause


def write(db: Database, work: Callable[[], T], wait: float | None = None) -> T:
    """work() in one BEGIN IMMEDIATE transaction, tried again while the lock cannot be had."""
    backoff = Backoff(db, wait)
    while True:
        try:
            return backoff.run(work)
        except sqlite3.OperationalError as error:
            time.sleep(backoff.pause_after(error))


async def write_async(db: Database, work: Callable[[], T], wait: float | None = None) -> T:
    """write() for the crawl's event loop: it waits between attempts without blocking it (and
    any write of this module given as work, e.g. `lambda: save_post(db, post)`, joins the
    transaction it opens)."""
    backoff = Backoff(db, wait, attempt=ATTEMPT_WAIT)
    while True:
        try:
            return backoff.run(work)
        except sqlite3.OperationalError as error:
            await asyncio.sleep(backoff.pause_after(error))


def unusable(path: Path, error: BaseException) -> DatabaseUnusable:
    """The one line an unusable database gets, from the error SQLite or the system gave."""
    code = error_code(error)
    if code in (NOTADB, CORRUPT):
        problem = "is not a database or is corrupt"
    elif code == READONLY:
        problem = "is read-only (this command writes to it)"
    elif code in (CANTOPEN, PERM) or isinstance(error, PermissionError):
        problem = "cannot be opened (permission denied or missing folder)"
    elif is_full(error):
        problem = "cannot be written: the disk is full"
    elif isinstance(error, OSError) and error.strerror:
        problem = f"cannot be used: {error.strerror.lower()}"
    else:
        problem = f"cannot be used: {str(error).splitlines()[0] if str(error) else error}"
    return DatabaseUnusable(f"{path}: {problem}")


def writable(path: Path) -> bool:
    """Can this process write the file (or create it) and its companions (-wal, -shm)?"""
    folder = path.parent
    if path.exists() and not os.access(path, os.W_OK):
        return False
    return os.access(folder, os.W_OK)


def read_immutable(path: Path) -> bool:
    """Should a reader open the file as immutable? Only when this process cannot write it (SQLite
    could not keep the WAL's shared memory) and no committed transactions wait in a `-wal` file
    beside it: an immutable reader ignores the WAL, and a database another account is writing
    would read stale, or as "malformed"."""
    wal = path.with_name(path.name + "-wal")
    return not writable(path) and not (wal.exists() and wal.stat().st_size > 0)


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


def save_post(
    db: Database,
    post: dict,
    now: str | None = None,
    keep_version: bool = True,
    wait: float | None = None,
) -> str:
    """Insert or update one post with its links; returns "new", "updated" or "unchanged".

    When a fetch changes a stored body, the old title and body go to `post_versions` first
    (`keep_version=False` for reprocessing, where the page did not change, only our reading).
    In one immediate transaction, tried again while the write lock cannot be had (write());
    raises DatabaseLocked when it still cannot after `wait` seconds.
    """
    return write(db, lambda: _save_post(db, post, now or utcnow(), keep_version), wait)


def _save_post(db: Database, post: dict, now: str, keep_version: bool) -> str:
    """Plain SQL on the connection: sqlite-utils' table helpers re-read the schema on every
    call, which cost more than the writes themselves."""
    row = {column: post.get(column) for column in POST_COLUMNS}
    row["organizations"] = json.dumps([o["acronym"] or o["name"] for o in post["organizations"]])
    row["tags"] = json.dumps(list(dict.fromkeys(t["name"] for t in post["tags"])))
    row["standards"] = json.dumps(post["standards"] + post.get("related_standards", []))
    row["committees"] = json.dumps(post["committees"])
    conn = db.conn
    previous = next(db.query("select * from posts where id = ?", [post["id"]]), None)
    if superseded(previous, post, keep_version):
        return "unchanged"
    if live_stays(previous, post):
        conn.execute("update posts set last_seen = ? where id = ?", [now, post["id"]])
        return "unchanged"
    if previous and post["text_missing"] and not previous["text_missing"]:
        row.update({column: previous[column] for column in BODY_COLUMNS})
    row["first_seen"] = previous["first_seen"] if previous else now
    row["last_seen"] = now
    row["gone_at"] = None  # it answered with a page: not (or no longer) gone
    if keep_version and changed_body(previous, row):
        conn.execute(
            """insert into post_versions
                 (post_id, title, text, content_hash, fetched_at, replaced_at)
               values (?, ?, ?, ?, ?, ?)""",
            [post["id"], previous["title"], previous["text"], previous["content_hash"],
             previous["fetched_at"], now],
        )  # fmt: skip
    original = duplicates.find_original(db, post["id"], row["simhash"], row["first_seen"])
    row["duplicate_of"], row["duplicate_similarity"] = original or (None, None)
    upsert(conn, "posts", row, "id")
    index_pairs_pending(conn)
    _save_links(conn, post)
    duplicates.save_bands(db, post["id"], row["simhash"])
    addresses = [{"url": post["url"], "kind": "canonical"}, *post.get("aliases", [])]
    conn.executemany(
        "insert or ignore into post_urls (url, post_id, kind, first_seen) values (?, ?, ?, ?)",
        [(a["url"], post["id"], a["kind"], now) for a in addresses],
    )
    if previous is None:
        return "new"
    return "unchanged" if previous["content_hash"] == row["content_hash"] else "updated"


def upsert(conn, table: str, row: dict, pk: str) -> None:
    """Insert the row, or update the given columns of the existing one (others are kept)."""
    columns = ", ".join(f'"{c}"' for c in row)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in row if c != pk)
    conn.execute(
        f'insert into "{table}" ({columns}) values ({", ".join("?" * len(row))}) '
        f'on conflict("{pk}") do update set {updates}',
        list(row.values()),
    )


def live_stays(previous: dict | None, post: dict) -> bool:
    """The Internet Archive's copy never replaces a page fetched from the site itself (the
    reverse is the rule: a later run's live page replaces an archived copy)."""
    return bool(
        previous
        and post.get("fetched_via") == "archive"
        and not previous["text_missing"]
        and (previous["fetched_via"] or "live") == "live"
    )


def superseded(previous: dict | None, post: dict, keep_version: bool) -> bool:
    """Reprocessing an older fetch than the stored post's (a crawl beside `stdnews reprocess`
    stored a newer page meanwhile, read with the current code): the newer one stays."""
    return bool(
        not keep_version
        and previous
        and post.get("fetched_at")
        and (previous["fetched_at"] or "") > post["fetched_at"]
    )


def changed_body(previous: dict | None, row: dict) -> bool:
    """A stored body that a new fetch replaces with different content."""
    return bool(
        previous
        and not previous["text_missing"]
        and not row["text_missing"]
        and previous["content_hash"] != row["content_hash"]
    )


def confirm_post(db: Database, url: str, now: str | None = None) -> bool:
    """A revisit answered 304 Not Modified: the post is still there, unchanged."""
    sql = "update posts set last_seen = ?, gone_at = null where url = ?"
    return write(db, lambda: db.execute(sql, [now or utcnow(), url]).rowcount > 0)


def mark_gone(db: Database, url: str, status: int, now: str | None = None) -> bool:
    """A revisit answered 404 or 410: the post is marked gone, never deleted."""
    sql = "update posts set gone_at = coalesce(gone_at, ?), http_status = ? where url = ?"
    return write(db, lambda: db.execute(sql, [now or utcnow(), status, url]).rowcount > 0)


def save_validators(db: Database, rows: list[dict], now: str | None = None) -> None:
    """HTTP validators and last check per URL: ETag/Last-Modified only replaced on a 200.

    Each row: url, source, kind (discovery|article), status, and etag/last_modified as received.
    """
    now = now or utcnow()
    with bookkeeping(db):
        for row in rows:
            db.execute(
                """insert into http_validators
                     (url, source, kind, etag, last_modified, status, checked_at)
                   values (:url, :source, :kind, :etag, :last_modified, :status, :now)
                   on conflict(url) do update set
                     status = excluded.status, checked_at = excluded.checked_at,
                     etag = iif(excluded.status = 200, excluded.etag, etag),
                     last_modified = iif(excluded.status = 200, excluded.last_modified,
                                         last_modified)""",
                {"etag": None, "last_modified": None, **row, "now": now},
            )


def save_crawl_errors(db: Database, crawl_id: int, source: str, errors: list[dict]) -> None:
    """Failed URLs of a run (url, kind, status, error, at)."""
    with bookkeeping(db):
        db["crawl_errors"].insert_all(
            [{"crawl_id": crawl_id, "source": source, **error} for error in errors], pk="id"
        )


@contextmanager
def bookkeeping(db: Database) -> Iterator[Database]:
    """A run's own records (crawls rows, errors, validators): one immediate transaction that
    waits longer than a post does (BOOKKEEPING_WAIT), as they say what the run did."""
    set_busy_timeout(db, max(lock_wait(), BOOKKEEPING_WAIT))
    with immediate(db):
        yield db


def interrupt_stale_crawls(db: Database, run_id: str) -> None:
    """Runs still marked running belong to a dead process (the crawl lock is ours now)."""
    with bookkeeping(db):
        db.execute(
            "update crawls set status = 'interrupted' where status = 'running' and run_id != ?",
            [run_id],
        )


def _save_links(conn, post: dict) -> None:
    post_id = post["id"]
    for table in ("post_organizations", "post_tags", "post_standards", "post_committees",
                  "post_dates"):  # fmt: skip
        conn.execute(f"delete from {table} where post_id = ?", [post_id])
    conn.executemany(
        "insert into post_organizations (post_id, organization_id, role, count) "
        "values (?, ?, ?, ?)",
        [(post_id, o["id"], o["role"], o["count"]) for o in post["organizations"]],
    )
    conn.executemany(
        "insert into tags (id, name, origin) values (?, ?, ?) "
        "on conflict(id) do update set name = excluded.name, origin = excluded.origin",
        [(t["id"], t["name"], t["origin"]) for t in post["tags"]],
    )
    conn.executemany(
        "insert or ignore into post_tags (post_id, tag_id, matched) values (?, ?, ?)",
        [(post_id, t["id"], json.dumps(t["matched"])) for t in post["tags"]],
    )
    conn.executemany(
        "insert into post_dates (post_id, date, precision, text, sentence) values (?, ?, ?, ?, ?)",
        [(post_id, m["date"], m["precision"], m["text"], m["sentence"])
         for m in post.get("mentioned_dates", [])],
    )  # fmt: skip
    related = post.get("related_standards", [])
    links = [(name, "text") for name in post["standards"]] + [(n, "related") for n in related]
    conn.executemany("insert or ignore into standards (id) values (?)", [(n,) for n, _ in links])
    conn.executemany(
        "insert or ignore into post_standards (post_id, standard_id, origin) values (?, ?, ?)",
        [(post_id, name, origin) for name, origin in links],
    )
    conn.executemany(
        "insert or ignore into committees (id) values (?)", [(n,) for n in post["committees"]]
    )
    conn.executemany(
        "insert or ignore into post_committees (post_id, committee_id) values (?, ?)",
        [(post_id, name) for name in post["committees"]],
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


# An incremental crawl leaves a few more segments in the full-text index each time (FTS5 merges
# them in fours); merged into one, a common search at 1,000,000 posts reads 25 segments less.
MAX_SEARCH_SEGMENTS = 10
SEARCH_TABLES = ("posts_fts", "posts_pairs_fts")


def optimize_search(db: Database, max_segments: int = 1) -> bool:
    """Merge each full-text index (posts_fts, and its word pairs posts_pairs_fts) into one
    segment when it has more than max_segments (posts_fts at 1,000,000 posts: 16 s; at
    20,000: a fraction of a second). True when one merged."""
    merged = False
    for table in SEARCH_TABLES:
        segments = db.execute(f"select count(distinct segid) from {table}_idx").fetchone()[0]
        if segments > max_segments:
            write(db, lambda t=table: db.execute(f"insert into {t}({t}) values('optimize')"))
            merged = True
    if merged:  # ANALYZE writes: it waits for the lock like any write (a crawl may hold it)
        write(db, lambda: db.execute("pragma optimize"))
    return merged
