"""Near-duplicates among stored posts: the band indexes and the look-up through them.

The hashing and the comparison are pipeline/normalize/duplicates.py; this module reads and
writes the tables beside `posts`: `simhash_bands` (four 16-bit bands of each simhash),
`minhash_signatures` (each body's MinHash) and `minhash_bands` ((band, bucket) -> post, WITHOUT
ROWID: the look-up is one index seek per band, and the table is its own index).

A post's `duplicate_of` is the first stored post, by (first_seen, id), among those it is a
near-duplicate of. Posts are written in any order (a crawl stores many in one second, reprocess
reads them in its own order), so writing one also points the later near-duplicates at it, and
those that pointed at it and no longer match (its body changed) are looked up again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from pipeline.normalize import duplicates


@dataclass(frozen=True)
class Stored:
    """A stored post as the comparison needs it."""

    id: str
    first_seen: str
    language: str | None
    story_id: str | None
    simhash: int | None
    signature: bytes | None
    # (first_seen, id) of the post it is recorded a duplicate of, if any.
    original: tuple[str, str] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.first_seen or "", self.id)

    def version_of(self, other: Stored) -> bool:
        """Language versions of one story (story_id) or texts in two languages: never
        duplicates, whatever they share."""
        if self.story_id and self.story_id == other.story_id:
            return True
        return bool(self.language and other.language and self.language != other.language)


STORED_COLUMNS = """p.id, p.first_seen, p.language, p.story_id, p.simhash, s.signature,
  o.first_seen, o.id"""
STORED_FROM = """posts p left join minhash_signatures s on s.post_id = p.id
  left join posts o on o.id = p.duplicate_of"""


# The posts recorded as duplicates of one. INDEXED BY: once ANALYZE has seen that nearly every
# post's duplicate_of is NULL, the planner takes the index for unselective and scans `posts`.
STALE = "select id from posts indexed by idx_posts_duplicate_of where duplicate_of = ?"


def index_post(db: Database, row: dict) -> None:
    """Index the post just written (its `posts` row: id, text, simhash, language, story_id,
    first_seen), record the post it duplicates, and keep the others' links right."""
    post = from_row(row)
    found_matches = matches(db, post)
    set_original(db, post.id, min_earlier(post, found_matches))
    for other, found in found_matches:
        if other.key > post.key and (other.original is None or other.original > post.key):
            set_original(db, other.id, (post.id, *found))
    save_bands(db, post)  # before looking up again those it let go: they must see it as it is
    matched = {other.id for other, _ in found_matches}
    for (stale,) in db.execute(STALE, [post.id]).fetchall():
        if stale not in matched:
            relink(db, stale)


def from_row(row: dict) -> Stored:
    """The post of a `posts` row, its signature computed from its text (the writer's share of
    the hashing: Post carries the simhash, the signature is the store's index)."""
    return Stored(
        row["id"],
        row["first_seen"],
        row.get("language"),
        row.get("story_id"),
        row.get("simhash"),
        duplicates.signature(row.get("text") or ""),
    )


def compare(post: Stored, other: Stored) -> tuple[float, str] | None:
    if other.id == post.id or post.version_of(other):
        return None
    return duplicates.match(post.simhash, post.signature, other.simhash, other.signature)


def min_earlier(post: Stored, matches) -> tuple[str, float, str] | None:
    """(id, similarity, method) of the first matching post stored before this one."""
    earlier = [(other.key, other.id, *found) for other, found in matches if other.key < post.key]
    return min(earlier)[1:] if earlier else None


def set_original(db: Database, post_id: str, original: tuple[str, float, str] | None) -> None:
    db.execute(
        "update posts set duplicate_of = ?, duplicate_similarity = ?, duplicate_method = ? "
        "where id = ?",
        [*(original or (None, None, None)), post_id],
    )


def relink(db: Database, post_id: str) -> None:
    """Look a stored post's original up again from its stored hashes."""
    (post,) = stored(db, "p.id = ?", [post_id])
    set_original(db, post_id, min_earlier(post, matches(db, post)))


def matches(db: Database, post: Stored) -> list[tuple[Stored, tuple[float, str]]]:
    """The stored posts the post is a near-duplicate of (or they of it), each with
    (similarity, method): the look-up through the bands, then the comparison."""
    return [(other, found) for other in candidates(db, post) if (found := compare(post, other))]


