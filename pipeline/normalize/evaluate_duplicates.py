"""Measuring near-duplicate detection on labelled pairs and non-pairs (tests/gold/near_duplicates/).

Pairs: every snapshot body of at least duplicates.MIN_WORDS words and a copy of it changed in
one way (perturbations.json: a sentence appended, a share of the words replaced, paragraphs
reordered, a republisher's boilerplate added), drawn with a seeded generator so that each run
scores the same copies. Non-pairs: different posts of one template and series written for it
(nonpairs/*.json: two years' reports of one meeting around the same boilerplate), and every two
different snapshot bodies of one source. Two bodies are linked as the store links them: they
share a MinHash bucket or their simhashes are close, and duplicates.match() accepts them.

Recall is reported per kind of change, for the simhash alone (what the store had) and for both
hashes; precision over every link made, with the non-pairs that were linked named.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from pipeline.normalize import duplicates
from pipeline.normalize.evaluate import Score
from pipeline.normalize.extract import decode_html
from pipeline.normalize.post import normalize
from pipeline.normalize.sources import source_for_url
from pipeline.normalize.urls import canonical_url
from pipeline.paths import SNAPSHOT

FOLDER = "near_duplicates"
METHODS = ("simhash", "both")


@dataclass(frozen=True)
class Body:
    """A text as the store hashes it, with where it comes from."""

    name: str
    text: str
    simhash: int | None = field(init=False)
    signature: bytes | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "simhash", duplicates.simhash(self.text))
        object.__setattr__(self, "signature", duplicates.signature(self.text))


def linked(a: Body, b: Body, method: str = "both") -> bool:
    """Whether the store would link b to a (pipeline/store/duplicates.py): they share a MinHash
    bucket or their simhashes are within MAX_DISTANCE bits, and match() accepts them; for the
    simhash alone, the latter."""
    if a.simhash is None or b.simhash is None:
        return False
    close = duplicates.distance(a.simhash, b.simhash) <= duplicates.MAX_DISTANCE
    if method == "simhash":
        return close
    shared = close or set(duplicates.buckets(a.signature)) & set(duplicates.buckets(b.signature))
    return bool(shared and duplicates.match(a.simhash, a.signature, b.simhash, b.signature))


def snapshot_bodies(snapshot: Path = SNAPSHOT) -> list[tuple[str, Body]]:
    """(source, body) of every snapshot article long enough to be compared, in path order."""
    found = []
    for file in sorted(p for p in snapshot.rglob("*") if p.is_file()):
        relative = file.relative_to(snapshot).as_posix().removesuffix("index.html")
        url = canonical_url("https://" + relative)
        source = source_for_url(url)
        if not (source and source.is_article(url)):
            continue
        html = decode_html(file.read_bytes())
        text = normalize({"url": url, "html": html, "source": source.id}).text
        if duplicates.simhash(text) is not None:
            found.append((source.id, Body(relative, text)))
    return found


_TOKEN = re.compile(r"(\s+)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def perturbed(text: str, kind: str, rng: random.Random, spec: dict, pool: list[str]) -> str:
    """The text changed in one way of perturbations.json's kinds."""
    if kind == "sentence":
        return f"{text} {rng.choice(spec['sentences'])}"
    if kind == "boilerplate":
        return f"{rng.choice(spec['headers'])}\n{text}\n{rng.choice(spec['abouts'])}"
    if kind == "reordered":
        return reordered(text, rng)
    return replaced(text, float(kind.removeprefix("words_")) / 100, rng, pool)


def replaced(text: str, share: float, rng: random.Random, pool: list[str]) -> str:
    """The share of the words (at least one) replaced by other words of the pool."""
    tokens = _TOKEN.split(text)
    words = [i for i, token in enumerate(tokens) if re.search(r"\w", token)]
    for i in rng.sample(words, max(1, round(share * len(words)))):
        tokens[i] = rng.choice([w for w in rng.sample(pool, 3) if w != tokens[i]])
    return "".join(tokens)


