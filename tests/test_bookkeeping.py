"""The crawl's bookkeeping: the item pipeline's run record the spider reaches through the crawler,
stats keys named once, an article URL made canonical once, one writer per run, SQLite only
through the store."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

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
