"""Tags: the site's own tags as they are, plus topics from the vocabulary in data/topics.yaml.

Every topic assignment says which words matched, so that it can be explained and audited.
"""

from __future__ import annotations

import re
from functools import cache

from pipeline import vocab
from pipeline.phrases import PhraseMatcher


def slug(name: str) -> str:
    return re.sub(r"[^\w]+", "-", name.lower()).strip("-")


@cache
def matcher() -> PhraseMatcher:
    """Every keyword -> the topics it belongs to (acronyms in exact case, words in any)."""
    by_keyword: dict[str, list[dict]] = {}
    for topic in vocab.topics():
        for keyword in topic["keywords"]:
            by_keyword.setdefault(keyword, []).append(topic)
    matcher = PhraseMatcher()
    for keyword, topics_of_keyword in by_keyword.items():
        # Short all-caps keywords (AI, SDG, UTC) are acronyms: matched case-sensitively.
        acronym = keyword.rstrip("*").isupper() and len(keyword) <= 5
        matcher.add(keyword, topics_of_keyword, exact=acronym)
    return matcher


def topics(title: str, text: str) -> list[dict]:
    """Topics whose keywords occur often enough in the title and body, with the words matched."""
    content = f"{title}\n\n{text}"
    hits: dict[str, list[str]] = {}
    for _, _, matched, topics_of_keyword in matcher().finditer(content):
        for topic in topics_of_keyword:
            hits.setdefault(topic["id"], []).append(" ".join(matched.split()))
    found = []
    for topic in vocab.topics():  # vocabulary order
        words = hits.get(topic["id"], [])
        if words and len(words) >= topic.get("min_matches", 1):
            found.append({"id": f"topic:{topic['id']}", "name": topic["name"], "origin": "topic",
                          "matched": sorted(set(words), key=str.lower)})  # fmt: skip
    return found


def site_tags(names: list[str]) -> list[dict]:
    """The site's own tags, deduplicated, kept as written."""
    seen: dict[str, dict] = {}
    for name in names:
        name = " ".join((name or "").split())
        if name and slug(name) not in seen:
            seen[slug(name)] = {
                "id": f"site:{slug(name)}",
                "name": name,
                "origin": "site",
                "matched": [],
            }
    return list(seen.values())
