"""The whole pipeline: the real crawl of the bundled snapshot over loopback, read back in Datasette.

`stdnews crawl --replay` runs in a subprocess (Twisted's reactor runs once per process) with the
real Scrapy engine, the replay server on 127.0.0.1 and a temporary SQLite file.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from datasette.app import Datasette

from pipeline.normalize import vocab
from pipeline.normalize.sources import SOURCES
from pipeline.paths import ROOT, SNAPSHOT
from pipeline.site.serve import datasette_args, free_port, make_datasette, metadata_for


def run_crawl(db_path, *args):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "crawl",
            "--replay",
            str(SNAPSHOT),
            "--db",
            str(db_path),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT.parent,  # not the repo root: no scrapy.cfg
    )


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("e2e") / "news.db"
    first = run_crawl(db_path)
    second = run_crawl(db_path)
    return db_path, first, second


@pytest.fixture(scope="module")
def datasette(crawled):
    return make_datasette(crawled[0])  # the site as `stdnews serve` configures it


def get_json(ds: Datasette, path: str):
    async def fetch():
        await ds.invoke_startup()
        response = await ds.client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        return response.json()

    return asyncio.run(fetch())


def test_crawl_exits_zero_with_a_line_per_source(crawled):
    _, first, _ = crawled
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    for source in SOURCES:
        (line,) = [line for line in lines if line.startswith(f"{source}: ")]
        assert line.startswith(f"{source}: ok - ")
        assert " 0 errors" in line


def test_every_source_has_ten_complete_posts(datasette):
    rows = get_json(
        datasette,
        "/news.json?sql="
        + (
            "select source, count(*) n, sum(title != '') titled, sum(published is not null) dated, "
            "sum(organizations != '[]') with_orgs, sum(tags != '[]') tagged "
            "from posts group by source"
        )
        + "&_shape=objects",
    )["rows"]
    by_source = {row["source"]: row for row in rows}
    assert set(by_source) == set(SOURCES)
    for row in rows:
        assert row["n"] >= 10
        assert row["n"] == row["titled"] == row["dated"] == row["with_orgs"] == row["tagged"], row


def test_rerun_updates_in_place(crawled, datasette):
    _, first, second = crawled
    assert second.returncode == 0, second.stderr
    assert " 0 new, 0 updated" in second.stdout
    counts = get_json(
        datasette,
        "/news.json?sql=select count(*) n, count(distinct url) urls from posts&_shape=objects",
    )["rows"][0]
    assert counts["n"] == counts["urls"] >= 40
    crawls = get_json(datasette, "/news/crawls.json?_shape=array&_size=100")
    assert len(crawls) == 2 * len(SOURCES)
    assert {c["status"] for c in crawls} == {"ok"}


def test_seed_posts_are_stored_with_dates_and_provenance(datasette):
    rows = get_json(datasette, "/news/posts.json?_shape=array&_size=200")
    by_url = {row["url"]: row for row in rows}
    iec = by_url["https://www.iec.ch/blog/iec-launches-its-first-virtual-general-meeting"]
    assert (iec["published"][:10], iec["published_source"]) == ("2020-11-09", "site")
    bipm = by_url["https://www.bipm.org/en/news/full-stories/2020-09-oecd-io-meeting.html"]
    assert (bipm["published"], bipm["published_precision"], bipm["published_source"]) == (
        "2020-09",
        "month",
        "url",
    )
    iso = by_url["https://www.iso.org/contents/news/2021/05/Ref2667.html"]
    assert (iso["title"], iso["published"]) == (
        "ISO’s Action Plan for developing countries 2021-2025",
        "2021-05-10",
    )
    kg = by_url["https://www.bipm.org/en/-/2021-kg-consensus"]
    assert (kg["published"], kg["published_precision"]) == ("2021", "year")


def test_oecd_dates_come_from_the_api_record(datasette):
    rows = get_json(datasette, "/news/posts.json?_shape=array&source=oecd&generation=aem&_size=100")
    assert {row["published_source"] for row in rows} == {"api"}
    for row in (r for r in rows if r["text"]):
        day, month, year = row["text"][:10].split("/")
        assert row["published"][:10] == f"{year}-{month}-{day}"  # agrees with the dateline


def test_full_text_search_and_facets(datasette):
    data = get_json(datasette, "/news/posts.json?_search=kilogram&_facet=source")
    assert data["rows"]
    sources = {f["value"] for f in data["facet_results"]["source"]["results"]}
    assert "bipm" in sources
    default = get_json(datasette, "/news/posts.json?_size=5")
    assert {"source", "published_year", "language", "organizations", "tags"} <= set(
        default["facet_results"]
    )
    published = [row[default["columns"].index("published")] for row in default["rows"]]
    assert published == sorted(published, reverse=True)  # newest first by default


def test_organizations_are_linked_with_roles(datasette):
    rows = get_json(
        datasette,
        "/news.json?_shape=objects&sql="
        + (
            "select p.source, o.acronym, po.role from post_organizations po "
            "join posts p on p.id = po.post_id join organizations o on o.id = po.organization_id "
            "where po.role = 'publisher'"
        ),
    )["rows"]
    acronyms = {o["id"]: o["acronym"] for o in vocab.organizations()}
    assert {(r["source"], r["acronym"]) for r in rows} == {
        (s.id, acronyms[s.organization]) for s in SOURCES.values()
    }


def test_table_metadata_reaches_datasette(datasette):
    data = get_json(datasette, "/-/metadata.json")
    tables = next(iter(data["databases"].values()))["tables"]
    assert "Canonical URL" in tables["posts"]["columns"]["url"]
    assert json.dumps(data)  # serializable, as Datasette serves it


def test_datasette_keeps_answering_while_a_crawl_writes(crawled, tmp_path):
    """A real Datasette process reads the file while a crawl writes it (WAL: no "locked")."""

    db_path = tmp_path / "news.db"  # a copy: the module's database stays as two crawls left it
    with sqlite3.connect(crawled[0]) as source, sqlite3.connect(db_path) as copy:
        source.backup(copy)
    port = free_port()
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps(metadata_for(db_path)))
    server = subprocess.Popen(
        [sys.executable, "-m", "datasette", *datasette_args(db_path, metadata, "127.0.0.1", port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/news/posts.json?_search=standards&_size=5"
    statuses: list[int] = []
    done = threading.Event()

    def poll():
        while not done.is_set():
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    statuses.append(response.status)
            except OSError as error:  # HTTPError included: a 500 "database is locked" fails
                statuses.append(getattr(error, "code", -1))
            time.sleep(0.02)

    try:
        for _ in range(100):  # wait for the server to listen
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        poller = threading.Thread(target=poll)
        poller.start()
        crawl = run_crawl(db_path, "--full")  # every page fetched and written again
        done.set()
        poller.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert crawl.returncode == 0, crawl.stderr
    assert len(statuses) >= 10
    assert set(statuses) == {200}


def test_mixed_generations_each_story_once_with_translations_linked(datasette):
    rows = get_json(
        datasette,
        "/news.json?_shape=objects&sql="
        + ("select source, generation, count(*) n from posts group by 1, 2"),
    )["rows"]
    generations = {(r["source"], r["generation"]) for r in rows}
    assert generations == {(s.id, g.name) for s in SOURCES.values() for g in s.generations}
    stories = get_json(datasette, "/news/stories.json?_shape=array&_size=500&versions__gt=1")
    seed = next(s for s in stories if "Ref2667" in s["urls"])
    assert sorted(seed["languages"].split()) == ["en", "fr", "ru"]
    assert seed["title"] == "ISO’s Action Plan for developing countries 2021-2025"
    prefixes = next(s for s in stories if "si-prefixes" in s["urls"])
    assert sorted(prefixes["languages"].split()) == ["en", "fr"]
    counts = get_json(
        datasette,
        "/news.json?_shape=objects&sql="
        + (
            "select count(*) posts, count(distinct story_id) stories, "
            "sum(url like '%isolutions%' or url like '%/cms/%' or url like '%bipm.org.%' "
            "or url like '%/web/guest/%' or url like 'https://bipm.org%') odd_shapes from posts"
        ),
    )["rows"][0]
    assert counts["odd_shapes"] == 0
    # 3 BIPM French, 3 ISO French, 2 ISO Russian, 1 ISO Spanish and 3 OECD French versions
    assert counts["posts"] - counts["stories"] == 12


def test_redirects_are_followed_and_recorded(datasette):
    rows = get_json(
        datasette,
        "/news.json?_shape=objects&sql="
        + (
            "select u.url alias, p.url from post_urls u join posts p on p.id = u.post_id "
            "where u.kind = 'redirect'"
        ),
    )["rows"]
    assert {
        "alias": "https://www.iso.org/news/ref2508.html",
        "url": "https://www.iso.org/contents/news/2020/03/Ref2508.html",
    } in rows
