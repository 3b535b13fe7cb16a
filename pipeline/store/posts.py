"""Writing posts: a post and all its links in one transaction, keyed by the post id (a hash of the
canonical URL), so that re-running a crawl updates in place and never duplicates."""

from __future__ import annotations

import json

from sqlite_utils import Database

from pipeline.normalize.types import Post, stored
from pipeline.store import duplicates, people, stories
from pipeline.store.connection import (
    bookkeeping,
    utcnow,
    write,
)
from pipeline.store.migrations import index_pairs_pending

# The columns of `posts` that are Post's fields, as they are (types.py marks them).
POST_COLUMNS = stored("column")
# Kept from the stored post when a fetch returns no body (a 403 must not erase a good body),
# with where that body came from.
BODY_COLUMNS = stored("body")
# Columns of `posts` made from Post's lists: JSON arrays of names, for the table's facets.
LIST_COLUMNS = ("organizations", "tags", "standards", "committees")
# Columns the store keeps itself: when the post was seen, gone, and the post it duplicates.
BOOKKEEPING_COLUMNS = (
    "first_seen",
    "last_seen",
    "gone_at",
    "duplicate_of",
    "duplicate_similarity",
    "duplicate_method",
)
# The link tables a post's lists fill, and how a row goes in (all deleted first on a rewrite but
# post_urls, where a post's addresses accumulate).
LINK_INSERTS = {
    "post_organizations": "insert",
    "post_tags": "insert or ignore",
    "post_dates": "insert",
    "post_standards": "insert or ignore",
    "post_committees": "insert or ignore",
    "post_authors": "insert",
    "post_urls": "insert or ignore",
}


def save_post(
    db: Database,
    post: Post,
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


def post_row(post: Post) -> dict:
    """The post's row of `posts`, but for the store's bookkeeping columns."""
    row = {column: getattr(post, column) for column in POST_COLUMNS}
    row["organizations"] = json.dumps([o["acronym"] or o["name"] for o in post.organizations])
    row["tags"] = json.dumps(list(dict.fromkeys(t["name"] for t in post.tags)))
    row["standards"] = json.dumps(post.standards + post.related_standards)
    row["committees"] = json.dumps(post.committees)
    return row


def link_rows(post: Post, now: str) -> dict[str, list[dict]]:
    """The rows of the post's link tables (LINK_INSERTS), each table's in order."""
    pid = post.id
    standards = [(n, "text") for n in post.standards] + [
        (n, "related") for n in post.related_standards
    ]
    addresses = [{"url": post.url, "kind": "canonical"}, *post.aliases]
    return {
        "post_organizations": [
            {"post_id": pid, "organization_id": o["id"], "role": o["role"], "count": o["count"]}
            for o in post.organizations
        ],
        "post_tags": [
            {"post_id": pid, "tag_id": t["id"], "matched": json.dumps(t["matched"])}
            for t in post.tags
        ],
        "post_dates": [
            {
                "post_id": pid,
                "date": m.date,
                "precision": m.precision,
                "text": m.text,
                "sentence": m.sentence,
            }
            for m in post.mentioned_dates
        ],
        "post_standards": [
            {"post_id": pid, "standard_id": name, "origin": origin} for name, origin in standards
        ],
        "post_committees": [{"post_id": pid, "committee_id": n} for n in post.committees],
        "post_authors": [
            {"post_id": pid, "position": i, **author} for i, author in enumerate(post.authors)
        ],
        "post_urls": [
            {"url": a["url"], "post_id": pid, "kind": a["kind"], "first_seen": now}
            for a in addresses
        ],
    }


def insert_rows(conn, table: str, rows: list[dict], verb: str = "insert or ignore") -> None:
    """Rows of one table (all with the same keys) in one executemany."""
    if rows:
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)
        conn.executemany(
            f'{verb} into "{table}" ({names}) values ({", ".join("?" * len(columns))})',
            [[row[c] for c in columns] for row in rows],
        )


def _save_post(db: Database, post: Post, now: str, keep_version: bool) -> str:
    """Plain SQL on the connection: sqlite-utils' table helpers re-read the schema on every
    call, which cost more than the writes themselves."""
    row = post_row(post)
    conn = db.conn
    previous = next(db.query("select * from posts where id = ?", [post.id]), None)
    if superseded(previous, post, keep_version):
        return "unchanged"
    if live_stays(previous, post):
        conn.execute("update posts set last_seen = ? where id = ?", [now, post.id])
        return "unchanged"
    if previous and post.text_missing and not previous["text_missing"]:
        row.update({column: previous[column] for column in BODY_COLUMNS})
    row["first_seen"] = previous["first_seen"] if previous else now
    row["last_seen"] = now
    row["gone_at"] = None  # it answered with a page: not (or no longer) gone
    if keep_version and changed_body(previous, row):
        conn.execute(
            """insert into post_versions
                 (post_id, title, text, content_hash, fetched_at, replaced_at)
               values (?, ?, ?, ?, ?, ?)""",
            [
                post.id,
                previous["title"],
                previous["text"],
                previous["content_hash"],
                previous["fetched_at"],
                now,
            ],
        )
    upsert(conn, "posts", row, "id")
    index_pairs_pending(conn)
    _save_links(conn, post, now)
    # The post's date before this write: a rewrite with the same people and date changes none.
    seen_before = previous and (previous["published"] or previous["first_seen"])
    people.save_people(conn, post, seen_before)
    # After the row: the look-up also points later near-duplicates at this post.
    duplicates.index_post(db, row)
    # Last: its story across publishers reads the links and the near-duplicate link above.
    stories.assign(db, post.id, now)
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


def live_stays(previous: dict | None, post: Post) -> bool:
    """The Internet Archive's copy never replaces a page fetched from the site itself (the
    reverse is the rule: a later run's live page replaces an archived copy)."""
    return bool(
        previous
        and post.fetched_via == "archive"
        and not previous["text_missing"]
        and (previous["fetched_via"] or "live") == "live"
    )


def superseded(previous: dict | None, post: Post, keep_version: bool) -> bool:
    """Reprocessing an older fetch than the stored post's (a crawl beside `stdnews reprocess`
    stored a newer page meanwhile, read with the current code): the newer one stays."""
    return bool(
        not keep_version
        and previous
        and post.fetched_at
        and (previous["fetched_at"] or "") > post.fetched_at
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


def _save_links(conn, post: Post, now: str) -> None:
    """The post's links replace its old ones (its addresses add up); the tags, standards and
    committees they name are added to their tables first."""
    for table in LINK_INSERTS:
        if table != "post_urls":
            conn.execute(f"delete from {table} where post_id = ?", [post.id])
    conn.executemany(
        "insert into tags (id, name, origin) values (?, ?, ?) "
        "on conflict(id) do update set name = excluded.name, origin = excluded.origin",
        [(t["id"], t["name"], t["origin"]) for t in post.tags],
    )
    names = [*post.standards, *post.related_standards]
    conn.executemany("insert or ignore into standards (id) values (?)", [(n,) for n in names])
    conn.executemany(
        "insert or ignore into committees (id) values (?)", [(n,) for n in post.committees]
    )
    for table, rows in link_rows(post, now).items():
        insert_rows(conn, table, rows, LINK_INSERTS[table])
