from types import SimpleNamespace

import pytest
from scrapy.exceptions import DontCloseSpider

from crawlers.spiders.iso import IsoSpider
from pipeline.sources import SOURCES
from pipeline.urls import canonical_url
from tests.conftest import make_spider
from tests.spider_checks import discover, fetch_article

SEED = "https://www.iso.org/contents/news/2021/05/Ref2667.html"


def test_news_listing_and_load_more_button():
    articles, listings = discover(make_spider(IsoSpider), "https://www.iso.org/news.html")
    assert len(articles) == 6
    assert (
        articles[0].url == "https://www.iso.org/contents/news/2026/10/world-standards-day-2026.html"
    )
    assert [r.url for r in listings] == ["https://www.iso.org/news.html?page=2"]


def test_second_page_ends_the_listing():
    articles, listings = discover(make_spider(IsoSpider), "https://www.iso.org/news.html?page=2")
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
    assert len(scheduled) == 2


def test_waiting_translations_are_skipped_when_nothing_is_new():
    spider = make_spider(IsoSpider)
    spider.crawler.engine = SimpleNamespace(crawl=pytest.fail)
    spider.secondary_waiting = list(IsoSpider.secondary_urls)
    spider.ask_secondaries()
    assert spider.crawler.stats.get_value("stdnews/secondary_skipped") == 2


def test_validators_are_kept_under_the_url_asked_for():
    """A start URL that redirects is asked for under its own URL next time: its validators and
    its last check must be stored under it, not under where it led."""
    from scrapy.http import HtmlResponse, Request

    spider = make_spider(IsoSpider)
    asked = "https://www.iso.org/news.html"
    request = Request("https://www.iso.org/en/news.html", meta={"redirect_urls": [asked]})
    response = HtmlResponse(request.url, request=request, body=b"<html></html>",
                            headers={"ETag": '"v1"'})  # fmt: skip
    spider.record_check(response, "discovery")
    assert (spider.checks[-1]["url"], spider.checks[-1]["etag"]) == (asked, '"v1"')


def test_a_redirected_article_keeps_its_validators_under_the_post_address():
    """An article found as /news/ref2508.html is stored (and revisited) under the address it
    led to: its validators must be there, or every revisit downloads it in full."""
    from scrapy.http import HtmlResponse, Request

    spider = make_spider(IsoSpider)
    found = "https://www.iso.org/news/ref2508.html"
    final = "https://www.iso.org/contents/news/2020/03/Ref2508.html"
    request = Request(final, meta={"redirect_urls": [found]})
    response = HtmlResponse(final, request=request, body=b"<html></html>",
                            headers={"ETag": '"v2"'})  # fmt: skip
    spider.record_check(response, "article")
    assert (spider.checks[-1]["url"], spider.checks[-1]["etag"]) == (canonical_url(final), '"v2"')
