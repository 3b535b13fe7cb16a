"""The stdnews command: help everywhere, extract as JSON, clear errors."""

import json

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from tests.conftest import snapshot_file

COMMANDS = sorted(cli.commands)


def test_every_command_is_listed_in_the_group_help():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.output
    assert len(result.output.splitlines()) > 4


def test_extract_prints_the_normalized_post():
    url = "https://www.iso.org/contents/news/2021/05/Ref2667.html"
    result = CliRunner().invoke(
        cli, ["extract", "--url", url, str(snapshot_file(url))], catch_exceptions=False
    )
    assert result.exit_code == 0
    post = json.loads(result.output)
    for field in (
        "url",
        "source",
        "title",
        "published",
        "published_precision",
        "published_source",
        "language",
        "organizations",
        "tags",
        "text",
        "standards",
        "committees",
    ):
        assert field in post
    assert (post["source"], post["published"], post["language"]) == ("iso", "2021-05-10", "en")
    assert post["organizations"][0] == {
        "id": "iso",
        "acronym": "ISO",
        "name": "International Organization for Standardization",
        "role": "publisher",
        "count": post["organizations"][0]["count"],
    }
    assert {"Capacity building", "Developing countries"} <= {t["name"] for t in post["tags"]}


def test_extract_of_a_page_without_title_fails_clearly(tmp_path):
    page = tmp_path / "empty.html"
    page.write_text("<html><body></body></html>")
    url = "https://www.iso.org/contents/news/2021/05/x.html"
    result = CliRunner().invoke(cli, ["extract", "--url", url, str(page)])
    assert result.exit_code == 1
    assert "no title found" in result.output


def test_extract_refuses_a_listing_page():
    url = "https://www.iso.org/news.html"
    result = CliRunner().invoke(cli, ["extract", "--url", url, str(snapshot_file(url))])
    assert result.exit_code == 1
    assert "not an article URL of iso" in result.output


def test_crawl_rejects_unknown_sources(tmp_path):
    result = CliRunner().invoke(cli, ["crawl", "nist", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert "unknown source nist" in result.output


def test_serve_without_database_explains(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "missing.db")])
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_migrate_creates_the_schema(tmp_path):
    result = CliRunner().invoke(cli, ["migrate", "--db", str(tmp_path / "new.db")])
    assert result.exit_code == 0
    from sqlite_utils import Database

    from pipeline.migrations import migrations

    latest = migrations.pending(Database(memory=True))[-1].name
    assert f"schema at {latest}" in result.output
