"""Cron-grade crawling against the loopback replay: incremental runs, revisits, the crawl lock,
`kill -9` in the middle of a run, and `stdnews status`.

Each crawl is the real `stdnews crawl --replay` in a subprocess (Scrapy engine, replay server on
127.0.0.1, a temporary SQLite file); the replay server answers conditional requests as a web
server does (ETag from the file's bytes, Last-Modified from its mtime).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import yaml
from sqlite_utils import Database

from crawlers.spiders.bipm import BipmSpider
from crawlers.spiders.iec import IecSpider
from crawlers.spiders.iso import IsoSpider
from crawlers.spiders.oecd import OecdSpider
from pipeline.paths import ROOT, SNAPSHOT
from pipeline.store.lock import CrawlLock
from tests.conftest import crawl_replay as crawl
from tests.conftest import hide_article_links, snapshot_file, stdnews

SPIDERS = (IecSpider, BipmSpider, IsoSpider, OecdSpider)
CHANGED = "https://www.bipm.org/en/-/2022-02-24-dissemination-kg"
REMOVED = "https://www.bipm.org/en/-/2021-kg-consensus"
# The BIPM's posts in the snapshot (tools/snapshot/posts: English, legacy and French).
BIPM_POSTS = sum(
    len(yaml.safe_load((ROOT / "tools" / "snapshot" / "posts" / f"{name}.yaml").read_text("utf-8")))
    for name in ("bipm", "bipm_fr")
)


def crawl_rows(db_path, run=-1) -> dict[str, dict]:
    """The crawls rows of one run (default: the last), by source."""
    db = Database(db_path)
    runs = [r for (r,) in db.execute("select distinct run_id from crawls order by id")]
    return {r["source"]: r for r in db["crawls"].rows_where("run_id = ?", [runs[run]])}


@pytest.fixture(scope="module")
def twice(tmp_path_factory):
    """A first crawl of the snapshot, then an unchanged re-run into the same database."""
    db_path = tmp_path_factory.mktemp("incremental") / "news.db"
    started = time.perf_counter()
    first = crawl(db_path)
    middle = time.perf_counter()
    second = crawl(db_path)
    timings = (middle - started, time.perf_counter() - middle)
    assert first.returncode == 0, first.stdout + first.stderr
    assert second.returncode == 0, second.stdout + second.stderr
    return db_path, second, timings


def test_an_unchanged_rerun_costs_only_the_first_discovery_pages(twice):
    db_path, second, timings = twice
    rows = crawl_rows(db_path)
    for spider in SPIDERS:
        row = rows[spider.name]
        # Archives (sites no longer published to) wait a week, listings of translations (ISO's
        # French and Russian) a day or a new article; the others are asked once each.
        waiting = spider.archive_urls + spider.secondary_urls
        live = [url for url in spider.start_urls if url not in waiting]
        hosts = {urlsplit(url).netloc for url in live}
        # robots.txt once per host, then each listing/feed/API start URL once, answered 304.
        assert row["requests"] == len(hosts) + len(live), row
        assert len(live) <= 2, row  # the target of bench/crawl.py's incremental benchmark
        assert row["not_modified"] == len(live), row
        assert json.loads(row["responses_by_status"]) == {"200": len(hosts), "304": len(live)}
        assert (row["articles_requested"], row["items"], row["new_posts"]) == (0, 0, 0)
        assert (row["status"], row["mode"], row["complete"]) == ("ok", "incremental", 1)
    assert len(IsoSpider.secondary_urls) == 3  # so ISO's English hub and feed only
    assert sum(row["requests"] for row in rows.values()) == 11  # 7 discovery URLs, 4 robots
    assert "0 new, 0 updated" in second.stdout
    print(f"full crawl {timings[0]:.2f} s, unchanged re-run {timings[1]:.2f} s")


def test_archives_are_looked_at_again_after_a_week(twice, tmp_path):
    db_path = copied(twice[0], tmp_path)
    with sqlite3.connect(db_path) as db:
        db.execute("update http_validators set checked_at = '2020-01-01T00:00:00+00:00'")
    assert crawl(db_path, SNAPSHOT, "iec").returncode == 0
    row = crawl_rows(db_path)["iec"]
    # The archives and the robots.txt naming its sitemaps (checked daily) too, all 304.
    assert row["not_modified"] == len(IecSpider.start_urls) + len(IecSpider.sitemap_urls) == 5
    assert row["articles_requested"] == 0


def copied(db_path, tmp_path):
    """A copy of the database at db_path, to change before a run."""
    copy_path = tmp_path / "news.db"
    with sqlite3.connect(db_path) as source, sqlite3.connect(copy_path) as copy:
        source.backup(copy)
    return copy_path


def test_translations_are_looked_at_again_after_a_day(twice, tmp_path, monkeypatch):
    db_path = copied(twice[0], tmp_path)
    day_and_more = (datetime.now(UTC) - timedelta(hours=25)).isoformat(timespec="seconds")
    with sqlite3.connect(db_path) as db:
        db.executemany(
            "update http_validators set checked_at = ? where url = ?",
            [(day_and_more, url) for url in IsoSpider.secondary_urls],
        )
    monkeypatch.setenv("STDNEWS_SECONDARY_RECHECK_HOURS", "48")
    assert crawl(db_path, SNAPSHOT, "iso").returncode == 0
    assert crawl_rows(db_path)["iso"]["not_modified"] == 2  # within 48 hours: they wait
    monkeypatch.delenv("STDNEWS_SECONDARY_RECHECK_HOURS")
    assert crawl(db_path, SNAPSHOT, "iso").returncode == 0
    row = crawl_rows(db_path)["iso"]
    # 24 hours by default (the old listings are archives: a week)
    assert row["not_modified"] == len(IsoSpider.start_urls) - len(IsoSpider.archive_urls) == 5
    assert (row["requests"], row["articles_requested"]) == (6, 0)  # and robots.txt
    assert (row["status"], row["complete"]) == ("ok", 1)


def hidden(page, path: str) -> None:
    """Takes the entry for path off the page: the feed's <item>, or the listing's line."""
    text = page.read_text("utf-8")
    item = rf"<item>(?:(?!<item>).)*?{re.escape(path)}.*?</item>\s*"
    text = re.sub(item, "", text, flags=re.S)
    page.write_text("".join(line for line in text.splitlines(True) if path not in line), "utf-8")


def test_a_new_english_post_brings_the_translations_in_the_same_run(tmp_path):
    """Crawled before the English post and its translations were listed; then all are out."""
    root = tmp_path / "mirror"
    shutil.copytree(SNAPSHOT / "www.iso.org", root / "www.iso.org")
    site = root / "www.iso.org"
    english = "/contents/news/2026/10/world-standards-day-2026.html"
    hidden(site / "news.html", english)
    hidden(site / "insights" / "standards-world", english)
    hidden(site / "contents" / "news.rss", english)
    translated = "/contents/news/2022/10/iso-iec-27001-2022-information-security.html"
    slug = translated.rsplit("/", 1)[1].removesuffix(".html")  # any of the hub's URL shapes
    for language in ("fr", "ru"):
        hidden(site / language / "news.html", f"/{language}{translated}")
        hub = site / language / "home" / "insights-news" / "news" / "standards-world.html"
        hidden(hub, slug)
    db_path = tmp_path / "news.db"
    assert crawl(db_path, root, "iso").returncode == 0
    before = post_urls(db_path)
    result = crawl(db_path, SNAPSHOT, "iso")  # within a day: only the new post asks for them
    assert result.returncode == 0, result.stdout + result.stderr
    row = crawl_rows(db_path)["iso"]
    assert (row["mode"], row["new_posts"], row["status"]) == ("incremental", 3, "ok")
    assert post_urls(db_path) - before == {
        "https://www.iso.org" + path for path in (english, "/fr" + translated, "/ru" + translated)
    }


def post_urls(db_path) -> set[str]:
    return {url for (url,) in Database(db_path).execute("select url from posts")}


def test_validators_are_stored_exactly_as_received(twice):
    db_path, _, _ = twice
    db = Database(db_path)
    url = "https://www.iso.org/contents/news.rss"
    row = db["http_validators"].get(url)
    body = snapshot_file(url).read_bytes()
    assert row["etag"] == '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
    assert row["last_modified"].endswith(" GMT")
    assert (row["kind"], row["source"]) == ("discovery", "iso")
    # Under the post's own address, which revisits look them up by (not the one it was found as).
    articles = db.execute(
        "select count(*) from http_validators v join posts p on p.url = v.url "
        "where v.kind = 'article' and v.etag is not null"
    ).fetchone()[0]
    assert articles == db["posts"].count - 1  # all but the page OECD refused


def changed_mirror(tmp_path):
    root = tmp_path / "mirror"
    shutil.copytree(SNAPSHOT / "www.bipm.org", root / "www.bipm.org")
    page = snapshot_file(CHANGED, root)
    html = page.read_text("utf-8")
    page.write_text(html.replace("<p>", "<p>Corrected on 3 March 2022. ", 1), "utf-8")
    snapshot_file(REMOVED, root).unlink()
    return root


def test_revisits_keep_versions_and_mark_gone_posts(tmp_path):
    db_path = tmp_path / "news.db"
    assert crawl(db_path, SNAPSHOT, "bipm").returncode == 0
    db = Database(db_path)
    before = db["posts"].get(
        db.execute("select id from posts where url = ?", [CHANGED]).fetchone()[0]
    )
    result = crawl(db_path, changed_mirror(tmp_path), "bipm", "--revisit-days", "100000")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"0 new, 1 updated, {BIPM_POSTS - 2} unchanged, 1 gone" in result.stdout
    (version,) = db["post_versions"].rows
    assert version["post_id"] == before["id"]
    assert (version["text"], version["content_hash"]) == (before["text"], before["content_hash"])
    after = db["posts"].get(before["id"])
    assert after["text"].startswith("Corrected on 3 March 2022.")
    assert after["content_hash"] != before["content_hash"]
    gone = next(db["posts"].rows_where("url = ?", [REMOVED]))
    assert gone["gone_at"] is not None
    assert gone["http_status"] == 404
    assert db["posts"].count == BIPM_POSTS  # marked, never deleted
    row = crawl_rows(db_path)["bipm"]
    assert (row["updated_posts"], row["gone_posts"], row["unchanged_posts"]) == (
        1,
        1,
        BIPM_POSTS - 2,
    )


def lock_holder(db_path) -> subprocess.Popen:
    """Another process that takes the crawl lock of db_path and keeps it for a minute."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from pipeline.store.lock import CrawlLock; "
            f"CrawlLock({str(db_path)!r}).acquire(); print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_crawl_is_refused_while_one_runs(tmp_path):
    db_path = tmp_path / "news.db"
    holder = lock_holder(db_path)
    try:
        result = crawl(db_path, SNAPSHOT, "bipm")
        assert result.returncode == 4
        assert "another crawl is running on" in result.stderr
        assert f"pid {holder.pid}" in result.stderr
        assert not db_path.exists()  # refused before touching anything
    finally:
        holder.kill()  # kill -9: the kernel drops its lock
        holder.wait()
    result = crawl(db_path, SNAPSHOT, "bipm")
    assert result.returncode == 0, result.stderr


