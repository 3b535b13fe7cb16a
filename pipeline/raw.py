"""Raw pages, kept so that normalization can be re-run without the network (`stdnews reprocess`).

They live in a separate SQLite file beside the database (news.db -> news-raw.db), compressed with
zlib, so that dumps and Datasette stay small; one row per canonical URL, the latest fetch that
had a body (a later refusal does not erase it).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from pipeline.store import upsert


def raw_path(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(f"{db_path.stem}-raw{db_path.suffix or '.db'}")


def open_raw(db_path: str | Path) -> Database:
    """The raw-page store that belongs to the database at db_path."""
    raw = Database(raw_path(db_path))
    raw.execute("PRAGMA busy_timeout = 30000")
    raw.enable_wal()
    raw.execute("PRAGMA synchronous = NORMAL")  # as in store.open_db
    if "pages" not in raw.table_names():
        raw["pages"].create(
            {"url": str, "source": str, "requested_url": str, "final_url": str, "status": int,
             "fetched_at": str, "hints": str, "redirect_urls": str, "html": bytes},
            pk="url",
        )  # fmt: skip
    for column in ("fetched_via", "archived_at"):  # stores from before the archive fallback
        if column not in raw["pages"].columns_dict:
            raw["pages"].add_column(column, str)
    return raw


def save_page(raw: Database, url: str, item: dict) -> None:
    """Keep the fetched page of the post at canonical url."""
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
    with raw.atomic():
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
