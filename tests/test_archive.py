"""Blocked pages through the Internet Archive, and refused robots.txt (crawlers/archive.py,
crawlers/robots.py), through the real engine: `stdnews crawl --replay` of a blocked mirror
(tests/blocked_mirror.py) whose loopback stand-in for the archive holds copies of some pages."""

from __future__ import annotations

import re
import shutil
import sqlite3

import pytest

from pipeline import verdicts
from pipeline.normalize.urls import canonical_url
from pipeline.paths import SNAPSHOT
from tests.blocked_mirror import BLOCKED_HOSTS, CHALLENGE, build, write
from tests.conftest import crawl_replay, stdnews

SOURCES = ("oecd", "iso")


def crawl(db_path, root, *args):
    run = crawl_replay(db_path, root, *SOURCES, *args)
    assert "Traceback" not in run.stderr, run.stderr
    return run


def posts(db_path) -> dict[str, tuple]:
    """url -> (fetched_via, archived_at, text_missing) of the blocked hosts' posts."""
    with sqlite3.connect(db_path) as db:
        rows = db.execute("select url, fetched_via, archived_at, text_missing from posts")
        return {url: tuple(rest) for url, *rest in rows if url.split("/")[2] in BLOCKED_HOSTS}


def refused(db_path) -> set[str]:
    with sqlite3.connect(db_path) as db:
        rows = db.execute("select url from crawl_errors where kind = 'article' and status = 403")
        return {canonical_url(url) for (url,) in rows}


def archived_pages(db_path) -> int:
    """Refused pages read from the archive in the last run, as its crawls rows count them."""
    with sqlite3.connect(db_path) as db:
        rows = db.execute("select warnings from crawls where warnings is not null").fetchall()
    found = (re.search(r"(\d+) refused pages read from the Internet Archive", w) for (w,) in rows)
    return sum(int(match.group(1)) for match in found if match)


def snapshot_blocked() -> set[str]:
    """Pages the snapshot itself answers with a 403 (they stay blocked in a live run)."""
    found = set()
    for host in BLOCKED_HOSTS:
        rules = SNAPSHOT / host / ".responses"
        for line in rules.read_text().splitlines() if rules.is_file() else []:
            status, path, *_ = line.split()
            if status == "403":
                found.add(canonical_url(f"https://{host}{path}"))
    return found


