"""Discovery that survives a new theme: the snapshot's discovery pages in other markup.

data/variants/ (tools/build_variants.py, `make variants`) holds every listing, index and feed of
the snapshot again, in another plausible theme of the same CMS, listing the same articles. The
site's own selectors and pagination rule find nothing there, so a crawl of the snapshot with these
pages laid over it stores the same posts only through the base's generic paths (links to article
URLs, feeds, rel=next, next-labelled links, numbered pages).
"""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse, Request

from crawlers.run import spider_loader
from pipeline.normalize.sources import source_for_url
from pipeline.normalize.urls import canonical_url
from pipeline.paths import ROOT, SNAPSHOT
from tests.conftest import crawl_replay, make_spider

VARIANTS = ROOT / "data" / "variants"
LOADER = spider_loader()
SPIDERS = {name: LOADER.load(name) for name in LOADER.list()}


def page_url(path: str) -> str:
    """The URL a mirror file answers (wget layout: a folder's page is its index.html)."""
    return "https://" + path.removesuffix("index.html")


def files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def is_discovery(path: str) -> bool:
    """A listing, index or feed of the snapshot: not an article, robots.txt, a replay rule or an
    API's JSON answer (OECD's search API is not markup: it has no theme to change)."""
    name = path.rsplit("/", 1)[-1]
    if name.startswith(".") or name == "robots.txt":
        return False
    if (SNAPSHOT / path).read_bytes().lstrip()[:1] in (b"{", b"["):
        return False
    url = canonical_url(page_url(path))
    source = source_for_url(url)
    return source is not None and not source.is_article(url)


def response(root, path: str) -> HtmlResponse:
    url = page_url(path)
    body = (root / path).read_bytes()
    return HtmlResponse(url=url, body=body, request=Request(url), encoding=None)


def is_feed_body(body: bytes) -> bool:
    return body.lstrip().startswith(b"<?xml")


def feed_format(body: bytes) -> str:
    return "atom" if b"<feed" in body[:300] else "rss"


def article_urls(page: HtmlResponse) -> set[str]:
    """What a page lists: its feed items, or every link whose canonical URL is an article URL
    (read here with parsel alone, not with the crawler's code under test)."""
    source = source_for_url(page.url)
    if is_feed_body(page.body):
        feed = Selector(text=page.text, type="xml")
        feed.remove_namespaces()
        hrefs = feed.xpath("//item/link/text() | //entry/link[@rel='alternate']/@href").getall()
    else:
        hrefs = page.xpath("//a/@href").getall()
    urls = {canonical_url(page.urljoin(href.strip())) for href in hrefs}
    return {url for url in urls if source.is_article(url)}


def site_links(page: HtmlResponse) -> set[str]:
    """Article URLs the spider's own reader (selectors, API or feed reader) finds on a page."""
    spider = make_spider(SPIDERS[source_for_url(page.url).id])
    found = {canonical_url(page.urljoin(link.url)) for link in spider.article_links(page)}
    return {url for url in found if spider.source.is_article(url)}


def site_next(page: HtmlResponse) -> list[str]:
    """The next pages by the spider's own pagination rule."""
    spider = make_spider(SPIDERS[source_for_url(page.url).id])
    return [url for url in spider.next_pages(page) if url]


def url_paged(path: str) -> bool:
    """ISO's ajax fragments: their next page is the URL's next offset (the site's rule, which no
    markup changes), so only their links are themed."""
    return ".html.ajax?" in path


VARIANT_PAGES = files(VARIANTS)
HTML_PAGES = [p for p in VARIANT_PAGES if not is_feed_body((VARIANTS / p).read_bytes())]
FEEDS = [p for p in VARIANT_PAGES if p not in HTML_PAGES]


def test_every_discovery_page_has_a_variant():
    discovery = [path for path in files(SNAPSHOT) if is_discovery(path)]
    assert discovery, "no discovery page found in the snapshot"
    assert sorted(set(discovery) - set(VARIANT_PAGES)) == [], "run `make variants`"
    # Only replacements: each variant stands at the address of a snapshot page.
    assert sorted(set(VARIANT_PAGES) - set(discovery)) == []


