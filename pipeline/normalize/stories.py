"""Stories across publishers: is a post of one source the same event or announcement as a post
of another (a joint press release each body writes in its own words, a statement both publish)?

Pure scoring, no SQLite: pipeline/store/stories.py finds the candidates and keeps the clusters.
Not to be confused with posts.story_id, which links the language versions of one post of one
source (the `stories` view); a cross-publisher story groups posts of several sources, and each
post brings its language versions along.

The evidence, strongest first:
- shared text: sentences of at least MIN_SENTENCE_WORDS words that both texts hold, after
  folding case, quotes and punctuation (the joint statement, the quoted message), and the share
  of the shorter text's word 5-grams the other holds (phrases a rewording keeps: "the Technical
  Management Board of ISO and the Standardization Management Board of the IEC");
- a near-duplicate link between the two (posts.duplicate_of);
- title similarity (the share of content words in common);
- shared organizations, standards and committees;
- publication dates: never more than MAX_DAYS apart (an event is told within days; two posts
  on one topic a month apart are two stories).
Precision first: shared text is required (on the snapshot, posts of one story share a fifth of
their 5-grams or more, other posts within a week a few thousandths), the rest only adds to the
confidence, and the date window is a gate, not a weight.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from pipeline.normalize.types import Post

MAX_DAYS = 7
MIN_SENTENCE_WORDS = 8
# At or above it, two posts tell one story.
MIN_CONFIDENCE = 0.5
# Without a shared sentence, the share of 5-grams two texts of one story must share at least;
# at FULL_PHRASES the text evidence is whole.
MIN_PHRASES = 0.08
FULL_PHRASES = 0.25
PHRASE_WORDS = 5
# Weights of the evidence in the confidence (they add up to 1).
WEIGHTS = {"text": 0.55, "title": 0.2, "entities": 0.15, "dates": 0.1}
# Shared sentences that make the text evidence whole.
FULL_TEXT_EVIDENCE = 2
# Sentence ends: . ! ? (and a closing quote after them), then space; and a colon that opens a
# quote, so that a quoted statement compares alone, whoever introduces it in their own words.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”»’']?\s+|\n+|:\s*(?=[\"“«])")
_WORD = re.compile(r"\w+")
_STOPWORDS = "the a an and or of for to in on at by with from its their new this that is are as be"
_STOPWORDS_FR = "le la les de des du et en un une pour sur par aux au dans avec"
STOPWORDS = frozenset(f"{_STOPWORDS} {_STOPWORDS_FR}".split(" "))


@dataclass(frozen=True, slots=True)
class StoryPost:
    """What scoring reads of a post: the store fills it from `posts` and the link tables."""

    id: str
    source: str
    title: str
    text: str
    published: str | None
    language: str | None = None
    story_id: str | None = None
    duplicate_of: str | None = None
    organizations: frozenset[str] = frozenset()
    standards: frozenset[str] = frozenset()
    committees: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Match:
    """Two posts of different sources told as one story: how sure, and why."""

    confidence: float
    evidence: dict = field(default_factory=dict)


def fold(sentence: str) -> str:
    """A sentence as compared: its words only (quotes, apostrophes and punctuation of any
    typography dropped), case and compatibility forms folded."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", sentence).casefold()))


# Cached: a post's text is read by its indexing and by the scoring of each of its candidates
# (callers do not change what they get).
@lru_cache(maxsize=64)
def sentences(text: str) -> dict[int, str]:
    """The text's sentences long enough to tell, by their key (a signed 64-bit hash, as SQLite
    keeps integers), each with its text as written."""
    found = {}
    for sentence in _SENTENCE_END.split(text or ""):
        folded = fold(sentence)
        if len(folded.split()) >= MIN_SENTENCE_WORDS:
            found.setdefault(sentence_key(folded), sentence.strip())
    return found


