"""A new source is mostly data: a toy fifth source, defined only in tests/fixtures/toy/.

Its registry entry is a TOML file that STDNEWS_SOURCES names (pipeline/normalize/sources.py);
its spider is the one made from the entry (crawlers/spiders/generic.py); its site is a hand-written
mirror of one discovery page and two article pages on a made-up host. `stdnews crawl` runs it in a
subprocess with the real Scrapy engine over loopback into a temporary SQLite file; no other file of
the project names it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import fields

import pytest

from pipeline.normalize.source_errors import SourcesFileError
from pipeline.normalize.sources import (
    SHAPES,
    SOURCES,
    SOURCES_ENV,
    Generation,
    Source,
    sources_from_files,
)
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


# A mistake of the toy's file (a text replacement) -> what its one line names: field and problem.
MISTAKES = {
    "broken TOML": (("[[sources.generations]]", "[[sources.generations]"), "not a TOML file"),
    "a missing field": (('name = "Example Standards news"\n', ""), "source toy: name: missing"),
    "an unknown field in a generation": (
        ("title_css", "title_selector"),
        "source toy: generation 1 (plain): title_selector: unknown field",
    ),
    "a duplicate id": (('id = "toy"', 'id = "iso"'), "source iso: id: already defined (built in)"),
    "hosts as a string": (
        ('hosts = ["news.example-standards.org"]', 'hosts = "news.example-standards.org"'),
        "source toy: hosts: a list of strings expected, not 'news.example-standards.org'",
    ),
    "an invalid url_re": (
        ("[^/?#]+", "[^/?#+"),
        "source toy: generation 1 (plain): url_re: not a valid regular expression",
    ),
    "an unknown organization": (
        ('organization = "cen"', 'organization = "nope"'),
        "source toy: organization: 'nope' is no id of data/organizations.yaml",
    ),
    "an invalid url_rewrites pattern": (
        ("timezone =", 'url_rewrites = [["^https://(x", "y"]]\ntimezone ='),
        "source toy: url_rewrites (pair 1): not a valid pattern and replacement",
    ),
    "a date_css of strings": (
        ('date_css = [["article time[datetime]", "datetime"]]', 'date_css = ["article time"]'),
        "source toy: generation 1 (plain): date_css: a list of [string, string] pairs expected",
    ),
    "an unknown time zone": (
        ("Europe/Brussels", "Europe/Nowhere"),
        "source toy: timezone: 'Europe/Nowhere' is no IANA time zone",
    ),
}


def mistaken(tmp_path, mistake: str):
    """The toy's file with the mistake made, in tmp_path."""
    (old, new), _ = MISTAKES[mistake]
    text = (TOY / "sources.toml").read_text()
    assert old in text, old
    path = tmp_path / "mistaken.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def one_line(run, command: str) -> str:
    """The one line a command printed for a bad sources file: exit 2, no traceback, no output."""
    assert run.returncode == 2, run.stderr
    assert run.stdout == "", run.stdout
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"stdnews {command}: "), line
    return line


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_mistake_of_a_sources_file_is_one_line_naming_file_source_and_field(
    tmp_path, monkeypatch, mistake
):
    path = mistaken(tmp_path, mistake)
    monkeypatch.setenv(SOURCES_ENV, str(path))
    for command, run in (
        ("status", stdnews("status", "--db", str(tmp_path / "news.db"))),
        ("crawl", crawl_replay(tmp_path / "news.db", TOY / "mirror", "toy")),
    ):
        line = one_line(run, command)
        assert f"{path} (STDNEWS_SOURCES): " in line, line
        assert MISTAKES[mistake][1] in line, line
    assert not (tmp_path / "news.db").exists()  # nothing written


def test_a_missing_sources_file_is_one_line(tmp_path, monkeypatch):
    missing = tmp_path / "missing.toml"
    monkeypatch.setenv(SOURCES_ENV, str(missing))
    for command in ("status", "crawl", "migrate"):
        line = one_line(stdnews(command, "--db", str(tmp_path / "news.db")), command)
        assert line.endswith(
            f"{missing} (STDNEWS_SOURCES): cannot read it: No such file or directory"
        )


def test_a_source_in_two_files_names_the_first(tmp_path):
    toy = str(TOY / "sources.toml")
    with pytest.raises(SourcesFileError, match=r"source toy: id: already defined \(in .*toy/"):
        sources_from_files(os.pathsep.join((toy, toy)))


def test_every_field_of_a_source_has_a_shape_to_check():
    """A new field of Source or Generation needs its TOML shape in SHAPES, or no file loads."""
    for cls in (Source, Generation):
        assert {f.type for f in fields(cls)} <= set(SHAPES), cls


def test_the_registry_error_outlives_the_failed_import():
    """The cli catches SourcesFileError after the import of pipeline.normalize.sources failed
    (the module is unloaded then): the class lives in a module that stays loaded."""
    assert SourcesFileError.__module__ == "pipeline.normalize.source_errors"
    assert issubclass(SourcesFileError, ValueError)