def stored(db: Database, where: str, params: list) -> list[Stored]:
    rows = db.execute(f"select {STORED_COLUMNS} from {STORED_FROM} where {where}", params)
    return [
        Stored(*values, original=(seen or "", oid) if oid else None)
        for *values, seen, oid in rows.fetchall()
    ]


def candidates(db: Database, post: Stored) -> list[Stored]:
    """The stored posts sharing a MinHash bucket with the post, and those whose simhash is
    within MAX_DISTANCE bits of its own (found through a shared band)."""
    ids = set()
    if post.signature is not None:
        ids.update(pid for (pid,) in db.execute(*bucket_query(post.signature)).fetchall())
    if post.simhash is not None:
        ids.update(close_simhashes(db, post.simhash))
    ids.discard(post.id)
    if not ids:
        return []
    return stored(db, f"p.id in ({', '.join('?' * len(ids))})", sorted(ids))


def bucket_query(signature: bytes) -> tuple[str, list]:
    """The posts sharing a bucket with the signature: one index seek per band."""
    buckets = duplicates.buckets(signature)
    values = ", ".join(["(?, ?)"] * len(buckets))
    sql = (
        f"with wanted (band, bucket) as (values {values}) select distinct post_id from wanted "
        "join minhash_bands b on b.band = wanted.band and b.bucket = wanted.bucket"
    )
    return sql, [x for band, bucket in enumerate(buckets) for x in (band, bucket)]


def close_simhashes(db: Database, value: int) -> list[str]:
    """The posts sharing a simhash band whose whole simhash is close. A 16-bit band is shared by
    one post in 65,536 at random (some 60 posts of 1,000,000 over the four bands): their hashes
    are put together from their four bands' rows, small, rather than read from `posts`, whose
    long rows were most of the look-up's time."""
    rows = db.execute(
        "select post_id, band, value from simhash_bands where post_id in "
        "(select post_id from simhash_bands where "
        + " or ".join(["(band = ? and value = ?)"] * 4)
        + ")",
        [x for band, v in enumerate(duplicates.bands(value)) for x in (band, v)],
    ).fetchall()
    hashes: dict[str, int] = {}
    for pid, band, part in rows:
        hashes[pid] = hashes.get(pid, 0) | part << 16 * band
    return [
        pid
        for pid, other in hashes.items()
        if duplicates.distance(value, other) <= duplicates.MAX_DISTANCE
    ]


def band_rows(post_id: str, value: int | None) -> list[dict]:
    """The post's rows of `simhash_bands`: none for a text too short to hash."""
    if value is None:
        return []
    return [
        {"post_id": post_id, "band": band, "value": v}
        for band, v in enumerate(duplicates.bands(value))
    ]


def bucket_rows(post_id: str, signature: bytes | None) -> list[tuple[int, int, str]]:
    """The post's rows of `minhash_bands`: none for a text too short to hash."""
    if signature is None:
        return []
    return [(band, bucket, post_id) for band, bucket in enumerate(duplicates.buckets(signature))]


def save_bands(db: Database, post: Stored) -> None:
    """The post's bands and signature replace its old ones (whose buckets the old signature
    gives: the band table has no index by post)."""
    conn = db.conn
    old = conn.execute(
        "select signature from minhash_signatures where post_id = ?", [post.id]
    ).fetchone()
    if old:
        conn.executemany(
            "delete from minhash_bands where band = ? and bucket = ? and post_id = ?",
            bucket_rows(post.id, old[0]),
        )
    conn.execute("delete from minhash_signatures where post_id = ?", [post.id])
    if post.signature is not None:
        conn.execute(
            "insert into minhash_signatures (post_id, signature) values (?, ?)",
            [post.id, post.signature],
        )
    conn.executemany(
        "insert or ignore into minhash_bands (band, bucket, post_id) values (?, ?, ?)",
        bucket_rows(post.id, post.signature),
    )
    conn.execute("delete from simhash_bands where post_id = ?", [post.id])
    conn.executemany(
        "insert into simhash_bands (post_id, band, value) values (:post_id, :band, :value)",
        band_rows(post.id, post.simhash),
    )
