"""What the operator and researchers run: the documented cron line under an empty environment,
and `stdnews dump` (dated, checksummed, self-describing, consistent while a crawl writes)."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest
import yaml
from sqlite_utils import Database

import pipeline
from pipeline.normalize.sources import SOURCES
from pipeline.paths import ROOT, SNAPSHOT
from pipeline.store import dictionary
from pipeline.store.migrations import migrations
from tests.conftest import crawled_snapshot, stdnews

DOC = ROOT / "docs" / "operations.md"
POSTS_FILES = ROOT / "tools" / "snapshot" / "posts"


def snapshot_posts(pattern: str = "*") -> int:
    """The posts the snapshot is built from (tools/snapshot/posts/<pattern>.yaml): a crawl
    stores each once."""
    files = POSTS_FILES.glob(f"{pattern}.yaml")
    return sum(len(yaml.safe_load(f.read_text("utf-8"))) for f in files)


SNAPSHOT_POSTS = snapshot_posts()


def documented_cron_line() -> str:
    """The first line of the first crontab block of docs/operations.md."""
    block = re.search(r"```crontab\n(.*?)```", DOC.read_text("utf-8"), re.S).group(1)
    return block.strip().splitlines()[0]


def test_the_documented_cron_line_works_under_an_empty_environment(tmp_path):
    line = documented_cron_line()
    command = line.split(None, 5)[5]  # after minute, hour, day, month, weekday
    assert command.startswith("/opt/standards-news/.venv/bin/stdnews crawl ")
    # The same line on this machine: installed here instead of /opt, files in tmp_path, and
    # the loopback replay instead of the live sites.
    command = (
        command.replace("/opt/standards-news", str(ROOT))
        .replace("/var/lib/standards-news", str(tmp_path / "lib"))
        .replace("/var/log/standards-news", str(tmp_path / "log"))
        .replace(" crawl ", f" crawl --replay {SNAPSHOT} ", 1)
    )
    (tmp_path / "log").mkdir()
    result = subprocess.run(
        ["env", "-i", "/bin/sh", "-c", command],
        cwd="/",
        timeout=300,
        capture_output=True,
        text=True,
    )
    log = (tmp_path / "log" / "crawl.log").read_text("utf-8")
    assert result.returncode == 0, log
    assert result.stdout == result.stderr == ""  # all of it went to the log
    for source in SOURCES:
        assert re.search(rf"^{source}: ok - ", log, re.M), log
    assert Database(tmp_path / "lib" / "news.db")["posts"].count == SNAPSHOT_POSTS


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    return crawled_snapshot(tmp_path_factory.mktemp("dumps"))


def run_dump(db_path, *args):
    return stdnews("dump", "--db", str(db_path), *args)


@pytest.fixture(scope="module")
def dumped(crawled):
    result = run_dump(crawled)
    assert result.returncode == 0, result.stderr
    folder = crawled.parent / "dumps"
    (manifest_path,) = [p for p in folder.glob("standards-news-*.json") if not p.is_symlink()]
    return folder, json.loads(manifest_path.read_text("utf-8")), result


def test_a_dump_verifies_with_sha256sum(dumped):
    folder, manifest, result = dumped
    name = manifest["name"]
    assert re.fullmatch(r"standards-news-\d{4}-\d{2}-\d{2}", name)
    check = subprocess.run(
        ["sha256sum", "-c", f"{name}.sha256"], cwd=folder, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"{name}.db: OK" in check.stdout
    assert f"{name}.db.gz: OK" in check.stdout
    assert f"sha256sum -c {name}.sha256" in result.stdout
    with gzip.open(folder / f"{name}.db.gz") as packed:
        assert packed.read() == (folder / f"{name}.db").read_bytes()


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 shell is not installed")
def test_a_dump_opens_with_plain_sqlite3(dumped):
    folder, manifest, _ = dumped
    out = subprocess.run(
        [
            "sqlite3",
            "-readonly",
            str(folder / "standards-news-latest.db"),
            "pragma integrity_check; select count(*) from posts; "
            "select description from data_dictionary where table_name = 'posts' "
            "and column_name = 'published';",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out[0] == "ok"
    assert int(out[1]) == manifest["tables"]["posts"] == SNAPSHOT_POSTS
    assert out[2].startswith("Publication date in ISO 8601")


def test_the_manifest_describes_the_dump(dumped, crawled):
    folder, manifest, _ = dumped
    live = Database(crawled)
    applied = [m.name for m in migrations.applied(live)]
    assert manifest["schema_version"] == applied[-1]
    assert "m005_incremental_crawls" in applied
    assert manifest["software_version"] == pipeline.__version__
    assert manifest["generated_at"].endswith("Z")
    assert manifest["tables"]["posts"] == live["posts"].count
    assert manifest["tables"]["post_organizations"] == live["post_organizations"].count
    assert set(manifest["sources"]) == set(SOURCES)
    iso = manifest["sources"]["iso"]
    assert (iso["posts"], iso["first"][:4], iso["last"][:4]) == (
        snapshot_posts("iso*"),
        "2020",
        "2026",
    )
    for file in manifest["files"]:
        assert (folder / file["name"]).stat().st_size == file["bytes"]
    latest = json.loads((folder / "standards-news-latest.json").read_text("utf-8"))
    assert latest == manifest


def test_a_dump_carries_its_data_dictionary_and_no_raw_pages(dumped):
    folder, manifest, _ = dumped
    db = Database(folder / f"{manifest['name']}.db")
    assert "pages" not in db.table_names()  # raw pages live in news-raw.db, never dumped
    assert {"http_validators", "simhash_bands"}.isdisjoint(db.table_names())
    rows = list(db["data_dictionary"].rows)
    tables = {r["table_name"] for r in rows}
    assert {"posts", "organizations", "post_versions", "crawls", "stories"} <= tables
    assert all(r["description"] for r in rows), [r for r in rows if not r["description"]]
    assert dictionary.undescribed(db) == []
    assert db.execute("pragma journal_mode").fetchone()[0] == "delete"  # one plain file


def test_every_table_and_column_of_the_live_schema_is_described(crawled):
    assert dictionary.undescribed(Database(crawled)) == []


def test_a_dump_taken_while_a_crawl_writes_is_consistent(crawled, tmp_path):
    db_path = tmp_path / "news.db"
    with sqlite3.connect(crawled) as source, sqlite3.connect(db_path) as copy:
        source.backup(copy)
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline",
            "crawl",
            "--full",
            "--replay",
            str(SNAPSHOT),
            "--db",
            str(db_path),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_running_crawl(db_path)  # the dumps below overlap the crawl's writes
        results = [run_dump(db_path, "--out", str(tmp_path / f"out{i}")) for i in range(3)]
    finally:
        writer.communicate(timeout=300)
    assert writer.returncode == 0
    running = []
    for i, result in enumerate(results):
        assert result.returncode == 0, result.stderr
        (dump,) = [p for p in (tmp_path / f"out{i}").glob("standards-news-2*.db")]
        with sqlite3.connect(dump) as db:
            assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
            assert db.execute("select count(*) from posts").fetchone()[0] == SNAPSHOT_POSTS
            running.append(
                db.execute("select count(*) from crawls where status = 'running'").fetchone()[0]
            )
    assert running[0] > 0  # the first dump was taken mid-crawl, as the test says


def wait_for_running_crawl(db_path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
                if db.execute("select 1 from crawls where status = 'running'").fetchone():
                    return
        except sqlite3.OperationalError:
            pass
        time.sleep(0.05)
    raise AssertionError("the crawl never started")


def test_dump_of_a_missing_database_explains(tmp_path):
    result = run_dump(tmp_path / "nothing.db")
    assert result.returncode == 2  # a usage error: the file named is not there
    assert "does not exist" in result.stderr


def test_stdnews_serve_offers_the_real_dumps(dumped, crawled):
    import asyncio
    import hashlib

    from pipeline.site.serve import make_datasette

    folder, manifest, _ = dumped
    site = make_datasette(crawled)

    async def fetch(path):
        await site.invoke_startup()
        return await site.client.get(path)

    home = asyncio.run(fetch("/")).text
    for file in manifest["files"]:
        assert f'href="/dumps/{file["name"]}"' in home
        assert file["sha256"] in home
        body = asyncio.run(fetch(f"/dumps/{file['name']}")).content
        assert hashlib.sha256(body).hexdigest() == file["sha256"]
    latest = asyncio.run(fetch("/dumps/standards-news-latest.db.gz"))
    assert latest.status_code == 200
    assert latest.content == (folder / f"{manifest['name']}.db.gz").read_bytes()


def test_demo_builds_the_database_and_its_dump(tmp_path):
    result = stdnews("demo", "--no-serve", "--db", str(tmp_path / "news.db"))
    assert result.returncode == 0, result.stderr
    assert Database(tmp_path / "news.db")["posts"].count == SNAPSHOT_POSTS
    check = subprocess.run(
        ["sha256sum", "-c", "standards-news-latest.sha256"],
        cwd=tmp_path / "dumps",
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout


def test_a_dump_leaves_the_phrase_index_out_and_stdnews_rebuilds_it(dumped, tmp_path):
    from pipeline import store
    from pipeline.store.migrations import PAIRS_TRIGGERS
    from tests.conftest import both_ways

    folder, manifest, _ = dumped
    dump = Database(folder / f"{manifest['name']}.db")
    assert {"posts_pairs_fts", "posts_pairs_pending"}.isdisjoint(dump.table_names())
    assert not set(PAIRS_TRIGGERS) & set(dump.triggers_dict)
    copy_path = tmp_path / "copy.db"
    shutil.copy(folder / f"{manifest['name']}.db", copy_path)
    db = store.open_db(copy_path)  # as `stdnews serve --db copy.db` does first
    from_words, from_pairs = both_ways(db, "International System of Units")
    assert from_words
    assert from_pairs == from_words
