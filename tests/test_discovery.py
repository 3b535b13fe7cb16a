"""Generic discovery (crawlers/discovery.py and the spider base): any theme's article links,
pagination, advertised feeds and sitemaps, counted per path.

The page snippets are written for these tests in the shapes of common CMS themes; the
end-to-end tests replay a modified copy of the snapshot through the real crawl.
"""

from __future__ import annotations

import gzip
import json
import shutil

from scrapy.http import HtmlResponse, Request
from sqlite_utils import Database

from crawlers import discovery
from crawlers.spiders.iec import IecSpider
from pipeline.paths import SNAPSHOT
from tests.conftest import crawl_replay, make_spider

LISTING = "https://www.iec.ch/news-blogs"


def page(html: str, url: str = LISTING) -> HtmlResponse:
    return HtmlResponse(url=url, body=html.encode(), encoding="utf-8", request=Request(url))


def test_links_of_any_theme_keep_their_text_and_their_own_date():
    response = page(
        """<html><body><nav><a href="/who-we-are">Who we are</a></nav>
        <div class="views-row"><time datetime="2026-03-02">2 March 2026</time>
          <h3><a href="/blog/one-story">One story</a></h3></div>
        <div class="views-row"><span class="date">17 February 2026</span>
          <h3><a href="/blog/two-story">Two story</a></h3></div>
        <div class="views-row"><h3><a href="/blog/undated">Undated</a></h3></div>
        <ul><li><a href="/blog/a">A</a></li><li><a href="/blog/b">B</a></li>
          <li><time datetime="2020-01-01">then</time></li></ul>
        </body></html>"""
    )
    links = {link.url: link.hints for link in discovery.page_links(response)}
    assert links["/blog/one-story"] == {
        "via": "links",
        "link_text": "One story",
        "published": "2026-03-02",
        "published_via": "links",
    }
    assert links["/blog/two-story"]["published"] == "17 February 2026"
    assert "published" not in links["/blog/undated"]
    # A date in a list of several items is not given to any one of them.
    assert "published" not in links["/blog/a"]


def test_the_spider_unites_its_selectors_with_the_page_links_and_counts_each_path():
    spider = make_spider(IecSpider)
    response = page(
        """<html><body><div class="view-content">
        <article><h2 class="node__title"><a href="/blog/one-story">One</a></h2></article></div>
        <aside><a href="https://www.iec.ch/blog/two-story?utm_source=x#top">Two</a>
        <a href="/events">Events</a></aside></body></html>"""
    )
    found = {link.url: link.via for link in spider.discovered(response)}
    assert found == {
        "https://www.iec.ch/blog/one-story": "selector",
        "https://www.iec.ch/blog/two-story": "links",
    }
    stats = spider.crawler.stats
    assert stats.get_value("stdnews/discovery/selector") == 1
    assert stats.get_value("stdnews/discovery/links") == 2
    assert not spider.record.stale


def test_a_page_the_selectors_no_longer_read_is_stale_not_empty():
    spider = make_spider(IecSpider)
    response = page('<html><body><div class="card"><a href="/blog/one">One</a></div></body></html>')
    (link,) = spider.discovered(response)
    assert link.url == "https://www.iec.ch/blog/one"
    assert spider.record.stale == {LISTING}


def test_next_pages_of_any_theme():
    cases = {
        '<link rel="next" href="/news?page=2">': "/news?page=2",
        '<a rel="nofollow next" href="?page=3">3</a>': "?page=3",
        '<a class="x" href="/page/2/">Older posts</a>': "/page/2/",
        '<a href="?p=2">Suivant ›</a>': "?p=2",
        '<a href="/next-steps">Next steps for AI</a>': None,  # a title, not a label
        '<a href="javascript:;">Next</a>': None,
        '<ul><li><a href="?page=0">1</a></li><li aria-current="page">2</li>'
        '<li><a href="?page=2">3</a></li></ul>': "?page=2",
        # A menu marks its current item too; the pager's number counts.
        '<nav><a class="is-active" aria-current="page" href="/news-blogs">News</a></nav>'
        '<ul class="pagination"><li class="page-item active"><span>1</span></li>'
        '<li class="page-item"><a href="?cur=2">2</a></li></ul>': "?cur=2",
    }
    for snippet, expected in cases.items():
        found = discovery.next_pages(page(f"<html><head></head><body>{snippet}</body></html>"))
        assert found == (
            [
                f"{LISTING}{expected}"
                if expected.startswith("?")
                else f"https://www.iec.ch{expected}"
            ]
            if expected
            else []
        ), snippet


