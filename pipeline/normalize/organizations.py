"""Organizations mentioned in a post, from the gazetteer in data/organizations.yaml.

Mentions are counted in the title and body text only (never navigation or footers, which
extraction has already removed), after masking e-mail addresses, URLs and standard references:
"ISO 9001" names a standard, not ISO the organization. Acronyms match case-sensitively as whole
tokens ("UN" not in "UNESCO" or "fUNd"; a hyphen separates tokens, so "CEN-CENELEC" names both);
an acronym flagged ambiguous (EC, SAC, NPL...) counts only when one of the organization's names,
or another organization of the same kind, also appears in the text; an acronym inside a matched
name ("ASTM International") is not counted again.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

from pipeline.normalize import standards, vocab
from pipeline.normalize.phrases import PhraseMatcher, Words, post_text, words_of
from pipeline.normalize.types import Organization

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)


def _names(org: dict) -> list[str]:
    names = [org["name"]]
    for values in (org.get("names") or {}).values():
        names += values if isinstance(values, list) else [values]
    return [n for n in names if n]


def _acronyms(org: dict) -> list[str]:
    return [a for a in [org.get("acronym"), *(org.get("aliases") or [])] if a]


@cache
def matcher() -> PhraseMatcher:
    """Names (any case) and acronyms (exact case) -> (organization, "name" or "acronym")."""
    matcher = PhraseMatcher()
    seen_acronyms: set[str] = set()
    seen_names: set[str] = set()
    for org in vocab.organizations():  # the first entry to claim a name or acronym keeps it
        for acronym in sorted(set(_acronyms(org)) - seen_acronyms):
            seen_acronyms.add(acronym)
            matcher.add(acronym, (org, "acronym"), exact=True)
        for name in sorted({n.lower() for n in _names(org)} - seen_names):
            seen_names.add(name)
            matcher.add(name, (org, "name"))
    return matcher


def _masks(text: str) -> list[tuple[int, int]]:
    """Where e-mail addresses, URLs and standard references stand."""
    spans = standards.spans(text)
    # Most texts have no address at all, and checking for one costs less than a pattern's pass.
    if "@" in text:
        spans += [m.span() for m in EMAIL.finditer(text)]
    if "://" in text or "www." in text.lower():
        spans += [m.span() for m in URL.finditer(text)]
    return spans


def mask(text: str) -> str:
    """Blank out what must not count as a mention, keeping offsets."""
    parts, done = [], 0  # slices, not a list of every character (slow on long texts)
    for start, end in sorted(_masks(text)):
        start = max(start, done)  # spans may overlap
        if end > start:
            parts += [text[done:start], " " * (end - start)]
            done = end
    parts.append(text[done:])
    return "".join(parts)


def masked_words(text: str) -> Words:
    """The words of mask(text): the text's own words less those masked (the topics read the
    same words), unless a mask cuts a word in two."""
    return words_of(text).without(_masks(text)) or words_of(mask(text))


def mentions(text: str) -> Counter:
    """Mention counts per organization id.

    Matches are leftmost-longest, so an acronym inside a matched name ("ASTM" in "ASTM
    International") is part of that name, not a second mention.
    """
    counts: Counter = Counter()
    ambiguous = []
    for _, _, _, (org, how) in matcher().finditer(text, masked_words(text)):
        if how == "acronym" and org.get("ambiguous_acronym"):
            ambiguous.append(org)
        else:
            counts[org["id"]] += 1
    # An ambiguous acronym ("NPL", "EC") counts when its name is in the text too, or when bodies
    # of its kind are (NPL beside PTB and NIST is the metrology institute).
    kinds = {by_id()[org_id].get("kind") for org_id in counts}
    for org in ambiguous:
        if org["id"] in counts or org.get("kind") in kinds:
            counts[org["id"]] += 1
    return counts


@cache
def by_id() -> dict[str, dict]:
    """The gazetteer's organizations by id (built once: every post looks them up)."""
    return {org["id"]: org for org in vocab.organizations()}


def find(title: str, text: str, publisher: str | None = None) -> list[Organization]:
    """Organizations of a post, publisher first, then by mention count."""
    counts = mentions(post_text(title, text))
    orgs, found = by_id(), []
    if publisher in orgs:
        found.append(_row(orgs[publisher], "publisher", counts.pop(publisher, 0)))
    for org_id, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        found.append(_row(orgs[org_id], "mentioned", count))
    return found


def _row(org: dict, role: str, count: int) -> Organization:
    return {
        "id": org["id"],
        "acronym": org.get("acronym"),
        "name": org["name"],
        "role": role,
        "count": count,
    }
