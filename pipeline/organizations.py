"""Organizations mentioned in a post, from the gazetteer in data/organizations.yaml.

Mentions are counted in the title and body text only (never navigation or footers, which
extraction has already removed), after masking e-mail addresses, URLs and standard references:
"ISO 9001" names a standard, not ISO the organization. Acronyms match case-sensitively as whole
tokens ("UN" not in "UNESCO" or "fUNd"; a hyphen separates tokens, so "CEN-CENELEC" names both);
an acronym flagged ambiguous (EC, SAC, NPL...) counts only when one of the organization's names
also appears in the text; an acronym inside a matched name ("ASTM International") is not counted
again.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from pipeline import standards, vocab

_MASKS = (
    re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),  # e-mail addresses
    re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE),  # URLs
)


@dataclass(frozen=True)
class Matcher:
    acronyms: re.Pattern[str]
    names: re.Pattern[str]
    by_acronym: dict[str, dict]
    by_name: dict[str, dict]


def _names(org: dict) -> list[str]:
    names = [org["name"]]
    for values in (org.get("names") or {}).values():
        names += values if isinstance(values, list) else [values]
    return [n for n in names if n]


def _acronyms(org: dict) -> list[str]:
    return [a for a in [org.get("acronym"), *(org.get("aliases") or [])] if a]


@cache
def matcher() -> Matcher:
    by_acronym: dict[str, dict] = {}
    by_name: dict[str, dict] = {}
    for org in vocab.organizations():
        for acronym in _acronyms(org):
            by_acronym.setdefault(acronym, org)
        for name in _names(org):
            by_name.setdefault(_fold(name), org)

    def alternation(words):
        return "|".join(
            re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True)
        )

    return Matcher(
        acronyms=re.compile(rf"(?<![\w])(?:{alternation(by_acronym)})(?![\w])"),
        names=re.compile(rf"(?<![\w-])(?:{alternation(by_name)})(?![\w-])", re.IGNORECASE),
        by_acronym=by_acronym,
        by_name=by_name,
    )


def _fold(name: str) -> str:
    return " ".join(name.lower().split())


def mask(text: str) -> str:
    """Blank out what must not count as a mention, keeping offsets."""
    spans = [m.span() for pattern in _MASKS for m in pattern.finditer(text)]
    spans += standards.spans(text)
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def mentions(text: str) -> Counter:
    """Mention counts per organization id."""
    m = matcher()
    text = mask(text)
    counts: Counter = Counter()
    named: set[str] = set()
    name_spans = []
    for match in m.names.finditer(text):
        org = m.by_name[_fold(match.group())]
        counts[org["id"]] += 1
        named.add(org["id"])
        name_spans.append(match.span())
    for match in m.acronyms.finditer(text):
        org = m.by_acronym[match.group()]
        inside_a_name = any(start <= match.start() < end for start, end in name_spans)
        if inside_a_name or (org.get("ambiguous_acronym") and org["id"] not in named):
            continue  # "ASTM" in "ASTM International"; "EC" with no "European Commission"
        counts[org["id"]] += 1
    return counts


def find(title: str, text: str, publisher: str | None = None) -> list[dict]:
    """Organizations of a post, publisher first, then by mention count."""
    counts = mentions(f"{title}\n\n{text}")
    by_id = {org["id"]: org for org in vocab.organizations()}
    found = []
    if publisher in by_id:
        found.append(_row(by_id[publisher], "publisher", counts.pop(publisher, 0)))
    for org_id, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        found.append(_row(by_id[org_id], "mentioned", count))
    return found


def _row(org: dict, role: str, count: int) -> dict:
    return {
        "id": org["id"],
        "acronym": org.get("acronym"),
        "name": org["name"],
        "role": role,
        "count": count,
    }
