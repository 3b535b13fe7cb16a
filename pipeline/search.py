"""What an analyst types into the search box -> an FTS5 query that cannot be a syntax error.

Words are matched as given (each one quoted, so "ISO/IEC", "62443-3-3" or "C++" are words, not
FTS5 syntax); all of them must occur. Kept from FTS5's syntax: "quoted phrases", a trailing *
for a prefix (metrolog*), and OR / NOT / AND in capitals between words. Anything else that FTS5
would reject (a dangling operator, an unclosed quote) is dropped or closed, never an error.
"""

from __future__ import annotations

import re

OPERATORS = {"AND", "OR", "NOT"}
# A phrase in double quotes, or a run of anything but spaces and quotes.
_TOKEN = re.compile(r'"([^"]*)"?(\*?)|([^\s"]+)')
# Matches no row: an FTS5 query needs at least one term, and this one is in no text.
NOTHING = '"\x01"'


def fts_query(text: str | None) -> str:
    """The FTS5 MATCH expression for a search box's text; NOTHING for an empty box."""
    parts: list[str] = []
    for phrase, star, word in _TOKEN.findall(text or ""):
        if word in OPERATORS:
            parts.append(word)
            continue
        prefix = star or (word.endswith("*") and "*")
        term = (phrase if not word else word.rstrip("*")).replace('"', "")
        if term.strip():
            parts.append(f'"{term}"' + ("*" if prefix else ""))
    return " ".join(_drop_dangling(parts)) or NOTHING


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
