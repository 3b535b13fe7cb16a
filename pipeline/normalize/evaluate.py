"""Measuring normalization against the labelled gold set in tests/gold/.

Each gold page has labels (labels/<name>.json): publication date and precision, language,
organizations, standards, committees and topics. The page is the snapshot's own file
(data/snapshot/<page>), checked against the SHA-256 it was labelled on: a rebuilt snapshot page
must be labelled again (tools/gold.py), not scored against labels of another text. Dates and
languages are scored by accuracy, the sets by micro-averaged precision, recall and F1;
floors.json pins the minimum each must reach.

People with roles are scored on their own set (people/*.yaml, see its README.md): labelled
passages written for it and the people of snapshot pages, per (person, role, body) mention.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.normalize import people, stories
from pipeline.normalize.extract import decode_html
from pipeline.normalize.post import normalize
from pipeline.normalize.sources import source_for_url
from pipeline.normalize.types import Post
from pipeline.paths import GOLD, SNAPSHOT

SET_FIELDS = ("organizations", "standards", "committees", "topics")
# Scored by precision, recall and F1 too, each from a gold set of its own.
SCORED_SETS = ("people", "bylines", "stories")
# Pages in markups the snapshot does not have, beside the tests (whichever gold folder is read).
BYLINE_PAGES = GOLD.parent / "fixtures" / "bylines"
# Scored both ways: as sets and by page (bylines: a page right when all its authors are).
BOTH = ("bylines",)


@dataclass
class Score:
    """Counts for one field: accuracy fields use right/total, set fields tp/fp/fn."""

    right: int = 0
    total: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def predicted(post: Post) -> dict[str, set[str]]:
    return {
        "organizations": {o["id"] for o in post.organizations},
        # What the post stores as its standards: those of the text and those the page lists
        # beside it (ISO's "Related standards" aside), as the store links them.
        "standards": set(post.standards) | set(post.related_standards),
        "committees": set(post.committees),
        "topics": {t["id"].removeprefix("topic:") for t in post.tags if t["origin"] == "topic"},
    }


def score_page(name: str, label: dict, post: Post, scores: dict[str, Score]) -> None:
    date_ok = (post.published or "")[: len(label["published"])] == label["published"] and (
        post.published_precision == label["published_precision"]
    )
    for key, ok, shown in (
        ("published", date_ok, f"{post.published} ({post.published_precision})"),
        ("language", post.language == label["language"], post.language),
    ):
        scores[key].total += 1
        scores[key].right += ok
        if not ok:
            scores[key].errors.append(f"{name}: got {shown}, expected {label[key]}")
    found = predicted(post)
    for key in SET_FIELDS:
        gold, got = set(label[key]), found[key]
        score = scores[key]
        score.tp += len(gold & got)
        score.fp += len(got - gold)
        score.fn += len(gold - got)
        if gold != got:
            score.errors.append(f"{name}: extra {sorted(got - gold)}, missing {sorted(gold - got)}")


class GoldPageChanged(Exception):
    """A labelled page is not the text its labels were written for."""


def gold_page(label: dict, name: str, snapshot: Path = SNAPSHOT) -> bytes:
    page = snapshot / label["page"]
    body = page.read_bytes() if page.is_file() else b""
    if hashlib.sha256(body).hexdigest() != label["sha256"]:
        raise GoldPageChanged(
            f"{name}: {page} is not the page it was labelled on; check its "
            "labels, then run tools/gold.py with its name"
        )
    return body


def evaluate(gold: Path, only: tuple[str, ...] = (), snapshot: Path = SNAPSHOT) -> dict[str, Score]:
    """Scores over the gold pages, or those whose names start with one of `only` ("iso-"): the
    topic rules were tuned on the iec-* and bipm-* pages, iso-* and oecd-* are held out."""
    scores = {key: Score() for key in ("published", "language", *SET_FIELDS)}
    for file in sorted((gold / "labels").glob("*.json")):
        if only and not file.stem.startswith(only):
            continue
        label = json.loads(file.read_text("utf-8"))
        html = decode_html(gold_page(label, file.stem, snapshot))
        source = source_for_url(label["url"])
        post = normalize({"url": label["url"], "html": html, "source": source.id})
        score_page(file.stem, label, post, scores)
    if not only:
        scores["people"] = score_people(gold, snapshot)
        if (gold / "bylines.json").is_file():
            scores["bylines"] = score_bylines(gold, snapshot)
        if (gold / "stories.json").is_file():
            scores["stories"] = score_stories(gold, snapshot)
    return scores


def score_bylines(gold: Path, snapshot: Path = SNAPSHOT) -> Score:
    """Bylines over gold/bylines.json: each credited (name, kind) scored as a set member
    (precision, recall), and a page right when its authors are the labelled ones, in order."""
    score = Score()
    for label in json.loads((gold / "bylines.json").read_text("utf-8"))["pages"]:
        if "fixture" in label:
            body = (BYLINE_PAGES / label["fixture"]).read_bytes()
        else:
            body = gold_page(label, label["name"], snapshot)
        item = {"url": label["url"], "html": decode_html(body), "hints": label.get("hints", {})}
        got = [(a["name"], a["kind"]) for a in normalize(item).authors]
        expected = [(a["name"], a["kind"]) for a in label["authors"]]
        score.tp += len(set(got) & set(expected))
        score.fp += len(set(got) - set(expected))
        score.fn += len(set(expected) - set(got))
        score.total += 1
        score.right += got == expected
        if got != expected:
            score.errors.append(f"{label['name']}: got {got}, expected {expected}")
    return score


def score_stories(gold: Path, snapshot: Path = SNAPSHOT) -> Score:
    """Stories across publishers over gold/stories.json: the snapshot's posts normalized and
    clustered (normalize/stories.py, every pair), scored by pairs of posts in one cluster."""
    labels = json.loads((gold / "stories.json").read_text("utf-8"))
    posts, ids = [], {}
    for entry in labels["posts"]:
        html = decode_html((snapshot / entry["page"]).read_bytes())
        post = normalize({"url": entry["url"], "html": html})
        posts.append(stories.story_post(post))
        ids[entry["url"]] = post.id
    got = stories.pairs(stories.cluster(posts))
    expected = stories.pairs([{ids[url] for url in c["urls"]} for c in labels["clusters"]])
    titles = {p.id: f"{p.source}: {p.title[:50]}" for p in posts}
    score = Score(tp=len(got & expected), fp=len(got - expected), fn=len(expected - got))
    for kind, wrong in (("joined", got - expected), ("missed", expected - got)):
        score.errors += [f"{kind} " + " + ".join(sorted(titles[i] for i in pair)) for pair in wrong]
    return score


def score_people(gold: Path, snapshot: Path = SNAPSHOT) -> Score:
    """People with roles over gold/people/*.yaml: a found (person key, role, body) of a passage
    is right when the passage's labels hold it."""
    score = Score()
    for name, passage, found in people_found(gold, snapshot):
        expected = {(people.key(n), role, body) for n, role, body in passage["people"]}
        got = {(m["key"], m["role"], m["organization"] or m["committee"]) for m in found}
        score.tp += len(expected & got)
        score.fp += len(got - expected)
        score.fn += len(expected - got)
        if got != expected:
            score.errors.append(
                f"{name}: extra {sorted(got - expected)}, missing {sorted(expected - got)}"
            )
    return score


def people_found(gold: Path, snapshot: Path = SNAPSHOT) -> Iterator[tuple[str, dict, list]]:
    """(name, passage, the mentions found) for each labelled passage or snapshot page."""
    for file in sorted((gold / "people").glob("*.yaml")):
        for passage in yaml.safe_load(file.read_text("utf-8")) or []:
            name = f"{file.stem}/{passage['id']}"
            if "page" not in passage:
                yield name, passage, people.find("", passage["text"], passage["language"])
                continue
            html = decode_html(gold_page(passage, name, snapshot))
            item = {"url": passage["url"], "html": html, "source": passage["source"]}
            yield name, passage, normalize(item).people


def figures(scores: dict[str, Score]) -> dict[str, float]:
    """The figures floors.json pins: <field>_accuracy and <field>_precision/recall/f1."""
    result = {}
    for key, score in scores.items():
        if key in SET_FIELDS or key in SCORED_SETS:
            result |= {
                f"{key}_precision": score.precision,
                f"{key}_recall": score.recall,
                f"{key}_f1": score.f1,
            }
        if key not in SET_FIELDS and key not in SCORED_SETS or key in BOTH:
            result[f"{key}_accuracy"] = score.accuracy
    return {k: round(v, 4) for k, v in result.items()}


def below_floors(values: dict[str, float], floors: dict[str, float]) -> list[str]:
    return [
        f"{k} {values.get(k, 0):.3f} < {floor}"
        for k, floor in floors.items()
        if values.get(k, 0) < floor
    ]
