"""IEC: the Drupal blog listing, and the two sites before it.

* www.iec.ch/blog (Drupal view, ?page=N, 0-based; the pager's `a[rel=last]` names the last
  page) -> /blog/<slug>, and /node/<nid> for posts without an alias. The listing holds the whole
  archive (the pre-2021 blog.iec.ch posts included); each item gives title, topic, lead and the
  day as plain YYYY-MM-DD text, passed on as hints.
* blog.iec.ch (WordPress, until 2020-21): its feed and /page/N/ listing -> /YYYY/MM/<slug>/
* www.iec.ch/newslog/ (the old site's news releases) -> /newslog/YYYY/nrNNYY.htm

www.iec.ch/news-blogs is not a start URL: on the live site it is a hub of section cards (blog,
press releases, e-tech, ...) that links no article, so every run would report its layout as
changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from scrapy.http import HtmlResponse, Response

from crawlers.spiders.base import ArticleLink, NewsSpider, is_feed

BLOG = "https://www.iec.ch/blog"
# One item of the blog listing, and what it holds.
ITEM_CSS = "div.blog-article-div-content"
ITEM_LINK_CSS = "h2 > a[href]"
ITEM_DATE_CSS = "div.blog-article-date-author ::text"
ITEM_LEAD_CSS = "p.blog-article-information__description ::text"
DAY = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


class IecSpider(NewsSpider):
    name = "iec"
    allowed_domains = ["www.iec.ch", "blog.iec.ch"]
    start_urls = [
        BLOG,
        "https://blog.iec.ch/feed/",
        "https://blog.iec.ch/",
        "https://www.iec.ch/newslog/",
    ]
    archive_urls = (
        "https://blog.iec.ch/feed/",
        "https://blog.iec.ch/",
        "https://www.iec.ch/newslog/",
    )  # no longer published to
    # Drupal sites declare their sitemap (simple_sitemap) in robots.txt [INF].
    sitemap_urls = ("https://www.iec.ch/robots.txt",)
    # Other listings than the blog's items (read by article_links below).
    article_links_css = ", ".join(
        [
            ".view-content article .node__title a::attr(href)",  # an older Drupal view
            "article h2.entry-title a::attr(href)",  # WordPress listing
            ".newslog-index a::attr(href)",  # old site's release index
        ]
    )
    next_page_css = "nav.pager a[rel=next]::attr(href), a.next.page-numbers::attr(href)"

    def listing_links(self, response: HtmlResponse) -> Iterable[ArticleLink]:
        for item in response.css(ITEM_CSS):
            href = item.css(ITEM_LINK_CSS).xpath("@href").get()
            if href:
                yield ArticleLink(href.strip(), item_hints(item))
        yield from super().listing_links(response)

    def next_pages(self, response: Response) -> list[str]:
        """rel=next where the pager has it, else the page after this one up to the pager's
        `a[rel=last]` (the blog listing's pager names its last page)."""
        pages = super().next_pages(response)
        if pages or not isinstance(response, HtmlResponse) or is_feed(response):
            return pages
        last = page_number(response.css("a[rel=last]::attr(href)").get() or "")
        current = page_number(response.url) or 0
        if last is None or current >= last:
            return []
        return [f"{response.url.split('?', 1)[0]}?page={current + 1}"]


def item_hints(item) -> dict:
    """Title, lead and listing day of a blog listing item (the day is the listing's own)."""
    hints = {"via": "selector"}
    title = " ".join("".join(item.css(f"{ITEM_LINK_CSS} ::text").getall()).split())
    if title:
        hints["title"] = title
    lead = " ".join("".join(item.css(ITEM_LEAD_CSS).getall()).split())
    if lead:
        hints["description"] = lead
    day = DAY.search(" ".join(item.css(ITEM_DATE_CSS).getall()))
    if day:
        hints["published"], hints["published_via"] = day.group(1), "listing"
    return hints


def page_number(url: str) -> int | None:
    match = re.search(r"[?&]page=(\d+)", url)
    return int(match.group(1)) if match else None
