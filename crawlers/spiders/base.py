"""Shared flow of every news spider: discovery pages (listings, feeds, APIs) -> article pages.

A source is mostly data on a subclass: start URLs and the CSS that finds article links and the
next listing page. Which URLs are articles, and of which layout generation, is pipeline/sources.py's
knowledge, so that listing and index pages are never handed over as posts. Extraction of fields
from article pages happens in pipeline/, not here.

Spider arguments (`-a` or `stdnews crawl --since/--limit`): `since=YYYY-MM-DD` skips older
articles and stops paginating once a discovery page holds only older ones; `limit=N` caps the
articles requested; `sample=N` takes at most N articles from each discovery start URL (the
live canary, `stdnews check`, so that every discovery path and generation is looked at);
`full=1` fetches every article again and walks every discovery page; `revisit_days=N` re-checks
posts published in the last N days (default 14).

Incremental by default (pipeline/state.py): articles stored already are not fetched again; after
a complete previous run, discovery pages are asked for conditionally (a 304 ends that path) and
pagination stops at the first page with nothing new. Recent posts are revisited conditionally
(304: unchanged; 404/410: gone) and refused ones retried. Archives and the listings of
translations (`archive_urls`, `secondary_urls`) are left out of most incremental runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import scrapy
from parsel import Selector
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.items import ArticleItem
from pipeline import state
from pipeline.sources import SOURCES
from pipeline.urls import canonical_url

GONE = (404, 410)  # a page removed for good: its post is marked gone, a discovery page forgotten


@dataclass
class ArticleLink:
    """An article found by discovery, with what the discovery page said about it."""

    url: str
    hints: dict = field(default_factory=dict)

    def published(self) -> date | None:
        """The date discovery gives for the article, for --since (from the record or the URL)."""
        from pipeline import dates  # dateparser: loaded only by --since runs

        found = dates.parse_any(self.hints.get("published"), "hint") or dates.from_url(self.url)
        return found.first_day() if found else None


class NewsSpider(scrapy.Spider):
    """Discovery pages -> article pages. Subclasses set the class attributes below."""

    start_urls: list[str] = []
    # Start URLs of sites that no longer publish (the old blog, old newsrooms): after a complete
    # run they are looked at again only once a week (STDNEWS_ARCHIVE_RECHECK_DAYS).
    archive_urls: tuple[str, ...] = ()
    # Start URLs of other-language listings whose posts translate those of the other start
    # URLs: after a complete run they are asked for only when the rest of the discovery found a
    # new article (its translations follow it) or after STDNEWS_SECONDARY_RECHECK_HOURS.
    secondary_urls: tuple[str, ...] = ()
    # Links to articles on an HTML listing page (CSS selecting href attributes); feeds
    # (RSS/Atom) are recognized and read without selectors.
    article_links_css: str = ""
    # The next listing page (CSS selecting an href or a data attribute).
    next_page_css: str | None = None

    def __init__(self, *args, since: str | None = None, limit: str | int | None = None,
                 sample: str | int | None = None, full: str | bool | None = None,
                 revisit_days: str | int | None = None, **kwargs):  # fmt: skip
        super().__init__(*args, **kwargs)
        self.sample = int(sample) if sample else None
        self.sampled: dict[str, int] = {}
        self.source = SOURCES[self.name]
        self.since = date.fromisoformat(since) if since else None
        self.limit = int(limit) if limit else None
        self.full = str(full).lower() in ("1", "true", "yes") if full else False
        self.revisit_days = int(revisit_days) if revisit_days is not None else None
        self.requested: set[str] = set()
        # Article links found from each start URL (its later pages included): a discovery page
        # that answers but gives none means its layout changed.
        self.discovery_counts: dict[str, int] = {}
        self.secondary_waiting: list[str] = []  # secondary_urls left for the end of the run
        self.found_new = False  # discovery other than secondary_urls found a new article
        # What the run leaves for the pipeline to record (see crawlers/pipelines.py).
        self.failures: list[dict] = []
        self.checks: list[dict] = []  # validators and status of every page asked for
        self.plan = state.Plan()

    def load_plan(self) -> state.Plan:
        """What the database knows already (known articles, validators, posts to revisit)."""
        settings = self.crawler.settings
        days = self.revisit_days
        if days is None:
            days = settings.getint("STDNEWS_REVISIT_DAYS")
        return state.load(
            settings.get("NEWS_DB_PATH"),
            self.name,
            run_id=settings.get("STDNEWS_RUN_ID"),
            revisit_days=days,
            retry_hours=settings.getfloat("STDNEWS_RETRY_REFUSED_HOURS"),
        )

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.ask_secondaries, signal=signals.spider_idle)
        return spider

    @property
    def stops_early(self) -> bool:
        """Stop paginating at a page with nothing new (only after a complete previous run)."""
        return self.plan.incremental and not (self.full or self.since or self.sample)

    async def start(self):
        self.plan = self.load_plan()
        for url in self.start_urls:
            if self.archive_waits(url):
                self.crawler.stats.inc_value("stdnews/archives_skipped")
            elif self.secondary_waits(url):
                self.secondary_waiting.append(url)  # until the rest of discovery is done
            else:
                yield self.discovery_request(url, root=url)
        if self.full or self.sample:
            return  # a full run fetches every article anyway; the canary only looks
        for revisit in self.plan.revisits:
            yield self.revisit_request(revisit)

    def archive_waits(self, url: str) -> bool:
        """An archive looked at in the last STDNEWS_ARCHIVE_RECHECK_DAYS: nothing is added there."""
        days = self.crawler.settings.getfloat("STDNEWS_ARCHIVE_RECHECK_DAYS")
        return url in self.archive_urls and self.checked_lately(url, timedelta(days=days))

    def secondary_waits(self, url: str) -> bool:
        """A listing of translations looked at in the last STDNEWS_SECONDARY_RECHECK_HOURS."""
        hours = self.crawler.settings.getfloat("STDNEWS_SECONDARY_RECHECK_HOURS")
        return url in self.secondary_urls and self.checked_lately(url, timedelta(hours=hours))

    def checked_lately(self, url: str, within: timedelta) -> bool:
        """Answered within that time, and this run is incremental (others ask for everything)."""
        checked = self.plan.checked.get(url)
        since = (datetime.now(UTC) - within).isoformat(timespec="seconds")
        return self.stops_early and bool(checked and checked >= since)

    def ask_secondaries(self) -> None:
        """Idle: discovery is over. Its new articles bring their translations, so the waiting
        secondary listings are asked for now (once); with nothing new they wait for a later run.
        """
        waiting, self.secondary_waiting = self.secondary_waiting, []
        if not waiting:
            return
        if not self.found_new:
            self.crawler.stats.inc_value("stdnews/secondary_skipped", len(waiting))
            return
        for url in waiting:
            self.crawler.engine.crawl(self.discovery_request(url, root=url))
        raise DontCloseSpider  # the engine would close the spider once this handler returns

    def discovery_request(self, url: str, root: str, **kwargs) -> scrapy.Request:
        headers = self.plan.conditional_headers(url) if self.stops_early else {}
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.discovery_failed,
            headers=headers,
            meta={"root": root, "discovery": True, "handle_httpstatus_list": [304]},
            **kwargs,
        )

    def revisit_request(self, revisit: state.Revisit) -> scrapy.Request:
        """A stored post asked for again: conditionally when recent, plainly when refused."""
        self.requested.add(revisit.url)
        self.crawler.stats.inc_value("stdnews/articles_requested")
        return scrapy.Request(
            revisit.url,
            callback=self.parse_article,
            errback=self.article_failed,
            headers=state.conditional_headers(revisit.etag, revisit.last_modified),
            meta={"revisit": True, "handle_httpstatus_list": [304, *GONE]},
        )

    def parse(self, response: Response, **kwargs) -> Iterator[scrapy.Request]:
        """A discovery page: request its articles, then the next discovery page if still useful."""
        root = response.meta.get("root", response.url)
        self.record_check(response, "discovery")
        if response.status == 304:
            self.crawler.stats.inc_value("stdnews/discovery_not_modified")
            return  # unchanged since the last complete run: nothing new here or after
        links = list(self.discovered(response))
        self.discovery_counts[root] = self.discovery_counts.get(root, 0) + len(links)
        older = new = 0
        for link in links:
            # Dates are parsed only for --since: date parsing stays in the normalization workers.
            published = link.published() if self.since else None
            if published and published < self.since:
                older += 1
                continue
            if link.url in self.requested:
                continue  # found by another discovery path already (listing and feed)
            if not self.full and self.is_known(link):
                self.crawler.stats.inc_value("stdnews/articles_known")
                continue
            new += 1
            if self.limit is not None and len(self.requested) >= self.limit:
                return
            if self.sample is not None and self.sampled.get(root, 0) >= self.sample:
                return
            self.sampled[root] = self.sampled.get(root, 0) + 1
            self.requested.add(link.url)
            self.crawler.stats.inc_value("stdnews/articles_requested")
            yield scrapy.Request(
                link.url,
                callback=self.parse_article,
                errback=self.article_failed,
                cb_kwargs={"hints": link.hints},
            )
        if links and older == len(links):
            return  # --since: this page is all older, so are the next ones
        if new and root not in self.secondary_urls:
            self.found_new = True  # translations of it may be listed: see ask_secondaries
        if links and not new and self.stops_early:
            return  # everything here is known: so is everything after it
        next_page = self.next_page(response)
        if next_page:
            yield self.discovery_request(response.urljoin(next_page), root=root)

    def is_known(self, link: ArticleLink) -> bool:
        """Stored already (under this address or the one it was discovered as)."""
        known = self.plan.known
        return link.url in known or link.hints.get("discovered_as") in known

    def record_check(self, response: Response, kind: str) -> None:
        """Validators of a 200 (kept exactly as received) and the status of any answer, under the
        URL the next run asks for: a discovery page's own (a start URL that redirects is asked
        for again), an article's canonical address (the post's, which revisits ask for)."""
        if kind == "discovery":
            url = response.request.meta.get("redirect_urls", [response.url])[0]
        else:
            url = canonical_url(response.url)
        self.record_status(url, kind, response.status, response.headers)

    def record_status(self, url: str, kind: str, status: int, headers=None) -> None:
        headers = headers or {}
        self.checks.append({"url": url, "source": self.name, "kind": kind, "status": status,
                            "etag": header(headers, "ETag"),
                            "last_modified": header(headers, "Last-Modified")})  # fmt: skip

    def record_failure(self, url: str, kind: str, status: int | None, error: str) -> None:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        self.failures.append({"url": url, "kind": kind, "status": status, "error": error, "at": at})

    def discovered(self, response: Response) -> Iterator[ArticleLink]:
        """Article links of a discovery page, canonical and filtered to article URLs."""
        seen = set()
        for link in self.article_links(response):
            found = response.urljoin(link.url)
            link.url = canonical_url(found)
            if found != link.url:
                link.hints["discovered_as"] = found  # another shape of the URL, for the record
            if link.url in seen:
                continue
            seen.add(link.url)
            if self.source.is_article(link.url):
                yield link
            else:
                self.logger.debug("not an article URL, skipped: %s", link.url)

    def article_links(self, response: Response) -> Iterable[ArticleLink]:
        """Article links of a listing page or a feed; override for APIs."""
        if is_feed(response):
            yield from feed_links(response)
            return
        for href in response.css(self.article_links_css).getall():
            yield ArticleLink(href.strip())

    def next_page(self, response: Response) -> str | None:
        if not self.next_page_css or is_feed(response):
            return None
        return response.css(self.next_page_css).get()

    def parse_article(self, response: Response, hints: dict | None = None) -> Iterator[ArticleItem]:
        redirects = response.request.meta.get("redirect_urls", [])
        self.record_check(response, "article")
        yield ArticleItem(
            source=self.name,
            url=redirects[0] if redirects else response.url,
            final_url=response.url,
            status=response.status,
            html=response.text if response.status == 200 else "",
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
            hints=hints or {},
            redirect_urls=redirects,
            fetched_via=response.meta.get("fetched_via", "live"),  # crawlers/archive.py
            archived_at=response.meta.get("archived_at"),
        )

    def article_failed(self, failure: Failure) -> Iterator[ArticleItem]:
        """A refused or failed article: keep the post from its discovery record, if it has one.

        OECD answers 403 to crawlers; the API record still gives title, date and tags. The body
        is marked missing and the article is requested again on later runs.
        """
        request = failure.request
        status = failure.value.response.status if failure.check(HttpError) else None
        self.logger.warning("article failed (%s): %s", status or failure.getErrorMessage(),
                            request.url)  # fmt: skip
        self.crawler.stats.inc_value("stdnews/articles_failed")
        if status == 403:
            self.crawler.stats.inc_value("stdnews/articles_refused")
        self.record_failure(request.url, "article", status, failure_text(failure, status))
        self.record_status(canonical_url(request.url), "article", status or 0)  # as record_check
        hints = request.cb_kwargs.get("hints") or {}
        if hints.get("title"):
            yield ArticleItem(
                source=self.name,
                url=request.url,
                final_url=request.url,
                status=status or 0,
                html="",
                fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
                hints=hints,
                fetched_via="api",  # the discovery record alone
            )

    def discovery_failed(self, failure: Failure):
        """A discovery page failed (a legacy listing gone from the live site): logged, not fatal.

        Anything but a 404/410 leaves the run incomplete, so that the next one walks it again.
        """
        status = failure.value.response.status if failure.check(HttpError) else None
        self.logger.warning("discovery page failed: %s (%s)", failure.request.url,
                            failure.getErrorMessage())  # fmt: skip
        self.record_failure(failure.request.url, "discovery", status, failure_text(failure, status))
        if status not in GONE:
            self.crawler.stats.inc_value("stdnews/discovery_failed")
        return []

    @property
    def limited(self) -> bool:
        """--limit or the canary's sample: this run did not walk everything it found."""
        return bool(self.limit or self.sample)


def failure_text(failure: Failure, status: int | None) -> str:
    return f"HTTP {status}" if status else f"{failure.type.__name__}: {failure.getErrorMessage()}"


def header(headers, name: str) -> str | None:
    """A response header exactly as received (latin-1, as HTTP defines it), or None."""
    value = headers.get(name)
    return value.decode("latin-1") if value else None


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
        url = item.xpath("link/@href").get() or item.xpath("link/text()").get()
        if not url:
            continue
        yield ArticleLink(
            url.strip(),
            {
                "title": item.xpath("title/text()").get(),
                "published": item.xpath("pubDate/text() | published/text() | updated/text()").get(),
                "description": item.xpath("description/text() | summary/text()").get(),
                "tags": item.xpath("category/text() | category/@term").getall(),
                "via": "feed",
            },
        )
