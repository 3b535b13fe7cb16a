"""bench/corpus.py: the seeded corpus for scale tests is written like a crawled database."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from bench import corpus
from pipeline.normalize import vocab
from pipeline.normalize.sources import SOURCES
from pipeline.store import open_db
from pipeline.store.migrations import migrations


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "news.db"
    counts = corpus.generate(path, posts=400, seed=7)
    db = open_db(path)
    yield db, counts
    db.close()


def test_the_schema_is_the_migrated_one(generated):
    db, counts = generated
    assert counts["posts"] == 400
    assert [m.name for m in migrations.pending(db)] == []
    assert db["posts"].count == db.execute("select count(*) from posts_fts").fetchone()[0]


def test_posts_look_like_the_sources(generated):
    db, _ = generated
    rows = list(
        db.query(
            "select source, language, published, published_precision, word_count,"
            " text, organizations from posts"
        )
    )
    assert set(Counter(r["source"] for r in rows)) == set(SOURCES)
    assert len({r["language"] for r in rows}) >= 3
    assert {r["published_precision"] for r in rows} >= {"day", "month"}
    words = sorted(r["word_count"] for r in rows)
    assert words[0] >= 80
    assert words[len(words) // 2] > 250
    assert words[-1] <= 2500
    acronyms = {o["id"]: o["acronym"] for o in vocab.organizations()}
    publishers = {s.id: acronyms[s.organization] for s in SOURCES.values()}
    for row in rows:
        assert json.loads(row["organizations"])[0] == publishers[row["source"]]
        assert row["word_count"] < 200 or "\n\n" in row["text"]  # paragraphs


def test_lists_match_the_link_tables_and_the_text(generated):
    db, _ = generated
    for post in db.query("select id, text, organizations, standards, tags from posts limit 50"):
        linked = [
            r["standard_id"]
            for r in db.query(
                "select standard_id from post_standards where post_id = ?", [post["id"]]
            )
        ]
        assert sorted(json.loads(post["standards"])) == sorted(linked)
        for standard in linked:
            assert standard in post["text"]
        tags = {
            r["name"]
            for r in db.query(
                "select t.name from post_tags pt join tags t on t.id = pt.tag_id where post_id = ?",
                [post["id"]],
            )
        }
        assert set(json.loads(post["tags"])) == tags


def test_the_same_seed_gives_the_same_corpus(tmp_path):
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    corpus.generate(first, posts=30, seed=3)
    corpus.generate(second, posts=30, seed=3)
    query = "select id, title, published, text from posts order by id"
    assert list(open_db(first).query(query)) == list(open_db(second).query(query))
