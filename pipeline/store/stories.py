"""Stories across publishers: the candidates of a stored post and the clusters they form.

The scoring is pipeline/normalize/stories.py; this module reads and writes three tables:
- `story_sentences` (key, post_id): the keys of each post's long sentences, so that the posts
  sharing a sentence with a new one are found through an index, never by reading every post;
- `story_clusters`: one row per cross-publisher story (title, first publication, publishers,
  confidence, when it was first seen as one);
- `story_cluster_posts`: the posts of each cluster, each with its confidence and the evidence
  (JSON) that put it there. A post is in one cluster at most.
Not posts.story_id (language versions of one post of one source, the `stories` view): a cluster
takes each post's language versions along, since a translation shares no sentence with the
other publisher's text but is the same story.

`assign` runs in the writer's transaction each time a post is stored (store.save_post), so a
crawl leaves its stories clustered and `stdnews reprocess` recomputes them post by post.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlite_utils import Database

from pipeline.normalize.stories import MAX_DAYS, Match, StoryPost, day, score, sentences
from pipeline.store.connection import utcnow

# A sentence more posts share than this is boilerplate (a contact line, a standard notice): it
# finds no candidates.
MAX_POSTS_PER_SENTENCE = 8
# Posts of the date window looked at through shared standards or committees alone (the closest
# in date first): each is scored on its whole text.
MAX_NAMED_CANDIDATES = 10


def assign(db: Database, post_id: str, now: str | None = None) -> int | None:
    """(Re)place one stored post in its cross-publisher story; returns its cluster id or None.

    Its sentences are indexed first; then the posts of other sources it tells one story with,
    and its own language versions already clustered, decide the cluster (clusters it links are
    merged); a post that matches nothing leaves the one it was in.
    """
    conn = db.conn
    post = load(conn, post_id)
    if post is None:
        return None
    index_sentences(conn, post)
    matches = {other: m for other in candidates(conn, post) if (m := score_pair(conn, post, other))}
    versions = language_versions(conn, post)
    linked = set(matches) | set(versions)
    targets = {c for c in (cluster_of(conn, pid) for pid in linked) if c is not None}
    current = cluster_of(conn, post_id)
    if not matches and not targets:
        leave(conn, post_id)
        return None
    cluster = min(targets) if targets else current or create(conn, now or utcnow())
    if current is not None and current != cluster:
        leave(conn, post_id)
    for other in targets - {cluster}:
        merge(conn, other, cluster)
    join(conn, cluster, post, matches, versions)
    return cluster if refresh(conn, cluster, now or utcnow()) else None


def load(conn, post_id: str) -> StoryPost | None:
    row = conn.execute(
        "select id, source, title, text, published, language, story_id, duplicate_of "
        "from posts where id = ?",
        [post_id],
    ).fetchone()
    if row is None:
        return None
    names = {
        table: frozenset(r[0] for r in conn.execute(sql, [post_id])) for table, sql in NAMED.items()
    }
    pid, source, title, text, published, language, story_id, duplicate_of = row
    return StoryPost(
        pid,
        source,
        title or "",
        text or "",
        published,
        language,
        story_id,
        duplicate_of,
        organizations=names["organizations"],
        standards=names["standards"],
        committees=names["committees"],
    )


NAMED = {
    "organizations": "select organization_id from post_organizations where post_id = ?",
    "standards": "select standard_id from post_standards where post_id = ?",
    "committees": "select committee_id from post_committees where post_id = ?",
}


def index_sentences(conn, post: StoryPost) -> None:
    conn.execute("delete from story_sentences where post_id = ?", [post.id])
    conn.executemany(
        "insert into story_sentences (key, post_id) values (?, ?)",
        [(key, post.id) for key in sentences(post.text)],
    )


def window(post: StoryPost) -> tuple[str, str] | None:
    """The publication days a post of the same story may have: MAX_DAYS either side."""
    published = day(post.published)
    if published is None:
        return None
    span = timedelta(days=MAX_DAYS)
    # published is text at its precision (a day, or a UTC time after it): compare day prefixes.
    return (published - span).isoformat(), (published + span).isoformat() + "\uffff"


def candidates(conn, post: StoryPost) -> list[str]:
    """Posts of other sources within the date window that share a sentence with the post
    (through the sentence index) or a standard or committee it names (through their link
    tables' indexes)."""
    span = window(post)
    if span is None:
        return []
    shared = conn.execute(
        """select distinct p.id from story_sentences mine
           join story_sentences theirs on theirs.key = mine.key and theirs.post_id != mine.post_id
           join posts p on p.id = theirs.post_id
           where mine.post_id = ? and p.source != ? and p.published between ? and ?
             and (select count(*) from story_sentences s where s.key = mine.key) <= ?""",
        [post.id, post.source, *span, MAX_POSTS_PER_SENTENCE],
    ).fetchall()
    # From the date window (the posts index), each post checked through the link tables'
    # primary keys: never every post that names a common standard.
    named = conn.execute(
        """select p.id from posts p
           where p.published between :first and :last and p.source != :source
           and (exists (select 1 from post_standards theirs
                        where theirs.post_id = p.id and theirs.standard_id in
                          (select standard_id from post_standards where post_id = :id))
                or exists (select 1 from post_committees theirs
                           where theirs.post_id = p.id and theirs.committee_id in
                             (select committee_id from post_committees where post_id = :id)))
           order by abs(julianday(substr(p.published, 1, 10)) - julianday(:day))
           limit :limit""",
        {
            "first": span[0],
            "last": span[1],
            "source": post.source,
            "id": post.id,
            "day": post.published[:10],
            "limit": MAX_NAMED_CANDIDATES,
        },
    ).fetchall()
    return list(dict.fromkeys(r[0] for r in [*shared, *named]))


def score_pair(conn, post: StoryPost, other_id: str) -> Match | None:
    other = load(conn, other_id)
    return score(post, other) if other is not None else None


def language_versions(conn, post: StoryPost) -> list[str]:
    """The post's other language versions (same story_id, same source)."""
    if not post.story_id:
        return []
    rows = conn.execute(
        "select id from posts where story_id = ? and source = ? and id != ? order by id",
        [post.story_id, post.source, post.id],
    )
    return [r[0] for r in rows]


def cluster_of(conn, post_id: str) -> int | None:
    row = conn.execute(
        "select cluster_id from story_cluster_posts where post_id = ?", [post_id]
    ).fetchone()
    return row[0] if row else None


def create(conn, now: str) -> int:
    cursor = conn.execute(
        "insert into story_clusters (created_at, updated_at) values (?, ?)", [now, now]
    )
    return cursor.lastrowid


def merge(conn, other: int, into: int) -> None:
    """Two clusters a post links become one (the older id stays)."""
    sql = "update story_cluster_posts set cluster_id = ? where cluster_id = ?"
    conn.execute(sql, [into, other])
    conn.execute("delete from story_clusters where id = ?", [other])


def join(conn, cluster: int, post: StoryPost, matches: dict, versions: list[str]) -> None:
    """The post in the cluster with its best evidence; the posts it matched that were in no
    cluster, with the evidence of their match; and the language versions of all of them."""
    if matches:
        best_id, best = max(matches.items(), key=lambda item: item[1].confidence)
        put(conn, cluster, post.id, best.confidence, {**best.evidence, "matched": best_id})
    else:  # only through a language version already clustered
        sibling = next(v for v in versions if cluster_of(conn, v) is not None)
        inherit(conn, cluster, post.id, sibling)
    for other, match in matches.items():
        if weaker(conn, other, match.confidence):
            put(conn, cluster, other, match.confidence, {**match.evidence, "matched": post.id})
    for member in [post.id, *matches]:
        for version in language_versions(conn, load(conn, member)):
            if cluster_of(conn, version) is None:
                inherit(conn, cluster, version, member)


def weaker(conn, post_id: str, confidence: float) -> bool:
    """Whether a match of this confidence tells more than the post's row does: it has none,
    holds it only as a language version, or with less confidence."""
    row = conn.execute(
        "select confidence, evidence from story_cluster_posts where post_id = ?", [post_id]
    ).fetchone()
    if row is None or "language_version_of" in json.loads(row[1] or "{}"):
        return True
    return (row[0] or 0) < confidence


def inherit(conn, cluster: int, post_id: str, version_of: str) -> None:
    """A language version joins with the confidence of the version it translates."""
    row = conn.execute(
        "select confidence from story_cluster_posts where post_id = ?", [version_of]
    ).fetchone()
    put(conn, cluster, post_id, row[0] if row else None, {"language_version_of": version_of})


def put(conn, cluster: int, post_id: str, confidence: float | None, evidence: dict) -> None:
    conn.execute(
        """insert into story_cluster_posts (post_id, cluster_id, confidence, evidence)
           values (?, ?, ?, ?) on conflict(post_id) do update set
           cluster_id = excluded.cluster_id, confidence = excluded.confidence,
           evidence = excluded.evidence""",
        [post_id, cluster, confidence, json.dumps(evidence, ensure_ascii=False)],
    )


def leave(conn, post_id: str) -> None:
    """The post out of its cluster; a cluster left with one publisher is no story across
    publishers any more, and goes."""
    cluster = cluster_of(conn, post_id)
    if cluster is None:
        return
    conn.execute("delete from story_cluster_posts where post_id = ?", [post_id])
    refresh(conn, cluster, utcnow())


def refresh(conn, cluster: int, now: str) -> bool:
    """The cluster's summary row from its posts; False (and the cluster gone) when fewer than
    two publishers are left in it."""
    publishers = [
        r[0]
        for r in conn.execute(
            "select distinct p.source from story_cluster_posts c join posts p on p.id = c.post_id "
            "where c.cluster_id = ? order by 1",
            [cluster],
        )
    ]
    if len(publishers) < 2:
        conn.execute("delete from story_cluster_posts where cluster_id = ?", [cluster])
        conn.execute("delete from story_clusters where id = ?", [cluster])
        return False
    conn.execute(SUMMARY, {"id": cluster, "publishers": json.dumps(publishers), "now": now})
    return True


# The title of the earliest English version (else the earliest), the first publication, how
# many posts, and the weakest member's confidence: a cluster is as sure as its weakest link.
SUMMARY = """update story_clusters set
  title = (select p.title from story_cluster_posts c join posts p on p.id = c.post_id
           where c.cluster_id = :id
           order by p.language = 'en' desc, p.published, p.id limit 1),
  first_published = (select min(substr(p.published, 1, 10)) from story_cluster_posts c
                     join posts p on p.id = c.post_id where c.cluster_id = :id),
  publishers = :publishers,
  post_count = (select count(*) from story_cluster_posts where cluster_id = :id),
  confidence = (select min(confidence) from story_cluster_posts where cluster_id = :id),
  updated_at = :now
where id = :id"""


def recompute(db: Database) -> int:
    """Every cluster again from the stored posts, oldest first; returns how many clusters."""
    conn = db.conn
    for table in ("story_cluster_posts", "story_clusters", "story_sentences"):
        conn.execute(f"delete from {table}")
    ids = [r[0] for r in conn.execute("select id from posts order by first_seen, id")]
    for post_id in ids:  # every post's sentences first: a post finds those stored after it
        post = load(conn, post_id)
        index_sentences(conn, post)
    for post_id in ids:
        assign(db, post_id)
    return conn.execute("select count(*) from story_clusters").fetchone()[0]


def clusters(db: Database) -> list[set[str]]:
    """The stored clusters as sets of post ids (for the evaluation and the tests)."""
    found: dict[int, set[str]] = {}
    for cluster, post_id in db.conn.execute("select cluster_id, post_id from story_cluster_posts"):
        found.setdefault(cluster, set()).add(post_id)
    return list(found.values())
