"""Writing the people a post names: its `post_people` rows (one per person, role and body, with
the sentence as evidence), then the `people` row of each person it names or named before.

A person's row is recomputed from all their mentions whenever a post naming them is written:
the name as last written, the current role and body (those of the latest post, by publication
date), when they were first and last seen, and how many posts name them. A post rewritten
without a person (reprocessing with a better reader) takes them off; a person no post names any
longer is deleted. So `stdnews reprocess` recomputes both tables.
"""

from __future__ import annotations

from pipeline.normalize.types import Post

COLUMNS = (
    "post_id",
    "person_id",
    "name",
    "honorific",
    "role",
    "role_text",
    "organization",
    "committee",
    "sentence",
    "language",
)


def save_people(conn, post: Post) -> None:
    """The post's mentions replace its old ones; the people of both are recomputed. Inside the
    writer's transaction (store.save_post)."""
    before = {
        row[0]
        for row in conn.execute("select person_id from post_people where post_id = ?", [post.id])
    }
    conn.execute("delete from post_people where post_id = ?", [post.id])
    rows = [(post.id, m["key"], *(m.get(c) for c in COLUMNS[2:])) for m in post.people]
    # The person's row first (post_people refers to it), completed by refresh() below.
    conn.executemany(
        "insert or ignore into people (id, name) values (?, ?)",
        [(m["key"], m["name"]) for m in post.people],
    )
    conn.executemany(
        f"insert into post_people ({', '.join(COLUMNS)}) values ({', '.join('?' * len(COLUMNS))})",
        rows,
    )
    for person in sorted(before | {m["key"] for m in post.people}):
        refresh(conn, person)


# A person's mentions by the post's publication date (else when it was stored).
SEEN = "coalesce(p.published, p.first_seen)"
# The latest mention (of one day, the English version: the one a person's row shows).
LATEST = f"""select pp.name, pp.role, pp.role_text, pp.organization, pp.committee
from post_people pp join posts p on p.id = pp.post_id where pp.person_id = ?
order by {SEEN} desc, pp.language = 'en' desc, pp.post_id desc, pp.rowid desc limit 1"""
# The span and counts of all their mentions, in SQL (a person of many posts is one scan of
# the person's range of the (person_id, post_id) index, not rows brought into Python).
SPAN = f"""select min({SEEN}), max({SEEN}), count(distinct pp.post_id), count(*)
from post_people pp join posts p on p.id = pp.post_id where pp.person_id = ?"""


def refresh(conn, person: str) -> None:
    """The person's row from all their mentions; deleted when there are none."""
    latest = conn.execute(LATEST, [person]).fetchone()
    if latest is None:
        conn.execute("delete from people where id = ?", [person])
        return
    conn.execute(
        """insert or replace into people (id, name, role, role_text, organization, committee,
             first_seen, last_seen, posts, mentions) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [person, *latest, *conn.execute(SPAN, [person]).fetchone()],
    )
