"""Finding many known phrases in a text in one pass over its words.

Organizations and topics are lists of hundreds of names and keywords; one regular expression
with hundreds of alternatives tries each of them at every character. Here the text is split into
words once, and each word is looked up in a dict of the phrases that start with it: the cost is
one lookup per word, whatever the number of phrases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

WORD = re.compile(r"\w+")
Entry = tuple[
    tuple[str, ...], bool, bool, object
]  # words, last word is a prefix, exact case, payload


@lru_cache(maxsize=4)
def words_of(text: str) -> tuple[list[tuple[int, int]], list[str], list[str]]:
    """(spans, words, lowercased words) of a text; cached, as several stages read one text."""
    spans = [(m.start(), m.end()) for m in WORD.finditer(text)]
    words = [text[start:end] for start, end in spans]
    return spans, words, [w.lower() for w in words]


@dataclass
class PhraseMatcher:
    """Phrases -> payloads; matches are leftmost-longest and do not overlap, like a regex.

    Phrases match in any case, or with `exact=True` only as written (acronyms: "UN", not "un").
    A phrase ending in "*" matches any word starting with its last word ("measurement*").
    """

    _folded: dict[str, list[Entry]] = field(default_factory=dict)
    _exact: dict[str, list[Entry]] = field(default_factory=dict)
    # Single-word prefixes, indexed by their first (up to) three letters.
    _prefixes: dict[str, list[tuple[str, object]]] = field(default_factory=dict)
    _seen: dict[str, object] = field(default_factory=dict)

    def add(self, phrase: str, payload: object, exact: bool = False) -> None:
        prefix = phrase.endswith("*")
        words = tuple(w if exact else w.lower() for w in WORD.findall(phrase.rstrip("*")))
        if not words:
            return
        if prefix and len(words) == 1 and not exact:
            self._prefixes.setdefault(words[0][:3], []).append((words[0], payload))
            return
        index = self._exact if exact else self._folded
        entries = index.setdefault(words[0], [])
        entries.append((words, prefix, exact, payload))
        entries.sort(key=lambda entry: len(entry[0]), reverse=True)

    def finditer(self, text: str) -> Iterator[tuple[int, int, str, object]]:
        """(start, end, matched text, payload) for each match, in order."""
        spans, words, folded = words_of(text)
        i = 0
        while i < len(words):
            length, payload = self._phrase_at(words, folded, i)
            if not length and self._prefixes:
                payload = self._prefix_of(folded[i])
                length = 1 if payload is not None else 0
            if length:
                start, end = spans[i][0], spans[i + length - 1][1]
                yield start, end, text[start:end], payload
                i += length
            else:
                i += 1

    def _phrase_at(self, words: list[str], folded: list[str], i: int) -> tuple[int, object]:
        best: tuple[int, object] = (0, None)
        candidates = self._exact.get(words[i], []) + self._folded.get(folded[i], [])
        for phrase, prefix, exact, payload in candidates:
            n = len(phrase)
            if n <= best[0]:
                continue
            window = (words if exact else folded)[i : i + n]
            if len(window) == n and (
                window == list(phrase)
                or prefix
                and window[:-1] == list(phrase[:-1])
                and window[-1].startswith(phrase[-1])
            ):
                best = (n, payload)
        return best

    def _prefix_of(self, word: str) -> object | None:
        if word in self._seen:  # texts repeat their words: remember the answer
            return self._seen[word]
        found = None
        for key in (word[:3], word[:2], word[:1]):
            found = next((p for start, p in self._prefixes.get(key, ()) if word.startswith(start)),
                         None)  # fmt: skip
            if found is not None:
                break
        if len(self._seen) < 200_000:
            self._seen[word] = found
        return found
