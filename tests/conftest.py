"""Shared fixtures: saved pages of the bundled snapshot as Scrapy responses, temporary databases."""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from pipeline.paths import ROOT, SNAPSHOT
from pipeline.store import open_db

TESTS = ROOT / "tests"
SEEDS = ROOT.parent / "shared" / "seeds"

# The longest modules and classes, longest first. `make test` runs the suite in three processes
# (pytest-xdist, --dist loadscope --no-loadscope-reorder), which hand out modules and classes in
# collection order: a long one collected last would run alone at the end.
RUN_FIRST = (
    "tests/test_bounds.py::TestKill9AtRandomMoments",
    "tests/test_bounds.py::TestKill9DuringTheWorkersStartUp",
    "tests/test_replicas.py",
    "tests/test_writers.py",
    "tests/test_watch.py",
    "tests/test_frontier.py",
    "tests/test_litestream.py",
    "tests/test_archive.py",
    "tests/test_incremental.py",
)


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        return next(
            (i for i, p in enumerate(RUN_FIRST) if item.nodeid.startswith(p)), len(RUN_FIRST)
        )

    items.sort(key=rank)  # stable: the rest keep their order


def snapshot_file(url: str, root: Path = SNAPSHOT) -> Path:
    """The file of a snapshot (or a copy at root) that answers a URL (wget layout:
    <host>/<path>[?query])."""
    from crawlers.replay.server import candidates

    host, _, target = url.removeprefix("https://").partition("/")
    (found, *_) = candidates(root, host, "/" + target)
    return found


def stdnews(*args, timeout: int = 300) -> subprocess.CompletedProcess:
    """The real `stdnews` command in a subprocess, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def crawl_replay(db_path, root: Path = SNAPSHOT, *args) -> subprocess.CompletedProcess:
    """`stdnews crawl` of a saved mirror (default: the snapshot) into db_path."""
    return stdnews("crawl", "--replay", str(root), "--db", str(db_path), *args)


@functools.cache
def _snapshot_crawled() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="stdnews-snapshot-crawl-"))
    atexit.register(shutil.rmtree, folder, True)
    result = crawl_replay(folder / "news.db")
    assert result.returncode == 0, result.stdout + result.stderr
    return folder


def crawled_snapshot(folder: Path) -> Path:
    """A first crawl of the whole snapshot (real spiders, engine and store), exit 0, copied into
    folder (news.db and its raw pages): the crawl runs once per test process, for the modules
    that only need its database. A module that checks the crawl itself runs its own."""
    folder.mkdir(parents=True, exist_ok=True)
    for file in _snapshot_crawled().iterdir():
        shutil.copy2(file, folder / file.name)
    return folder / "news.db"


def mirror_of(tmp_path: Path, *hosts: str) -> Path:
    """A copy of the snapshot's folders of these hosts, to change before a replay."""
    root = tmp_path / "mirror"
    for host in hosts:
        shutil.copytree(SNAPSHOT / host, root / host)
    return root


def crawl_into(tmp_path: Path, root: Path, *args):
    """`stdnews crawl` of the mirror at root into tmp_path/news.db: (the run, the database)."""
    from sqlite_utils import Database

    db_path = tmp_path / "news.db"
    return crawl_replay(db_path, root, *args), Database(db_path)


def hide_article_links(folder: Path, article_path: str) -> None:
    """Discovery pages under folder stop linking their articles (a client-side app, a new URL
    scheme): hrefs whose path starts with article_path become data-href. Article pages, whose
    paths hold a year, are left alone."""
    for file in folder.rglob("*"):
        if file.is_file() and not re.search(r"/(19|20)\d\d", str(file.relative_to(folder))):
            text = file.read_text("utf-8", errors="surrogateescape")
            text = re.sub(rf'href="((?:https?://[^/"]+)?{article_path})', r'data-href="\1', text)
            file.write_text(text, "utf-8", errors="surrogateescape")


def fixture_response(url: str, callback=None, cb_kwargs=None) -> TextResponse:
    """A Scrapy response built from the saved page for url, as if fetched from it."""
    body = snapshot_file(url).read_bytes()
    request = Request(url=url, callback=callback, cb_kwargs=cb_kwargs or {})
    cls = TextResponse if body.lstrip()[:1] in (b"{", b"[") else HtmlResponse
    return cls(url=url, body=body, request=request, encoding=None)


def make_spider(spider_cls):
    crawler = get_crawler(spider_cls)
    return spider_cls.from_crawler(crawler)


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "news.db")
    yield database
    database.close()


def both_ways(db, phrase: str) -> tuple[list, list]:
    """A phrase's (rowid, bm25) from posts_fts and from posts_pairs_fts, which must agree."""
    from pipeline.store import search

    queries = {
        "posts_fts": search.fts_query(f'"{phrase}"'),
        "posts_pairs_fts": search.pairs_query(f'"{phrase}"'),
    }
    assert queries["posts_pairs_fts"], phrase
    found = tuple(
        db.execute(
            f"select rowid, bm25({table}, 5.0, 1.0) from {table} where {table} match ? "
            "order by rowid desc",
            [match],
        ).fetchall()
        for table, match in queries.items()
    )
    return found
