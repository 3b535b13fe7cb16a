"""OECD newsroom: discovery through the public search API, article pages on www.oecd.org.

* api.oecd.org/webcms/search/faceted-search (JSON; its RSS twin, paged the same way, when the
  JSON fails) ->
  www.oecd.org/{en,fr}/about/news/{press-releases,announcements,media-advisories}/YYYY/MM/<slug>.html
* www.oecd.org/newsroom/publicationsdocuments/bydate/[N] (the old site) -> /newsroom/<slug>.htm

The newsroom and search pages are a client-side app; the API record gives title, description,
date, tags and authors, which travel with the article request as hints. Records' `url` is
absolute (`https://www.oecd.org/en/...html`, as in real output of 2026) or site-relative (as older
clients describe it): both are taken. Pages of 100 records; the JSON's `total` says whether
another page follows (without it, a full page means there may be one). www.oecd.org refuses crawlers
(Cloudflare 403) at times: such posts are kept from their API record (see base.article_failed).

A JSON page that fails (an HTTP error, a refused redirect) or answers with something else than
the search's JSON object (truncated, empty, over-deep, a challenge page with a 200) is recorded in
`crawl_errors` with its reason, and the same page of the RSS twin is asked for instead. The
source's health then rests on the twin: a twin that fails too leaves the source broken or
blocked.
"""

import json
import re
from collections.abc import Iterable
from urllib.parse import urlencode, urljoin

import scrapy
from scrapy.http import Response

from crawlers import failures
from crawlers import stats as keys
from crawlers.redirects import asked_for
from crawlers.spiders.base import ArticleLink, NewsSpider, failure_reason, failure_text, is_feed

API = "https://api.oecd.org/webcms/search"
SITE = "https://www.oecd.org/"
PAGE_SIZE = 100  # the largest page two independent clients report working
MAX_API_PAGES = 50  # a bound, whatever `total` says
API_BODY = "oecd_api_body"  # request meta: the JSON page's body, decoded once
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


