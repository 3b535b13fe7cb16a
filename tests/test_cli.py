"""The stdnews command: help everywhere, extract as JSON, clear errors."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.paths import ROOT
from tests.conftest import snapshot_file, stdnews

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
    assert result.exit_code == 2  # a usage error, as for every reader
    assert "does not exist" in result.output


def test_migrate_creates_the_schema(tmp_path):
    result = CliRunner().invoke(cli, ["migrate", "--db", str(tmp_path / "new.db")])
    assert result.exit_code == 0
    from sqlite_utils import Database

    from pipeline.store.migrations import migrations

    latest = migrations.pending(Database(memory=True))[-1].name
    assert f"schema at {latest}" in result.output


PAGES = [
    "https://www.iso.org/contents/news/2021/05/Ref2667.html",
    "https://www.bipm.org/fr/-/2022-12-19-si-prefixes",
    "https://www.iso.org/ru/contents/news/2021/05/Ref2667.html",
]


def json_lines(text: str) -> list[dict]:
    posts = [json.loads(line) for line in text.splitlines()]
    for post in posts:
        post.pop("fetched_at")  # the time of the run
    return posts


def test_extract_of_many_files_prints_one_json_line_each():
    # No --url: each page's URL is read from its path in the snapshot (<host>/<path>).
    result = stdnews("extract", *(str(snapshot_file(url)) for url in PAGES))
    assert (result.returncode, result.stderr) == (0, "")
    posts = json_lines(result.stdout)
    assert [post["url"] for post in posts] == PAGES
    assert [post["language"] for post in posts] == ["en", "fr", "ru"]
    assert all(post["title"] and post["text"] for post in posts)


def test_extract_reports_each_bad_file_in_one_line_and_goes_on(tmp_path):
    untitled = tmp_path / "mirror" / "www.iso.org" / "contents" / "news" / "2021" / "05" / "x.html"
    untitled.parent.mkdir(parents=True)
    untitled.write_text("<html><body><p>No heading here.</p></body></html>")
    missing, unplaced = tmp_path / "missing.html", tmp_path / "page.html"
    unplaced.write_text("<html><head><title>A page</title></head></html>")
    good = [str(snapshot_file(url)) for url in PAGES[:2]]
    result = stdnews("extract", good[0], str(untitled), str(missing), str(unplaced), good[1])
    assert result.returncode == 1
    assert [post["url"] for post in json_lines(result.stdout)] == PAGES[:2]
    assert result.stderr.splitlines() == [
        f"stdnews extract: {untitled}: no title found: "
        "https://www.iso.org/contents/news/2021/05/x.html",
        f"stdnews extract: {missing}: no such file or directory",
        f"stdnews extract: {unplaced}: its URL is unknown: give --url, or keep the mirror's "
        "<host>/<path> layout",
    ]


def test_extract_reads_a_folder_and_paths_on_standard_input(tmp_path):
    mirror = tmp_path / "www.iso.org" / "contents" / "news" / "2021" / "05"
    mirror.mkdir(parents=True)
    (mirror / "Ref2667.html").write_bytes(snapshot_file(PAGES[0]).read_bytes())
    (mirror / ".responses").write_text("404 /contents/news/2021/05/gone.html\n")  # not a page
    from_folder = CliRunner().invoke(cli, ["extract", str(tmp_path)])
    listed = CliRunner().invoke(
        cli, ["extract", "-"], input=f"{snapshot_file(PAGES[1])}\n\n{mirror / 'Ref2667.html'}\n"
    )
    assert (from_folder.exit_code, listed.exit_code) == (0, 0)
    assert [post["url"] for post in json_lines(from_folder.output)] == PAGES[:1]
    assert [post["url"] for post in json_lines(listed.output)] == [PAGES[1], PAGES[0]]


def test_extract_in_worker_processes_gives_the_same_posts():
    files = [str(snapshot_file(url)) for url in PAGES]
    here, workers = stdnews("extract", *files), stdnews("extract", "--workers", "2", *files)
    assert workers.returncode == 0
    assert json_lines(workers.stdout) == json_lines(here.stdout)
    assert len(json_lines(workers.stdout)) == 3


def test_extract_refuses_one_url_for_several_files():
    files = [str(snapshot_file(url)) for url in PAGES[:2]]
    result = CliRunner().invoke(cli, ["extract", "--url", PAGES[0], *files])
    assert result.exit_code == 2
    assert "--url names one page" in result.output


def test_the_language_model_is_cached_with_the_same_answers(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    files = [str(snapshot_file(url)) for url in PAGES]
    unpacked = stdnews("extract", *files)
    assert len(list((tmp_path / "stdnews").glob("langid-*.npz"))) == 1
    cached = stdnews("extract", *files)
    assert unpacked.returncode == cached.returncode == 0
    assert json_lines(cached.stdout) == json_lines(unpacked.stdout)


HEAVY = ["datasette", "scrapy", "trafilatura", "sqlite_utils", "pipeline.site.serve"]


@pytest.mark.parametrize(
    "code",
    [
        "import pipeline.cli",
        "from pipeline.cli import cli\n"
        "cli(['extract', '--url', sys.argv[2], sys.argv[1]], standalone_mode=False)",
    ],
    ids=["import", "extract one page"],
)
def test_the_command_starts_without_heavy_modules(code):
    # What keeps `stdnews --help` and `stdnews extract page.html` quick to start.
    check = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", check, str(snapshot_file(PAGES[0])), PAGES[0]],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert result.stdout.splitlines()[-1] == ""
