import re
from types import SimpleNamespace

import pytest
from scrapy.exceptions import DontCloseSpider

from crawlers.spiders.iso import HUB, HUB_TRANSLATIONS, IsoSpider
from pipeline.normalize.sources import SOURCES
from pipeline.normalize.urls import canonical_url
from tests.conftest import make_spider, snapshot_file
from tests.spider_checks import discover, fetch_article

SEED = "https://www.iso.org/contents/news/2021/05/Ref2667.html"


def test_news_listing_and_load_more_button():
    articles, listings = discover(make_spider(IsoSpider), "https://www.iso.org/news.html")
    assert len(articles) == 6
    assert (
        articles[0].url == "https://www.iso.org/contents/news/2026/10/world-standards-day-2026.html"
    )
    assert [r.url for r in listings] == ["https://www.iso.org/news.html?page=2"]


def test_the_last_page_ends_the_listing():
    _, listings = discover(make_spider(IsoSpider), "https://www.iso.org/news.html?page=2")
    assert [r.url for r in listings] == ["https://www.iso.org/news.html?page=3"]
    articles, listings = discover(make_spider(IsoSpider), "https://www.iso.org/news.html?page=3")
    assert SEED in [r.url for r in articles]
    assert listings == []


def test_every_url_shape_of_an_article_is_one_post():
    shapes = [
        SEED,
        "https://www.iso.org/news/2021/05/Ref2667.html",
        "https://www.iso.org/cms/render/live/en/sites/isoorg/contents/news/2021/05/Ref2667.html",
        "https://kebs.isolutions.iso.org/es/sites/isoorg/contents/news/2021/05/Ref2667.html",
        "http://iso.org/contents/news/2021/05/Ref2667.html?utm_source=twitter#top",
    ]
    assert {canonical_url(url) for url in shapes} == {SEED}
    french = canonical_url(
        "https://www.iso.org/cms/render/live/fr/sites/isoorg/contents/news/2021/05/Ref2667.html"
    )
    assert french == "https://www.iso.org/fr/contents/news/2021/05/Ref2667.html"


def test_listing_pages_are_not_articles():
    iso = SOURCES["iso"]
    assert iso.is_article("https://www.iso.org/news/ref2616.html")
    assert not iso.is_article("https://www.iso.org/news.html")
    assert not iso.is_article("https://www.iso.org/contents/news.rss")


def test_feed_items_of_every_shape_are_requested_canonically():
    articles, listings = discover(make_spider(IsoSpider), "https://www.iso.org/contents/news.rss")
    urls = [r.url for r in articles]
    assert SEED in urls  # found as a member mirror URL
    assert "https://www.iso.org/news/ref2508.html" in urls  # vanity: answers 301
    assert all(u.startswith("https://www.iso.org/") for u in urls)
    by_url = {r.url: r.cb_kwargs["hints"] for r in articles}
    assert by_url[SEED]["discovered_as"].startswith("https://kebs.isolutions.iso.org/es/")
    assert by_url[SEED]["published"].startswith("Mon, 10 May 2021")
    assert listings == []


def test_article_item():
    item = fetch_article(make_spider(IsoSpider), SEED)
    assert item.source == "iso"
    assert 'name="pubdate" content="20210510"' in item.html


def test_waiting_translations_are_asked_for_once_after_something_new():
    spider = make_spider(IsoSpider)
    scheduled = []
    spider.crawler.engine = SimpleNamespace(crawl=scheduled.append)
    spider.secondary_waiting = list(IsoSpider.secondary_urls)
    spider.found_new = True
    with pytest.raises(DontCloseSpider):  # idle: the spider stays open for them
        spider.ask_secondaries()
    assert [r.url for r in scheduled] == list(IsoSpider.secondary_urls)
    assert all(r.meta["discovery"] and r.callback == spider.parse for r in scheduled)
    spider.ask_secondaries()  # idle again once they are done: nothing more, it may close
    assert len(scheduled) == 3


def test_waiting_translations_are_skipped_when_nothing_is_new():
    spider = make_spider(IsoSpider)
    spider.crawler.engine = SimpleNamespace(crawl=pytest.fail)
    spider.secondary_waiting = list(IsoSpider.secondary_urls)
    spider.ask_secondaries()
    assert spider.crawler.stats.get_value("stdnews/secondary_skipped") == 3