def rss_url(language: str = "en", page: int = 0, size: int = PAGE_SIZE) -> str:
    """The API's RSS twin (what the newsroom's "Get RSS link" gives): it takes `page` and
    `pageSize` as the JSON does and is sorted by date, items keyed by their permalink."""
    query = [
        ("siteName", "oecd"),
        ("interfaceLanguage", language),
        ("page", str(page)),
        ("pageSize", str(size)),
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

    def discovery_request(self, url: str, root: str, meta: dict | None = None) -> scrapy.Request:
        request = super().discovery_request(url, root, meta)
        return request.replace(errback=self.api_failed) if is_api_json(url) else request

    def parse(self, response: Response, **kwargs):
        """A JSON page that cannot be read gives way to its RSS twin; anything else: the base's."""
        if is_api_json(response.url) and response.status == 200:
            unusable = unusable_api(response)
            if unusable:
                yield from self.api_replaced(response.request, response.status, *unusable)
                if unusable[0] == failures.INVALID:
                    # It answered: unless its twin gives articles, the API changed.
                    self.record.discovered(response.meta.get("root", response.url), 0)
                return
        yield from super().parse(response, **kwargs)

    def api_failed(self, failure):
        """The JSON search failed (HTTP error, refused redirect, no answer)."""
        status, reason = failure_reason(failure)
        yield from self.api_replaced(failure.request, status, reason, failure_text(failure, status))

    def api_replaced(self, request: scrapy.Request, status, reason: str, error: str):
        """Recorded (not counted against the source: the twin stands in), then the same page
        of the RSS twin."""
        url = asked_for(request)
        self.logger.info("OECD search API failed (%s: %s); using its RSS feed", reason, error)
        self.record_failure(url, "discovery", status, f"{error}; RSS twin asked instead", reason)
        self.crawler.stats.inc_value(keys.DISCOVERY_REPLACED)
        page, size = page_of(url)
        twin = rss_url(query_language(url), page, size)
        root = request.meta.get("root", url)
        yield self.discovery_request(twin, root=root)

    def article_links(self, response: Response) -> Iterable[ArticleLink]:
        if is_feed(response):
            yield from super().article_links(response)
        elif response.url.startswith(API):
            yield from self._api_links(response)
        else:
            yield from self._legacy_links(response)

    def _api_links(self, response: Response) -> Iterable[ArticleLink]:
        for record in api_body(response).get("results") or []:
            if not isinstance(record, dict) or not isinstance(record.get("url"), str):
                self.logger.warning("OECD API record without a url skipped: %s", response.url)
                continue
            tags = [t.get("title") for t in record.get("tags") or [] if t.get("title")]
            hints = {
                "title": record.get("title"),
                "description": record.get("description"),
                "published": record.get("publicationDateTime"),
                "tags": tags,
                "language": query_language(response.url),
                "via": "api",
            }
            authors = [author_name(a) for a in record.get("authors") or []]
            if any(authors):
                hints["authors"] = [a for a in authors if a]
            # Absolute in real output, site-relative in older descriptions: both resolve here.
            yield ArticleLink(urljoin(SITE, record["url"].strip()), hints)

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

    def next_pages(self, response: Response) -> list[str]:
        """API: the next page while `total` says more records follow; its RSS twin: the next
        page while a full one came (it has no total); the old listing: its "next" link."""
        if response.url.startswith(f"{API}/rss"):
            following = rss_next(response.url, feed_items(response))
            return [following] if following else []
        if is_feed(response):
            return []
        if response.url.startswith(API):
            following = api_next(response.url, api_body(response))
            return [following] if following else []
        return response.css(".pagination a.next::attr(href)").getall()


def feed_items(response: Response) -> int:
    """Items (RSS) or entries (Atom) of a feed answer."""
    try:
        return len(response.xpath("//*[local-name()='item' or local-name()='entry']"))
    except (AttributeError, ValueError):
        return 0  # not a text answer


def rss_next(url: str, items: int) -> str | None:
    """The RSS twin's next page: asked for only after a full page, within MAX_API_PAGES."""
    page = int(re.search(r"[?&]page=(\d+)", url).group(1))
    size = int(re.search(r"[?&]pageSize=(\d+)", url).group(1))
    if items < size or page + 1 >= MAX_API_PAGES:
        return None
    return rss_url(query_language(url), page + 1, size)


def is_api_json(url: str) -> bool:
    return url.startswith(f"{API}/faceted-search")


def page_of(url: str) -> tuple[int, int]:
    """(page, pageSize) of an API or RSS twin URL."""
    page = re.search(r"[?&]page=(\d+)", url)
    size = re.search(r"[?&]pageSize=(\d+)", url)
    return int(page.group(1)) if page else 0, int(size.group(1)) if size else PAGE_SIZE


def decoded(response: Response) -> dict | None:
    """The search API's JSON object, or None when the answer is not one (decoded once)."""
    if API_BODY not in response.meta:
        try:
            body = json.loads(response.body)
        except (ValueError, RecursionError):  # truncated, empty, not JSON; nested past the stack
            body = None
        response.meta[API_BODY] = body if isinstance(body, dict) else None
    return response.meta[API_BODY]


def unusable_api(response: Response) -> tuple[str, str] | None:
    """(reason, error) of a JSON page that cannot be read, else None."""
    if failures.is_challenge(response.headers, response.body, response.status):
        return failures.BLOCKED, f"HTTP {response.status}: bot challenge or CDN refusal page"
    body = decoded(response)
    if body is None or not isinstance(body.get("results", []), list):
        if not response.body.strip():
            return failures.INVALID, f"HTTP {response.status} with an empty body"
        size = len(response.body)
        what = "truncated, over-deep or HTML?"
        return failures.INVALID, f"HTTP {response.status}: not the search's JSON ({size} B: {what})"
    return None


def api_body(response: Response) -> dict:
    """The search API's JSON, or {} when the answer is not a JSON object."""
    return decoded(response) or {}


def author_name(author) -> str | None:
    """An `authors[]` entry: a name, or an object with one."""
    if isinstance(author, dict):
        author = author.get("name") or author.get("title")
    return author.strip() if isinstance(author, str) and author.strip() else None


def api_next(url: str, body: dict) -> str | None:
    """The next page's URL, or None when this one was the last (or the bound is reached).

    Pages are 0-based; page p holds records p*size..p*size+size-1 of `total`. A server that
    gives fewer records than asked on the first page caps its pages: the next pages are asked
    for at that size, so that none is skipped.
    """
    results = body.get("results") or []
    page = int(re.search(r"[?&]page=(\d+)", url).group(1))
    size = int(re.search(r"[?&]pageSize=(\d+)", url).group(1))
    if not results or page + 1 >= MAX_API_PAGES:
        return None
    total = body.get("total")
    if not isinstance(total, int):
        more = len(results) >= size  # no total: a full page means there may be another
    else:
        if page == 0 and len(results) < min(size, total):
            size = len(results)  # capped below what was asked
        more = page * size + len(results) < total
    return api_url(page + 1, size, query_language(url)) if more else None
