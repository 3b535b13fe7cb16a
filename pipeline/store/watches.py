"""Saved searches that notify (watches) and the record of every notice they send.

They live in a separate SQLite file beside the database (news.db -> news-watches.db), as raw
pages do: the served site runs anonymous SQL over news.db and the dumps copy it, and neither
may hand out a webhook URL (often a secret) or an e-mail address.

A notice is one post for one watch, recorded before it is sent and never sent twice:
`pending` (queued, or its last attempt failed: the next run tries again), `sending` (claimed by
one notifier in an immediate transaction, so that two notifiers never send the same one),
`sent`, or `unconfirmed` (the process stopped between claiming and recording the answer: it
may or may not have reached the receiver, and is not sent again).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from pipeline.store.connection import (
    BOOKKEEPING_WAIT,
    DatabaseUnusable,
    unusable,
    utcnow,
    writable,
    write,
)
from pipeline.store.database import configure

POST_FIELDS = ("title", "url", "source", "published", "first_seen")
SCHEMA = (
    """create table if not exists watches (
  name text primary key, query text not null, filters text not null, channel text not null,
  target text, created text not null, checked_until text)""",
    """create table if not exists watch_notices (
  watch text not null references watches(name) on delete cascade, post_id text not null,
  title text, url text, source text, published text, first_seen text,
  queued_at text not null, status text not null, attempts integer not null default 0,
  last_attempt text, sent_at text, sent_to text, error text,
  primary key (watch, post_id))""",
    "create index if not exists idx_watch_notices_status on watch_notices(watch, status)",
)


class WatchExists(ValueError):
    """A watch of that name is already saved."""


def watches_path(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(f"{db_path.stem}-watches{db_path.suffix or '.db'}")


def open_watches(db_path: str | Path) -> Database:
    """The watches of the database at db_path, opened as a writer (created if missing; the
    connection policy of store.open_db). DatabaseUnusable for a read-only or broken file."""
    path = watches_path(db_path)
    if path.is_dir():
        raise DatabaseUnusable(f"{path}: is a folder, not a database")
    if not writable(path):
        raise DatabaseUnusable(f"{path}: is read-only (this command writes to it)")
    try:
        wdb = Database(path)
    except sqlite3.Error as error:
        raise unusable(path, error) from None
    try:
        configure(wdb)
        if not wdb["watch_notices"].exists():
            write(wdb, lambda: [wdb.execute(sql) for sql in SCHEMA], BOOKKEEPING_WAIT)
    except (sqlite3.Error, OSError) as error:
        wdb.close()
        raise unusable(path, error) from None
    return wdb


def add_watch(
    wdb: Database, name: str, query: str, filters: dict, channel: str, target: str | None
) -> dict:
    """Save a watch; it notifies of the posts first seen from now on. WatchExists if taken."""
    row = {
        "name": name,
        "query": query,
        "filters": json.dumps(filters, sort_keys=True),
        "channel": channel,
        "target": target,
        "created": utcnow(),
        "checked_until": None,
    }

    def insert() -> None:
        if wdb.execute("select 1 from watches where name = ?", [name]).fetchone():
            raise WatchExists(f"a watch named {name} exists already")
        wdb["watches"].insert(row)

    write(wdb, insert)
    return decoded(row)


def decoded(row: dict) -> dict:
    return {**row, "filters": json.loads(row["filters"] or "{}")}


def list_watches(wdb: Database) -> list[dict]:
    return [decoded(row) for row in wdb.query("select * from watches order by name")]


def get_watch(wdb: Database, name: str) -> dict | None:
    found = list(wdb.query("select * from watches where name = ?", [name]))
    return decoded(found[0]) if found else None


def remove_watch(wdb: Database, name: str) -> bool:
    """Forget a watch and its record; False when there is none of that name."""

    def delete() -> int:
        wdb.execute("delete from watch_notices where watch = ?", [name])
        return wdb.execute("delete from watches where name = ?", [name]).rowcount

    return bool(write(wdb, delete))


def queue(wdb: Database, name: str, posts: list[dict], checked_until: str | None) -> int:
    """Record the posts (dicts with id and POST_FIELDS) as pending notices of the watch, each
    at most once whatever its state; checked_until: where the next look for new posts starts.
    Returns how many were new."""

    def insert() -> int:
        now, added = utcnow(), 0
        for post in posts:
            added += wdb.execute(
                "insert or ignore into watch_notices (watch, post_id, title, url, source, "
                "published, first_seen, queued_at, status) values (?, ?, ?, ?, ?, ?, ?, ?, "
                "'pending')",
                [name, post["id"], *(post.get(f) for f in POST_FIELDS), now],
            ).rowcount
        if checked_until:
            wdb.execute(
                "update watches set checked_until = max(coalesce(checked_until, ''), ?) "
                "where name = ?",
                [checked_until, name],
            )
        return added

    return write(wdb, insert)


# A notifier records the answer within a minute of its claim (the sending's timeouts and
# retries); a notice still `sending` after this long was left by one that stopped.
STALE_SENDING = "-15 minutes"


def mark_unconfirmed(wdb: Database) -> int:
    """Notices left `sending` by a notifier that stopped before it recorded the answer: not
    sent again (they may have reached the receiver)."""
    return write(
        wdb,
        lambda: (
            wdb.execute(
                "update watch_notices set status = 'unconfirmed', error = 'the notifier stopped "
                "before it recorded the answer' where status = 'sending' "
                "and last_attempt < strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', ?)",
                [STALE_SENDING],
            ).rowcount
        ),
    )


def claim(wdb: Database, name: str, limit: int) -> list[dict]:
    """Up to limit of the watch's pending notices (oldest first), now `sending`, in one
    immediate transaction: another notifier no longer sees them."""

    def take() -> list[dict]:
        rows = list(
            wdb.query(
                "select * from watch_notices where watch = ? and status = 'pending' "
                "order by first_seen, post_id limit ?",
                [name, limit],
            )
        )
        wdb.conn.executemany(
            "update watch_notices set status = 'sending', attempts = attempts + 1, "
            "last_attempt = ? where watch = ? and post_id = ?",
            [(utcnow(), name, row["post_id"]) for row in rows],
        )
        return rows

    return write(wdb, take)


def settle(
    wdb: Database, name: str, post_ids: list[str], sent_to: str | None, error: str | None
) -> None:
    """Record the answer for claimed notices: sent (to sent_to), or pending again with the
    error (the next run tries again)."""
    if error is None:
        sql = "update watch_notices set status = 'sent', sent_at = ?, sent_to = ?, error = null"
        args = [utcnow(), sent_to]
    else:
        sql, args = "update watch_notices set status = 'pending', error = ?", [error]
    where = " where watch = ? and post_id = ? and status = 'sending'"
    write(wdb, lambda: wdb.conn.executemany(sql + where, [(*args, name, i) for i in post_ids]))


def counts(wdb: Database, name: str) -> dict[str, int]:
    """The watch's notices by status."""
    return dict(
        wdb.execute(
            "select status, count(*) from watch_notices where watch = ? group by status", [name]
        ).fetchall()
    )