def test_validators_are_kept_under_the_url_asked_for():
    """A start URL that redirects is asked for under its own URL next time: its validators and
    its last check must be stored under it, not under where it led."""
    from scrapy.http import HtmlResponse, Request

    spider = make_spider(IsoSpider)
    asked = "https://www.iso.org/news.html"
    request = Request("https://www.iso.org/en/news.html", meta={"redirect_urls": [asked]})
    response = HtmlResponse(
        request.url, request=request, body=b"<html></html>", headers={"ETag": '"v1"'}
    )
    spider.record_check(response, "discovery")
    assert (spider.record.checks[-1]["url"], spider.record.checks[-1]["etag"]) == (asked, '"v1"')


def test_a_redirected_article_keeps_its_validators_under_the_post_address():
    """An article found as /news/ref2508.html is stored (and revisited) under the address it
    led to: its validators must be there, or every revisit downloads it in full."""
    from scrapy.http import HtmlResponse, Request

    spider = make_spider(IsoSpider)
    found = "https://www.iso.org/news/ref2508.html"
    final = "https://www.iso.org/contents/news/2020/03/Ref2508.html"
    request = Request(final, meta={"redirect_urls": [found]})
    response = HtmlResponse(final, request=request, body=b"<html></html>", headers={"ETag": '"v2"'})
    spider.record_check(response, "article")
    assert (spider.record.checks[-1]["url"], spider.record.checks[-1]["etag"]) == (
        canonical_url(final),
        '"v2"',
    )


# The snapshot's hub (tools/build_snapshot.py): the uuids of its "Load more" sections.
NEWS = "7f3c2a90-5d41-4e8b-9c1a-2b6e0d4f8a13"
MEMBERS = "c41e9b07-8a2d-4f36-b5e0-91d7a3c6f254"
HUB_PAGE = "https://www.iso.org/cms/{cms}/live/{lang}/sites/isoorg/home/insights-news/news/"
NEWS_AJAX = (
    HUB_PAGE.format(cms="render", lang="en")
    + "standards-world/pagecontent/section-latest-news/section-latest-news/latest-news.html.ajax"
)
MEMBERS_AJAX = (
    HUB_PAGE.format(cms="live", lang="en")
    + "standards-world/pagecontent/section-latest-members/section-latest-members/"
    "latest-members.html.ajax"
)


def ajax(path: str, uuid: str, offset: int, category: str = "standards-world") -> str:
    return f"{path}?nb-{uuid}=8&offset-{uuid}={offset}&cat-{uuid}={category}&tag="


def post(path: str) -> str:
    return "https://www.iso.org/contents/news/" + path


def test_hub_gives_the_featured_item_both_sections_and_their_load_more_pages():
    articles, listings = discover(make_spider(IsoSpider), HUB)
    urls = [r.url for r in articles]
    assert urls[0] == post("2026/10/world-standards-day-2026.html")  # the featured item
    assert post("2026/03/net-zero-standard-iso-14060.html") in urls  # linked as /news/2026/03/...
    assert post("2025/06/singapore-carbon-neutral.html") in urls  # members', as /cms/live/live/
    assert len(urls) == len(set(urls)) == 7  # 1 featured + 3 + 3 teasers, title and image links
    assert all(SOURCES["iso"].is_article(url) for url in urls)
    assert [r.url for r in listings] == [
        ajax(NEWS_AJAX, NEWS, 3),
        ajax(MEMBERS_AJAX, MEMBERS, 3, "members"),
    ]


def test_hub_items_keep_their_title_and_listing_date():
    articles, _ = discover(make_spider(IsoSpider), HUB)
    hints = {r.url: r.cb_kwargs["hints"] for r in articles}
    featured = hints[post("2026/10/world-standards-day-2026.html")]
    assert featured["title"] == "World Standards Day 2026: building trust in a changing world"
    assert (featured["published"], featured["published_via"]) == ("2026-10-14", "listing")
    teaser = hints[post("2026/03/net-zero-standard-iso-14060.html")]
    assert teaser["published"] == "2026-03-17"
    assert teaser["title"].startswith("Net zero standard reaches a key milestone")


