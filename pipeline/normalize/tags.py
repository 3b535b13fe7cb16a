"""Tags: the site's own tags as they are, plus topics from the vocabulary in data/topics.yaml.

A topic is assigned when the post is about it, not when it mentions it in passing. The evidence
is counted in sentences, so that a list ("the IECEE, IECEx, IECQ and IECRE systems") counts as
one mention and a topic the post discusses counts as often as it comes back:

* each sentence of the body that mentions a keyword of the topic counts 1, or WEAK if it has only
  weak keywords (generic words, or words often said in passing: "health", "trade", "pandemic");
* the title counts as a sentence of its own, and a strong keyword there decides on its own: the
  title says what the post is about;
* a topic needs MIN_SUPPORT sentences (two with a keyword and a third that mentions the topic at
  least weakly), and in long posts a SHARE of the body's sentences.

Every topic assignment lists the words that matched (post_tags.matched), so that it can be
explained and audited. Measured against the gold set: `stdnews evaluate` (topics_* figures).
"""

from __future__ import annotations

import bisect
import re
from functools import cache

from pipeline.normalize import vocab
from pipeline.normalize.phrases import PhraseMatcher, post_text, words_of
from pipeline.normalize.types import Tag

STRONG = 1.0  # a sentence that mentions a keyword of the topic
WEAK = 0.5  # a sentence that mentions only weak keywords of the topic
WEAK_TITLE = 1.0  # a weak keyword in the title (a strong one decides on its own)
MIN_SUPPORT = 2.5  # the support a topic needs, in any post ...
SHARE = 0.1  # ... and, in posts of more than 25 sentences, this share of their sentences

# Ends of sentences: . ! ? or … (then maybe a closing quote or bracket) and a space before a
# capital or a digit; and line breaks, which end paragraphs, headings and list items.
SENTENCE_END = re.compile(r"[.!?…][\"'”’»)]*\s+(?=[\"'“‘«(]*(?:[^\W\d_a-zß-ÿа-яё]|\d))|\n+")


def slug(name: str) -> str:
    return re.sub(r"[^\w]+", "-", name.lower()).strip("-")


def acronym(keyword: str) -> bool:
    """Short all-caps keywords (AI, SDG, UTC, 5G, ИИ) are acronyms: matched case-sensitively."""
    return keyword.rstrip("*").isupper() and len(keyword) <= 5


@cache
def matcher() -> PhraseMatcher:
    """Every keyword -> the (topic id, weight) pairs it belongs to."""
    by_keyword: dict[str, dict[str, float]] = {}
    for topic in vocab.topics():
        for keywords, weight in ((topic["keywords"], STRONG), (topic.get("weak") or [], WEAK)):
            for keyword in keywords:
                weights = by_keyword.setdefault(keyword, {})
                weights[topic["id"]] = max(weights.get(topic["id"], 0.0), weight)
    matcher = PhraseMatcher()
    for keyword, weights in by_keyword.items():
        matcher.add(keyword, tuple(weights.items()), exact=acronym(keyword))
    return matcher


def sentence_ends(text: str) -> list[int]:
    return [m.start() for m in SENTENCE_END.finditer(text)]


def evidence(
    title: str, text: str, ends: list[int] | None = None
) -> dict[str, tuple[float, list[str]]]:
    """Topic id -> (support, words matched, in order) for every topic the post mentions; a strong
    keyword in the title gives an infinite support. `ends`: sentence_ends(text), if known."""
    whole = post_text(title, text)  # tokenized once, as for the organizations
    tokens, offset = words_of(whole), len(whole) - len(text)
    support: dict[str, float] = {}
    words: dict[str, list[str]] = {}
    for _, _, matched, weights in matcher().finditer(whole, tokens.part(0, len(title))):
        for topic, weight in weights:
            title_support = float("inf") if weight == STRONG else WEAK_TITLE
            support[topic] = max(support.get(topic, 0.0), title_support)
            words.setdefault(topic, []).append(" ".join(matched.split()))
    ends = sentence_ends(text) if ends is None else ends
    sentences: dict[tuple[str, int], float] = {}  # (topic, sentence) -> its best weight
    for start, _, matched, weights in matcher().finditer(whole, tokens.part(offset, len(whole))):
        sentence = bisect.bisect(ends, start - offset)
        for topic, weight in weights:
            sentences[topic, sentence] = max(sentences.get((topic, sentence), 0.0), weight)
            words.setdefault(topic, []).append(" ".join(matched.split()))
    for (topic, _), weight in sentences.items():
        support[topic] = support.get(topic, 0.0) + weight
    return {topic: (support[topic], words[topic]) for topic in support}


def needed(sentences: int) -> float:
    """The support a topic needs in a post whose body has this many sentences."""
    return max(MIN_SUPPORT, SHARE * sentences)


def topics(title: str, text: str) -> list[Tag]:
    """The topics the post is about, in vocabulary order, each with the words that matched."""
    ends = sentence_ends(text)
    found = evidence(title, text, ends)
    threshold = needed(len(ends) + 1)
    result = []
    for topic in vocab.topics():
        support, words = found.get(topic["id"], (0.0, []))
        if support >= threshold:
            matched = sorted(set(words), key=lambda w: (w.lower(), w))  # the same in any process
            result.append(
                {
                    "id": f"topic:{topic['id']}",
                    "name": topic["name"],
                    "origin": "topic",
                    "matched": matched,
                }
            )
    return result


def site_tags(names: list[str]) -> list[Tag]:
    """The site's own tags, deduplicated, kept as written."""
    seen: dict[str, Tag] = {}
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
