"""Which posts a watch notifies of: the search feed's question (its words and filters, the SQL
of pipeline/site/filters.py) over the posts first seen since the watch last looked; and the
watch's feed, the search feed's URL with the same words and filters."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from pipeline.site import filters

# The filters a watch may have, as the search feed's parameters name them (since: date_from).
FILTERS = ("source", "organization", "tag", "standard", "language", "since")
PARAMETER = {"since": "date_from"}
# The next look starts this long before the newest post seen: a post saved by a writer whose
# clock lagged is still looked at (the record of notices keeps it from being sent twice).
MARGIN = timedelta(hours=1)

MATCHES = f"""select w.id, w.title, w.url, w.source, w.published, w.first_seen
from posts w
where w.rowid in (select rowid from posts_fts where posts_fts match fts_query(:q))
  and w.first_seen >= :seen_from {filters.feed_filters(table="w", rowid="w.rowid")}
order by w.first_seen, w.rowid"""


def parameters(watch: dict) -> dict[str, str]:
    """The search feed's parameters for the watch (every one given: '' when unset)."""
    given = watch["filters"]
    values = {"q": watch["query"], "date_to": ""}
    for name in FILTERS:
        values[PARAMETER.get(name, name)] = given.get(name) or ""
    return values


def new_matches(db, watch: dict) -> tuple[list[dict], str | None]:
    """The posts matching the watch first seen since it last looked (oldest first), and where
    the next look starts."""
    newest = db.execute("select max(first_seen) from posts").fetchone()[0]
    seen_from = max(watch["created"], watch["checked_until"] or "")
    cursor = db.execute(MATCHES, {**parameters(watch), "seen_from": seen_from})
    columns = [c[0] for c in cursor.description]
    posts = [dict(zip(columns, row, strict=True)) for row in cursor]
    if not newest:
        return posts, None
    return posts, (datetime.fromisoformat(newest) - MARGIN).isoformat(timespec="seconds")


def feed_url(watch: dict, database: str, site_url: str = "") -> str:
    """The watch's Atom feed: the search feed (data/metadata.yml's feed_search) of its words
    and filters, on the site at site_url (a path alone without it)."""
    given = {k: v for k, v in parameters(watch).items() if v}
    return f"{site_url.rstrip('/')}/{quote(database)}/feed_search.atom?{urlencode(given)}"


def post_page(post_id: str, database: str, site_url: str) -> str | None:
    """The post's page on the site (None without the site's address)."""
    if not site_url:
        return None
    return f"{site_url.rstrip('/')}/{quote(database)}/posts/{quote(post_id)}"
