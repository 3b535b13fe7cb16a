"""Finding many known phrases in a text in one pass over its words.

Organizations and topics are lists of hundreds of names and keywords; one regular expression
with hundreds of alternatives tries each of them at every character. Here the text is split into
words once, and each word is looked up in a dict of the phrases that start with it: the cost is
one lookup per word, whatever the number of phrases.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, chain
from typing import NamedTuple

WORDS = re.compile(r"(\w+)")  # split() keeps the words: text between, word, text between, ...
TOKEN = re.compile(r"(\w+)(\*?)")  # a word of a phrase, and whether it ends in "*"
Entry = tuple[
    list[str], tuple[bool, ...] | None, bool, object
]  # words, which words are prefixes (None: none is), exact case, payload

NONE: list[Entry] = []  # (never appended to)


class Words(NamedTuple):
    """The words of a text (runs of \\w), where each starts and ends, and in lower case."""

    starts: list[int]
    ends: list[int]
    words: list[str]
    folded: list[str]

    def part(self, start: int, end: int) -> Words:
        """The words that start between two offsets of the text (the end excluded)."""
        lo, hi = bisect.bisect_left(self.starts, start), bisect.bisect_left(self.starts, end)
        return Words(*(column[lo:hi] for column in self))

    def without(self, spans: list[tuple[int, int]]) -> Words | None:
        """The words outside the spans, as if the spans were blanked out; None when a span
        starts or ends inside a word (what is left of it would be a word of its own)."""
        gone = []
        for start, end in spans:
            lo = bisect.bisect_right(self.ends, start)  # the first word ending after the start
            hi = bisect.bisect_left(self.starts, end)  # the first word starting at the end or after
            if lo < hi and (self.starts[lo] < start or self.ends[hi - 1] > end):
                return None
            gone.append((lo, hi))
        kept, done = [], 0
        for lo, hi in sorted(gone):
            if hi > done:
                kept.append((done, max(lo, done)))
                done = hi
        kept.append((done, len(self.words)))
        return Words(
            *(list(chain.from_iterable(column[lo:hi] for lo, hi in kept)) for column in self)
        )


def post_text(title: str, text: str) -> str:
    """A post's title and body as one text, as the stages that read both take it (once
    tokenized, Words.part keeps the title's words apart from the body's)."""
    return f"{title}\n\n{text}"


@lru_cache(maxsize=4)
def words_of(text: str) -> Words:
    """The words of a text; cached, as several stages read one text. Splitting and summing
    lengths run in C, which is faster than a match object per word."""
    parts = WORDS.split(text)
    offsets = list(accumulate(map(len, parts), initial=0))
    words = parts[1::2]
    return Words(offsets[1:-1:2], offsets[2:-1:2], words, list(map(str.lower, words)))


@dataclass
class PhraseMatcher:
    """Phrases -> payloads; matches are leftmost-longest and do not overlap, like a regex.

    Phrases match in any case, or with `exact=True` only as written (acronyms: "UN", not "un").
    A word of a phrase ending in "*" matches any word starting with it ("measurement*"), so that
    inflected languages need not list every form ("изменени* климата", "développ* durable").
    A first word ending in "*" needs three letters before it, unless it is the phrase's only
    word and matches in any case ("e*").
    """

    _folded: dict[str, list[Entry]] = field(default_factory=dict)
    _exact: dict[str, list[Entry]] = field(default_factory=dict)
    # Single-word prefixes, indexed by their first (up to) three letters.
    _prefixes: dict[str, list[tuple[str, object]]] = field(default_factory=dict)
    # Other phrases whose first word is a prefix (several words, or exact case), by its first
    # three letters in lower case.
    _prefix_phrases: dict[str, list[Entry]] = field(default_factory=dict)
    # A word (lower case) -> the entries that may start at it, as _candidates finds them.
    _seen: dict[str, list[Entry]] = field(default_factory=dict)

    def add(self, phrase: str, payload: object, exact: bool = False) -> None:
        tokens = TOKEN.findall(phrase)
        words = [w if exact else w.lower() for w, _ in tokens]
        prefixes = tuple(bool(star) for _, star in tokens)
        if not words:
            return
        self._seen.clear()
        if prefixes[0] and len(words) == 1 and not exact:
            entries = self._prefixes.setdefault(words[0][:3], [])
            entries.append((words[0], payload))
            entries.sort(key=lambda entry: len(entry[0]), reverse=True)  # the longest first
            return
        if prefixes[0]:  # looked up by the first three letters of the word of the text
            if len(words[0]) < 3:
                raise ValueError(f"too short before its '*': {phrase!r}")
            index, key = self._prefix_phrases, words[0][:3].lower()
        else:
            index, key = (self._exact if exact else self._folded), words[0]
        entries = index.setdefault(key, [])
        entries.append((words, prefixes if any(prefixes) else None, exact, payload))
        entries.sort(key=lambda entry: len(entry[0]), reverse=True)  # the longest first

    def finditer(
        self, text: str, words: Words | None = None
    ) -> Iterator[tuple[int, int, str, object]]:
        """(start, end, matched text, payload) for each match, in order; in `words`, some of
        the words of the text (a part, or the words outside masks), when not all of them."""
        starts, ends, words, folded = words or words_of(text)
        exact, seen = self._exact, self._seen
        i = 0
        while i < len(words):
            best: tuple[int, object] = (0, None)
            if entries := exact.get(words[i]):
                best = self._longest(entries, words, folded, i, best)
            entries = seen.get(folded[i])
            if entries is None:
                entries = self._candidates(folded[i])
            if entries:
                best = self._longest(entries, words, folded, i, best)
            length, payload = best
            if length:
                start, end = starts[i], ends[i + length - 1]
                yield start, end, text[start:end], payload
                i += length
            else:
                i += 1

    def _candidates(self, word: str) -> list[Entry]:
        """The entries, other than exact-case ones, that may start at a word (in lower case): the
        phrases that start with it, those whose first word is a prefix of it, and its longest
        single-word prefix, as a phrase of the word alone. Remembered, as texts repeat words."""
        found = list(self._folded.get(word, ()))
        found += [
            entry
            for entry in self._prefix_phrases.get(word[:3], ())
            if word.startswith(entry[0][0].lower())
        ]
        for key in (word[:3], word[:2], word[:1]):
            prefixes = self._prefixes.get(key, ())
            payload = next((p for start, p in prefixes if word.startswith(start)), None)
            if payload is not None:
                found.append(([word], None, False, payload))
                break
        found.sort(key=lambda entry: len(entry[0]), reverse=True)  # the longest first (stable)
        if len(self._seen) < 200_000:
            self._seen[word] = found or NONE  # most words start nothing: share one empty list
        return found

    @staticmethod
    def _longest(
        entries: list[Entry], words: list[str], folded: list[str], i: int, best: tuple[int, object]
    ) -> tuple[int, object]:
        """(length, payload) of the longest of the entries (the longest first) that matches at
        word i, if longer than the best so far; else the best so far."""
        for phrase, prefixes, exact, payload in entries:
            n = len(phrase)
            if n <= best[0]:
                break
            window = (words if exact else folded)[i : i + n]
            if prefixes is None:  # the first word was looked up: a word alone matches
                if n == 1 or window == phrase:
                    return n, payload
            elif len(window) == n and all(
                word == part or prefix and word.startswith(part)
                for word, part, prefix in zip(window, phrase, prefixes, strict=True)
            ):
                return n, payload
        return best
