"""Every refused or failed request leaves a trace; health is each source's own; --since holds.

Each test replays a modified copy of the snapshot through the real crawl (`stdnews crawl
--replay`, in a subprocess) and reads the `crawl_errors`, `crawls` and `posts` it leaves.
"""

from __future__ import annotations

import json
import re
import shutil
from urllib.parse import urlsplit

import pytest
from sqlite_utils import Database

from crawlers.spiders.oecd import api_url, rss_url
from pipeline.normalize.sources import SOURCES
from pipeline.paths import SNAPSHOT
from tests.conftest import crawl_into as crawl
from tests.conftest import mirror_of as mirror
from tests.test_operations import snapshot_posts

BIPM = "https://www.bipm.org"
# Plausible bodies, written for these tests: a PNG's first bytes, a CDN challenge with a 200.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(200)
CHALLENGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    b"<div id='challenge-stage'>Checking your browser before you go on.</div>"
    b"<script src='/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1'></script></body></html>"
)


def errors(db, source=None) -> dict[str, tuple]:
    """crawl_errors as {url: (kind, reason, status)}."""
    rows = (
        db["crawl_errors"].rows_where("source = ?", [source]) if source else db["crawl_errors"].rows
    )
    return {r["url"]: (r["kind"], r["reason"], r["status"]) for r in rows}


