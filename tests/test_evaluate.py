"""The gold set: normalization measured against labelled pages, gated by pinned floors."""

import json
import shutil

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.normalize import evaluate
from pipeline.normalize.types import Post
from pipeline.paths import GOLD


@pytest.fixture(scope="module")
def scores():
    return evaluate.evaluate(GOLD)


def test_gold_set_covers_every_source_and_generation():
    files = sorted((GOLD / "labels").glob("*.json"))
    labels = [json.loads(p.read_text()) for p in files]
    assert len(labels) >= 40
    hosts = {label["url"].split("/")[2] for label in labels}
    assert {"www.iec.ch", "blog.iec.ch", "www.bipm.org", "www.iso.org", "www.oecd.org"} <= hosts
    for file, label in zip(files, labels, strict=True):
        assert evaluate.gold_page(label, file.stem)  # the snapshot's file, as labelled
        assert set(label) >= {
            "url",
            "published",
            "published_precision",
            "language",
            "organizations",
            "standards",
            "committees",
            "topics",
        }


def test_normalization_meets_the_pinned_floors(scores):
    values = evaluate.figures(scores)
    floors = json.loads((GOLD / "floors.json").read_text())
    # Near-duplicates' floors: tests/test_duplicates.py (its own gold set and evaluation).
    floors = {k: v for k, v in floors.items() if not k.startswith("near_duplicates_")}
    assert evaluate.below_floors(values, floors) == []


def test_held_out_pages_can_be_scored_alone():
    held_out = evaluate.evaluate(GOLD, only=("iso-", "oecd-"))
    names = [p.stem for p in (GOLD / "labels").glob("*.json")]
    assert held_out["language"].total == len([n for n in names if n.startswith(("iso", "oecd"))])
    assert 0 < held_out["topics"].tp < evaluate.evaluate(GOLD)["topics"].tp


def test_scores_count_what_they_should():
    score = evaluate.Score(tp=8, fp=2, fn=8)
    assert (score.precision, score.recall) == (0.8, 0.5)
    assert round(score.f1, 4) == 0.6154
    scores = {k: evaluate.Score() for k in ("published", "language", *evaluate.SET_FIELDS)}
    label = {
        "published": "2021-05-10",
        "published_precision": "day",
        "language": "en",
        "organizations": ["iso", "un"],
        "standards": [],
        "committees": [],
        "topics": [],
    }
    post = Post(
        id="p",
        source="iso",
        url="https://www.iso.org/contents/news/2021/05/p.html",
        title="A post",
        published="2021-05",
        published_precision="month",
        language="en",
        organizations=[
            {"id": "iso", "acronym": "ISO", "name": "ISO", "role": "publisher", "count": 1},
            {"id": "wto", "acronym": "WTO", "name": "WTO", "role": "mentioned", "count": 1},
        ],
        standards=["ISO 9001"],
    )
    evaluate.score_page("page", label, post, scores)
    assert (scores["published"].right, scores["language"].right) == (0, 1)
    org = scores["organizations"]
    assert (org.tp, org.fp, org.fn) == (1, 1, 1)
    assert scores["standards"].precision == 0.0


def test_evaluate_command_fails_under_a_floor(tmp_path):
    gold = tmp_path / "gold"
    shutil.copytree(GOLD, gold)
    result = CliRunner().invoke(cli, ["evaluate", "--gold", str(gold)])
    assert result.exit_code == 0, result.output
    assert "organizations_f1" in result.output
    (gold / "floors.json").write_text(json.dumps({"topics_f1": 0.999}))
    result = CliRunner().invoke(cli, ["evaluate", "--gold", str(gold)])
    assert result.exit_code == 1
    assert "UNDER FLOOR: topics_f1" in result.output


def test_a_page_changed_since_it_was_labelled_is_refused(tmp_path):
    gold = tmp_path / "gold"
    shutil.copytree(GOLD, gold)
    snapshot = tmp_path / "snapshot"
    label = json.loads((gold / "labels" / "iso-24.json").read_text())
    page = snapshot / label["page"]
    page.parent.mkdir(parents=True)
    page.write_bytes(evaluate.gold_page(label, "iso-24").replace(b"ISO", b"IEC", 1))
    with pytest.raises(evaluate.GoldPageChanged, match="iso-24"):
        evaluate.evaluate(gold, only=("iso-24",), snapshot=snapshot)
    (gold / "labels" / "iso-24.json").write_text(json.dumps(dict(label, sha256="0" * 64)))
    result = CliRunner().invoke(cli, ["evaluate", "--gold", str(gold)])
    assert result.exit_code == 1
    assert "iso-24" in result.output
    assert "not the page it was labelled on" in result.output
