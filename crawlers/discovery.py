"""Generic discovery: what any news page, feed or sitemap says about articles, whatever its theme.

A site's own selectors (spiders' `article_links_css`, their API readers) break when the site is
re-templated, which happened within months on every source with evidence. What survives a new
theme is that the page still links its articles, may advertise a feed (`<link rel=alternate>`),
labels its next page ("Next", "Older posts", "Suivant", rel=next, numbered pages) and may list
its pages in a sitemap. These readers work on any Scrapy response; the spider base unites them
with the site's own path and counts which path found each article (`via`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit

from parsel import Selector
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

# Discovery paths, as counted in the crawl stats and the crawls row (`discovery_paths`).
SITE_PATHS = ("selector", "api", "listing")  # the site's own readers (spiders' article_links)
LINKS, FEED, SITEMAP = "links", "feed", "sitemap"

SKIPPED_SCHEMES = ("#", "javascript:", "mailto:", "tel:", "data:")
# Climbing from a link to the item that holds it: past this many levels, a date is another item's.
DATE_LEVELS = 4
DATE_TEXT_RE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}[/.]\d{4}"
    r"|\d{1,2}(?:er)?[ -](?:jan|feb|fév|mar|apr|avr|may|mai|jun|juin|jul|juil|aug|août|sep|oct"
    r"|nov|dec|déc)[a-zéû]*\.?[ -]\d{4}"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4})\b",
    re.IGNORECASE,
)
NEXT_LABEL_RE = re.compile(
    r"^(?:next|next page|older|older posts|older entries|older news|more news|suivant|suivante"
    r"|page suivante|weiter|nächste seite|siguiente|следующая|далее"
    r"|load more|show more|afficher plus|voir plus|plus d'actualités|ver más|cargar más"
    r"|показать ещё|показать еще|загрузить ещё)$"
)
ARROWS = " \t\n›»→>"
PAGE_NUMBER = re.compile(
    r"(?:current page|page|page actuelle)?\s*(\d{1,4})\s*(?:\(current\))?", re.I
)
# Sitemaps: a news sitemap's own date beats the file's lastmod.
NEWS_URLS = "//*[local-name()='url'][.//*[local-name()='publication_date']]"


@dataclass
class ArticleLink:
    """An article found by discovery, with what the discovery page said about it."""

    url: str
    hints: dict = field(default_factory=dict)

    @property
    def via(self) -> str:
        return self.hints.get("via") or "selector"

    def latest_day(self) -> date | None:
        """The latest day the date discovery gives can mean, for --since: a record's, a listing's
        or a sitemap's date, else the URL's. A month ("2021-05") is any day of it, so the article
        is older than --since only when the whole month is."""
        from pipeline.normalize import dates  # dateparser: loaded only by --since runs

        hinted = dates.parse_any(self.hints.get("published"), "hint")
        found = hinted or dates.from_url(self.url)
        if not found:
            return None
        first = found.first_day()
        if found.precision == "day":
            return first
        if found.precision == "month":
            # A URL's month is the page's creation month, which may precede its publication
            # (ISO lists a /2025/09/ page on 2 October): a month of grace.
            months = 1 if hinted else 2
            return add_months(first, months) - timedelta(days=1)
        return date(first.year, 12, 31)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after day's."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def page_links(
    response: Response, article: Callable[[str], str | None] | None = None
) -> Iterator[ArticleLink]:
    """Every link of an HTML page, with its text and the date of the item that holds it. Read on
    lxml's tree: a listing has hundreds of links. With `article` (an absolute URL -> the
    canonical URL of the article it is, or None), only the articles' links, under their
    canonical URL (and the address found, when it differs, as the `discovered_as` hint)."""
    for anchor in response.selector.root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.lower().startswith(SKIPPED_SCHEMES):
            continue
        address = response.urljoin(href)
        url = article(address) if article is not None else href
        if url is None:
            continue
        hints = {"via": LINKS}
        text = text_of(anchor) or anchor.get("title")
        if text:
            hints["link_text"] = text
        published = nearest_date(anchor)
        if published:
            # A guess (the date text nearest the link): weaker than the page's own signals.
            hints["published"], hints["published_via"] = published, LINKS
        if article is not None and address != url:
            hints["discovered_as"] = address  # another shape of the URL, for the record
        yield ArticleLink(url, hints)


def text_of(element) -> str:
    return " ".join("".join(element.itertext()).split())


def nearest_date(anchor) -> str | None:
    """The one date (a <time datetime>, else a date in the text) of the closest element around
    the link (an lxml element) that has one; None once that element holds other items (links
    to other pages of the same section) or several dates."""
    section = path_section(anchor.get("href") or "")
    node = anchor
    for _ in range(DATE_LEVELS):
        node = node.getparent()
        if node is None:
            return None
        hrefs = {a.get("href") for a in node.iter("a")}
        if sum(path_section(h or "") == section for h in hrefs) > 1:
            return None  # a list of items: its dates are theirs
        times = {t.get("datetime") for t in node.iter("time") if t.get("datetime")}
        if times:
            return times.pop() if len(times) == 1 else None
        texts = set(DATE_TEXT_RE.findall(" ".join(node.itertext())))
        if texts:
            return texts.pop() if len(texts) == 1 else None
    return None


def path_section(href: str) -> str:
    """The first segment of a link's path ("/blog/x" -> "blog"): links to items of one list."""
    path = urlsplit(href.strip()).path
    return path.strip("/").split("/")[0] if "/" in path.strip("/") else ""