@pytest.mark.parametrize("path", VARIANT_PAGES)
def test_variant_lists_the_same_articles(path):
    listed = article_urls(response(VARIANTS, path))
    assert listed, path
    assert listed == article_urls(response(SNAPSHOT, path))


@pytest.mark.parametrize("path", HTML_PAGES)
def test_site_selectors_find_nothing_on_the_variant(path):
    """The variant defeats the site's own path, which does read the snapshot page it replaces."""
    assert site_links(response(SNAPSHOT, path))
    variant = response(VARIANTS, path)
    assert site_links(variant) == set()
    if not url_paged(path):
        assert site_next(variant) == []


@pytest.mark.parametrize("path", FEEDS)
def test_feed_variant_is_the_other_format(path):
    """RSS 2.0 becomes Atom (or the reverse); the spider's feed reader still reads every item."""
    variant = response(VARIANTS, path)
    assert feed_format(variant.body) != feed_format((SNAPSHOT / path).read_bytes())
    assert site_links(variant) == article_urls(variant)


def test_snapshot_next_pages_have_variants_that_link_them():
    """Every later page the site's rule finds on the snapshot is linked from the variant too
    (by the generic means only), so the variant mirror can be walked to its end."""
    for path in [p for p in HTML_PAGES if not url_paged(p)]:
        for url in site_next(response(SNAPSHOT, path)):
            target = response(SNAPSHOT, path).urljoin(url)
            hrefs = response(VARIANTS, path).xpath("//a/@href | //link[@rel='next']/@href")
            linked = {response(VARIANTS, path).urljoin(h) for h in hrefs.getall()}
            assert target in linked, (path, target)


# End to end: one crawl of the snapshot and one of the variant mirror, shared by the tests below.


def crawl(db_path, root) -> dict:
    """Of one `stdnews crawl --replay root`: post URLs per source ("posts"), the crawls row per
    source ("crawls") and the discovery pages that answered ("walked")."""
    result = crawl_replay(db_path, root)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    posts: dict[str, set[str]] = {}
    for row in db.execute("select source, url from posts"):
        posts.setdefault(row["source"], set()).add(row["url"])
    crawls = {row["source"]: dict(row) for row in db.execute("select * from crawls")}
    walked = {
        row["url"]
        for row in db.execute(
            "select url from http_validators where kind = 'discovery' and status = 200"
        )
    }
    db.close()
    return {"posts": posts, "crawls": crawls, "walked": walked}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return crawl(tmp_path_factory.mktemp("baseline") / "news.db", SNAPSHOT)


@pytest.fixture(scope="module")
def variant_mirror(tmp_path_factory):
    """The snapshot with every discovery page replaced by its variant."""
    root = tmp_path_factory.mktemp("variants") / "mirror"
    shutil.copytree(SNAPSHOT, root)
    shutil.copytree(VARIANTS, root, dirs_exist_ok=True)
    return crawl(root.parent / "news.db", root)


def test_variant_mirror_stores_the_same_posts(baseline, variant_mirror):
    expected, stored = baseline["posts"], variant_mirror["posts"]
    assert set(expected) == set(SPIDERS)
    figures = {s: f"{len(stored.get(s, set()) & expected[s])}/{len(expected[s])}" for s in SPIDERS}
    missing = {s: sorted(expected[s] - stored.get(s, set())) for s in SPIDERS}
    assert stored == expected, (figures, {s: urls for s, urls in missing.items() if urls})


def test_variant_mirror_walks_every_discovery_page(baseline, variant_mirror):
    """Each later page and ajax fragment is reached through the variants' pagination too (an
    article listed elsewhere as well would hide a page left out)."""
    assert sorted(baseline["walked"] - variant_mirror["walked"]) == []


def test_variant_mirror_is_read_through_links_and_healthy(variant_mirror):
    # Every source has an HTML listing among its variants (OECD: only its old newsroom listing;
    # its API answers are data, not markup, and stay as they are).
    for source in SPIDERS:
        row = variant_mirror["crawls"][source]
        assert row["status"] == "ok", (source, row["status"], row["diagnosis"])
        paths = json.loads(row["discovery_paths"] or "{}")
        assert paths.get("links", 0) > 0, (source, paths)
        if make_spider(SPIDERS[source]).reads_listings:  # a generated spider has no selectors
            assert "selector stale" in (row["warnings"] or ""), (source, row["warnings"])
