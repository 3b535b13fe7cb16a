"""A watch's new matches queued, then sent once: the record is written before each send and
its answer after (pipeline/store/watches.py); `notify` runs every watch of a database."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.store import open_readonly
from pipeline.store import watches as record
from pipeline.watch import match, send

PER_MESSAGE = 100  # posts in one webhook call or e-mail; more go in the next ones


@dataclass
class Outcome:
    """What one watch did in a run: posts sent, posts left pending, the failure if any."""

    name: str
    sent: int = 0
    pending: int = 0
    error: str | None = None
    target: str | None = None


def site_url() -> str:
    return os.environ.get("STDNEWS_SITE_URL", "").rstrip("/")


def notify(db_path: Path, names: list[str] | None = None) -> list[Outcome]:
    """Queue and send the new matches of every watch (or those named); nothing without a
    watches file."""
    if not record.watches_path(db_path).exists():
        return []
    wdb = record.open_watches(db_path)
    db = open_readonly(db_path) if db_path.exists() else None
    try:
        record.mark_unconfirmed(wdb)
        chosen = [w for w in record.list_watches(wdb) if names is None or w["name"] in names]
        return [run_watch(wdb, db, db_path.stem, w) for w in chosen if w["channel"] != "feed"]
    finally:
        wdb.close()
        if db is not None:
            db.close()


def run_watch(wdb, db, database: str, watch: dict) -> Outcome:
    if db is not None:
        posts, checked_until = match.new_matches(db, watch)
        record.queue(wdb, watch["name"], posts, checked_until)
    outcome = Outcome(watch["name"], target=watch["target"])
    while rows := record.claim(wdb, watch["name"], PER_MESSAGE):
        ids = [row["post_id"] for row in rows]
        try:
            deliver(watch, rows, database)
        except send.DeliveryFailed as error:
            record.settle(wdb, watch["name"], ids, None, str(error))
            outcome.error = str(error)
            break
        record.settle(wdb, watch["name"], ids, watch["target"], None)
        outcome.sent += len(rows)
    outcome.pending = record.counts(wdb, watch["name"]).get("pending", 0)
    return outcome


def deliver(watch: dict, rows: list[dict], database: str) -> None:
    posts = [post_entry(row, database) for row in rows]
    if watch["channel"] == "webhook":
        payload = webhook_payload(watch, posts, database)
        send.with_retries(lambda: send.post_json(watch["target"], payload))
    else:
        message = send.email(watch["target"], subject(watch, posts), body(watch, posts, database))
        send.with_retries(lambda: send.send_email(message))


def post_entry(row: dict, database: str) -> dict:
    return {
        "id": row["post_id"],
        "title": row["title"],
        "url": row["url"],
        "source": row["source"],
        "published": row["published"],
        "first_seen": row["first_seen"],
        "page": match.post_page(row["post_id"], database, site_url()),
    }


def webhook_payload(watch: dict, posts: list[dict], database: str) -> dict:
    return {
        "watch": watch["name"],
        "query": watch["query"],
        "filters": watch["filters"],
        "feed": match.feed_url(watch, database, site_url()),
        "posts": posts,
    }


def subject(watch: dict, posts: list[dict]) -> str:
    count = f"{len(posts)} new post{'s' if len(posts) != 1 else ''}"
    return f"standards-news: {count} for {watch['name']} ({watch['query']})"


def body(watch: dict, posts: list[dict], database: str) -> str:
    lines = [f'New posts matching "{watch["query"]}" (watch {watch["name"]}):', ""]
    for post in posts:
        lines.append(f"* {post['title']}")
        lines.append(f"  {post['source']}, {post['published'] or 'undated'}")
        lines.append(f"  {post['url']}")
        if post["page"]:
            lines.append(f"  {post['page']}")
        lines.append("")
    lines.append(f"Feed of this watch: {match.feed_url(watch, database, site_url())}")
    lines.append(f"Stop these e-mails: stdnews watch remove {watch['name']}")
    return "\n".join(lines) + "\n"
