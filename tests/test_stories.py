"""Stories across publishers: the crawl of the snapshot (the real engine over loopback HTTP, a
real SQLite file) clusters exactly the labelled joint stories of tests/gold/stories.json, keeps
same-topic posts of other events apart, and `stdnews reprocess` recomputes the clusters."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlite_utils import Database

from pipeline.normalize import evaluate
from pipeline.normalize.stories import MIN_CONFIDENCE, StoryPost, score
from pipeline.paths import GOLD
from pipeline.store import stories
from tests.conftest import crawled_snapshot, stdnews

LABELS = json.loads((GOLD / "stories.json").read_text("utf-8"))
FLOORS = json.loads((GOLD / "floors.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    return crawled_snapshot(tmp_path_factory.mktemp("stories"))


def clusters_by_url(db: Database) -> list[set[str]]:
    urls = dict(db.execute("select id, url from posts").fetchall())
    return [{urls[pid] for pid in cluster} for cluster in stories.clusters(db)]


def labelled() -> list[set[str]]:
    return [set(c["urls"]) for c in LABELS["clusters"]]


def test_the_crawl_clusters_exactly_the_labelled_stories(crawled):
    db = Database(crawled)
    assert sorted(map(sorted, clusters_by_url(db))) == sorted(map(sorted, labelled()))
    for row in db.query("select * from story_clusters"):
        assert len(json.loads(row["publishers"])) >= 2
        assert row["confidence"] >= MIN_CONFIDENCE
        assert row["post_count"] == len(
            db.execute(
                "select post_id from story_cluster_posts where cluster_id = ?", [row["id"]]
            ).fetchall()
        )
    # Every member says why it is there: a match with shared sentences, or a language version.
    for row in db.query("select evidence from story_cluster_posts"):
        evidence = json.loads(row["evidence"])
        assert evidence.get("shared_sentences") or evidence.get("language_version_of")


def test_a_french_version_joins_its_story_with_the_english_one(crawled):
    db = Database(crawled)
    guide = next(c for c in clusters_by_url(db) if any("iso-oecd-guide" in u for u in c))
    languages = dict(db.execute("select url, language from posts").fetchall())
    assert sorted(languages[u] for u in guide) == ["en", "en", "fr", "fr"]


def test_same_topic_posts_of_other_events_stay_apart(crawled):
    together = clusters_by_url(Database(crawled))
    for pair in LABELS["apart"]:
        assert not any(set(pair["urls"]) <= cluster for cluster in together), pair["why"]


def test_reprocess_recomputes_the_clusters(crawled, tmp_path):
    """Stale clusters (a wrong one, a lost one) are what `stdnews reprocess` puts right."""
    db_path = tmp_path / "news.db"
    for name in ("news.db", "news-raw.db"):
        shutil.copyfile(crawled.parent / name, tmp_path / name)
    db = Database(db_path)
    wrong = LABELS["apart"][0]["urls"]
    ids = [db.execute("select id from posts where url = ?", [u]).fetchone()[0] for u in wrong]
    with db.conn:
        db.execute("delete from story_cluster_posts")
        db.execute("delete from story_clusters")
        db.execute('insert into story_clusters (id, publishers) values (99, \'["iec", "iso"]\')')
        for post_id in ids:
            db.execute(
                "insert into story_cluster_posts (post_id, cluster_id, confidence, evidence)"
                " values (?, 99, 0.9, '{}')",
                [post_id],
            )
    db.close()
    result = stdnews("reprocess", "--db", str(db_path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(map(sorted, clusters_by_url(Database(db_path)))) == sorted(
        map(sorted, labelled())
    )


def test_the_evaluation_scores_the_labelled_clusters_above_the_floors():
    found = evaluate.score_stories(GOLD)
    assert found.precision >= FLOORS["stories_precision"], found.errors
    assert found.recall >= FLOORS["stories_recall"], found.errors


QUOTE = (
    "Reliable, internationally comparable measurements are a precondition for regulation that "
    "protects people and the environment. Together we can help governments write rules that "
    "are both effective and interoperable."
)


def post(source: str, published: str, text: str, **names) -> StoryPost:
    return StoryPost(
        id=f"{source}-{published}",
        source=source,
        title="Cooperation on measurement in regulation",
        text=text,
        published=published,
        **{k: frozenset(v) for k, v in names.items()},
    )


def test_a_shared_statement_days_apart_is_one_story_and_a_month_apart_two():
    bipm = post("bipm", "2023-03-21", f"The BIPM signed it. {QUOTE}")
    oecd = post("oecd", "2023-03-22T11:00:00+01:00", f"The OECD signed it today. {QUOTE}")
    match = score(bipm, oecd)
    assert match
    assert match.confidence >= MIN_CONFIDENCE
    assert (match.evidence["shared_sentences"], match.evidence["days_apart"]) == (2, 1)
    later = post("oecd", "2023-04-25", f"A month on. {QUOTE}")
    assert score(bipm, later) is None
    assert score(bipm, post("bipm", "2023-03-22", QUOTE)) is None  # one publisher: no story
    assert score(bipm, post("oecd", "2023-03", QUOTE)) is None  # a month is no day


def test_shared_names_without_shared_text_are_not_enough():
    names = {"organizations": {"iso", "iec"}, "committees": {"ISO/IEC JTC 1"}}
    iso = post("iso", "2022-04-28", "MPEG wins two Emmy awards for its video coding work.", **names)
    iec = post("iec", "2022-04-29", "The AI committee broadens its programme of work.", **names)
    assert score(iso, iec) is None


def test_a_rewording_that_keeps_phrases_but_no_sentence_is_one_story():
    """Each body's own sentences around the same phrases: the 5-grams both hold decide."""
    kept = (
        "the Technical Management Board of ISO and the Standardization Management Board of the "
        "IEC agreed to establish a joint technical committee on quantum technologies"
    )
    iso = post("iso", "2023-11-08", f"Today {kept}, said ISO. Work starts with vocabulary.")
    iec = post("iec", "2023-11-07", f"In Geneva {kept}; the IEC welcomes experts.")
    match = score(iso, iec)
    assert match
    assert match.evidence["shared_sentences"] == 0
    assert match.evidence["shared_phrases"] >= 0.5
