"""OECD newsroom: discovery through the public search API, article pages on www.oecd.org.

The newsroom and search pages are a client-side app over api.oecd.org/webcms/search; the API
record gives title, description, date and tags, which travel with the article request as hints.
"""

import json
import re
from collections.abc import Iterable
from urllib.parse import urlencode, urljoin

from scrapy.http import Response

from crawlers.spiders.base import ArticleLink, NewsSpider

API = "https://api.oecd.org/webcms/search/faceted-search"
SITE = "https://www.oecd.org"
PAGE_SIZE = 10


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
    return f"{API}?{urlencode(query)}"


class OecdSpider(NewsSpider):
    name = "oecd"
    allowed_domains = ["api.oecd.org", "www.oecd.org"]
    start_urls = [api_url(0)]
    article_url_re = re.compile(
        r"^https://www\.oecd\.org/(en|fr)/about/news/"
        r"(press-releases|announcements|media-advisories)/\d{4}/\d{2}/[^/?#]+\.html$"
    )
    custom_settings = {
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "application/json, text/html;q=0.9, */*;q=0.8",
            "Origin": "https://www.oecd.org",
            "Referer": "https://www.oecd.org/en/search.html",
        }
    }

    def article_links(self, response: Response) -> Iterable[ArticleLink]:
        for record in self._results(response):
            tags = [t.get("title") for t in record.get("tags", []) if t.get("title")]
            yield ArticleLink(
                urljoin(SITE, record["url"]),  # records carry site-relative URLs
                {
                    "title": record.get("title"),
                    "description": record.get("description"),
                    "published": record.get("publicationDateTime"),
                    "tags": tags,
                    "via": "api",
                },
            )

    def next_page(self, response: Response) -> str | None:
        """The API has no total: a full page means there may be another."""
        if len(self._results(response)) < PAGE_SIZE:
            return None
        page = int(re.search(r"[?&]page=(\d+)", response.url).group(1))
        return api_url(page + 1)

    def _results(self, response: Response) -> list[dict]:
        return json.loads(response.text).get("results", [])
