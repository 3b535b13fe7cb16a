"""The store: everything that reads or writes SQLite. Knows normalization's `Post`, not Scrapy.

Its public names are imported here, so that callers write `store.open_db(...)`,
`store.save_post(...)` without knowing which module of the package holds them:

- `Database` (sqlite_utils'), the connection every function here takes;
- connection: the write policy every writer follows (BEGIN IMMEDIATE, backoff), errors;
- database: opening (`open_db` for writers, `open_readonly` for readers), start-up upkeep;
- posts, crawls: writing a post with its links; a run's own records;
- migrations, search (the full-text and word-pair indexes), raw (fetched pages kept for
  reprocessing), dumps and dictionary (the researchers' files), lock (one crawl at a time),
  state (what a crawl knows before it starts), status (what `stdnews status` reports).
"""

from sqlite_utils import Database

from pipeline.store.connection import (
    BOOKKEEPING_WAIT,
    CORRUPT,
    LOCK_WAIT,
    NOTADB,
    DatabaseLocked,
    DatabaseUnusable,
    SQLiteError,
    bookkeeping,
    error_code,
    immediate,
    is_full,
    is_locked,
    lock_wait,
    read_immutable,
    unusable,
    utcnow,
    writable,
    write,
    write_async,
)
from pipeline.store.crawls import (
    finish_crawl,
    interrupt_stale_crawls,
    last_crawl,
    mark_interrupted,
    save_crawl_errors,
    start_crawl,
    stop_run,
)
from pipeline.store.database import (
    MAX_SEARCH_SEGMENTS,
    SEARCH_TABLES,
    configure,
    open_db,
    open_readonly,
    optimize_search,
    save_reference_data,
)
from pipeline.store.posts import (
    POST_COLUMNS,
    confirm_post,
    mark_gone,
    save_post,
    save_validators,
    upsert,
)

__all__ = [
    "Database",
    "BOOKKEEPING_WAIT",
    "CORRUPT",
    "LOCK_WAIT",
    "NOTADB",
    "DatabaseLocked",
    "DatabaseUnusable",
    "SQLiteError",
    "bookkeeping",
    "error_code",
    "immediate",
    "is_full",
    "is_locked",
    "lock_wait",
    "read_immutable",
    "unusable",
    "utcnow",
    "writable",
    "write",
    "write_async",
    "finish_crawl",
    "interrupt_stale_crawls",
    "last_crawl",
    "mark_interrupted",
    "save_crawl_errors",
    "start_crawl",
    "stop_run",
    "MAX_SEARCH_SEGMENTS",
    "SEARCH_TABLES",
    "configure",
    "open_db",
    "open_readonly",
    "optimize_search",
    "save_reference_data",
    "POST_COLUMNS",
    "confirm_post",
    "mark_gone",
    "save_post",
    "save_validators",
    "upsert",
]
