"""Shared flow of every news spider: discovery pages (listings, feeds, APIs) -> article pages.

A source is mostly data on a subclass: start URLs, the CSS that finds article links and the next
listing page, and the pattern an article URL must match (so that listing and index pages are never
handed over as posts). Extraction of fields from article pages happens in pipeline/, not here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import scrapy
from scrapy.http import Response

from crawlers.items import ArticleItem


@dataclass
class ArticleLink:
    """An article found by discovery, with what the discovery page said about it."""

    url: str
    hints: dict = field(default_factory=dict)


class NewsSpider(scrapy.Spider):
    """Listing pages -> article pages. Subclasses set the class attributes below."""

    start_urls: list[str] = []
    # Links to articles on a listing page (CSS, selecting href attributes).
    article_links_css: str = ""
    # The next listing page (CSS, selecting an href or a data attribute), if the listing paginates.
    next_page_css: str | None = None
    # Only URLs matching this are articles; everything else found by discovery is ignored.
    article_url_re: re.Pattern[str] = re.compile(r".")

    async def start(self):
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: Response, **kwargs) -> Iterator[scrapy.Request]:
        """A discovery page: request every article on it, then the next discovery page."""
        for link in self.article_links(response):
            url = response.urljoin(link.url)
            if self.article_url_re.search(url):
                self.crawler.stats.inc_value("stdnews/articles_discovered")
                yield scrapy.Request(
                    url, callback=self.parse_article, cb_kwargs={"hints": link.hints}
                )
            else:
                self.logger.debug("not an article URL, skipped: %s", url)
        next_page = self.next_page(response)
        if next_page:
            yield scrapy.Request(response.urljoin(next_page), callback=self.parse)

    def article_links(self, response: Response) -> Iterable[ArticleLink]:
        """Article links on a listing page; override for feeds and APIs."""
        for href in response.css(self.article_links_css).getall():
            yield ArticleLink(href.strip())

    def next_page(self, response: Response) -> str | None:
        if not self.next_page_css:
            return None
        return response.css(self.next_page_css).get()

    def parse_article(self, response: Response, hints: dict | None = None) -> Iterator[ArticleItem]:
        yield ArticleItem(
            source=self.name,
            url=response.request.meta.get("redirect_urls", [response.url])[0],
            final_url=response.url,
            status=response.status,
            html=response.text,
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
            hints=hints or {},
        )