def addresses(db_path) -> dict[str, set[str]]:
    """url -> every address of the post (as discovered, before redirects...)."""
    found: dict[str, set[str]] = {}
    with sqlite3.connect(db_path) as db:
        rows = db.execute("select p.url, u.url from posts p join post_urls u on u.post_id = p.id")
        for url, address in rows:
            found.setdefault(url, {url}).add(canonical_url(address))
    return found


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The blocked hosts' posts of a crawl of the plain snapshot (url -> its addresses): what a
    blocked run expects."""
    db_path = tmp_path_factory.mktemp("live") / "news.db"
    crawl(db_path, SNAPSHOT)
    return {url: found for url, found in addresses(db_path).items() if url in posts(db_path)}


def test_blocked_pages_come_from_the_archive(tmp_path, live):
    mirror = build(tmp_path / "mirror")
    db_path = tmp_path / "news.db"
    run = crawl(db_path, mirror.root)
    stored = posts(db_path)
    archived = {url: at for url, (via, at, _) in stored.items() if via == "archive"}
    # Every page with a usable copy, and only those, with the copy's own timestamp (one
    # redirected to a nearby capture: the timestamp of the capture served).
    assert archived == {url: at for url, at in mirror.copies.items() if url in live}
    assert not archived.keys() & mirror.unusable  # a captured challenge or 404 is no copy
    assert all(not missing for url, (via, _, missing) in stored.items() if via == "archive")
    # The rest stays pending: kept from its discovery record, or recorded as refused.
    pending = live.keys() - archived.keys()
    assert pending
    for url in pending:
        via, at, missing = stored.get(url, (None, None, None))
        assert (via == "api" and missing and at is None) or live[url] & refused(db_path), url
    assert "live" not in {via for via, _, _ in stored.values()}
    # Told apart from an outage and a layout change, by the crawl and by `stdnews status`.
    assert run.returncode == verdicts.BLOCKED, run.stdout
    for source in SOURCES:
        assert f"{source}: blocked - " in run.stdout
    status = stdnews("status", "--db", str(db_path))
    assert status.returncode == verdicts.BLOCKED
    lines = [line for line in status.stdout.splitlines() if line.startswith(SOURCES)]
    assert len(lines) == len(SOURCES)
    assert all(" blocked " in line for line in lines), status.stdout
    # -v: each refused request, with its reason (crawl, check and status alike).
    detailed = stdnews("status", "--db", str(db_path), "-v")
    assert "  failed: blocked article https://www.oecd.org/" in detailed.stdout
    assert "  failed: " not in status.stdout


def test_a_live_page_replaces_the_archived_copy(tmp_path, live, monkeypatch):
    mirror = build(tmp_path / "mirror")
    db_path = tmp_path / "news.db"
    crawl(db_path, mirror.root)
    archived = {url for url, (via, _, _) in posts(db_path).items() if via == "archive"}
    assert archived
    # The site answers again: the next run retries the archived (and refused) posts live, at
    # the pace of refused ones (here: at once).
    monkeypatch.setenv("STDNEWS_RETRY_REFUSED_HOURS", "-1")  # due at once, whatever the clock
    crawl(db_path, SNAPSHOT)
    stored = posts(db_path)
    for url in archived - snapshot_blocked():
        assert stored[url] == ("live", None, 0), url
    for url in archived & snapshot_blocked():  # still blocked: the copy stays
        assert stored[url][0] == "archive", url


def test_an_archived_copy_never_replaces_a_live_page(tmp_path, live):
    mirror = build(tmp_path / "mirror")
    db_path = tmp_path / "news.db"
    crawl(db_path, SNAPSHOT)
    before = posts(db_path)
    crawl(db_path, mirror.root, "--full")  # every article asked for again: all blocked
    after = posts(db_path)
    with sqlite3.connect(db_path) as db:  # no copy failed to be stored
        assert (
            db.execute("select count(*) from crawl_errors where reason = 'error'").fetchone()[0]
            == 0
        )
    for url, (via, _, _) in before.items():
        if via == "live":
            assert after[url] == before[url], url
        elif url in mirror.copies:  # only a discovery record: the archive's copy is better
            assert after[url][0] == "archive", url


@pytest.mark.parametrize("how", ["setting", "archive robots.txt"])
def test_no_archive_when_switched_off_or_disallowed(tmp_path, monkeypatch, how):
    mirror = build(tmp_path / "mirror")
    if how == "setting":
        monkeypatch.setenv("STDNEWS_ARCHIVE", "0")
    else:  # the archive's robots.txt is obeyed like any other
        write(mirror.root / "web.archive.org" / "robots.txt", "User-agent: *\nDisallow: /web/\n")
    db_path = tmp_path / "news.db"
    crawl(db_path, mirror.root)
    stored = posts(db_path)
    assert "archive" not in {via for via, _, _ in stored.values()}
    assert refused(db_path)  # the blocked articles reached the errbacks as 403s
    # No copy was read at all, of articles or discovery pages (which leave no post behind).
    assert archived_pages(db_path) == 0


def test_blocked_pages_behind_a_readable_robots_txt(tmp_path, live):
    mirror = build(tmp_path / "mirror", robots=False)  # robots.txt answers, pages are refused
    db_path = tmp_path / "news.db"
    crawl(db_path, mirror.root)
    archived = {url: at for url, (via, at, _) in posts(db_path).items() if via == "archive"}
    assert archived == {url: at for url, at in mirror.copies.items() if url in live}


def test_a_refused_robots_txt_forbids_the_host(tmp_path, monkeypatch):
    """RFC 9309 reads a 4xx robots.txt as "no rules"; a refusal (403 challenge) is read as "ask
    nothing here" instead: the host's pages, which answer, are not asked for."""
    root = tmp_path / "mirror"
    shutil.copytree(SNAPSHOT, root)
    write(root / "www.oecd.org" / ".403.html", CHALLENGE.format(host="www.oecd.org"))
    write(root / "www.oecd.org" / ".responses", "403 /robots.txt\n")
    (root / "www.iso.org" / "robots.txt").unlink()  # a 404: everything allowed
    monkeypatch.setenv("STDNEWS_ARCHIVE", "0")
    db_path = tmp_path / "news.db"
    crawl(db_path, root)
    stored = posts(db_path)
    oecd = {url: via for url, (via, _, _) in stored.items() if "www.oecd.org" in url}
    iso = {url: via for url, (via, _, _) in stored.items() if "www.iso.org" in url}
    assert oecd
    assert "live" not in oecd.values()
    assert refused(db_path) >= set(oecd)  # as blocked answers, to the errbacks
    assert set(iso.values()) == {"live"}


def test_reprocessing_keeps_where_each_page_came_from(tmp_path):
    """The raw store keeps fetched_via and archived_at: `stdnews reprocess` (no network) must
    not turn archived copies into live pages."""
    mirror = build(tmp_path / "mirror")
    db_path = tmp_path / "news.db"
    crawl(db_path, mirror.root)
    before = posts(db_path)
    assert "archive" in {via for via, _, _ in before.values()}
    result = stdnews("reprocess", "--db", str(db_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert posts(db_path) == before


def test_an_archived_post_is_retried_live_only(tmp_path):
    """A revisit of a post stored from the archive asks the site again, never the archive (its
    copy is kept already): no lookup per post every few hours while the site still blocks."""
    from scrapy import Request
    from scrapy.utils.test import get_crawler

    from crawlers.archive import ArchiveFallback
    from crawlers.spiders.base import NewsSpider
    from pipeline.store import state

    mirror = build(tmp_path / "mirror")
    db_path = tmp_path / "news.db"
    crawl(db_path, mirror.root)
    # An hour from now: every refused or archived post is due (checked_at is this very second).
    revisits = state.load(db_path, "oecd", run_id="x", revisit_days=0, retry_hours=-1).revisits
    archived = [r for r in revisits if r.archived]
    assert archived
    crawler = get_crawler(NewsSpider, {"STDNEWS_ARCHIVE_FALLBACK": True})
    fallback = ArchiveFallback(crawler)
    spider = type("S", (NewsSpider,), {"name": "oecd"}).from_crawler(crawler)
    kept = spider.revisit_request(archived[0])
    assert not fallback.applies(kept)
    assert fallback.applies(Request(archived[0].url))
