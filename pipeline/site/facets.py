"""Facet counts of the posts table from an in-memory index: every post's facet values as integer
codes in numpy arrays, so that counting them for any set of posts is a few vectorized passes.

SQL counts each facet by finding the rows' links one by one: on a large corpus (ten links a
post) that takes seconds for any large set of rows, over the analysts' time limit. Here the set
of rows is only a list of rowids (from the page's own filters and search, in SQL); the counting
is numpy's, fast for any set (docs/performance.md). The index is built from the database in one
pass and rebuilt when the database changes (`PRAGMA data_version`):
synchronously when that is quick, otherwise in the background while the previous index answers
(its counts are then up to one rebuild behind a running crawl).

Facets: the `indexed` columns of posts (source, year, month, language, byline) and the `list`
columns from their link tables, each valued as its JSON list shows it: organizations by acronym
(else name), tags by name (a site tag and a topic of one name count once), standards and
committees by their id; and people (post_people), by name.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from urllib.parse import quote

import numpy as np

COLUMNS = ("source", "published_year", "published_month", "language", "byline")
# List column -> its (post rowid, value key) pairs, and each key's label (keys are the rowids of
# organizations and tags, so that the pairs are integers only; None: the value is the key).
LISTS = {
    "organizations": (
        """select p.rowid, o.rowid from post_organizations l
      join posts p on p.id = l.post_id join organizations o on o.id = l.organization_id""",
        "select rowid, coalesce(acronym, name) from organizations",
    ),
    "tags": (
        """select p.rowid, t.rowid from post_tags l join posts p on p.id = l.post_id
      join tags t on t.id = l.tag_id""",
        "select rowid, name from tags",
    ),
    "standards": (
        """select p.rowid, l.standard_id from post_standards l
      join posts p on p.id = l.post_id""",
        None,
    ),
    "committees": (
        """select p.rowid, l.committee_id from post_committees l
      join posts p on p.id = l.post_id""",
        None,
    ),
    # A person once per post (a post may name them in two roles), labelled by name.
    "people": (
        """select distinct p.rowid, pe.rowid from post_people l
      join posts p on p.id = l.post_id join people pe on pe.id = l.person_id""",
        "select rowid, name from people",
    ),
}
logger = logging.getLogger(__name__)
# Rebuilt in the request that finds the database changed when the last build took less (a
# first build: when the posts are fewer), else in the background.
SYNC_BUILD_SECONDS = 0.5
SYNC_BUILD_POSTS = 50_000


@dataclass
class Codes:
    """One facet: its distinct values (labels) and, per post or per link, a value's code."""

    labels: list
    codes: np.ndarray  # columns: code per rowid (-1: none); lists: code per link
    rowids: np.ndarray | None = None  # lists: the post of each link
    totals: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def count(self, mask: np.ndarray | None, rowids: np.ndarray | None) -> dict:
        if mask is None:
            found = self.totals
        elif self.rowids is None:
            codes = self.codes[rowids]
            found = np.bincount(codes[codes >= 0], minlength=len(self.labels))
        else:
            found = np.bincount(self.codes[mask[self.rowids]], minlength=len(self.labels))
        return {self.labels[i]: int(found[i]) for i in np.flatnonzero(found)}


@dataclass
class FacetIndex:
    facets: dict[str, Codes]
    size: int  # rowids below this are in the index
    version: int  # the watching connection's data_version when the build began
    seconds: float
    derived: dict = field(default_factory=dict)  # figures computed from it once (co_mentions)

    def counts(self, columns, rowids: np.ndarray | None = None) -> dict[str, dict]:
        """{column: {value: posts}} over the given rowids (None: every post)."""
        mask = None
        if rowids is not None:
            rowids = rowids[(rowids >= 0) & (rowids < self.size)]  # newer than the index: left out
            mask = np.zeros(self.size, bool)
            mask[rowids] = True
        return {c: self.facets[c].count(mask, rowids) for c in columns if c in self.facets}


def read_only_uri(path: Path) -> str:
    """The file opened for reading; immutable when this process cannot write it or its folder
    (a read-only mount, `chattr +i`), where SQLite could not keep a WAL's shared memory."""
    path = Path(path)
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    return f"file:{quote(str(path))}?mode=ro" + ("" if writable else "&immutable=1")


