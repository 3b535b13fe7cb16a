"""What an analyst types into the search box -> an FTS5 query that cannot be a syntax error.

Words are matched as given (each one quoted, so "ISO/IEC", "62443-3-3" or "C++" are words, not
FTS5 syntax); all of them must occur. Kept from FTS5's syntax: "quoted phrases", a trailing *
for a prefix (metrolog*), and OR / NOT / AND in capitals between words. Anything else that FTS5
would reject (a dangling operator, an unclosed quote) is dropped or closed, never an error.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from itertools import chain

OPERATORS = {"AND", "OR", "NOT"}
# A phrase in double quotes, or a run of anything but spaces and quotes.
_TOKEN = re.compile(r'"([^"]*)"?(\*?)|([^\s"]+)')
# Matches no row: an FTS5 query needs at least one term, and this one is in no text.
NOTHING = '"\x01"'


def fts_query(text: str | None) -> str:
    """The FTS5 MATCH expression for a search box's text; NOTHING for an empty box."""
    return " ".join(query_parts(text)) or NOTHING


def query_parts(text: str | None) -> list[str]:
    """The search's terms, each a quoted phrase (a trailing * for a prefix), and its operators."""
    parts: list[str] = []
    for phrase, star, word in _TOKEN.findall(text or ""):
        if word in OPERATORS:
            parts.append(word)
            continue
        prefix = star or (word.endswith("*") and "*")
        term = (phrase if not word else word.rstrip("*")).replace('"', "")
        if term.strip():
            parts.append(f'"{term}"' + ("*" if prefix else ""))
    return _drop_dangling(parts)


def _drop_dangling(parts: list[str]) -> list[str]:
    """Operators only between two terms, and never two in a row."""
    out: list[str] = []
    for part in parts:
        if part in OPERATORS and (not out or out[-1] in OPERATORS):
            continue
        out.append(part)
    while out and out[-1] in OPERATORS:
        out.pop()
    return out


# --- Phrases from the word-pair index --------------------------------------------------------
#
# FTS5's bm25() counts the posts that contain each phrase of the query before it scores one: for a
# phrase of two common words ("with work") that reads and compares the positions of both words in
# most of the index, and so does finding the matches (docs/performance.md). posts_pairs_fts
# (pipeline/store/migrations.py) indexes every pair of adjacent tokens of posts_fts as one token
# ("with_work"), so a phrase is one token's list there. Its columns hold as many tokens as
# posts_fts's (the last one pads: "_"), so bm25() gives the same score from either table.

POSTS_FTS_TOKENIZE = "porter"  # posts_fts's tokenizer (porter over unicode61)
PAIR_JOINER = "_"  # never inside an FTS5 unicode61 token: a connector punctuation, a separator
PAD = PAIR_JOINER


class Tokenizer:
    """The tokens posts_fts holds for a text (porter over unicode61), from FTS5 itself, so that
    the pairs are the index's own words: whitespace always separates tokens, so each
    whitespace-separated chunk is tokenized once by an in-memory FTS5 table and remembered."""

    LIMIT = 100_000  # chunks remembered (about 200 bytes each); forgotten all at once past it

    def __init__(self):
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        self.conn.execute(
            "create virtual table chunks using fts5(chunk, "
            f"tokenize='{POSTS_FTS_TOKENIZE}', content='')"
        )
        self.conn.execute("create virtual table chunk_tokens using fts5vocab(chunks, instance)")
        self.known: dict[str, tuple[str, ...]] = {}
        self.lock = threading.Lock()

    def tokens(self, text: str | None) -> list[str]:
        chunks = (text or "").split()
        known = self.known  # this dict, even if a _learn() starts a new one meanwhile
        unknown = set(chunks).difference(known)
        if not unknown:
            return list(chain.from_iterable(map(known.__getitem__, chunks)))
        learned = self._learn(list(unknown))
        return [
            token
            for chunk in chunks
            for token in (learned[chunk] if chunk in learned else known[chunk])
        ]

    def _learn(self, chunks: list[str]) -> dict[str, tuple[str, ...]]:
        """The tokens of each chunk, remembered."""
        with self.lock:
            found: dict[int, list[str]] = {}
            try:
                self.conn.executemany(
                    "insert into chunks(rowid, chunk) values (?, ?)", enumerate(chunks, 1)
                )
                for doc, term in self.conn.execute(
                    "select doc, term from chunk_tokens order by doc, offset"
                ):
                    found.setdefault(doc, []).append(term)
            finally:  # a failure must not leave its chunks' tokens to the next ones
                self.conn.execute("insert into chunks(chunks) values('delete-all')")
            learned = {chunk: tuple(found.get(i, ())) for i, chunk in enumerate(chunks, 1)}
            if len(self.known) + len(learned) > self.LIMIT:
                self.known = {}
            self.known.update(learned)
            return learned


TOKENIZER = Tokenizer()


def pairs_text(text: str | None) -> str:
    """What posts_pairs_fts indexes for a column of posts_fts: its adjacent tokens joined in pairs,
    then the pad, as many tokens as the column has ('' for none)."""
    tokens = TOKENIZER.tokens(text)
    return " ".join(pairs(tokens) + [PAD]) if tokens else ""


def pairs_query(text: str | None) -> str | None:
    """The posts_pairs_fts MATCH expression equal to fts_query(text) when the search is only
    phrases of two tokens or more (all must occur); None for anything else (a single word, a
    prefix, OR/NOT), which posts_fts answers."""
    parts = query_parts(text)
    phrases = []
    for part in parts:
        if part in OPERATORS or part.endswith("*"):
            return None
        tokens = TOKENIZER.tokens(part[1:-1])
        if len(tokens) < 2:
            return None
        phrases.append(" ".join(pairs(tokens)))
    return " ".join(f'"{phrase}"' for phrase in phrases) or None


def pairs(tokens: list[str]) -> list[str]:
    return list(map(PAIR_JOINER.join, zip(tokens, tokens[1:], strict=False)))


def register(conn) -> None:
    """The SQL functions of the search on a connection: fts_pairs() (what posts_pairs_fts is
    written with), fts_query(), search_words() and search_pairs() (the ranked search asks both
    tables: one of them gets a query that matches nothing), search_prefixed()."""
    conn.create_function("fts_pairs", 1, pairs_text, deterministic=True)
    conn.create_function("fts_query", 1, fts_query, deterministic=True)
    conn.create_function("search_words", 1, words_query, deterministic=True)
    conn.create_function(
        "search_pairs", 1, lambda text: pairs_query(text) or NOTHING, deterministic=True
    )
    conn.create_function("search_prefixed", 1, prefixed_query, deterministic=True)


def prefixed_query(text: str | None) -> str:
    """fts_query(text) when it has a prefix (metrolog*), else NOTHING: the ranked search finds
    the snippets of such a search in one pass, as FTS5 merges the lists of every word with
    that prefix again on each search by rowid."""
    prefixed = any(part.endswith("*") for part in query_parts(text))
    return fts_query(text) if prefixed else NOTHING


def words_query(text: str | None) -> str:
    """fts_query(text) for posts_fts, unless posts_pairs_fts answers the search."""
    return NOTHING if pairs_query(text) else fts_query(text)