def test_a_page_with_two_paged_sections_follows_both():
    html = (
        '<html><body><a href="/a.ajax?offset=3">Load more</a>'
        '<a href="/b.ajax?offset=3">Load more</a><a href="/a.ajax?offset=3">Load more</a>'
        "</body></html>"
    )
    assert discovery.next_pages(page(html)) == [
        "https://www.iec.ch/a.ajax?offset=3",
        "https://www.iec.ch/b.ajax?offset=3",
    ]


def test_an_atom_entry_s_publication_date_beats_its_update():
    body = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="https://blog.iec.ch/x"/>'
        "<title>X</title><updated>2026-02-01T10:00:00Z</updated>"
        "<published>2026-01-15T10:00:00Z</published></entry></feed>"
    )
    response = HtmlResponse(url="https://blog.iec.ch/feed/", body=body.encode(), encoding="utf-8")
    (link,) = discovery.feed_links(response)
    assert link.hints["published"] == "2026-01-15T10:00:00Z"


def test_advertised_feeds_but_not_comment_feeds():
    response = page(
        """<html><head>
        <link rel="alternate" type="application/rss+xml" href="/feed/">
        <link rel="alternate" type="application/rss+xml" href="/comments/feed/">
        <link rel="alternate" type="application/atom+xml" href="https://www.iec.ch/atom.xml">
        <link rel="alternate" hreflang="fr" href="/fr/news-blogs"></head><body></body></html>"""
    )
    assert discovery.advertised_feeds(response) == [
        "https://www.iec.ch/feed/",
        "https://www.iec.ch/atom.xml",
    ]


def test_a_url_month_is_never_a_day_for_since():
    link = discovery.ArticleLink("https://www.iso.org/contents/news/2025/09/a.html")
    # Listed on 2 October: the URL's September is the page's creation month, not a day, and
    # publication may come weeks later.
    assert str(link.latest_day()) == "2025-10-31"
    link.hints["published"] = "2025-10-02"
    assert str(link.latest_day()) == "2025-10-02"


SITEMAP_INDEX = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://www.bipm.org/sitemap-news.xml.gz</loc></sitemap>
</sitemapindex>"""


def sitemap_of(urls: list[str]) -> bytes:
    entries = "".join(
        f"<url><loc>{url}</loc><lastmod>2026-01-0{i % 9 + 1}</lastmod>"
        + (
            "<news:news><news:publication_date>2025-12-24</news:publication_date></news:news>"
            if i == 0
            else ""
        )
        + "</url>"
        for i, url in enumerate(urls)
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><urlset '
        'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"<url><loc>https://www.bipm.org/en/about-us</loc></url>{entries}</urlset>"
    )
    return gzip.compress(xml.encode())


def bipm_articles() -> list[str]:
    root = SNAPSHOT / "www.bipm.org"
    return [f"https://www.bipm.org/{p.relative_to(root)}" for p in root.glob("*/-/*")]


def test_a_sitemap_named_in_robots_txt_discovers_the_articles(tmp_path):
    """The listings are gone; robots.txt names a sitemap index whose gzip child lists the
    articles (and a page that is not one): every article is stored, counted as the sitemap's."""
    mirror = tmp_path / "mirror"
    shutil.copytree(SNAPSHOT / "www.bipm.org", mirror / "www.bipm.org")
    site = mirror / "www.bipm.org"
    for listing in [*site.glob("*/news-detail*"), site / "en" / "news"]:
        shutil.rmtree(listing) if listing.is_dir() else listing.unlink()
    robots = site / "robots.txt"
    robots.write_text(robots.read_text() + "\nSitemap: https://www.bipm.org/sitemap.xml\n")
    (site / "sitemap.xml").write_text(SITEMAP_INDEX)
    articles = bipm_articles()
    (site / "sitemap-news.xml.gz").write_bytes(sitemap_of(articles))
    result = crawl_replay(tmp_path / "news.db", mirror, "bipm")
    assert result.returncode == 0, result.stdout + result.stderr
    db = Database(tmp_path / "news.db")
    assert {row["url"] for row in db["posts"].rows} == set(articles)
    (row,) = db["crawls"].rows
    assert json.loads(row["discovery_paths"]) == {"sitemap": len(articles)}
    assert row["diagnosis"] == "ok"


def test_sitemaps_are_bounded_and_read_with_scrapy_s_parser():
    body = gzip.decompress(sitemap_of(["https://www.bipm.org/en/-/2024-05-20-x"]))
    children, pages = discovery.sitemap_entries(body)
    assert children == []
    hints = {link.url: link.hints for link in pages}
    assert hints["https://www.bipm.org/en/-/2024-05-20-x"]["published"] == "2025-12-24"
    assert hints["https://www.bipm.org/en/-/2024-05-20-x"]["published_via"] == "sitemap"
    response = HtmlResponse(
        url="https://www.bipm.org/sitemap.xml.gz",
        body=gzip.compress(b"<urlset>" + b"<url><loc>x</loc></url>" * 5000 + b"</urlset>"),
    )
    assert discovery.sitemap_body(response, max_size=1000) is None  # a bomb is refused
    assert discovery.sitemap_body(response, max_size=10**6).startswith(b"<urlset>")


