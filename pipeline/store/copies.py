"""Immutable serving copies of the writer's database, for the read replicas (`stdnews publish`).

A research dump (dumps.py) is made for reading elsewhere and drops what stdnews can rebuild; a
serving copy is what `stdnews serve --immutable` answers from, so it keeps everything, the
search indexes included. Each copy is taken like a dump (`VACUUM INTO` a temporary name in the
copies folder: consistent even while a crawl writes), then made fit to be opened immutable by
several servers for as long as they run: one file (rollback journal, no WAL beside it), each
full-text index merged into one segment, SQLite's integrity check passed, mode 0444, synced to
disk. Only then is it renamed `news-<UTC time>.db` and `current.db` switched to it, atomically,
so that a reader of `current.db` finds either the old copy or the new one, never half of one.

Copies beyond `keep` are removed, oldest first, but never the current one nor the one before it
(a replica may still serve it until its rollout ends: pipeline/site/replicas.py).
"""

from __future__ import annotations

import errno
import os
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from pipeline import store
from pipeline.store.dumps import snapshot

CURRENT = "current.db"
PREFIX = "news-"


def stamp() -> str:
    """UTC time that sorts as it reads (the newest copy has the greatest name), to the
    millisecond: two copies published in the same second keep distinct names."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")[:-3] + "Z"


def publish(db_path: Path, folder: Path, keep: int = 3) -> Path:
    """Write a new serving copy of db_path into folder, point folder/current.db at it and prune
    the old ones; returns the copy's path.

    Raises store.DatabaseUnusable (one line) for a database that cannot be read or whose copy
    fails the integrity check, OSError or sqlite3.OperationalError for a folder that cannot be
    written (full disk, permissions); a failure leaves no partial file behind."""
    db_path, folder = Path(db_path), Path(folder)
    source = store.open_readonly(db_path)  # checked first: a bad file leaves nothing behind
    try:
        writable_folder(folder)
    except BaseException:
        source.close()
        raise
    name = f"{PREFIX}{stamp()}.db"
    partial = folder / f".{name}.partial"
    try:
        snapshot(source, db_path, partial)
        source.close()
        prepare(partial, db_path)
        seal(partial)
    except BaseException:
        source.close()
        partial.unlink(missing_ok=True)
        raise
    copy = folder / name
    os.replace(partial, copy)
    previous = current_copy(folder)
    point_current(folder, copy)
    prune(folder, keep, {copy.name, previous.name if previous else None})
    return copy


def writable_folder(folder: Path) -> None:
    """Create folder; an existing one this process cannot write is PermissionError up front
    (rather than SQLite's "unable to open database file" half-way)."""
    folder.mkdir(parents=True, exist_ok=True)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))


def prepare(path: Path, db_path: Path) -> None:
    """One file with merged search indexes that passes the integrity check; compacted."""
    db = Database(path)
    try:
        db.execute("PRAGMA journal_mode = DELETE")  # immutable readers ignore a WAL
        store.optimize_search(db)  # one segment per index: fewer pages read per search
        db.execute("VACUUM")  # what the merge freed
        found = [row[0] for row in db.execute("PRAGMA integrity_check")]
    finally:
        db.close()
    if found != ["ok"]:
        raise store.DatabaseUnusable(
            f"{db_path}: its copy fails SQLite's integrity check ({found[0]}): nothing published"
        )


def seal(path: Path) -> None:
    """Read-only for everyone, and on the disk before it gets its name."""
    os.chmod(path, 0o444)
    with path.open("rb") as file:
        os.fsync(file.fileno())


def current_copy(folder: Path) -> Path | None:
    """The copy folder/current.db points at (None when there is none yet)."""
    link = folder / CURRENT
    return folder / os.readlink(link) if link.is_symlink() else None


def point_current(folder: Path, copy: Path) -> None:
    """current.db -> copy (a relative symlink, swapped atomically), and the folder synced so
    that the new names survive a power cut."""
    partial = folder / f".{CURRENT}.partial"
    partial.unlink(missing_ok=True)
    partial.symlink_to(copy.name)
    os.replace(partial, folder / CURRENT)
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def copies(folder: Path) -> list[Path]:
    """The published copies in folder, oldest first."""
    return sorted(p for p in folder.glob(f"{PREFIX}*.db") if p.is_file() and not p.is_symlink())


def prune(folder: Path, keep: int, spared: set[str | None]) -> list[Path]:
    """Remove the oldest copies beyond keep, except the spared names; returns those removed."""
    removed = []
    for old in copies(folder)[:-keep] if keep > 0 else copies(folder):
        if old.name not in spared:
            old.unlink(missing_ok=True)
            removed.append(old)
    return removed
