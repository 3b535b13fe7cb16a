from crawlers.spiders.iso import IsoSpider
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


def test_article_url_shapes_are_recognized():
    pattern = IsoSpider.article_url_re
    assert pattern.search("https://www.iso.org/news/ref2616.html")
    assert pattern.search("https://www.iso.org/news/2017/02/Ref2164.html")
    assert pattern.search(SEED)
    assert not pattern.search("https://www.iso.org/news.html")


def test_article_item():
    item = fetch_article(make_spider(IsoSpider), SEED)
    assert item.source == "iso"
    assert 'name="pubdate" content="20210510"' in item.html