def test_pagination_is_bounded_per_start_url():
    """A "next" that never ends (a calendar, a broken pager) stops at MAX_DISCOVERY_PAGES."""
    from crawlers.spiders import base

    spider = make_spider(IecSpider)
    html = '<html><body><a href="/blog/one">One</a><a rel="next" href="?page=9">Next</a></body>'
    response = page(html)
    response.meta["root"] = LISTING

    def next_requests():
        return [r for r in spider.parse(response) if r.callback == spider.parse]

    assert [r.url for r in next_requests()] == [f"{LISTING}?page=9"]
    spider.discovery_pages[LISTING] = base.MAX_DISCOVERY_PAGES
    assert next_requests() == []


def bipm_mirror(tmp_path, robots_extra: str):
    mirror = tmp_path / "mirror"
    shutil.copytree(SNAPSHOT / "www.bipm.org", mirror / "www.bipm.org")
    robots = mirror / "www.bipm.org" / "robots.txt"
    robots.write_text(robots.read_text() + robots_extra)
    return mirror


def test_a_sitemap_without_news_leaves_a_healthy_source_healthy(tmp_path):
    """OECD's sitemap has no news, and others may not: an extra channel that finds nothing is
    not a layout change."""
    mirror = bipm_mirror(tmp_path, "\nSitemap: https://www.bipm.org/sitemap.xml\n")
    (mirror / "www.bipm.org" / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://www.bipm.org/en/about-us</loc></url></urlset>"
    )
    result = crawl_replay(tmp_path / "news.db", mirror, "bipm")
    assert result.returncode == 0, result.stdout
    (row,) = Database(tmp_path / "news.db")["crawls"].rows
    assert (row["diagnosis"], row["complete"]) == ("ok", 1)


def test_pages_robots_txt_forbids_are_recorded_and_the_run_stays_complete(tmp_path):
    """Our own politeness is not a failure: the next run may still stop early."""
    mirror = bipm_mirror(tmp_path, "\nUser-agent: *\nDisallow: /fr/\n")
    result = crawl_replay(tmp_path / "news.db", mirror, "bipm")
    assert result.returncode == 0, result.stdout
    db = Database(tmp_path / "news.db")
    (row,) = db["crawls"].rows
    assert (row["diagnosis"], row["complete"]) == ("ok", 1)
    reasons = {r["reason"] for r in db["crawl_errors"].rows}
    assert reasons == {"robots"}


def test_pagers_with_hidden_words_and_atom_entries_with_several_links():
    drupal = (
        '<nav class="pager"><ul><li class="pager__item is-active active">'
        '<a href="?page=1"><span class="visually-hidden">Current page</span>2</a></li>'
        '<li class="pager__item"><a href="?page=2"><span class="visually-hidden">Page</span>3</a>'
        "</li></ul></nav>"
    )
    found = discovery.next_pages(page(f"<html><body>{drupal}</body></html>"))
    assert found == [f"{LISTING}?page=2"]
    body = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        '<link rel="replies" href="https://blog.iec.ch/x/comments"/>'
        '<link rel="edit" href="https://blog.iec.ch/edit/1"/>'
        '<link rel="alternate" href="https://blog.iec.ch/2020/01/x/"/><title>X</title></entry></feed>'
    )
    response = HtmlResponse(url="https://blog.iec.ch/feed/", body=body.encode(), encoding="utf-8")
    (link,) = discovery.feed_links(response)
    assert link.url == "https://blog.iec.ch/2020/01/x/"


def test_sitemap_xml_is_tried_where_robots_txt_names_none(tmp_path):
    """The usual place, once: found, its articles count; missing (the snapshot), nothing said."""
    mirror = bipm_mirror(tmp_path, "")
    site = mirror / "www.bipm.org"
    for listing in [*site.glob("*/news-detail*"), site / "en" / "news"]:
        shutil.rmtree(listing) if listing.is_dir() else listing.unlink()
    (site / "sitemap.xml").write_bytes(gzip.decompress(sitemap_of(bipm_articles())))
    result = crawl_replay(tmp_path / "news.db", mirror, "bipm")
    assert result.returncode == 0, result.stdout
    db = Database(tmp_path / "news.db")
    assert db["posts"].count == len(bipm_articles())
    plain = crawl_replay(tmp_path / "plain.db", SNAPSHOT, "bipm")
    assert plain.returncode == 0
    assert not list(Database(tmp_path / "plain.db")["crawl_errors"].rows)
