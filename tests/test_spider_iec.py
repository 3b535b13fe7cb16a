from crawlers.spiders.iec import IecSpider
from tests.conftest import make_spider
from tests.spider_checks import discover, fetch_article

LISTING = "https://www.iec.ch/news-blogs"
SEED = "https://www.iec.ch/blog/iec-launches-its-first-virtual-general-meeting"


def test_listing_requests_articles_and_next_page():
    spider = make_spider(IecSpider)
    articles, listings = discover(spider, LISTING)
    assert len(articles) == 6
    assert articles[0].url == (
        "https://www.iec.ch/blog/iec-publishes-new-guidance-strengthen-cybersecurity-power-utilities"
    )
    assert all(r.url.startswith("https://www.iec.ch/blog/") for r in articles)
    assert [r.url for r in listings] == ["https://www.iec.ch/news-blogs?page=1"]


def test_last_listing_page_has_no_next_page():
    articles, listings = discover(make_spider(IecSpider), "https://www.iec.ch/news-blogs?page=1")
    assert SEED in [r.url for r in articles]
    assert listings == []


def test_article_item_carries_the_page():
    item = fetch_article(make_spider(IecSpider), SEED)
    assert item.source == "iec"
    assert item.url == item.final_url == SEED
    assert item.status == 200
    assert "Over 400 participants" in item.html
