"""ISO: the "standards world" news hub (Jahia), its "Load more" ajax pages, and the news feed.

* www.iso.org/insights/standards-world and /{fr,ru,es}/home/insights-news/news/standards-world.html:
  a featured item and two sections (ISO's news, members' news) of teasers; each section's
  "Load more" button has no URL, an inline script GETs a Jahia `...latest-news.html.ajax` (or
  `latest-members.html.ajax`) fragment with uuid-keyed `nb-`, `offset-` and `cat-` parameters.
  The uuid, path and parameters are read from the page; a fragment's next page is the next offset,
  and the site answers 204 when there is nothing more.
* /contents/news.rss, and the listings of 2021-25 (/news.html, /fr/news.html, /ru/news.html: no
  longer linked, kept as archives; a 404 there is "gone").

Article URLs come in many shapes (/contents/news/YYYY/MM/<slug>.html, /news/YYYY/MM/<slug>,
/cms/{render,live}/live/<lang>/sites/isoorg/..., members' *.isolutions.iso.org mirrors,
committee.iso.org's /cms/ paths); pipeline/normalize/sources.py canonicalizes them before
requesting. The undated vanity URLs (/news/<slug>, /news/am23/<slug> and other campaign folders,
/news/refNNNN.html, /refNNNN.html) are requested as they are: the site redirects them to the node,
whose address the post takes (one that answers without redirecting stays a post of its own).

The French, Russian and Spanish hubs list translations of English posts: an incremental run asks
for them only when the English hub or feed had something new, or once a day (secondary_urls).

robots.txt: the ajax fragments live under /cms/, which robots.txt files of ISO have disallowed.
The spider obeys robots.txt (ROBOTSTXT_OBEY): where /cms/ is disallowed, the ajax pages are
refused by Scrapy (counted as failed discovery requests) and the hub's first items, the feed and
the old listings remain. The 2025-26 robots.txt of www.iso.org is unknown (a 404 and a challenge
were reported): nothing here works around it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit

from scrapy.http import HtmlResponse, Response

from crawlers.spiders.base import ArticleLink, NewsSpider, is_feed

SITE = "https://www.iso.org"
HUB = f"{SITE}/insights/standards-world"
HUB_TRANSLATIONS = tuple(
    f"{SITE}/{language}/home/insights-news/news/standards-world.html"
    for language in ("fr", "ru", "es")
)
FEED = f"{SITE}/contents/news.rss"
OLD_LISTINGS = (f"{SITE}/news.html", f"{SITE}/fr/news.html", f"{SITE}/ru/news.html")

# Hub items: the featured one and the sections' teasers (also the ajax fragments' markup).
ITEMS_CSS = "div.media.media-news, div.entry-teaser"
# An item's links: the featured title (span.entry-name inside the link), the teaser titles (h5
# until March 2026, h4 after) and the image link.
ITEM_LINKS_CSS = (
    "div.entry-header div.h4 a[href], div.h5 > a[href], div.h4 > a[href], figure a[href][title]"
)
ITEM_TITLE_CSS = "span.entry-name ::text, div.h5 > a ::text, div.h4 > a ::text"
OLD_LISTING_CSS = "div.entry-name a[href]"  # the /news.html listing of 2021-25

PAGE_SIZE = 8  # "Load more" asks for 8 more teasers unless the script says otherwise
MAX_AJAX_PAGES = 50  # per section: a bound, whatever the site answers
AJAX_PATH = re.compile(r"""["']((?:https?://[^/"'\s]+)?/[^"'\s?]+\.html\.ajax)(?:\?[^"']*)?["']""")


class IsoSpider(NewsSpider):
    name = "iso"
    allowed_domains = ["www.iso.org"]
    start_urls = [HUB, FEED, *HUB_TRANSLATIONS, *OLD_LISTINGS]
    secondary_urls = HUB_TRANSLATIONS
    archive_urls = OLD_LISTINGS

    def listing_links(self, response: HtmlResponse) -> Iterable[ArticleLink]:
        for item in response.css(ITEMS_CSS):
            hints = item_hints(item)
            for href in item.css(ITEM_LINKS_CSS).xpath("@href").getall():
                yield ArticleLink(href.strip(), dict(hints))
        for href in response.css(OLD_LISTING_CSS).xpath("@href").getall():
            yield ArticleLink(href.strip(), {"via": "selector"})

    def next_pages(self, response: Response) -> list[str]:
        """The hub's "Load more" fragments (one per section), the next offset of a fragment,
        and the old listing's `data-next-url` button."""
        if not isinstance(response, HtmlResponse) or is_feed(response):
            return []
        if response.status == 204 or not response.body.strip():
            return []  # the section has nothing more
        if is_ajax(response.url):
            following = next_offset(response.url)
            if following is None:
                bound = MAX_AJAX_PAGES
                self.logger.info("ISO ajax pages: bound of %d reached at %s", bound, response.url)
            return [following] if following else []
        pages = [response.urljoin(url) for url in load_more_urls(response)]
        old = response.css("button[id^=more][data-next-url]::attr(data-next-url)").getall()
        return pages + old


def item_hints(item) -> dict:
    """Title and listing date of a hub item (the date is the listing's, not the URL's month)."""
    title = " ".join("".join(item.css(ITEM_TITLE_CSS).getall()).split())
    title = title or item.css("a[title]::attr(title)").get()
    hints = {"via": "selector"}
    if title:
        hints["title"] = title
    published = item.css("time.updated::attr(datetime)").get()
    if published:
        hints["published"], hints["published_via"] = published.strip(), "listing"
    return hints


def load_more_urls(response: Response) -> list[str]:
    """One ajax URL per `button#more-<uuid>`, built from the inline script that serves it."""
    scripts = response.xpath("//script[not(@src)]/text()").getall()
    urls = []
    for uuid in response.css("button[id^='more-']::attr(id)").re(r"^more-([\w-]+)$"):
        script = next((s for s in scripts if uuid in s), "")
        path = nearest_ajax_path(script, uuid)
        if path:
            offset = len(response.css(f"#list-{uuid} div.entry-teaser")) or script_number(
                script, f"offset-{uuid}"
            )
            category = script_text(script, f"cat-{uuid}") or page_name(response.url)
            urls.append(ajax_url(path, uuid, offset or 0, category, script))
    return urls


def nearest_ajax_path(script: str, uuid: str) -> str | None:
    """The `.html.ajax` path written closest to the uuid (a script may serve two sections)."""
    spots = [m.start() for m in re.finditer(re.escape(uuid), script)]
    paths = [(m.start(), m.group(1)) for m in AJAX_PATH.finditer(script)]
    if not spots or not paths:
        return None
    return min(paths, key=lambda p: min(abs(p[0] - spot) for spot in spots))[1]


def script_number(script: str, key: str) -> int | None:
    match = re.search(re.escape(key) + r"""["']?\s*[:=,]\s*["']?(\d+)""", script)
    return int(match.group(1)) if match else None


def script_text(script: str, key: str) -> str | None:
    match = re.search(re.escape(key) + r"""["']?\s*[:=,]\s*["']([^"']*)["']""", script)
    return match.group(1) if match else None


def page_name(url: str) -> str:
    """ "standards-world" for /insights/standards-world and .../standards-world.html."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html")


def ajax_url(path: str, uuid: str, offset: int, category: str, script: str = "") -> str:
    size = script_number(script, f"nb-{uuid}") or PAGE_SIZE
    query = [(f"nb-{uuid}", size), (f"offset-{uuid}", offset), (f"cat-{uuid}", category)]
    return f"{path}?{urlencode([*query, ('tag', '')])}"


def is_ajax(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path.endswith(".ajax") and "offset-" in parts.query


def next_offset(url: str) -> str | None:
    """The same fragment request one page further, or None past MAX_AJAX_PAGES."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    size = next((int(v) for k, v in query if k.startswith("nb-") and v.isdigit()), PAGE_SIZE)
    offset = next((int(v) for k, v in query if k.startswith("offset-") and v.isdigit()), 0)
    if size <= 0 or (offset + size) // size > MAX_AJAX_PAGES:
        return None
    query = [(k, str(offset + size) if k.startswith("offset-") else v) for k, v in query]
    return parts._replace(query=urlencode(query)).geturl()