def sentence_key(folded: str) -> int:
    digest = hashlib.blake2b(folded.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def day(published: str | None) -> date | None:
    """The publication day, or None when the date is not known to the day (YYYY-MM, YYYY)."""
    if not published or len(published) < 10:
        return None
    try:
        return date.fromisoformat(published[:10])
    except ValueError:
        return None


def days_apart(a: StoryPost, b: StoryPost) -> int | None:
    first, second = day(a.published), day(b.published)
    return None if first is None or second is None else abs((first - second).days)


def content_words(title: str) -> set[str]:
    return {w for w in _WORD.findall(fold(title)) if len(w) > 2 and w not in STOPWORDS}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def title_similarity(a: str, b: str) -> float:
    return round(jaccard(content_words(a), content_words(b)), 3)


def entities(post: StoryPost) -> set[str]:
    return (
        {f"org:{o}" for o in post.organizations}
        | {f"std:{s}" for s in post.standards}
        | {f"com:{c}" for c in post.committees}
    )


def score(a: StoryPost, b: StoryPost) -> Match | None:
    """Whether a and b (of different sources) tell one story: the Match, or None."""
    if a.source == b.source:
        return None
    gap = days_apart(a, b)
    if gap is None or gap > MAX_DAYS:
        return None
    ours, theirs = sentences(a.text), sentences(b.text)
    shared = [ours[key] for key in ours.keys() & theirs.keys()]
    near = a.duplicate_of == b.id or b.duplicate_of == a.id
    phrases = round(containment(phrase_set(a.text), phrase_set(b.text)), 3)
    if not (near or shared or phrases >= MIN_PHRASES):
        return None
    text = 1.0 if near else min(1.0, max(len(shared) / FULL_TEXT_EVIDENCE, phrases / FULL_PHRASES))
    title = title_similarity(a.title, b.title)
    common = entities(a) & entities(b)
    entity = jaccard(entities(a), entities(b))
    parts = {"text": text, "title": title, "entities": entity, "dates": 1 - gap / (MAX_DAYS + 1)}
    confidence = round(sum(WEIGHTS[k] * v for k, v in parts.items()), 3)
    if confidence < MIN_CONFIDENCE:
        return None
    found = evidence(shared, near, title, gap, common)
    return Match(confidence, {**found, "shared_phrases": phrases})


@lru_cache(maxsize=64)
def phrase_set(text: str) -> frozenset[str]:
    """The text's word 5-grams, folded as sentences are."""
    words = fold(text or "").split()
    return frozenset(
        " ".join(words[i : i + PHRASE_WORDS]) for i in range(len(words) - PHRASE_WORDS + 1)
    )


def containment(a: set, b: set) -> float:
    """The share of the smaller set that the other holds."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def evidence(shared: list[str], near: bool, title: float, gap: int, common: set[str]) -> dict:
    """Why two posts are one story, for the reader (story_cluster_posts.evidence)."""
    names = sorted(common)
    return {
        "shared_sentences": len(shared),
        "sentences": sorted(shared, key=len, reverse=True)[:3],
        "near_duplicate": near,
        "title_similarity": title,
        "days_apart": gap,
        "organizations": [n[4:] for n in names if n.startswith("org:")],
        "standards": [n[4:] for n in names if n.startswith("std:")],
        "committees": [n[4:] for n in names if n.startswith("com:")],
    }


def story_post(post: Post, duplicate_of: str | None = None) -> StoryPost:
    """What scoring reads of a normalized post (the evaluation's, without a store)."""
    return StoryPost(
        id=post.id,
        source=post.source,
        title=post.title,
        text=post.text,
        published=post.published,
        language=post.language,
        story_id=post.story_id,
        duplicate_of=duplicate_of,
        organizations=frozenset(o["id"] for o in post.organizations),
        standards=frozenset(post.standards) | frozenset(post.related_standards),
        committees=frozenset(post.committees),
    )


def cluster(posts: list[StoryPost]) -> list[set[str]]:
    """Clusters of a small set of posts, every pair scored: what the store's clusters are for
    the same posts (a post joins all it matches, with its language versions; a cluster needs
    two publishers). For the evaluation; the store never compares all pairs."""
    parent = {p.id: p.id for p in posts}

    def root(pid: str) -> str:
        while parent[pid] != pid:
            parent[pid] = parent[parent[pid]]
            pid = parent[pid]
        return pid

    def union(a: str, b: str) -> None:
        parent[root(a)] = root(b)

    for i, a in enumerate(posts):
        for b in posts[i + 1 :]:
            versions = a.story_id and a.story_id == b.story_id and a.source == b.source
            if versions or score(a, b):
                union(a.id, b.id)
    groups: dict[str, set[str]] = {}
    for post in posts:
        groups.setdefault(root(post.id), set()).add(post.id)
    # Language versions alone (one source) are no story across publishers.
    sources = {p.id: p.source for p in posts}
    return [g for g in groups.values() if len({sources[i] for i in g}) > 1]


def pairs(clusters: list[set[str]]) -> set[frozenset[str]]:
    """Every pair of posts in the same cluster: what pairwise precision and recall count."""
    return {frozenset((a, b)) for c in clusters for a in c for b in c if a < b}