def killed_midway(tmp_path, attempts=5) -> tuple:
    """Start a crawl and kill -9 it once some (not all) posts are stored."""
    for attempt in range(attempts):
        db_path = tmp_path / f"killed-{attempt}" / "news.db"
        db_path.parent.mkdir()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pipeline",
                "crawl",
                "--replay",
                str(SNAPSHOT),
                "--db",
                str(db_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        stored = 0
        while process.poll() is None and stored < 5:
            time.sleep(0.005)
            try:
                with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as reader:
                    stored = reader.execute("select count(*) from posts").fetchone()[0]
            except sqlite3.Error:
                continue  # not created yet, or the schema is being written
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        with sqlite3.connect(db_path) as reader:
            stored = reader.execute("select count(*) from posts").fetchone()[0]
        if 0 < stored < 68:
            return db_path, stored
    pytest.fail(f"could not kill a crawl midway in {attempts} attempts")


def test_kill_9_midway_leaves_an_intact_database_and_the_rerun_completes(tmp_path, twice):
    db_path, stored = killed_midway(tmp_path)
    with sqlite3.connect(db_path) as db:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        # No half-written post: each post came with its canonical address and its publisher.
        assert (
            db.execute("""select count(*) from posts p where not exists
            (select 1 from post_urls u where u.post_id = p.id and u.kind = 'canonical')
            or not exists (select 1 from post_organizations o where o.post_id = p.id
                           and o.role = 'publisher')""").fetchone()[0]
            == 0
        )
    status = stdnews("status", "--db", str(db_path))
    assert status.returncode == 3  # the dead run needs a look ...
    assert "problem: last run interrupted" in status.stdout  # ... though its rows say running
    result = crawl(db_path)
    assert result.returncode == 0, result.stdout + result.stderr
    rerun = Database(db_path)
    uninterrupted = Database(twice[0])
    query = "select url, title, published, content_hash, text_missing from posts order by url"
    assert list(rerun.query(query)) == list(uninterrupted.query(query))
    statuses = {r["status"] for r in crawl_rows(db_path, run=0).values()}
    assert statuses <= {"interrupted"}  # the killed run, closed by the next one
    modes = {r["mode"] for r in crawl_rows(db_path).values()}
    assert "catch-up" in modes  # every page walked again, known articles skipped
    assert modes <= {"catch-up", "first"}  # "first" for a source killed before its first post
    print(f"killed with {stored} posts stored; the re-run stored the rest")


def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path):
    db_path = tmp_path / "news.db"
    holder = lock_holder(db_path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert (tmp_path / "news.db.lock").exists()
    with CrawlLock(db_path):
        pass  # free again


def test_status_shows_each_source_and_the_last_runs(twice):
    db_path, _, _ = twice
    result = stdnews("status", "--db", str(db_path))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for spider in SPIDERS:
        (line,) = [line for line in lines if line.startswith(f"{spider.name} ")]
        assert " ok " in line
        assert line.rstrip().endswith(" 0")  # new posts per run: the first, then none
    assert "last runs:" in result.stdout
    assert sum("[bipm ok, iec ok, iso ok, oecd ok]" in line for line in lines) == 2


def test_status_exits_3_when_a_source_is_broken_or_stale(tmp_path):
    db_path = tmp_path / "news.db"
    root = tmp_path / "mirror"
    shutil.copytree(SNAPSHOT / "www.iso.org", root / "www.iso.org")
    hide_article_links(root / "www.iso.org", '/[^"]*news/20')
    (root / "www.iso.org" / "contents" / "news.rss").unlink()
    assert crawl(db_path, root, "iso").returncode == 3
    result = stdnews("status", "--db", str(db_path))
    assert result.returncode == 3
    assert "problem: last run changed" in result.stdout
    assert "warning: discovery found zero articles" in result.stdout
    assert crawl(db_path, SNAPSHOT, "iso").returncode == 0
    assert stdnews("status", "--db", str(db_path)).returncode == 0
    stale = stdnews("status", "--db", str(db_path), "--max-age", "0")
    assert stale.returncode == 3
    assert "no successful crawl in the last 0 hours" in stale.stdout


def test_progress_is_drawn_on_a_terminal_only(tmp_path):
    import pty

    db_path = tmp_path / "news.db"
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline",
            "crawl",
            "--replay",
            str(SNAPSHOT),
            "--db",
            str(db_path),
            "bipm",
        ],
        stdout=subprocess.PIPE,
        stderr=follower,
        cwd=ROOT,
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break  # the terminal closed with the process
        if not chunk:
            break
        output += chunk
    stdout = process.communicate(timeout=120)[0].decode()
    os.close(leader)
    assert process.returncode == 0
    assert f"bipm {BIPM_POSTS} posts/".encode() in output  # the live line on the terminal
    # the summary, unchanged
    assert stdout.startswith(f"bipm: ok - {BIPM_POSTS} articles discovered")
    quiet = crawl(tmp_path / "other.db", SNAPSHOT, "bipm")
    assert "posts/" not in quiet.stderr  # not a terminal: no progress line
