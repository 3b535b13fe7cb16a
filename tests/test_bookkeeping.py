"""The crawl's bookkeeping: the item pipeline's run record the spider reaches through the crawler,
stats keys named once, an article URL made canonical once, one writer per run, SQLite only
through the store."""

from __future__ import annotations

import ast
import json
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawlers.spiders.iso import IsoSpider
from pipeline.paths import ROOT, SNAPSHOT
from tests.conftest import fixture_response, snapshot_file

CRAWLERS = ROOT / "crawlers"
LISTING = "https://www.iso.org/news.html"


def crawler_modules() -> list[Path]:
    return sorted(CRAWLERS.rglob("*.py"))


def test_the_spider_records_into_the_pipelines_record():
    """Checks, failures and discovery counts live in the record the item pipeline owns (and
    writes at close), reached through the crawler; the spider keeps none of its own."""
    from crawlers.pipelines import SQLitePipeline

    crawler = get_crawler(IsoSpider)
    spider = IsoSpider.from_crawler(crawler)
    pipeline = SQLitePipeline.from_crawler(crawler)
    spider.record_failure("https://www.iso.org/x.html", "article", 403, "HTTP 403", "blocked")
    spider.record_status("https://www.iso.org/x.html", "article", 403)
    list(spider.parse(fixture_response(LISTING)))
    record = pipeline.record
    assert [f["url"] for f in record.failures] == ["https://www.iso.org/x.html"]
    assert [c["url"] for c in record.checks] == ["https://www.iso.org/x.html", LISTING]
    assert record.discovery_counts[LISTING] > 0
    for mailbox in ("failures", "checks", "discovery_counts", "stale"):
        assert not hasattr(spider, mailbox)


def test_an_article_url_is_made_canonical_once(monkeypatch):
    """Discovery makes an article's URL canonical; its request carries it to the item (and the
    item to the pipeline): neither the spider's record of the answer nor the pipeline does it
    again (a redirect's end, a new address, is made canonical once in turn)."""
    from crawlers import pipelines
    from crawlers.spiders import base

    calls: Counter = Counter()
    real = base.canonical_url

    def counting(url: str) -> str:
        calls[url] += 1
        return real(url)

    monkeypatch.setattr(base, "canonical_url", counting)
    spider = IsoSpider.from_crawler(get_crawler(IsoSpider))
    requests = [r for r in spider.parse(fixture_response(LISTING)) if r.callback]
    request = next(r for r in requests if r.callback == spider.parse_article)
    assert calls[request.url]  # by discovery
    calls.clear()
    body = snapshot_file(request.url).read_bytes()
    response = HtmlResponse(url=request.url, body=body, request=request)
    (item,) = spider.parse_article(response, **request.cb_kwargs)
    assert item.post_url == request.url
    assert calls == Counter()
    assert not hasattr(pipelines, "canonical_url")
    redirected = response.replace(url=request.url.replace("/contents/", "/CONTENTS/"))
    (item,) = spider.parse_article(redirected, **request.cb_kwargs)
    assert item.post_url == real(redirected.url)
    assert sum(calls.values()) == 1


def test_stats_keys_are_named_once():
    """Every key the crawl counts under is a constant of crawlers/stats.py, which
    crawlers/health.py reads by the same names: no "stdnews/..." string anywhere else."""
    spelled = []
    for path in crawler_modules():
        if path.name == "stats.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and str(node.value).startswith("stdnews/"):
                spelled.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}")
    assert spelled == []


def test_the_crawl_uses_sqlite_only_through_the_store():
    """crawlers/ knows Scrapy, not SQLite: no sqlite3 or sqlite_utils import of its own."""
    found = []
    for path in crawler_modules():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            found += [
                f"{path.relative_to(ROOT)}: {name}"
                for name in names
                if name.split(".")[0] in ("sqlite3", "sqlite_utils")
            ]
    assert found == []


# A statement's opening words, as SQL writes them: the store's business, never the crawl's.
SQL = re.compile(
    r"\b(select\b.+?\bfrom|insert\s+(or\s+\w+\s+)?into|update\s+\w+\s+set|delete\s+from)\b",
    re.IGNORECASE | re.DOTALL,
)