def next_pages(response: Response) -> list[str]:
    """The next pages of a listing in any theme: rel=next, links labelled next, older, suivant,
    load more... (every distinct one: a page may page two sections), else the number after the
    current page's."""
    found = usable(
        response.xpath(
            "//link[@rel='next']/@href | //a[contains(concat(' ', @rel, ' '), ' next ')]/@href"
        ).getall()
    )
    for anchor in response.selector.root.iter("a"):
        label = (text_of(anchor) or anchor.get("aria-label") or "").strip(ARROWS).lower()
        if len(label) < 30 and NEXT_LABEL_RE.match(label):
            found += usable([anchor.get("href") or ""])
    found = [response.urljoin(href) for href in found]
    return list(dict.fromkeys(found)) or numbered_next(response)


def numbered_next(response: Response) -> list[str]:
    """Numbered pages ("1 2 3"): the link whose number follows the current page's (the first
    element marked current or active whose text is a number: menus mark theirs too)."""
    marked = response.xpath(
        "//*[@aria-current='page'] | //*[contains(concat(' ', @class, ' '), ' active ')"
        " or contains(concat(' ', @class, ' '), ' current ')]"
    )
    # Drupal and Liferay add hidden words ("Current page 2", "2 (Current)"): the number counts.
    numbers = (PAGE_NUMBER.fullmatch(text_of(node.root)) for node in marked)
    current = next((n.group(1) for n in numbers if n), None)
    if current is None:
        return []
    wanted = str(int(current) + 1)
    for anchor in response.selector.root.iter("a"):
        number = PAGE_NUMBER.fullmatch(text_of(anchor))
        if number and number.group(1) == wanted:
            return [response.urljoin(h) for h in usable([anchor.get("href") or ""])]
    return []


def usable(hrefs: list[str]) -> list[str]:
    return [
        h.strip() for h in hrefs if h.strip() and not h.strip().lower().startswith(SKIPPED_SCHEMES)
    ]  # noqa: E501


def advertised_feeds(response: Response) -> list[str]:
    """Feeds the page declares (<link rel=alternate type=application/rss+xml|atom+xml>), not the
    comment feeds."""
    hrefs = response.xpath(
        "//link[contains(concat(' ', @rel, ' '), ' alternate ')]"
        "[contains(@type, 'rss') or contains(@type, 'atom')]/@href"
    ).getall()
    return [response.urljoin(h.strip()) for h in usable(hrefs) if "comments" not in h.lower()]


def is_feed(response: Response) -> bool:
    content_type = response.headers.get("Content-Type", b"").decode().lower()
    head = response.body[:300].lstrip().lower()
    return (
        "rss" in content_type
        or "atom" in content_type
        or head.startswith((b"<?xml", b"<rss", b"<feed"))
        and (b"<rss" in head or b"<feed" in head or b"<channel" in head)
    )


def feed_links(response: Response) -> Iterator[ArticleLink]:
    """Items of an RSS 2.0 or Atom feed, with their title, date, summary and categories."""
    selector = Selector(text=response.text, type="xml")
    selector.remove_namespaces()
    for item in selector.xpath("//item | //entry"):
        # Atom: the entry's own page (rel alternate or none), not its replies or edit links.
        url = (
            item.xpath("link[not(@rel) or @rel='alternate']/@href").get()
            or item.xpath("link/text()").get()
        )
        if not url:
            continue
        yield ArticleLink(
            url.strip(),
            {
                "title": item.xpath("title/text()").get(),
                # Atom's <updated> may come first in an entry: the publication date wins.
                "published": first(item, "pubDate", "published", "updated"),
                "published_via": "feed",
                "description": item.xpath("description/text() | summary/text()").get(),
                "tags": item.xpath("category/text() | category/@term").getall(),
                "via": FEED,
            },
        )


def first(item: Selector, *names: str) -> str | None:
    """The text of the first of these child elements that the item has."""
    return next((text for name in names for text in item.xpath(f"{name}/text()").getall()), None)


def sitemap_body(response: Response, max_size: int) -> bytes | None:
    """The XML of a sitemap answer, gunzipped within max_size (as Scrapy's SitemapSpider does);
    None when it is neither XML nor gzip, or too large."""
    body = response.body
    if body[:2] == b"\x1f\x8b":
        try:
            return gunzip(body, max_size=max_size)
        except (OSError, ValueError):
            return None
    return body if body.lstrip()[:1] == b"<" else None


def sitemap_entries(body: bytes) -> tuple[list[str], list[ArticleLink]]:
    """(child sitemaps, page links) of a sitemap or sitemap index (Scrapy's parser), with
    lastmod or the news sitemap's publication date as the date hint."""
    sitemap = Sitemap(body)
    children, pages = [], []
    news = news_dates(body) if b"publication_date" in body else {}
    for entry in sitemap:
        loc = (entry.get("loc") or "").strip()
        if not loc:
            continue
        if sitemap.type == "sitemapindex":
            children.append(loc)
            continue
        published = news.get(loc)
        hints = {"via": SITEMAP}
        if published or entry.get("lastmod"):
            hints["published"] = published or entry["lastmod"]
            # A news sitemap's publication date; else lastmod, which is a modification date.
            hints["published_via"] = SITEMAP if published else "lastmod"
        pages.append(ArticleLink(loc, hints))
    return children, pages


def news_dates(body: bytes) -> dict[str, str]:
    """loc -> publication date of a news sitemap's entries, read in one pass."""
    dates = {}
    for url in Selector(body=body, type="xml").xpath(NEWS_URLS):
        loc = url.xpath("string(*[local-name()='loc'])").get("").strip()
        dates[loc] = url.xpath("string(.//*[local-name()='publication_date'])").get("").strip()
    return dates


def robots_sitemaps(response: Response) -> list[str]:
    """The `Sitemap:` lines of a robots.txt."""
    return list(sitemap_urls_from_robots(response.body, base_url=response.url))