def target(url: str) -> str:
    """The request target the mirror's `.responses` rules name (path and query)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def serve(root, host: str, path: str, body: bytes) -> None:
    file = root / host / path.lstrip("/")
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(body)


# Redirects that leave the source, loop or run on: refused, recorded, the post left pending.
OFFSITE = "/en/-/2021-kg-consensus"
LOOPBACK = "/en/-/2022-02-24-dissemination-kg"
PRIVATE = "/en/-/2023-10-06-bipm-rmo-forum"
LOCALHOST = "/fr/-/2022-12-19-si-prefixes"
LOOP = "/en/-/2022-12-19-si-prefixes"
CHAIN = "/en/-/2024-12-19-top-10-news-stories-from-2024"
IMAGE = "/en/-/2025-07-03-webinar-explores-future-definition-of-measurement-uncertainty"
BINARY = "/en/-/2026-03-12-roadmap-to-the-redefinition-of-the-second"
EMPTY = "/en/news/full-stories/2020-05-wmd-2020.html"
HOPS = 30
REFUSED = (OFFSITE, LOOPBACK, PRIVATE, LOCALHOST, LOOP, "/en/-/si-prefixes-moved")


def hostile_bipm(root) -> None:
    rules = [
        f"302 {OFFSITE} https://news.elsewhere.example{OFFSITE}",
        f"302 {LOOPBACK} http://127.0.0.1{LOOPBACK}",
        f"302 {PRIVATE} http://10.0.0.1:8080{PRIVATE}",
        f"302 {LOCALHOST} http://localhost{LOCALHOST}",
        f"301 {LOOP} {BIPM}/en/-/si-prefixes-moved",
        f"301 /en/-/si-prefixes-moved {BIPM}{LOOP}",
        f"302 {CHAIN} /en/hop/1",
        *(f"302 /en/hop/{n} /en/hop/{n + 1}" for n in range(1, HOPS)),
        f"302 /en/hop/{HOPS} {CHAIN}-final",
        f"302 {IMAGE} {BIPM}/en/media/uncertainty-webinar.png",
    ]
    (root / "www.bipm.org" / ".responses").write_text("\n".join(rules) + "\n")
    serve(root, "www.bipm.org", "/en/media/uncertainty-webinar.png", PNG)
    serve(root, "www.bipm.org", BINARY, PNG)
    serve(root, "www.bipm.org", EMPTY, b"")
    page = (SNAPSHOT / "www.bipm.org" / CHAIN.lstrip("/")).read_bytes()
    serve(root, "www.bipm.org", f"{CHAIN}-final", page)
    # Were a refused address asked for, these hosts would answer it with a page to store.
    refused = [("127.0.0.1", LOOPBACK), ("10.0.0.1", PRIVATE), ("localhost", LOCALHOST)]
    for host, path in [*refused, ("news.elsewhere.example", OFFSITE)]:
        serve(root, host, path, page)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("redirects")
    root = mirror(tmp_path, "www.bipm.org")
    hostile_bipm(root)
    result, db = crawl(tmp_path, root, "bipm")
    return tmp_path, root, result, db


def test_refused_redirects_are_recorded_with_their_reason(hostile_run):
    _, _, result, db = hostile_run
    assert "Traceback" not in result.stdout + result.stderr
    found = errors(db, "bipm")
    for path in (OFFSITE, LOOPBACK, PRIVATE, LOCALHOST):
        assert found[BIPM + path] == ("article", "offsite", None), path
    assert found[BIPM + LOOP] == ("article", "redirect", None)
    # The 30-hop chain is recorded under the URL asked for, not the hop it gave up at.
    assert found[BIPM + CHAIN] == ("article", "redirect", None)
    assert not [url for url in found if "/hop/" in url]
    stored = {r["url"] for r in db["posts"].rows}
    assert not stored & {BIPM + p for p in (OFFSITE, LOOPBACK, PRIVATE, LOCALHOST, LOOP, CHAIN)}


def test_nothing_is_sent_to_a_refused_address(hostile_run):
    tmp_path, _, _, db = hostile_run
    refused = ("127.0.0.1", "10.0.0.1", "localhost", "elsewhere.example")
    urls = [r["url"] for r in db["posts"].rows] + [r["url"] for r in db["http_validators"].rows]
    raw = Database(tmp_path / "news-raw.db")
    urls += [r["url"] for r in raw[raw.table_names()[0]].rows] if raw.table_names() else []
    assert not [url for url in urls if any(host in url for host in refused)]
    (row,) = db["crawls"].rows
    # A clean replay sends robots.txt, 5 discovery pages, the /sitemap.xml guess and every
    # article; on top: the image, the chain's 10 hops allowed (REDIRECT_MAX_TIMES) and the
    # loop's second hop. Nothing else.
    assert row["requests"] == 7 + snapshot_posts("bipm*") + 1 + 10 + 1


def test_non_text_and_empty_articles_are_recorded(hostile_run):
    _, _, result, db = hostile_run
    assert "isn't text" not in result.stdout + result.stderr
    found = errors(db, "bipm")
    assert found[BIPM + IMAGE] == ("article", "not text", 200)
    assert found[BIPM + BINARY] == ("article", "not text", 200)
    assert found[BIPM + EMPTY] == ("article", "empty", 200)


def test_a_refused_article_stays_pending_for_the_next_run(tmp_path):
    """Only redirects refused: the run is not complete, so the next one (the site sane again)
    walks discovery again and fetches them, instead of stopping at unchanged listings."""
    root = mirror(tmp_path, "www.bipm.org")
    hostile_bipm(root)
    rules = (root / "www.bipm.org" / ".responses").read_text().splitlines()
    kept = [rule for rule in rules if any(f" {path} " in rule for path in REFUSED)]
    (root / "www.bipm.org" / ".responses").write_text("\n".join(kept) + "\n")
    for path in (BINARY, EMPTY):  # these answer as they should
        shutil.copy(SNAPSHOT / "www.bipm.org" / path[1:], root / "www.bipm.org" / path[1:])
    result, db = crawl(tmp_path, root, "bipm")
    (row,) = db["crawls"].rows
    assert row["complete"] == 0, result.stdout
    assert set(errors(db)) == {BIPM + path for path in REFUSED[:5]}
    (root / "www.bipm.org" / ".responses").unlink()
    result, db = crawl(tmp_path, root, "bipm")
    assert result.returncode == 0, result.stdout + result.stderr
    assert db["posts"].count == snapshot_posts("bipm*")


# OECD's search API answering what is not its JSON.
API_PAGES = [api_url(0, language="en"), api_url(0, language="fr")]
RSS_PAGES = [rss_url("en"), rss_url("fr")]


def api_file(root, url: str):
    return root / "api.oecd.org" / target(url).lstrip("/")


def oecd_mirror(tmp_path):
    return mirror(tmp_path, "api.oecd.org", "www.oecd.org")


def test_unreadable_api_answers_are_recorded_and_the_rss_twin_stands_in(tmp_path):
    root = oecd_mirror(tmp_path)
    english, french = (api_file(root, url) for url in API_PAGES)
    english.write_bytes(english.read_bytes()[: len(english.read_bytes()) // 2])  # truncated
    french.write_bytes(b"[" * 100_000 + b"]" * 100_000)  # deeper than any parser's stack
    result, db = crawl(tmp_path, root, "oecd")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    found = errors(db, "oecd")
    assert found[API_PAGES[0]] == ("discovery", "invalid", 200)
    assert found[API_PAGES[1]] == ("discovery", "invalid", 200)
    (row,) = db["crawls"].rows
    assert row["status"] == "ok"
    aem = snapshot_posts("oecd") + snapshot_posts("oecd_fr")  # all, from the twin
    assert len(list(db["posts"].rows_where("generation = 'aem'"))) == aem


def test_an_empty_api_answer_with_no_twin_breaks_the_source(tmp_path):
    root = oecd_mirror(tmp_path)
    for url in API_PAGES:
        api_file(root, url).write_bytes(b"")
    for url in RSS_PAGES:
        api_file(root, url).unlink()
    result, db = crawl(tmp_path, root, "oecd")
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    found = errors(db, "oecd")
    assert found[API_PAGES[0]] == ("discovery", "invalid", 200)
    assert found[RSS_PAGES[0]] == ("discovery", "gone", 404)
    (row,) = db["crawls"].rows
    assert row["status"] == "broken"


def test_a_challenge_page_with_200_is_blocked(tmp_path):
    """The API and its twin both answer a CDN challenge with a 200: recorded, and blocked."""
    root = oecd_mirror(tmp_path)
    rules = [f"200 {target(url)}" for url in API_PAGES + RSS_PAGES]
    (root / "api.oecd.org" / ".responses").write_text("\n".join(rules) + "\n")
    (root / "api.oecd.org" / ".200.html").write_bytes(CHALLENGE)
    result, db = crawl(tmp_path, root, "oecd")
    assert result.returncode != 0
    found = errors(db, "oecd")
    for url in API_PAGES + RSS_PAGES:
        assert found[url] == ("discovery", "blocked", 200), url
    (row,) = db["crawls"].rows
    assert (row["status"], row["diagnosis"]) == ("broken", "blocked")


def test_health_counts_each_source_own_failures(tmp_path):
    """Four OECD articles answered with an image: OECD's own failures, not bipm's or iec's
    (Scrapy's process-wide ERROR count made every source "broken", "4 errors for 15 ...")."""
    hosts = ("api.oecd.org", "www.oecd.org", "www.bipm.org", "www.iec.ch", "blog.iec.ch")
    root = mirror(tmp_path, *hosts)
    body = json.loads(api_file(root, API_PAGES[0]).read_text("utf-8"))
    articles = [r["url"] for r in body["results"] if r["url"].startswith("https://")][:4]
    rules = []
    for n, url in enumerate(articles):
        serve(root, "www.oecd.org", f"/en/media/chart-{n}.png", PNG)
        rules.append(f"302 {target(url)} https://www.oecd.org/en/media/chart-{n}.png")
    with (root / "www.oecd.org" / ".responses").open("a") as file:
        file.write("\n" + "\n".join(rules) + "\n")
    result, db = crawl(tmp_path, root, "oecd", "bipm", "iec")
    rows = {r["source"]: r for r in db["crawls"].rows}
    assert rows["oecd"]["errors"] == 4
    assert {url: reason for url, (_, reason, _) in errors(db, "oecd").items()} == {
        **dict.fromkeys(articles, "not text"),
        **{url: "blocked" for url in errors(db, "oecd") if url not in articles},
    }
    for source in ("bipm", "iec"):
        assert (rows[source]["status"], rows[source]["errors"]) == ("ok", 0), source
        assert not errors(db, source)


def test_health_ignores_error_lines_of_other_crawlers():
    """Scrapy's `log_count/ERROR` counts every crawler's lines in each crawler's stats."""
    from collections import Counter

    from crawlers import health

    stats = {"log_count/ERROR": 4, "stdnews/articles_requested": 15}
    report = health.assess(stats, Counter(new=15, with_date=15), {"https://x/": 15}, limited=False)
    assert (report["status"], report["errors"]) == ("ok", 0)
    stats["spider_exceptions/count"] = 4  # this spider's own callbacks failed
    assert (
        health.assess(stats, Counter(new=11, with_date=11), {"https://x/": 15}, False)["errors"]
        == 4
    )


# --since for every source, also when discovery gives no date (IEC's listing may give none).
UNDATED = {  # discovery pages of the snapshot -> their dates, as the pages write them
    "www.iec.ch/blog*": r'<div class="blog-article-date-author">[^<]*</div>',
    "www.iso.org/**/news.html*": r'<div class="entry-date">.*?</div>',
    "www.iso.org/contents/news.rss": r"<pubDate>[^<]*</pubDate>",
    "api.oecd.org/webcms/search/faceted-search*": r'"publicationDateTime": *"[^"]*",?',
    "api.oecd.org/webcms/search/rss*": r"<pubDate>[^<]*</pubDate>",
    "www.oecd.org/newsroom/publicationsdocuments/**/index.html": r'<p class="date">[^<]*</p>',
}


def undated_snapshot(tmp_path):
    """The snapshot with no date on any IEC, ISO or OECD discovery page: only the URL (a
    month, given a month of grace) and the article page itself can date a post."""
    root = tmp_path / "mirror"
    shutil.copytree(SNAPSHOT, root)
    for pattern, date in UNDATED.items():
        files = [f for f in root.glob(pattern) if f.is_file()] + list(
            root.glob(pattern + "/index.html")
        )
        assert files, pattern
        for file in files:
            text = file.read_text("utf-8")
            undated = re.sub(date, "", text, flags=re.DOTALL)
            assert undated != text, file
            file.write_text(undated, "utf-8")
    return root


@pytest.fixture(scope="module")
def undated(tmp_path_factory):
    return undated_snapshot(tmp_path_factory.mktemp("undated"))


def test_since_in_the_future_stores_nothing_for_any_source(tmp_path, undated):
    result, db = crawl(tmp_path, undated, "--since", "2099-01-01")
    assert result.returncode == 0, result.stdout + result.stderr
    assert db["posts"].count == 0
    statuses = {r["source"]: r["status"] for r in db["crawls"].rows}
    assert statuses == dict.fromkeys(SOURCES, "ok")


def test_since_stores_only_posts_from_that_day_on(tmp_path, undated):
    result, db = crawl(tmp_path, undated, "--since", "2024-01-01")
    assert result.returncode == 0, result.stdout + result.stderr
    counts = {}
    for row in db["posts"].rows:
        assert row["published"][:10] >= "2024-01-01", (row["source"], row["url"], row["published"])
        counts[row["source"]] = counts.get(row["source"], 0) + 1
    # ISO's and the OECD's include the guide of April 2025, each in English and French.
    assert counts == {"bipm": 8, "iec": 5, "iso": 7, "oecd": 8}
