"""Raw pages, kept so that normalization can be re-run without the network (`stdnews reprocess`).

They live in a separate SQLite file beside the database (news.db -> news-raw.db), compressed with
zlib, so that dumps and Datasette stay small; one row per canonical URL, the latest fetch that
had a body (a later refusal does not erase it).
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from pipeline import store
from pipeline.store import upsert


def raw_path(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(f"{db_path.stem}-raw{db_path.suffix or '.db'}")


def open_raw(db_path: str | Path) -> Database:
    """The raw-page store that belongs to the database at db_path, opened as a writer (the
    connection policy of store.open_db; its schema brought up to date, waiting for the lock)."""
    path = raw_path(db_path)
    if not store.writable(path):
        raise store.DatabaseUnusable(f"{path}: is read-only (this command writes to it)")
    raw = Database(path)
    try:
        store.configure(raw)
        if schema_missing(raw):
            store.write(raw, lambda: create_schema(raw), store.BOOKKEEPING_WAIT)
    except (sqlite3.Error, OSError) as error:
        raw.close()
        raise store.unusable(path, error) from None
    return raw


# Added after the first raw stores (the archive fallback).
LATER_COLUMNS = ("fetched_via", "archived_at")


def schema_missing(raw: Database) -> bool:
    table = raw["pages"]
    return not table.exists() or any(c not in table.columns_dict for c in LATER_COLUMNS)


def create_schema(raw: Database) -> None:
    if not raw["pages"].exists():
        raw["pages"].create(
            {
                "url": str,
                "source": str,
                "requested_url": str,
                "final_url": str,
                "status": int,
                "fetched_at": str,
                "hints": str,
                "redirect_urls": str,
                "html": bytes,
            },
            pk="url",
        )
    for column in LATER_COLUMNS:
        if column not in raw["pages"].columns_dict:
            raw["pages"].add_column(column, str)


def save_page(raw: Database, url: str, item: dict, wait: float | None = None) -> None:
    """Keep the fetched page of the post at canonical url (waiting for the lock: store.write)."""
    store.write(raw, lambda: _save_page(raw, url, item), wait)


def _save_page(raw: Database, url: str, item: dict) -> None:
    row = {
        "url": url,
        "source": item.get("source"),
        "requested_url": item.get("url"),
        "final_url": item.get("final_url"),
        "status": item.get("status"),
        "fetched_at": item.get("fetched_at"),
        "hints": json.dumps(item.get("hints") or {}, ensure_ascii=False),
        "redirect_urls": json.dumps(item.get("redirect_urls") or []),
        "html": zlib.compress((item.get("html") or "").encode("utf-8"), 6),
        "fetched_via": item.get("fetched_via"),
        "archived_at": item.get("archived_at"),
    }
    stored = raw.execute(
        "select length(html) > 20, coalesce(fetched_via, 'live') from pages where url = ?",
        [url],
    ).fetchone()
    if stored and stored[0] and not item.get("html"):
        return  # a refusal after a good fetch: the good body stays
    if stored and stored[0] and stored[1] == "live" and item.get("fetched_via") == "archive":
        return  # the site's own page beats the archive's copy of it
    upsert(raw.conn, "pages", row, "url")


def items(raw: Database, source: str | None = None) -> Iterator[dict]:
    """Stored pages as the items the crawl handed over (see crawlers/items.py)."""
    where, args = ("source = ?", [source]) if source else (None, None)
    for row in raw["pages"].rows_where(where, args, order_by="url"):
        yield {
            "source": row["source"],
            "url": row["requested_url"] or row["url"],
            "final_url": row["final_url"] or row["url"],
            "status": row["status"],
            "fetched_at": row["fetched_at"],
            "hints": json.loads(row["hints"] or "{}"),
            "redirect_urls": json.loads(row["redirect_urls"] or "[]"),
            "html": zlib.decompress(row["html"]).decode("utf-8") if row["html"] else "",
            "fetched_via": row.get("fetched_via"),
            "archived_at": row.get("archived_at"),
        }
