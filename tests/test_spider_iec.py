import json

from scrapy.http import HtmlResponse, Request

from crawlers.spiders.iec import IecSpider
from pipeline.normalize.extract import decode_html
from pipeline.normalize.post import normalize
from tests.conftest import TESTS, make_spider
from tests.spider_checks import discover, fetch_article

LISTING = "https://www.iec.ch/blog"
SEED = "https://www.iec.ch/blog/iec-launches-its-first-virtual-general-meeting"
NEWEST = (
    "https://www.iec.ch/blog/iec-publishes-new-guidance-strengthen-cybersecurity-power-utilities"
)


def test_the_blog_listing_is_the_start_url_not_the_news_hub():
    # www.iec.ch/news-blogs is a hub of section cards linking no article: a start URL there
    # would report a changed layout on every run.
    assert LISTING in IecSpider.start_urls
    assert not [url for url in IecSpider.start_urls if "news-blogs" in url]


def test_listing_requests_articles_and_next_page():
    spider = make_spider(IecSpider)
    articles, listings = discover(spider, LISTING)
    assert len(articles) == 6
    assert articles[0].url == NEWEST
    assert all(r.url.startswith("https://www.iec.ch/blog/") for r in articles)
    # The pager has no rel=next: the page after this one, up to its rel=last.
    assert [r.url for r in listings] == ["https://www.iec.ch/blog?page=1"]
    assert spider.crawler.stats.get_value("stdnews/discovery/selector") == 6
    assert not spider.record.stale


def test_listing_items_give_their_day_title_and_lead_as_hints():
    articles, _ = discover(make_spider(IecSpider), LISTING)
    hints = articles[0].cb_kwargs["hints"]
    assert hints["via"] == "selector"
    assert (hints["published"], hints["published_via"]) == ("2026-09-22", "listing")
    assert hints["title"].startswith("IEC publishes new guidance")
    assert hints["description"].startswith("A new technical report from IEC TC 57")


def test_last_listing_page_has_no_next_page():
    _, listings = discover(make_spider(IecSpider), "https://www.iec.ch/blog?page=1")
    assert [r.url for r in listings] == ["https://www.iec.ch/blog?page=2"]
    articles, listings = discover(make_spider(IecSpider), "https://www.iec.ch/blog?page=2")
    assert SEED in [r.url for r in articles]
    assert listings == []


def listing(items: str, url: str = LISTING) -> HtmlResponse:
    html = f"<html><body><div class='view-content'>{items}</div></body></html>"
    return HtmlResponse(url=url, body=html.encode(), encoding="utf-8", request=Request(url))


def test_unaliased_nodes_and_the_older_view_are_read_too():
    spider = make_spider(IecSpider)
    response = listing(
        """<div class="blog-article-div-content"><div class="blog-article-div-categorie">X</div>
        <h2><a href="/node/8812">A post without an alias</a></h2>
        <div class="blog-article-date-author">2024-03-05</div></div>
        <article><h2 class="node__title"><a href="/blog/older-theme">Older</a></h2></article>"""
    )
    found = {link.url: link.hints for link in spider.article_links(response)}
    assert found["/node/8812"]["published"] == "2024-03-05"
    assert found["/blog/older-theme"] == {"via": "selector"}
    assert {link.url for link in spider.discovered(response)} == {
        "https://www.iec.ch/node/8812",
        "https://www.iec.ch/blog/older-theme",
    }


def test_the_rel_last_pager_is_followed_to_its_end_only():
    spider = make_spider(IecSpider)
    pager = '<nav class="pager"><a href="?page=3" rel="last">Last</a></nav>'
    assert spider.next_pages(listing(pager, LISTING + "?page=2")) == [LISTING + "?page=3"]
    assert spider.next_pages(listing(pager, LISTING + "?page=3")) == []
    assert spider.next_pages(listing("", LISTING + "?page=1")) == []


def test_article_item_carries_the_page():
    item = fetch_article(make_spider(IecSpider), SEED)
    assert item.source == "iec"
    assert item.url == item.final_url == SEED
    assert item.status == 200
    assert "Over 400 participants" in item.html


def test_the_live_blog_body_container_is_read_first():
    """The body of the blog's posts is div.blog-article-description (the Drupal fixture page has
    it in place of the older theme's field)."""
    folder = TESTS / "fixtures" / "iec" / "drupal"
    expected = json.loads((folder / "seed.expected.json").read_text("utf-8"))
    html = decode_html((folder / "seed.html").read_bytes())
    post = normalize({"source": "iec", "url": expected["url"], "html": html})
    assert post.text_source == "site:div.blog-article-description"
