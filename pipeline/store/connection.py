"""How every writer shares SQLite: one write policy, and one line for an unusable database.

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
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database

T = TypeVar("T")


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


# SQLite's errors, for the except clauses of callers that do not use sqlite3 themselves.
SQLiteError = sqlite3.Error


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


@contextmanager
def bookkeeping(db: Database) -> Iterator[Database]:
    """A run's own records (crawls rows, errors, validators): one immediate transaction that
    waits longer than a post does (BOOKKEEPING_WAIT), as they say what the run did."""
    set_busy_timeout(db, max(lock_wait(), BOOKKEEPING_WAIT))
    with immediate(db):
        yield db
