"""OECD newsroom: discovery through the public search API, article pages on www.oecd.org.

* api.oecd.org/webcms/search/faceted-search (JSON; its RSS twin when the JSON fails) ->
  www.oecd.org/{en,fr}/about/news/{press-releases,announcements,media-advisories}/YYYY/MM/<slug>.html
* www.oecd.org/newsroom/publicationsdocuments/bydate/[N] (the old site) -> /newsroom/<slug>.htm

The newsroom and search pages are a client-side app; the API record gives title, description,
date and tags, which travel with the article request as hints. www.oecd.org refuses crawlers
(Cloudflare 403) at times: such posts are kept from their API record (see base.article_failed).
"""

import json
import re
from collections.abc import Iterable
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from crawlers.spiders.base import ArticleLink, NewsSpider, is_feed

API = "https://api.oecd.org/webcms/search"
PAGE_SIZE = 10
LEGACY_LISTING = "https://www.oecd.org/newsroom/publicationsdocuments/bydate/"


def api_url(page: int, size: int = PAGE_SIZE, language: str = "en") -> str:
    """The faceted-search query for the newest news items (press releases, announcements...)."""
    query = [
        ("siteName", "oecd"),
        ("interfaceLanguage", language),
        ("orderBy", "mostRecent"),
        ("page", str(page)),
        ("pageSize", str(size)),
        ("path", f"/content/oecd/{language}/about/news"),
        ("hiddenFacets", f"oecd-languages:{language}"),
    ]
    return f"{API}/faceted-search?{urlencode(query)}"


def rss_url(language: str = "en") -> str:
    """The API's RSS twin (what the newsroom's "Get RSS link" gives)."""
    query = [
        ("siteName", "oecd"),
        ("interfaceLanguage", language),
        ("path", f"/content/oecd/{language}/about/news"),
        ("facets", f"oecd-languages:{language}"),
    ]
    return f"{API}/rss?{urlencode(query)}"


def query_language(url: str) -> str:
    match = re.search(r"[?&]interfaceLanguage=(\w+)", url)
    return match.group(1) if match else "en"


class OecdSpider(NewsSpider):
    name = "oecd"
    allowed_domains = ["api.oecd.org", "www.oecd.org"]
    start_urls = [api_url(0, language="en"), api_url(0, language="fr"), LEGACY_LISTING]
    archive_urls = (LEGACY_LISTING,)  # no longer published to
    custom_settings = {
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "application/json, text/html;q=0.9, */*;q=0.8",
            "Origin": "https://www.oecd.org",
            "Referer": "https://www.oecd.org/en/search.html",
        }
    }
    next_page_css = ".pagination a.next::attr(href)"  # the old site's listing

    async def start(self):
        async for request in super().start():
            if request.url.startswith(API):
                request = request.replace(errback=self.api_failed)
            yield request

    def api_failed(self, failure):
        """The JSON search failed: discover through its RSS twin instead."""
        self.logger.warning("OECD search API failed (%s); using its RSS feed", failure.value)
        url = rss_url(query_language(failure.request.url))
        yield scrapy.Request(url, callback=self.parse, errback=self.discovery_failed,
                             meta={"root": failure.request.url})  # fmt: skip

    def article_links(self, response: Response) -> Iterable[ArticleLink]:
        if is_feed(response):
            yield from super().article_links(response)
        elif response.url.startswith(API):
            yield from self._api_links(response)
        else:
            yield from self._legacy_links(response)

    def _api_links(self, response: Response) -> Iterable[ArticleLink]:
        for record in json.loads(response.text).get("results", []):
            tags = [t.get("title") for t in record.get("tags", []) if t.get("title")]
            hints = {
                "title": record.get("title"),
                "description": record.get("description"),
                "published": record.get("publicationDateTime"),
                "tags": tags,
                "language": query_language(response.url),
                "via": "api",
            }
            # Records carry site-relative URLs.
            yield ArticleLink(response.urljoin("https://www.oecd.org" + record["url"]), hints)

    def _legacy_links(self, response: Response) -> Iterable[ArticleLink]:
        for row in response.css("li.row.item"):
            href = row.css("div.block h4 a::attr(href)").get()
            if href:
                hints = {
                    "title": row.css("div.block h4 a::text").get(),
                    "published": row.css("p.date::text").get(),  # "2-October-2023"
                    "description": row.css("div.block p.content::text").get(),
                    "via": "listing",
                }
                yield ArticleLink(href, hints)

    def next_page(self, response: Response) -> str | None:
        """API: no total is given, so a full page means there may be another."""
        if not response.url.startswith(API) or is_feed(response):
            return super().next_page(response)
        if len(json.loads(response.text).get("results", [])) < PAGE_SIZE:
            return None
        page = int(re.search(r"[?&]page=(\d+)", response.url).group(1))
        return api_url(page + 1, language=query_language(response.url))
