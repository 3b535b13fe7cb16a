"""Tags: the site's own tags as they are, plus topics from the vocabulary in data/topics.yaml.

Every topic assignment says which words matched, so that it can be explained and audited.
"""

from __future__ import annotations

import re
from functools import cache

from pipeline import vocab


def slug(name: str) -> str:
    return re.sub(r"[^\w]+", "-", name.lower()).strip("-")


def _keyword_pattern(keyword: str) -> str:
    prefix = keyword.endswith("*")
    word = re.escape(keyword.rstrip("*")).replace(r"\ ", r"\s+")
    body = f"{word}\\w*" if prefix else word
    # Short all-caps keywords (AI, SDG, UTC) are acronyms: match them case-sensitively.
    if keyword.rstrip("*").isupper() and len(keyword) <= 5:
        body = f"(?-i:{body})"
    return rf"(?<![\w-]){body}(?![\w-])"


@cache
def _topic_patterns() -> tuple[tuple[dict, re.Pattern[str]], ...]:
    return tuple(
        (topic, re.compile("|".join(_keyword_pattern(k) for k in topic["keywords"]), re.IGNORECASE))
        for topic in vocab.topics()
    )


def topics(title: str, text: str) -> list[dict]:
    """Topics whose keywords occur often enough in the title and body."""
    content = f"{title}\n\n{text}"
    found = []
    for topic, pattern in _topic_patterns():
        hits = [m.group() for m in pattern.finditer(content)]
        if len(hits) >= topic.get("min_matches", 1):
            matched = sorted({" ".join(h.split()) for h in hits}, key=str.lower)
            found.append(
                {
                    "id": f"topic:{topic['id']}",
                    "name": topic["name"],
                    "origin": "topic",
                    "matched": matched,
                }
            )
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
