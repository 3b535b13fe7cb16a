import json

from crawlers.spiders.oecd import LEGACY_LISTING, OecdSpider, api_url
from tests.conftest import make_spider, snapshot_file
from tests.spider_checks import discover, fetch_article

ARTICLE = (
    "https://www.oecd.org/en/about/news/press-releases/2024/05/"
    "oecd-updates-ai-principles-to-stay-abreast-of-rapid-technological-developments.html"
)


def test_api_page_yields_articles_with_record_hints():
    articles, listings = discover(make_spider(OecdSpider), api_url(0))
    assert len(articles) == 10
    assert all(r.url.startswith("https://www.oecd.org/en/about/news/") for r in articles)
    by_url = {r.url: r.cb_kwargs["hints"] for r in articles}
    hints = by_url[ARTICLE]
    assert hints["published"] == "2024-05-03T10:00:00Z"
    assert hints["via"] == "api"
    assert "Press release" in hints["tags"]
    assert [r.url for r in listings] == [api_url(1)]


def test_short_page_ends_pagination():
    articles, listings = discover(make_spider(OecdSpider), api_url(1))
    records = json.loads(snapshot_file(api_url(1)).read_text())["results"]
    assert len(articles) == len(records) < 10
    assert listings == []


def test_article_item_keeps_hints():
    item = fetch_article(make_spider(OecdSpider), ARTICLE, hints={"via": "api", "title": "x"})
    assert item.hints == {"via": "api", "title": "x"}
    assert "03/05/2024 –" in item.html


def test_french_api_page_gives_french_hints():
    articles, _ = discover(make_spider(OecdSpider), api_url(0, language="fr"))
    assert articles
    assert all(r.url.startswith("https://www.oecd.org/fr/about/news/") for r in articles)
    assert {r.cb_kwargs["hints"]["language"] for r in articles} == {"fr"}


def test_old_newsroom_listing_gives_dates_as_hints():
    articles, listings = discover(make_spider(OecdSpider), LEGACY_LISTING)
    dates = [r.cb_kwargs["hints"]["published"] for r in articles]
    assert dates == ["31-May-2021", "10-November-2020"]
    assert all(r.url.startswith("https://www.oecd.org/newsroom/") for r in articles)
    assert [r.url for r in listings] == [LEGACY_LISTING + "2/"]