def reordered(text: str, rng: random.Random) -> str:
    """Paragraphs in another order; sentences, when the body is one paragraph."""
    parts = [p for p in text.split("\n") if p.strip()]
    joiner = "\n"
    if len(parts) < 3:
        parts, joiner = _SENTENCE_END.split(text), " "
    order = list(range(len(parts)))
    while order == sorted(order) and len(order) > 1:
        rng.shuffle(order)
    return joiner.join(parts[i] for i in order)


def pairs(bodies: list[Body], spec: dict) -> list[tuple[str, Body, Body]]:
    """(kind, body, its changed copy) for every body and kind, seeded."""
    rng = random.Random(spec["seed"])
    pool = sorted({w for b in bodies for w in b.text.split() if w.isalpha() and len(w) > 3})
    return [
        (kind, body, Body(f"{body.name} ({kind})", perturbed(body.text, kind, rng, spec, pool)))
        for body in bodies
        for kind in spec["kinds"]
    ]


def written_nonpairs(folder: Path) -> list[tuple[Body, Body]]:
    """The labelled non-pairs: two posts of one template and series, never to be linked."""
    found = []
    for file in sorted((folder / "nonpairs").glob("*.json")):
        label = json.loads(file.read_text("utf-8"))
        a, b = (Body(f"{file.stem}: {p['title']}", p["text"]) for p in label["posts"])
        if a.signature is None or b.signature is None:  # never compared: proves nothing
            raise ValueError(f"{file}: a text under {duplicates.MIN_WORDS} words")
        found.append((a, b))
    return found


def evaluate(gold: Path, snapshot: Path = SNAPSHOT) -> dict:
    """Recall per kind and method; the links made between non-pairs, written and snapshot."""
    folder = gold / FOLDER
    spec = json.loads((folder / "perturbations.json").read_text("utf-8"))
    sourced = snapshot_bodies(snapshot)
    recall = {(kind, m): Score() for kind in spec["kinds"] for m in METHODS}
    for kind, body, copy in pairs([b for _, b in sourced], spec):
        for method in METHODS:
            score = recall[kind, method]
            found = linked(body, copy, method)
            score.total += 1
            score.right += found
            if not found:
                score.errors.append(f"{method} missed {copy.name}")
    same_source = [
        (a, b) for (sa, a), (sb, b) in combinations(sourced, 2) if sa == sb and a.text != b.text
    ]
    apart = {"template": Score(), "snapshot": Score()}
    for kind, nonpairs in (("template", written_nonpairs(folder)), ("snapshot", same_source)):
        for a, b in nonpairs:
            found = linked(a, b)
            apart[kind].total += 1
            apart[kind].right += not found
            if found:
                apart[kind].errors.append(f"linked non-pair {a.name} ~ {b.name}")
    return {"recall": recall, "apart": apart}


def figures(result: dict) -> dict[str, float]:
    """near_duplicates_recall_<kind> (both hashes), near_duplicates_simhash_recall_<kind> (the
    simhash alone, for comparison), near_duplicates_precision over all links made, and the
    share of non-pairs kept apart (written same-template pairs, same-source snapshot pairs)."""
    values = {}
    for (kind, method), score in result["recall"].items():
        prefix = "near_duplicates_simhash" if method == "simhash" else "near_duplicates"
        values[f"{prefix}_recall_{kind}"] = score.accuracy
    right = sum(s.right for (_, method), s in result["recall"].items() if method == "both")
    wrong = sum(s.total - s.right for s in result["apart"].values())
    values["near_duplicates_precision"] = right / (right + wrong) if right + wrong else 1.0
    for kind, score in result["apart"].items():
        values[f"near_duplicates_{kind}_nonpairs_apart"] = score.accuracy
    return {k: round(v, 4) for k, v in values.items()}


def summary(result: dict) -> str:
    """One line: what was measured."""
    pairs = sum(s.total for (_, m), s in result["recall"].items() if m == "both")
    apart = result["apart"]
    return (
        f"{pairs} near-duplicate pairs, {apart['template'].total} same-template non-pairs, "
        f"{apart['snapshot'].total} same-source snapshot non-pairs"
    )


def errors(result: dict) -> list[str]:
    """Each pair missed (by either method) and each non-pair linked."""
    scores = [*result["recall"].values(), *result["apart"].values()]
    return [error for score in scores for error in score.errors]