def test_a_load_more_fragment_leads_to_the_next_offset():
    articles, listings = discover(make_spider(IsoSpider), ajax(NEWS_AJAX, NEWS, 3))
    assert [r.url for r in articles] == [
        post("2023/12/iso-iec-42001-ai-management-systems.html"),
        post("2023/12/jtc-3-first-plenary-quantum.html"),
        post("2023/11/iso-iec-jtc-3-quantum-technologies.html"),
        post("2023/10/world-standards-day-2023.html"),
        post("2023/05/world-metrology-day-2023-food.html"),
        post("2022/12/how-iso-codes-connect-the-world.html"),
        post("2022/04/record-breaking-mpeg-takes-two-e.html"),
        post("2021/02/Ref2616.html"),
    ]
    assert [r.url for r in listings] == [ajax(NEWS_AJAX, NEWS, 11)]


def test_204_ends_a_section():
    from scrapy.http import HtmlResponse, Request

    spider = make_spider(IsoSpider)
    url = ajax(NEWS_AJAX, NEWS, 11)
    response = HtmlResponse(url, status=204, body=b"", request=Request(url))
    assert spider.next_pages(response) == []


def test_ajax_pages_are_bounded():
    from scrapy.http import HtmlResponse, Request

    spider = make_spider(IsoSpider)
    url = ajax(NEWS_AJAX, NEWS, 3 + 8 * 60)
    body = snapshot_file(ajax(NEWS_AJAX, NEWS, 3)).read_bytes()
    assert spider.next_pages(HtmlResponse(url, body=body, request=Request(url))) == []


def hub_response(html: str, url: str = HUB):
    from scrapy.http import HtmlResponse, Request

    return HtmlResponse(url, body=html.encode(), encoding="utf-8", request=Request(url))


def test_the_uuid_and_ajax_path_are_read_from_the_page_not_known_in_advance():
    html = snapshot_file(HUB).read_text("utf-8")
    other = "0b1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
    changed = html.replace(NEWS, other).replace("/cms/render/live/", "/cms/live/live/")
    pages = make_spider(IsoSpider).next_pages(hub_response(changed))
    assert pages[0] == ajax(NEWS_AJAX.replace("/cms/render/live/", "/cms/live/live/"), other, 3)
    assert pages[1] == ajax(MEMBERS_AJAX, MEMBERS, 3, "members")


def test_teasers_of_march_2026_and_before_have_h5_titles():
    spider = make_spider(IsoSpider)
    french = HUB_TRANSLATIONS[0]
    assert 'class="h5"' in snapshot_file(french).read_text("utf-8")
    articles, listings = discover(spider, french)
    hints = {r.url: r.cb_kwargs["hints"] for r in articles}
    assert set(hints) == {
        "https://www.iso.org/fr/contents/news/2025/04/iso-oecd-guide-standards-in-regulation.html",
        "https://www.iso.org/fr/contents/news/2022/10/iso-iec-27001-2022-information-security.html",
        "https://www.iso.org/fr/contents/news/2021/05/Ref2667.html",
    }
    assert all(h["title"] and h["published"] for h in hints.values())
    # Its own section uuid, the 2026 /cms/live/live/ path, three teasers shown: offset 3.
    (following,) = [r.url for r in listings]
    assert "/cms/live/live/fr/sites/isoorg/" in following
    assert "offset-e2a8d5c1-3b7f-4a09-8d6e-5f1c0b9a7e42=3&" in following


def test_h4_titles_without_an_image_link_are_read_too():
    html = snapshot_file(HUB).read_text("utf-8")
    html = re.sub(r"<figure.*?</figure>", "", html)
    spider = make_spider(IsoSpider)
    links = list(spider.article_links(hub_response(html)))
    assert len(links) == 7
    assert all(link.hints.get("title") for link in links)


def test_a_crawl_of_the_hubs_alone_stores_every_post_they_list_once(tmp_path):
    """The hubs and their "Load more" fragments only (no feed, no old listings): every post the
    hubs and fragments list is stored once, under its canonical URL, from any of its shapes."""
    import shutil

    from sqlite_utils import Database

    from tests.conftest import SNAPSHOT, crawl_replay
    from tests.test_operations import snapshot_posts

    root = tmp_path / "mirror"
    shutil.copytree(SNAPSHOT / "www.iso.org", root / "www.iso.org")
    (root / "www.iso.org" / "contents" / "news.rss").unlink()
    for listing in (root / "www.iso.org").glob("**/news.html*"):
        listing.unlink()
    result = crawl_replay(tmp_path / "news.db", root, "iso")
    db = Database(tmp_path / "news.db")
    urls = [url for (url,) in db.execute("select url from posts where source = 'iso'")]
    english = [u for u in urls if u.startswith("https://www.iso.org/contents/news/")]
    # All but the feed-only post.
    assert len(english) == snapshot_posts("iso") - 1, result.stdout + result.stderr
    assert post("2022/12/how-iso-codes-connect-the-world.html") in english  # fragment, ISO's
    assert post("2020/09/Ref2578.html") in english  # fragment, members'
    languages = {u.split("/")[3] for u in urls if u not in english}
    assert languages == {"fr", "ru", "es"}
    assert len(urls) == snapshot_posts("iso*") - 1
    (requested,) = db.execute("select articles_requested from crawls").fetchone()
    assert requested == len(urls) == len(set(urls))  # each once, whatever shape it was found as
    statuses = dict(db.execute("select url, status from http_validators where kind = 'discovery'"))
    assert statuses[ajax(MEMBERS_AJAX, MEMBERS, 3, "members")] == 200
    assert statuses[ajax(MEMBERS_AJAX, MEMBERS, 11, "members")] == 204
    assert statuses[ajax(NEWS_AJAX, NEWS, 11)] == 204


