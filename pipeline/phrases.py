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

WORD = re.compile(r"\w+")


@dataclass
class PhraseMatcher:
    """Phrases -> payloads; matches are leftmost-longest and do not overlap, like a regex.

    A phrase ending in "*" matches any word starting with its last word ("measurement*").
    Case-insensitive matchers fold case; case-sensitive ones (for acronyms) do not.
    """

    case_sensitive: bool = False
    _by_first: dict[str, list[tuple[tuple[str, ...], bool, object]]] = field(default_factory=dict)
    # Single-word prefixes, indexed by their first (up to) three letters.
    _prefixes: dict[str, list[tuple[str, object]]] = field(default_factory=dict)

    def add(self, phrase: str, payload: object) -> None:
        prefix = phrase.endswith("*")
        words = tuple(self._fold(w) for w in WORD.findall(phrase.rstrip("*")))
        if not words:
            return
        if prefix and len(words) == 1:
            self._prefixes.setdefault(words[0][:3], []).append((words[0], payload))
            return
        entries = self._by_first.setdefault(words[0], [])
        entries.append((words, prefix, payload))
        entries.sort(key=lambda entry: len(entry[0]), reverse=True)

    def finditer(self, text: str) -> Iterator[tuple[int, int, str, object]]:
        """(start, end, matched text, payload) for each match, in order."""
        spans = [(m.start(), m.end()) for m in WORD.finditer(text)]
        words = [self._fold(text[start:end]) for start, end in spans]
        by_first, prefixes = self._by_first, self._prefixes
        i = 0
        while i < len(words):
            word = words[i]
            length, payload = 0, None
            if word in by_first:
                length, payload = self._phrase_at(words, i)
            if not length and prefixes:
                payload = self._prefix_of(word)
                length = 1 if payload is not None else 0
            if length:
                start, end = spans[i][0], spans[i + length - 1][1]
                yield start, end, text[start:end], payload
                i += length
            else:
                i += 1

    def _prefix_of(self, word: str) -> object | None:
        for key in (word[:3], word[:2], word[:1]):
            for start, payload in self._prefixes.get(key, ()):
                if word.startswith(start):
                    return payload
        return None

    def _phrase_at(self, words: list[str], i: int) -> tuple[int, object]:
        for phrase, prefix, payload in self._by_first[words[i]]:
            n = len(phrase)
            window = words[i : i + n]
            if len(window) == n and (
                window == list(phrase)
                or prefix
                and window[:-1] == list(phrase[:-1])
                and window[-1].startswith(phrase[-1])
            ):
                return n, payload
        return 0, None

    def _fold(self, word: str) -> str:
        return word if self.case_sensitive else word.lower()
