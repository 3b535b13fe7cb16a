import json
from urllib.parse import urljoin

import pytest
from scrapy.http import Request, TextResponse, XmlResponse

from crawlers.spiders.oecd import LEGACY_LISTING, PAGE_SIZE, OecdSpider, api_url, rss_url
from tests.conftest import make_spider, snapshot_file
from tests.spider_checks import discover, fetch_article
from tests.test_operations import snapshot_posts

ARTICLE = (
    "https://www.oecd.org/en/about/news/press-releases/2024/05/"
    "oecd-updates-ai-principles-to-stay-abreast-of-rapid-technological-developments.html"
)


def test_api_page_yields_articles_with_record_hints():
    articles, listings = discover(make_spider(OecdSpider), api_url(0))
    body = json.loads(snapshot_file(api_url(0)).read_text())
    assert len(articles) == len(body["results"]) == body["total"] == snapshot_posts("oecd")
    assert all(r.url.startswith("https://www.oecd.org/en/about/news/") for r in articles)
    by_url = {r.url: r.cb_kwargs["hints"] for r in articles}
    hints = by_url[ARTICLE]
    assert hints["published"] == "2024-05-03T10:00:00Z"
    assert hints["via"] == "api"
    assert "Press release" in hints["tags"]
    assert hints["authors"] == ["OECD Media Office"]
    assert listings == []  # total reached: no second page


def test_absolute_and_relative_record_urls_alike():
    records = json.loads(snapshot_file(api_url(0)).read_text())["results"]
    shapes = {record["url"].startswith("https://") for record in records}
    assert shapes == {True, False}  # the snapshot has both
    articles, _ = discover(make_spider(OecdSpider), api_url(0))
    expected = [urljoin("https://www.oecd.org/", record["url"]) for record in records]
    assert [r.url for r in articles] == expected


def api_response(page: int, body: dict, size: int = PAGE_SIZE):
    url = api_url(page, size)
    data = json.dumps(body).encode()
    return TextResponse(url, body=data, encoding="utf-8", request=Request(url))


def records(count: int) -> list[dict]:
    return [{"url": f"/en/about/news/press-releases/2025/01/item-{n}.html"} for n in range(count)]


@pytest.mark.parametrize(
    ("page", "results", "total", "size", "expected"),
    [
        (0, 100, 250, 100, api_url(1)),  # total says more
        (2, 50, 250, 100, None),  # 200 + 50 = total
        (0, 100, 100, 100, None),  # a full page, and total reached
        (0, 10, 15, 100, api_url(1, 10)),  # a server capping pages at 10: asked at 10 on
        (1, 5, 15, 10, None),
        (0, 100, None, 100, api_url(1)),  # no total: a full page may have a successor
        (0, 40, None, 100, None),
        (3, 0, 900, 100, None),  # an empty page ends whatever total says
        (49, 100, 100000, 100, None),  # bounded
    ],
)
def test_total_drives_pagination(page, results, total, size, expected):
    body = {"results": records(results)}
    if total is not None:
        body["total"] = total
    spider = make_spider(OecdSpider)
    assert spider.next_pages(api_response(page, body, size)) == ([expected] if expected else [])


def test_records_without_a_url_are_skipped_not_fatal():
    body = {"results": [{"title": "no url"}, *records(1)], "total": 2}
    links = list(make_spider(OecdSpider).article_links(api_response(0, body)))
    assert [link.url for link in links] == [
        "https://www.oecd.org/en/about/news/press-releases/2025/01/item-0.html"
    ]


def test_rss_twin_keeps_a_midnight_in_paris_pubdate():
    """One item is dated 22:00 GMT (local midnight in Paris), as the API's RSS twin does."""
    assert "22:00:00 GMT</pubDate>" in snapshot_file(rss_url()).read_text("utf-8")


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


def rss_response(page: int, items: int, size: int = PAGE_SIZE, atom: bool = False):
    url = rss_url(page=page, size=size)
    if atom:
        entries = "".join(f"<entry><id>{n}</id></entry>" for n in range(items))
        body = f'<feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'
    else:
        entries = "".join(f"<item><guid>{n}</guid></item>" for n in range(items))
        body = f'<?xml version="1.0"?><rss version="2.0"><channel>{entries}</channel></rss>'
    return XmlResponse(url, body=body.encode(), encoding="utf-8", request=Request(url))


def test_the_rss_twin_is_asked_for_in_pages_of_a_hundred():
    assert "page=0&pageSize=100" in rss_url()
    assert snapshot_file(rss_url()).is_file()  # the snapshot answers the spider's first page


@pytest.mark.parametrize(
    ("page", "items", "size", "atom", "expected"),
    [
        (0, 100, 100, False, rss_url(page=1)),  # a full page: there may be another
        (1, 100, 100, True, rss_url(page=2)),  # Atom entries count alike
        (0, 99, 100, False, None),  # a short page is the last
        (0, 0, 100, False, None),
        (0, 10, 10, False, rss_url(page=1, size=10)),
        (49, 100, 100, False, None),  # bounded
    ],
)
def test_the_rss_twin_pages_while_a_full_page_comes(page, items, size, atom, expected):
    response = rss_response(page, items, size, atom)
    assert make_spider(OecdSpider).next_pages(response) == ([expected] if expected else [])
