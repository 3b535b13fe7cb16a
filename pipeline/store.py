"""Writing to SQLite: pure `save_*`/`open_db` functions over a sqlite-utils Database.

A post and all its links are written in one transaction, keyed by the post id (a hash of the
canonical URL), so that re-running a crawl updates in place and never duplicates.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from pipeline import duplicates, search, vocab
from pipeline.migrations import index_pairs, index_pairs_pending, migrations, pairs_indexed
from pipeline.sources import SOURCES

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


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_db(path: str | Path) -> Database:
    """Open (creating if needed) a database with the current schema, in WAL mode."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    # Readers (Datasette) keep reading while a crawl writes; writers wait rather than fail.
    db.execute("PRAGMA busy_timeout = 30000")
    db.enable_wal()
    # WAL with synchronous=NORMAL: a crash or kill -9 loses nothing committed and never corrupts;
    # only a power cut may drop the last transactions. Spares an fsync per post.
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    search.register(db.conn)  # fts_pairs(), which posts_pairs_fts is written with
    migrations.apply(db)
    if not pairs_indexed(db):  # a dump (they leave it out), or someone dropped the triggers
        rebuild_pairs(db)
    with db.atomic():  # posts another tool wrote (sqlite3, a script) since stdnews last did
        index_pairs_pending(db.conn)
    save_reference_data(db)
    return db


def rebuild_pairs(db: Database) -> None:
    """posts_pairs_fts rebuilt in one transaction: killed half-way, it is still missing its
    triggers and is rebuilt next time; two processes opening the database, one rebuilds."""
    db.conn.execute("begin immediate")
    try:
        if not pairs_indexed(db):
            index_pairs(db)
        db.conn.commit()
    except BaseException:
        db.conn.rollback()
        raise


def save_reference_data(db: Database) -> None:
    """Sources and the organization gazetteer, refreshed from their definitions on every open."""
    with db.atomic():
        db["sources"].upsert_all(
            [
                {
                    "id": s.id,
                    "name": s.name,
                    "organization": s.organization,
                    "homepage": s.homepage,
                    "news_url": s.news_url,
                }
                for s in SOURCES.values()
            ],
            pk="id",
        )
        db["organizations"].upsert_all(
            [
                {
                    "id": o["id"],
                    "acronym": o.get("acronym"),
                    "name": o["name"],
                    "kind": o.get("kind"),
                    "country": o.get("country"),
                    "homepage": o.get("homepage"),
                }
                for o in vocab.organizations()
            ],
            pk="id",
        )


def save_post(db: Database, post: dict, now: str | None = None, keep_version: bool = True) -> str:
    """Insert or update one post with its links; returns "new", "updated" or "unchanged".

    When a fetch changes a stored body, the old title and body go to `post_versions` first
    (`keep_version=False` for reprocessing, where the page did not change, only our reading).
    Plain SQL on the connection: sqlite-utils' table helpers re-read the schema on every call,
    which cost more than the writes themselves.
    """
    now = now or utcnow()
    row = {column: post.get(column) for column in POST_COLUMNS}
    row["organizations"] = json.dumps([o["acronym"] or o["name"] for o in post["organizations"]])
    row["tags"] = json.dumps(list(dict.fromkeys(t["name"] for t in post["tags"])))
    row["standards"] = json.dumps(post["standards"] + post.get("related_standards", []))
    row["committees"] = json.dumps(post["committees"])
    conn = db.conn
    with db.atomic():
        previous = next(db.query("select * from posts where id = ?", [post["id"]]), None)
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
    with db.atomic():
        cursor = db.execute(
            "update posts set last_seen = ?, gone_at = null where url = ?", [now or utcnow(), url]
        )
    return cursor.rowcount > 0


def mark_gone(db: Database, url: str, status: int, now: str | None = None) -> bool:
    """A revisit answered 404 or 410: the post is marked gone, never deleted."""
    with db.atomic():
        cursor = db.execute(
            "update posts set gone_at = coalesce(gone_at, ?), http_status = ? where url = ?",
            [now or utcnow(), status, url],
        )
    return cursor.rowcount > 0


def save_validators(db: Database, rows: list[dict], now: str | None = None) -> None:
    """HTTP validators and last check per URL: ETag/Last-Modified only replaced on a 200.

    Each row: url, source, kind (discovery|article), status, and etag/last_modified as received.
    """
    now = now or utcnow()
    with db.atomic():
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
    with db.atomic():
        db["crawl_errors"].insert_all(
            [{"crawl_id": crawl_id, "source": source, **error} for error in errors], pk="id"
        )


def interrupt_stale_crawls(db: Database, run_id: str) -> None:
    """Runs still marked running belong to a dead process (the crawl lock is ours now)."""
    with db.atomic():
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
    with db.atomic():
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
    with db.atomic():
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
            with db.atomic():
                db.execute(f"insert into {table}({table}) values('optimize')")
            merged = True
    if merged:
        db.execute("pragma optimize")
    return merged
