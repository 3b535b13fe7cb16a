"""A new source is mostly data: a toy fifth source, defined only in tests/fixtures/toy/.

Its registry entry is a TOML file that STDNEWS_SOURCES names (pipeline/normalize/sources.py);
its spider is the one made from the entry (crawlers/spiders/generic.py); its site is a hand-written
mirror of one discovery page and two article pages on a made-up host. `stdnews crawl` runs it in a
subprocess with the real Scrapy engine over loopback into a temporary SQLite file; no other file of
the project names it.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from pipeline.normalize.sources import SOURCES, SOURCES_ENV, registry, sources_from_files
from pipeline.paths import ROOT
from tests.conftest import TESTS, crawl_replay, stdnews

TOY = TESTS / "fixtures" / "toy"
HOST = "https://news.example-standards.org/news/"
EXPECTED = {
    HOST + "2025/03/smart-grid-interoperability.html": {
        "title": "A common language for smart grids",
        "published": "2025-03-14",
        "generation": "plain",
        "language": "en",
        "organizations": ["CEN", "ITU"],
        "site_tags": ["Energy", "Smart grid"],
    },
    HOST + "2024/11/world-metrology-day-call.html": {
        "title": "Measuring what matters",
        "published": "2024-11-05",
        "generation": "plain",
        "language": "en",
        "organizations": ["CEN", "BIPM"],
        "site_tags": ["Metrology"],
    },
}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """The toy crawled, and `stdnews status` after it, with its entry in the environment only."""
    db_path = tmp_path_factory.mktemp("toy") / "news.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SOURCES_ENV, str(TOY / "sources.toml"))
        crawl = crawl_replay(db_path, TOY / "mirror", "toy")
        status = stdnews("status", "--db", str(db_path))
    return db_path, crawl, status


def rows(db_path, query: str) -> list[dict]:
    with sqlite3.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(query)]


def test_the_toy_is_named_nowhere_in_the_project():
    assert "toy" not in SOURCES  # this process has no STDNEWS_SOURCES: only the file defines it
    assert not (ROOT / "crawlers" / "spiders" / "toy.py").exists()


def test_the_toy_is_crawled_end_to_end(crawled):
    db_path, crawl, _ = crawled
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    assert crawl.stdout.startswith("toy: ok - 2 articles discovered"), crawl.stdout
    (run,) = rows(db_path, "select * from crawls")
    assert (run["source"], run["status"], run["new_posts"], run["errors"]) == ("toy", "ok", 2, 0)
    assert json.loads(run["discovery_paths"]) == {"links": 2}  # generic discovery found both


def test_the_toy_posts_are_stored_with_title_date_organizations_and_tags(crawled):
    db_path = crawled[0]
    posts = {row["url"]: row for row in rows(db_path, "select * from posts")}
    assert set(posts) == set(EXPECTED)
    for url, expected in EXPECTED.items():
        post = posts[url]
        assert post["source"] == "toy"
        for field in ("title", "generation", "language"):
            assert post[field] == expected[field], field
        assert (post["published"][:10], post["published_source"]) == (expected["published"], "site")
        assert json.loads(post["organizations"]) == expected["organizations"]  # publisher first
        assert set(expected["site_tags"]) <= set(json.loads(post["tags"]))
    (source,) = rows(db_path, "select * from sources where id = 'toy'")
    assert (source["name"], source["organization"]) == ("Example Standards news", "cen")


def test_status_lists_the_toy(crawled):
    status = crawled[2]
    assert "Traceback" not in status.stderr, status.stderr
    (line,) = [line for line in status.stdout.splitlines() if line.startswith("toy ")]
    assert " ok " in line, status.stdout


def test_a_source_defined_twice_is_refused(tmp_path):
    twice = tmp_path / "twice.toml"
    twice.write_text((TOY / "sources.toml").read_text().replace('id = "toy"', 'id = "iso"'))
    with pytest.raises(ValueError, match="source iso is defined twice"):
        registry(sources_from_files(str(twice)))


def test_an_unknown_field_names_its_file(tmp_path):
    typo = tmp_path / "typo.toml"
    typo.write_text((TOY / "sources.toml").read_text().replace("news_url", "news_page"))
    with pytest.raises(ValueError, match="typo.toml: source toy: unknown"):
        sources_from_files(str(typo))
