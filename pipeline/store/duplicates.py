"""Near-duplicates among stored posts: the simhash band index and the look-up through it.

The hashing and the distance are pipeline/normalize/duplicates.py; this module only reads and
writes the `simhash_bands` table beside `posts`.
"""

from __future__ import annotations

from sqlite_utils import Database

from pipeline.normalize.duplicates import MAX_DISTANCE, bands, distance


def find_original(
    db: Database, post_id: str, value: int | None, first_seen: str
) -> tuple[str, float] | None:
    """The first stored post whose text is the same or nearly so: (its id, similarity)."""
    if value is None:
        return None
    candidates = db.conn.execute(
        """select distinct p.id, p.simhash, p.first_seen from simhash_bands b
           join posts p on p.id = b.post_id
           where b.post_id != ? and ("""
        + " or ".join(["(b.band = ? and b.value = ?)"] * 4)
        + ")",
        [post_id, *[x for band, v in enumerate(bands(value)) for x in (band, v)]],
    ).fetchall()
    close = [
        (seen, pid, distance(value, other))
        for pid, other, seen in candidates
        if other is not None
        and distance(value, other) <= MAX_DISTANCE
        and (seen, pid) < (first_seen, post_id)
    ]
    if not close:
        return None
    _, original, bits = min(close)
    return original, round(1 - bits / 64, 3)


def band_rows(post_id: str, value: int | None) -> list[dict]:
    """The post's rows of `simhash_bands`: none for a text too short to hash."""
    if value is None:
        return []
    return [{"post_id": post_id, "band": band, "value": v} for band, v in enumerate(bands(value))]


def save_bands(db: Database, post_id: str, value: int | None) -> None:
    db.conn.execute("delete from simhash_bands where post_id = ?", [post_id])
    db.conn.executemany(
        "insert into simhash_bands (post_id, band, value) values (:post_id, :band, :value)",
        band_rows(post_id, value),
    )