def build(path: Path, version: int = 0) -> FacetIndex:
    started = time.perf_counter()
    conn = sqlite3.connect(
        read_only_uri(path), uri=True, check_same_thread=False, isolation_level=None
    )
    try:
        # Every read below from one snapshot: a crawl committing meanwhile would otherwise add
        # posts past `size` between two of them.
        conn.execute("begin")
        size = (conn.execute("select max(rowid) from posts").fetchone()[0] or 0) + 1
        facets = {c: column_codes(conn, c, size) for c in COLUMNS}
        facets.update({name: list_codes(conn, *sql) for name, sql in LISTS.items()})
    finally:
        conn.close()
    return FacetIndex(facets, size, version, time.perf_counter() - started)


def column_codes(conn: sqlite3.Connection, column: str, size: int) -> Codes:
    labels: dict = {}
    codes = np.full(size, -1, np.int32)
    rows = conn.execute(f"select rowid, [{column}] from posts where [{column}] is not null")
    for rowid, value in rows:
        codes[rowid] = labels.setdefault(value, len(labels))
    found = np.bincount(codes[codes >= 0], minlength=len(labels))
    return Codes(list(labels), codes, totals=found)


def list_codes(conn: sqlite3.Connection, pairs_sql: str, labels_sql: str | None) -> Codes:
    labels: dict = {}
    if labels_sql is None:  # text keys: coded here
        pairs = np.fromiter(
            chain.from_iterable(
                (rowid, labels.setdefault(value, len(labels)))
                for rowid, value in conn.execute(pairs_sql)
            ),
            np.int64,
        ).reshape(-1, 2)
        rowids, codes = pairs[:, 0], pairs[:, 1]
        repeatable = np.zeros(len(labels), bool)  # each value is its own key
    else:  # integer keys from SQL (fast), then each key's label's code
        pairs = np.fromiter(chain.from_iterable(conn.execute(pairs_sql)), np.int64)
        rowids, keys = pairs[0::2], pairs[1::2]
        named = conn.execute(labels_sql).fetchall()
        label_of = np.full(max((k for k, _ in named), default=0) + 1, -1, np.int64)
        for key, label in named:
            label_of[key] = labels.setdefault(label, len(labels))
        codes = label_of[keys]
        repeatable = np.bincount(label_of[label_of >= 0], minlength=len(labels)) > 1
    rowids, codes = once_per_post(rowids, codes, repeatable)
    order = np.argsort(rowids, kind="stable")  # a post's links side by side (co_mentions)
    rowids, codes = rowids[order], codes[order]
    found = np.bincount(codes, minlength=len(labels))
    return Codes(list(labels), codes.astype(np.int32), rowids.astype(np.int32), found)


