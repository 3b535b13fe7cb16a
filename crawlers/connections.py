"""The crawl's connections: one writer of the database and one of its raw-page store per process.

`stdnews crawl` runs every source's spider in one process, on one thread: their item pipelines
share these connections, so that the database is opened as a writer (its schema checked, the
start-up upkeep: store.open_db) once per run rather than once per source. A connection is
opened by its first user and closed by its last; crawlers/run.py keeps both open from the
first spider to the search index's tidying at the end (`kept`). Sharing is safe because every
write is one transaction that begins and ends without giving the event loop a turn
(store.write_async).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline import store
from pipeline.store import raw


class Shared:
    """Connections that one opener makes, one per database path, counted by their users."""

    def __init__(self, opener: Callable[[str | Path], store.Database]):
        self.opener = opener
        self.open: dict[Path, store.Database] = {}
        self.users: Counter = Counter()

    def acquire(self, path: str | Path) -> store.Database:
        """The path's connection, opened if no one holds it (the opener's errors propagate)."""
        key = Path(path).resolve()
        if key not in self.open:
            self.open[key] = self.opener(path)
        self.users[key] += 1
        return self.open[key]

    def release(self, path: str | Path) -> None:
        """One user less; the last one closes the connection."""
        key = Path(path).resolve()
        self.users[key] -= 1
        if self.users[key] <= 0:
            del self.users[key]
            db = self.open.pop(key, None)
            if db is not None:
                db.close()

    @contextmanager
    def kept(self, path: str | Path) -> Iterator[None]:
        """The path's connection, once someone opens it, stays open until the block ends."""
        self.users[Path(path).resolve()] += 1
        try:
            yield
        finally:
            self.release(path)


WRITER = Shared(store.open_db)
RAW = Shared(raw.open_raw)


@contextmanager
def kept(db_path: str | Path) -> Iterator[None]:
    """The database's writer and raw-page store stay open between the spiders of one run."""
    with WRITER.kept(db_path), RAW.kept(db_path):
        yield
