"""References to standards ("ISO/IEC 27001:2022") and committees ("ISO/TC 207"), normalized.

Normal form: publisher prefixes uppercase joined by "/", one space, the document type if written
(TS, TR, PAS, GUIDE), the number, parts joined by "-", and ":YYYY" only when the text gives it.
Committees keep each body's own convention: "ISO/TC 207", "IEC TC 57", "ISO/IEC JTC 1/SC 42".
"""

from __future__ import annotations

import re
from functools import lru_cache

_PUBLISHER = r"(?:ISO|IEC|IEEE|ITU-T|ITU-R|ASTM)"
STANDARD = re.compile(
    rf"(?<![\w/-])(?P<prefix>{_PUBLISHER}(?:\s*/\s*{_PUBLISHER})*)"
    r"(?:\s*/\s*|\s+)(?:(?P<type>TS|TR|PAS|IWA|Guide|GUIDE)\s+)?"
    r"(?P<number>\d{1,6})(?P<parts>(?:-\d{1,3})*)(?::(?P<year>(?:19|20)\d{2}))?(?![\w-])"
)
COMMITTEE = re.compile(
    r"(?<![\w/-])(?P<prefix>ISO\s*/\s*IEC|ISO|IEC)\s*(?:/\s*|\s+)"
    r"(?P<kind>JTC|TC|PC|SC|SyC)\s*(?P<number>\d{1,3}[A-Z]?)"
    r"(?:\s*/\s*SC\s*(?P<sub>\d{1,3}[A-Z]?))?(?:\s*/\s*WG\s*\d+)?(?![\w-])"
)
# "the 2020 IEC General Meeting" reads like "IEC 2020" when reordered; a bare year-like number
# after a single prefix is taken as a standard only when parts or an edition year follow.
_YEAR_LIKE = range(1950, 2040)


def _prefix(text: str) -> str:
    return "/".join(part.strip().upper() for part in text.split("/"))


@lru_cache(maxsize=4)
def _matches(text: str) -> tuple[list[re.Match], list[re.Match]]:
    """Standard and committee references of a text: found once, as normalization reads the same
    text for standards, committees and the organizations' mask."""
    return list(STANDARD.finditer(text)), list(COMMITTEE.finditer(text))


def standards(text: str) -> list[str]:
    """Normalized standard references in order of first mention, without repeats."""
    found: dict[str, None] = {}
    for match in _matches(text)[0]:
        number = int(match["number"])
        if number in _YEAR_LIKE and not (match["parts"] or match["year"] or match["type"]):
            continue
        name = _prefix(match["prefix"])
        if match["type"]:
            name += " " + match["type"].upper()
        name += f" {number}{match['parts']}"
        if match["year"]:
            name += f":{match['year']}"
        found.setdefault(name)
    return list(found)


def committees(text: str) -> list[str]:
    """Normalized committee references in order of first mention, without repeats."""
    found: dict[str, None] = {}
    for match in _matches(text)[1]:
        prefix = _prefix(match["prefix"])
        separator = " " if prefix == "IEC" or prefix == "ISO/IEC" else "/"
        name = f"{prefix}{separator}{match['kind']} {match['number']}"
        if match["sub"]:
            name += f"/SC {match['sub']}"
        found.setdefault(name)
    return list(found)


def spans(text: str) -> list[tuple[int, int]]:
    """Where standard and committee references stand, so that "ISO 9001" is not read as ISO."""
    return [m.span() for matches in _matches(text) for m in matches]