VANITY_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>ISO - A campaign page that stays where it is</title>
<meta name="pubdate" content="20231120" /></head><body><main role="main" class="acer">
<h1>A campaign page that stays where it is</h1>
<div itemprop="abstract"><p>Written for this test: a vanity page, no redirect.</p></div>
<div id="newsBody" itemprop="articleBody"><p>The first paragraph of a page that the hub links under
a campaign folder, answered as it is, with enough words in it to count as the body of a post and
not as a caption or a teaser.</p><p>The last paragraph ends the page.</p></div>
</main></body></html>"""


def test_undated_vanity_links_become_posts_redirected_or_not(tmp_path):
    """A hub links /news/<slug> (redirected to a node: the post takes the node's address and
    keeps the vanity one as an alias) and /news/am23/<slug> (answered as it is: a post under its
    own address, not lost)."""
    import shutil

    from sqlite_utils import Database

    from tests.conftest import SNAPSHOT, crawl_replay

    root = tmp_path / "mirror"
    site = root / "www.iso.org"
    shutil.copytree(SNAPSHOT / "www.iso.org", site)
    (site / "contents" / "news.rss").unlink()  # the node below is listed nowhere else
    hub = site / "insights" / "standards-world"
    links = '<a href="/news/ClimateGuides">One</a> <a href="/news/am23/closing-session">Two</a>'
    hub.write_text(hub.read_text("utf-8").replace("</main>", links + "</main>"), "utf-8")
    node = "https://www.iso.org/contents/news/2020/03/Ref2508.html"
    with (site / ".responses").open("a", encoding="utf-8") as rules:
        rules.write(f"301 /news/ClimateGuides {node}\n")
    (site / "news" / "am23").mkdir(parents=True)
    (site / "news" / "am23" / "closing-session").write_text(VANITY_PAGE, "utf-8")
    result = crawl_replay(tmp_path / "news.db", root, "iso")
    assert result.returncode == 0, result.stdout + result.stderr
    db = Database(tmp_path / "news.db")
    posts = {row["url"]: row for row in db["posts"].rows_where("source = 'iso'")}
    assert node in posts
    aliases = {url for (url,) in db.execute("select url from post_urls where kind != 'canonical'")}
    assert "https://www.iso.org/news/ClimateGuides" in aliases
    kept = posts["https://www.iso.org/news/am23/closing-session"]
    assert kept["title"] == "A campaign page that stays where it is"
    assert (kept["published"], kept["text_source"]) == ("2023-11-20", "site:div#newsBody")


@pytest.mark.parametrize(
    ("case", "container"),
    [("news-body-2024", "div#newsBody"), ("article-body-vanity-2024", "div[itemprop=articleBody]")],
)
def test_the_2024_article_markup_is_read_by_its_own_selectors(case, container):
    """ISO's news pages as read in 2024: the body in div#newsBody, else the articleBody itemprop
    (fixture pages in tests/fixtures/iso/jahia/, also checked by tests/test_generations.py)."""
    import json

    from pipeline.normalize.extract import decode_html
    from pipeline.normalize.post import normalize
    from tests.conftest import TESTS

    folder = TESTS / "fixtures" / "iso" / "jahia"
    expected = json.loads((folder / f"{case}.expected.json").read_text("utf-8"))
    html = decode_html((folder / f"{case}.html").read_bytes())
    post = normalize({"source": "iso", "url": expected["url"], "html": html})
    assert post.text_source == f"site:{container}"
    assert post.published_source == "site"
