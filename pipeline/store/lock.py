"""One crawl at a time per database: an advisory lock on `<db>.lock` (flock).

The kernel drops a flock when its process dies, `kill -9` included, so a lock left by a killed
crawl never blocks the next run; the file itself stays (removing it would race another run) and
holds the pid and start time of the current holder, for the message a refused run prints.

While held, the file also keeps RESERVE bytes of disk space allocated: when the disk fills up
during a crawl, free_reserve() gives them back, so that the run can still close its `crawls`
rows as failed (a few pages of SQLite) instead of leaving them "running".
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from datetime import UTC, datetime
from pathlib import Path

RESERVE = 1024 * 1024


class CrawlLocked(RuntimeError):
    """Another process is crawling into the same database."""


def lock_path(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".lock")


class CrawlLock:
    def __init__(self, db_path: str | Path):
        self.path = lock_path(db_path)
        self.fd: int | None = None

    def acquire(self) -> CrawlLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = holder_of(fd)
            os.close(fd)
            raise CrawlLocked(
                f"another crawl is running on {self.path.with_suffix('')} ({holder})"
            ) from None
        started = datetime.now(UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {started}\n".encode(), 0)
        with contextlib.suppress(OSError):  # a disk already full: the crawl goes on without
            os.posix_fallocate(fd, 0, RESERVE)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> CrawlLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def held_elsewhere(self) -> bool:
        """Is a crawl running on this database now (in another process)? Asked without creating
        or writing the lock file: a reader may be looking at a read-only copy."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:  # no lock file: no crawl ever ran here (unreadable: cannot tell)
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # drops the shared lock, if taken
        return False


def holder_of(fd: int) -> str:
    """The first line of the lock file: who holds it."""
    text = os.pread(fd, 200, 0).decode("utf-8", "replace")
    return text.split("\n")[0].strip("\x00 ") or "unknown"


def free_reserve(db_path: str | Path) -> bool:
    """Give back the space the crawl lock's file keeps (the disk is full); True when it did."""
    path = lock_path(db_path)
    try:
        with open(path, "rb") as file:
            line = file.readline(200)
        if path.stat().st_size <= len(line):
            return False
        os.truncate(path, len(line.split(b"\x00")[0]))
    except OSError:
        return False
    return True