def once_per_post(rowids: np.ndarray, codes: np.ndarray, repeatable: np.ndarray):
    """One link per post and value: a post tagged twice with one name (a site tag and a topic)
    counts once. Only links to a value that several keys share can repeat; only those are
    sorted out (sorting all the links is slow on a large corpus)."""
    may_repeat = repeatable[codes]
    if not may_repeat.any():
        return rowids, codes
    width = len(repeatable)
    unique = np.unique(rowids[may_repeat] * width + codes[may_repeat])
    return (
        np.concatenate([rowids[~may_repeat], unique // width]),
        np.concatenate([codes[~may_repeat], unique % width]),
    )


def rowids(conn: sqlite3.Connection, sql: str, params: dict) -> np.ndarray:
    """The rowids a query selects (its only column), as an array (plain tuples: the serving
    connection's row factory is for pages, not for 100,000 rowids)."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return np.fromiter(chain.from_iterable(cursor.execute(sql, params)), np.int64)


class Holder:
    """The index of one database file, kept fresh: `current()` answers with an index that is up
    to date, or (a large database, while its rebuild runs) the previous one, or None."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.index: FacetIndex | None = None
        self.lock = threading.Lock()  # the watching connection and the rebuild's start
        self.build_lock = threading.Lock()  # one quick rebuild at a time, not one per request
        self.building: threading.Thread | None = None
        self.watch = sqlite3.connect(read_only_uri(self.path), uri=True, check_same_thread=False)
        self.error: str | None = None

    def status(self) -> dict:
        index = self.index
        return {
            "ready": index is not None,
            "building": self.building is not None,
            "posts_indexed": int((index.facets["source"].codes >= 0).sum()) if index else 0,
            "build_seconds": round(index.seconds, 3) if index else None,
            "error": self.error,
        }

    def data_version(self) -> int:
        with self.lock:
            return self.watch.execute("pragma data_version").fetchone()[0]

    def current(self) -> FacetIndex | None:
        version = self.data_version()
        index = self.index
        if index is not None and index.version == version:
            return index
        if self.building is None and self.quick(index):
            with self.build_lock:
                if self.index is None or self.index.version != version:  # not done meanwhile
                    self.rebuild(version)
            return self.index
        self.start(version)
        return index

    def quick(self, index: FacetIndex | None) -> bool:
        if index is not None:
            return index.seconds < SYNC_BUILD_SECONDS
        with self.lock:
            posts = self.watch.execute("select max(rowid) from posts").fetchone()[0] or 0
        return posts < SYNC_BUILD_POSTS

    def start(self, version: int) -> None:
        """Rebuild in a background thread (once at a time)."""
        with self.lock:
            if self.building is not None:
                return
            self.building = threading.Thread(
                target=self.rebuild, args=(version, True), name="facet-index", daemon=True
            )
            self.building.start()

    def rebuild(self, version: int, background: bool = False) -> None:
        try:
            self.index = build(self.path, version)
            self.error = None
        except Exception as error:  # noqa: BLE001 - whatever it is, the pages count in SQL
            logger.exception("facet index of %s not built", self.path)
            self.error = f"{type(error).__name__}: {error}"
        finally:
            if background:
                with self.lock:
                    self.building = None


_holders: dict[Path, Holder] = {}
_holders_lock = threading.Lock()


def holder_for(path: Path) -> Holder:
    key = Path(path).resolve()
    with _holders_lock:
        if key not in _holders:
            _holders[key] = Holder(key)
        return _holders[key]


def co_mentions(index: FacetIndex, source: str | None = None, focus: str | None = None) -> list:
    """co_mention_pairs; all the pairs (the slow case) are kept with the index, which
    does not change, for each source asked for (a known one: the keys stay few)."""
    if source and source not in index.facets["source"].labels:
        return []
    if focus:
        return co_mention_pairs(index, source, focus)
    key = ("co_mentions", source or None)
    if key not in index.derived:
        index.derived[key] = co_mention_pairs(index, source, None)
    return index.derived[key]


def co_mention_pairs(index: FacetIndex, source: str | None, focus: str | None) -> list:
    """Pairs of organizations named in the same post, as [a, b, posts] (a < b), or with a focus
    [focus, other, posts]; only posts of `source` when given. Counted from the index's links:
    the SQL aggregate that reads every post's JSON list is slow on a large corpus."""
    orgs = index.facets["organizations"]
    keep = np.ones(len(orgs.rowids), bool)
    if source:  # a known one (co_mentions)
        sources = index.facets["source"]
        keep = sources.codes[orgs.rowids] == sources.labels.index(source)
    rowids, codes = orgs.rowids[keep], orgs.codes[keep].astype(np.int64)
    width = len(orgs.labels)
    if focus:
        if focus not in orgs.labels:
            return []
        code = orgs.labels.index(focus)
        with_focus = np.zeros(index.size, bool)
        with_focus[rowids[codes == code]] = True
        found = np.bincount(codes[with_focus[rowids] & (codes != code)], minlength=width)
        return [[focus, orgs.labels[i], int(found[i])] for i in np.flatnonzero(found)]
    found = np.zeros(width * width, np.int64)
    for chunk in post_chunks(rowids):
        found += np.bincount(pair_keys(rowids[chunk], codes[chunk], width), minlength=width * width)
    pairs = []
    for key in np.flatnonzero(found):
        a, b = sorted((orgs.labels[key // width], orgs.labels[key % width]), key=str)
        pairs.append([a, b, int(found[key])])
    return pairs


def post_chunks(rowids: np.ndarray, size: int = 1_000_000):
    """Slices of about `size` links that never split a post's links (rowids sorted)."""
    start = 0
    while start < len(rowids):
        end = min(start + size, len(rowids))
        while end < len(rowids) and rowids[end] == rowids[end - 1]:
            end += 1
        yield slice(start, end)
        start = end


def pair_keys(rowids: np.ndarray, codes: np.ndarray, width: int) -> np.ndarray:
    """min(code) * width + max(code) for every two links of one post (links side by side)."""
    starts = np.flatnonzero(np.r_[True, rowids[1:] != rowids[:-1]])
    sizes = np.diff(np.r_[starts, len(rowids)])
    later = np.repeat(starts + sizes, sizes) - np.arange(len(rowids)) - 1  # links after each
    first = np.repeat(np.arange(len(rowids)), later)
    step = np.arange(len(first)) - np.repeat(np.cumsum(later) - later, later)
    a, b = codes[first], codes[first + 1 + step]
    return np.minimum(a, b) * width + np.maximum(a, b)