def test_the_crawl_writes_no_sql():
    """crawlers/ asks the store (pipeline/store) for what it reads and writes: no string of
    its modules holds an SQL statement."""
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]}"
        for path in crawler_modules()
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value)
    ]
    assert found == []


COUNT_OPENS = """
import json, sys
from pipeline.store import database, raw
opened = {"open_db": 0, "open_raw": 0}
def counted(name, function):
    def opener(path):
        opened[name] += 1
        return function(path)
    return opener
database.open_db = counted("open_db", database.open_db)
raw.open_raw = counted("open_raw", raw.open_raw)
import pipeline.store
pipeline.store.open_db = database.open_db
from crawlers import run
run.crawl(["bipm", "iec"], sys.argv[1], replay=sys.argv[2])
print(json.dumps(opened))
"""


def test_a_crawl_opens_its_writer_once(tmp_path):
    """The spiders of one run share the writer (its schema check and start-up upkeep run once)
    and the raw-page store, and the search index's tidying at the end uses the same writer."""
    db_path = tmp_path / "news.db"
    for _ in range(2):  # a new database, then an incremental run
        result = subprocess.run(
            [sys.executable, "-c", COUNT_OPENS, str(db_path), str(SNAPSHOT)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stderr
        opened = json.loads(result.stdout.splitlines()[-1])
        assert opened == {"open_db": 1, "open_raw": 1}


FAIL_FIRST_OPEN = """
import json, sys
from crawlers import connections, run
from pipeline import store
shared = getattr(connections, sys.argv[3])
real, calls = shared.opener, []
def opener(path):
    calls.append(path)
    if len(calls) == 1:
        raise store.DatabaseUnusable("unusable at first")
    return real(path)
shared.opener = opener
run.crawl(["bipm", "iec"], sys.argv[1], replay=sys.argv[2], log_level="ERROR")
print(json.dumps(len(calls)))
"""


@pytest.mark.parametrize("shared", ["WRITER", "RAW"])
def test_a_spider_that_could_not_open_gives_back_only_what_it_took(tmp_path, shared):
    """Scrapy closes the item pipeline even when opening it raised: the spider whose writer
    (or raw-page store) could not be opened releases nothing it did not take, so the other
    spider's connection and the one kept for the run's end stay open (opened once more, not
    twice), and its closing writes no record and logs no traceback of its own."""
    db_path = tmp_path / "news.db"
    result = subprocess.run(
        [sys.executable, "-c", FAIL_FIRST_OPEN, str(db_path), str(SNAPSHOT), shared],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == 2  # the failed opening, then one
    assert "unusable at first" in result.stderr  # Scrapy's own report of the failed opening
    assert "Scraper close failure" not in result.stderr
    assert "AttributeError" not in result.stderr
    with closing(sqlite3.connect(db_path)) as db:
        rows = db.execute("select status, complete from crawls").fetchall()
    assert rows == [("ok", 1)]  # the other spider's run, whole


RECORD_AT_CREATION = """
import sys
from crawlers import run
from crawlers.spiders.bipm import BipmSpider
made = BipmSpider.from_crawler.__func__
def from_crawler(cls, crawler, *args, **kwargs):
    spider = made(cls, crawler, *args, **kwargs)
    spider.record_failure("https://www.bipm.org/early", "discovery", None, "before the pipeline")
    return spider
BipmSpider.from_crawler = classmethod(from_crawler)
run.crawl(["bipm"], sys.argv[1], replay=sys.argv[2], log_level="ERROR")
"""


def test_what_the_spider_records_before_the_pipeline_is_built_is_written(tmp_path):
    """Scrapy makes the spider before the item pipeline: a failure the spider records then goes
    into the run's record that the pipeline writes, not into one it replaces."""
    db_path = tmp_path / "news.db"
    result = subprocess.run(
        [sys.executable, "-c", RECORD_AT_CREATION, str(db_path), str(SNAPSHOT)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    with closing(sqlite3.connect(db_path)) as db:
        errors = db.execute("select url, error from crawl_errors").fetchall()
    assert ("https://www.bipm.org/early", "before the pipeline") in errors
