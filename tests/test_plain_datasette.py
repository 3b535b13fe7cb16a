"""The site as a plain Datasette serves it: `datasette news.db --metadata data/metadata.yml`,
no stdnews helper in between (no metadata_for, no make_datasette). The file is Datasette's
metadata as it stands (no macros), and the plugins come from the `datasette` entry points of
pyproject.toml, the canned queries built from the filters among them.

The month-by-source query and chart are long (month, source, n): a source added to the
database shows up in them with no change anywhere.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import feedparser
import pytest
import yaml
from datasette.app import Datasette

from pipeline.normalize.sources import SOURCES
from pipeline.paths import METADATA
from tests.site_support import build_site_db

DATASETTE = Path(sys.executable).with_name("datasette")


def loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """`datasette serve news.db --metadata data/metadata.yml` on a loopback port: its URL."""
    folder = tmp_path_factory.getbasetemp() / "site"  # test_site's database, built once
    folder.mkdir(exist_ok=True)
    db_path = build_site_db(folder)
    port = loopback_port()
    command = [str(DATASETTE), "serve", str(db_path), "--metadata", str(METADATA)]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()


def wait_for(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/-/versions.json", timeout=2):
                return
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read().decode(errors="replace")) from None
            time.sleep(0.1)
    raise RuntimeError("datasette did not start")


def fetch(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{url}: {error.code} {error.read()[:500]!r}") from None


def rows(base: str, path: str, **params) -> list[dict]:
    query = urlencode({**params, "_shape": "objects"})
    return json.loads(fetch(f"{base}{path}.json?{query}"))["rows"]


def test_the_metadata_is_datasettes_as_it_stands():
    text = METADATA.read_text("utf-8")
    assert "{{" not in text  # no private macro language
    metadata = yaml.safe_load(text)
    assert set(metadata["databases"]) == {"news"}  # data/news.db's name


def test_plain_datasette_loads_the_plugins_by_their_entry_points(plain):
    plugins = json.loads(fetch(plain + "/-/plugins.json"))
    ours = [set(p["hooks"]) for p in plugins if p["name"] == "standards-news"]
    assert len(ours) == 2  # pipeline/site/plugin.py and pipeline/site/safety.py
    assert any("canned_queries" in hooks for hooks in ours)


def test_plain_datasette_answers_the_ranked_search(plain):
    found = rows(plain, "/news/search", q="kilogram", source="bipm")
    assert found
    assert "kilogram" in found[0]["title"].lower()
    assert {r["source"] for r in found} == {"bipm"}
    assert any("【kilogram】" in r["snippet"].lower() for r in found)


def test_plain_datasette_answers_the_filter_queries(plain):
    by_acronym = rows(plain, "/news/posts_mentioning_organization", organization="UNECE")
    by_name = rows(
        plain,
        "/news/posts_mentioning_organization",
        organization="United Nations Economic Commission for Europe",
    )
    assert by_acronym
    assert by_acronym == by_name
    parts = rows(plain, "/news/posts_referencing_standard", standard="IEC 62443")
    assert any("IEC 62443-" in r["matched"] for r in parts)
    table = rows(plain, "/news/posts", _organization="ITU", _size=5)  # the table's filter
    assert table
    assert all("ITU" in r["organizations"] for r in table)


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/news/feed_search.atom?q=metrology", "Search: metrology"),
        ("/news/feed_organization.atom?organization=ITU", "Posts mentioning ITU"),
    ],
)
def test_plain_datasette_answers_the_feeds(plain, path, title):
    feed = feedparser.parse(fetch(plain + path))
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == title  # pipeline/site/feeds.py titles it from its parameters
    assert feed.entries
    assert all(entry.link.startswith("https://") for entry in feed.entries)


def test_plain_datasette_serves_the_dashboard(plain):
    page = fetch(plain + "/-/dashboards/overview").decode()
    assert "posts-per-month" in page


# --- a fifth source --------------------------------------------------------------------------


@pytest.fixture
def with_a_fifth_source(tmp_path_factory, tmp_path):
    """A copy of the site's database where a few dated posts are of a new source, `toy`."""
    folder = tmp_path_factory.getbasetemp() / "site"
    folder.mkdir(exist_ok=True)
    db_path = tmp_path / "news.db"
    shutil.copy(build_site_db(folder), db_path)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "insert into sources (id, name, organization, homepage, news_url)"
            " values ('toy', 'Toy news', 'iso', 'https://toy.example/', 'https://toy.example/news')"
        )
        conn.execute(
            "update posts set source = 'toy' where rowid in"
            " (select rowid from posts where published_month is not null limit 3)"
        )
        expected = dict(
            conn.execute(
                "select published_month, count(*) from posts where source = 'toy' group by 1"
            ).fetchall()
        )
    conn.close()
    return db_path, expected


def ask(ds: Datasette, path: str) -> list[dict]:
    async def inner():
        return await ds.client.get(path)

    response = asyncio.run(inner())
    assert response.status_code == 200, response.text[:500]
    return response.json()["rows"]


def test_a_fifth_source_shows_up_by_month_with_no_change(with_a_fifth_source):
    db_path, expected = with_a_fifth_source
    metadata = yaml.safe_load(METADATA.read_text("utf-8"))
    ds = Datasette([str(db_path)], metadata=metadata)
    months = ask(ds, "/news/posts_per_month.json?_shape=objects")
    assert {r["month"]: r["n"] for r in months if r["source"] == "toy"} == expected
    chart = metadata["plugins"]["datasette-dashboards"]["overview"]["charts"]["posts-per-month"]
    query = re.sub(r"\[\[.*?\]\]", "", chart["query"])
    charted = ask(ds, "/news.json?" + urlencode({"sql": query, "_shape": "objects"}))
    assert {r["month"][:7]: r["posts"] for r in charted if r["source"] == "toy"} == expected
    latest = ask(ds, "/news/latest_per_source.json?_shape=objects")
    assert "toy" in {r["source"] for r in latest}


def test_no_query_or_description_names_the_sources_one_by_one():
    """A source is a value of `source` (the sources table), never a column, a literal or a
    list in data/metadata.yml."""
    text = METADATA.read_text("utf-8")
    for source in SOURCES:
        assert f"'{source}'" not in text, source  # an SQL literal
    for line in text.splitlines():
        named = {s for s in SOURCES if re.search(rf"\b{re.escape(s)}\b", line)}
        assert len(named) <= 1, line
