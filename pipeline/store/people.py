"""Writing the people a post names: its `post_people` rows (one per person, role and body, with
the sentence as evidence), then the `people` row of each person it names or named before: the
name as last written, the current role and body (those of the latest post, by publication
date), when they were first and last seen, and how many posts name them.

A post written again with the same mentions changes nothing; a person a new post names is
counted in; a person a post no longer names (reprocessing with a better reader) is recomputed
from their other mentions, and deleted when none are left. `stdnews reprocess` rewrites every
post's mentions, then recomputes every person's row in one pass (recompute_all).
"""

from __future__ import annotations

from sqlite_utils import Database

from pipeline.normalize.types import Post
from pipeline.store.connection import write

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


def save_people(conn, post: Post, seen_before: str | None = None) -> None:
    """The post's mentions replace its old ones. Inside the writer's transaction
    (store.save_post), after the post's row; seen_before: the post's date before this write.

    A post written again with the same mentions and date (most of a `stdnews reprocess`) changes
    nothing. A person the post adds is counted in (their row updated in place: a person of many
    posts is not read again at each new one), unless the post's date ties with their latest;
    a person the post drops or names otherwise is recomputed from all their mentions."""
    old = conn.execute(
        f"select {', '.join(COLUMNS)} from post_people where post_id = ? order by rowid", [post.id]
    ).fetchall()
    rows = [(post.id, m["key"], *(m.get(c) for c in COLUMNS[2:])) for m in post.people]
    (seen,) = conn.execute(f"select {SEEN} from posts p where id = ?", [post.id]).fetchone()
    if old == rows and seen == seen_before:
        return
    conn.execute("delete from post_people where post_id = ?", [post.id])
    # The person's row first (post_people refers to it), completed below.
    conn.executemany(
        "insert or ignore into people (id, name) values (?, ?)",
        [(m["key"], m["name"]) for m in post.people],
    )
    conn.executemany(
        f"insert into post_people ({', '.join(COLUMNS)}) values ({', '.join('?' * len(COLUMNS))})",
        rows,
    )
    before = {row[1] for row in old}
    for person in sorted(before | {row[1] for row in rows}):
        own = [row for row in rows if row[1] == person]
        if person in before or not count_in(conn, person, own, seen):
            refresh(conn, person)


def count_in(conn, person: str, rows: list[tuple], seen: str | None) -> bool:
    """A new post's mentions of a known person counted into their row; False when their row
    must be recomputed instead (a new person, no date, or a date that ties with their latest:
    which mention is the latest then depends on the order of all of them)."""
    known = conn.execute(
        "select first_seen, last_seen, posts from people where id = ?", [person]
    ).fetchone()
    if known is None or known[2] is None or seen is None or seen == known[1]:
        return False
    first, last, _ = known
    conn.execute(
        """update people set first_seen = ?, last_seen = ?, posts = posts + 1,
             mentions = mentions + ? where id = ?""",
        [min(first, seen), max(last, seen), len(rows), person],
    )
    if seen > last:  # the post's last mention of them is now their latest (as LATEST orders)
        latest = rows[-1]
        conn.execute(
            """update people set name = ?, role = ?, role_text = ?, organization = ?,
                 committee = ? where id = ?""",
            [latest[2], latest[4], latest[5], latest[6], latest[7], person],
        )
    return True


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


# Every person's latest mention and span in one pass over post_people (stdnews reprocess).
RECOMPUTE = f"""with m as (
  select pp.person_id, pp.name, pp.role, pp.role_text, pp.organization, pp.committee,
    pp.post_id, {SEEN} as seen, row_number() over (partition by pp.person_id
      order by {SEEN} desc, pp.language = 'en' desc, pp.post_id desc, pp.rowid desc) as n
  from post_people pp join posts p on p.id = pp.post_id),
span as (select person_id, min(seen) as first, max(seen) as last,
  count(distinct post_id) as posts, count(*) as mentions from m group by person_id)
insert into people (id, name, role, role_text, organization, committee, first_seen, last_seen,
  posts, mentions)
select m.person_id, m.name, m.role, m.role_text, m.organization, m.committee, span.first,
  span.last, span.posts, span.mentions from m join span using (person_id) where m.n = 1
on conflict(id) do update set name = excluded.name, role = excluded.role,
  role_text = excluded.role_text, organization = excluded.organization,
  committee = excluded.committee, first_seen = excluded.first_seen,
  last_seen = excluded.last_seen, posts = excluded.posts, mentions = excluded.mentions"""


def recompute_all(conn) -> None:
    """Every person's row from all their mentions, and no row for a person no post names: what
    the writes keep in step one post at a time, done once for all (after `stdnews reprocess`,
    which skips posts whose mentions did not change, or after a change to how rows are made)."""
    conn.execute("delete from people where id not in (select person_id from post_people)")
    conn.execute(RECOMPUTE)


def recompute_people(db: Database) -> None:
    """recompute_all() in one write transaction (the command's side)."""
    write(db, lambda: recompute_all(db.conn))
