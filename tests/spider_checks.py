"""Checks every spider test runs: discovery yields article requests and the next page."""

from __future__ import annotations

import scrapy

from crawlers.items import ArticleItem
from tests.conftest import fixture_response


def discover(spider, url: str) -> tuple[list[scrapy.Request], list[scrapy.Request]]:
    """(article requests, next discovery requests) from the saved discovery page at url."""
    requests = list(spider.parse(fixture_response(url)))
    articles = [r for r in requests if r.callback == spider.parse_article]
    listings = [r for r in requests if r.callback == spider.parse]
    return articles, listings


def fetch_article(spider, url: str, hints: dict | None = None) -> ArticleItem:
    response = fixture_response(url, callback=spider.parse_article)
    (item,) = spider.parse_article(response, hints=hints)
    return item
