from crawlers.spiders.bipm import BipmSpider
from tests.conftest import make_spider
from tests.spider_checks import discover, fetch_article

LISTING = "https://www.bipm.org/en/news-detail"
PAGE_2 = (
    "https://www.bipm.org/en/news-detail?_com_liferay_asset_publisher_web_portlet_"
    "AssetPublisherPortlet_INSTANCE_q2UNnrQxlLyK_cur=2"
)
SEED = "https://www.bipm.org/en/news/full-stories/2020-09-oecd-io-meeting.html"


def test_asset_publisher_listing_paginates_with_cur():
    articles, listings = discover(make_spider(BipmSpider), LISTING)
    assert len(articles) == 6
    assert all("/en/-/20" in r.url for r in articles)
    assert [r.url for r in listings] == [PAGE_2]


def test_last_page_next_link_is_disabled():
    articles, listings = discover(make_spider(BipmSpider), PAGE_2)
    assert "https://www.bipm.org/en/-/2021-kg-consensus" in [r.url for r in articles]
    assert listings == []


def test_legacy_news_hub_lists_full_stories():
    articles, listings = discover(make_spider(BipmSpider), "https://www.bipm.org/en/news/")
    assert SEED in [r.url for r in articles]
    assert listings == []


def test_legacy_article_is_decoded_from_iso_8859_1():
    item = fetch_article(make_spider(BipmSpider), SEED)
    assert "Sèvres" in item.html  # an ISO-8859-1 byte, decoded by the declared charset
    assert "Dr Martin Milton" in item.html
