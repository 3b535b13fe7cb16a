"""Shared flow of every news spider: discovery pages (listings, feeds, APIs) -> article pages.

A source is mostly data on a subclass: start URLs and the CSS that finds article links and the
next listing page. Which URLs are articles, and of which layout generation, is
pipeline/normalize/sources.py's knowledge, so that listing and index pages are never handed over
as posts. Extraction of fields from article pages happens in pipeline/normalize/, not here.

Spider arguments (`-a` or `stdnews crawl --since/--limit`): `since=YYYY-MM-DD` skips older
articles and stops paginating once a discovery page holds only older ones; `limit=N` caps the
articles requested; `sample=N` takes at most N articles from each discovery start URL (the
live canary, `stdnews check`, so that every discovery path and generation is looked at);
`full=1` fetches every article again and walks every discovery page; `revisit_days=N` re-checks
posts published in the last N days (default 14).

Incremental by default (pipeline/store/state.py): articles stored already are not fetched again;
after a complete previous run, discovery pages are asked for conditionally (a 304 ends that path)
and pagination stops at the first page with nothing new. Recent posts are revisited conditionally
(304: unchanged; 404/410: gone) and refused ones retried. Archives and the listings of
translations (`archive_urls`, `secondary_urls`) are left out of most incremental runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers import bookkeeping, discovery, failures
from crawlers import stats as keys
from crawlers.discovery import ArticleLink, feed_links, is_feed  # noqa: F401 (spiders import them)
from crawlers.hosts import HostUnreachable
from crawlers.items import ArticleItem
from crawlers.redirects import RedirectRefused, asked_for
from pipeline.normalize.sources import SOURCES
from pipeline.normalize.urls import canonical_url
from pipeline.store import state

GONE = failures.GONE_STATUSES  # a page removed: its post is marked gone, a discovery page forgotten
# Pages of one discovery path (a start URL and the pages after it) at most: a pagination rule
# that never ends (a calendar, a broken "next") stops here.
MAX_DISCOVERY_PAGES = 200


def merged(links: list[ArticleLink]) -> list[ArticleLink]:
    """One link per article: the first path's hints (the site's own), completed by the others'."""
    by_url: dict[str, ArticleLink] = {}
    for link in links:
        if link.url in by_url:
            hints = by_url[link.url].hints
            for key, value in link.hints.items():
                hints.setdefault(key, value)
        else:
            by_url[link.url] = ArticleLink(link.url, dict(link.hints))
    return list(by_url.values())


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
    # The next listing page (CSS selecting an href or a data attribute); when it finds none, any
    # theme's pagination is tried (crawlers/discovery.py: rel=next, "Next", numbered pages).
    next_page_css: str | None = None
    # Sitemaps, or robots.txt files whose `Sitemap:` lines name them (as Scrapy's SitemapSpider
    # takes them); asked for at most every STDNEWS_SITEMAP_RECHECK_HOURS by incremental runs.
    sitemap_urls: tuple[str, ...] = ()

    def __init__(
        self,
        *args,
        since: str | None = None,
        limit: str | int | None = None,
        sample: str | int | None = None,
        full: str | bool | None = None,
        revisit_days: str | int | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.sample = int(sample) if sample else None
        self.sampled: dict[str, int] = {}
        self.source = SOURCES[self.name]
        self.since = date.fromisoformat(since) if since else None
        self.limit = int(limit) if limit else None
        self.full = str(full).lower() in ("1", "true", "yes") if full else False
        self.revisit_days = int(revisit_days) if revisit_days is not None else None
        self.requested: set[str] = set()
        self.discovery_pages: Counter = Counter()  # pages asked for per start URL (bounded)
        self.feeds_asked: set[str] = set()  # advertised feeds, asked for once per run
        self.secondary_waiting: list[str] = []  # secondary_urls left for the end of the run
        self.found_new = False  # discovery other than secondary_urls found a new article
        self.plan = state.Plan()

    @property
    def record(self) -> bookkeeping.RunRecord:
        """The run's checks, failures and discovery counts, which the item pipeline writes."""
        return bookkeeping.of(self.crawler)

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

    @property
    def frontier_role(self) -> str | None:
        """ "coordinator" or "fetcher" in a crawl sharing a Redis frontier (crawlers/frontier/)."""
        return self.crawler.settings.get("STDNEWS_FRONTIER_ROLE") or None

    async def planned(self) -> state.Plan | None:
        """The plan: from the database, or, in a fetcher, as its coordinator published it;
        None when the shared frontier stopped answering."""
        if self.frontier_role is None:
            return self.load_plan()
        from crawlers.frontier import plans

        if self.frontier_role == "fetcher":
            return await plans.fetch_for(self.crawler)
        plan = self.load_plan()
        return plan if plans.publish_for(self.crawler, plan) else None

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
        plan = await self.planned()
        if plan is None:
            return  # the shared frontier is lost: nothing to start (crawlers/frontier/lost.py)
        self.plan = plan
        if self.frontier_role == "fetcher":
            return  # the coordinator starts the run: a fetcher takes requests from the frontier
        for url in self.start_urls:
            if self.archive_waits(url):
                self.crawler.stats.inc_value(keys.ARCHIVES_SKIPPED)
            elif self.secondary_waits(url):
                self.secondary_waiting.append(url)  # until the rest of discovery is done
            else:
                yield self.discovery_request(url, root=url)
        for url in self.sitemap_urls:
            hours = self.crawler.settings.getfloat("STDNEWS_SITEMAP_RECHECK_HOURS", 24)
            if self.checked_lately(url, timedelta(hours=hours)):
                self.crawler.stats.inc_value(keys.SITEMAPS_SKIPPED)
            else:
                yield self.discovery_request(url, root=url, meta={"sitemap": True})
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
        if self.frontier_role:
            return False  # which fetcher found a new article is not known here: asked each run
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
            self.crawler.stats.inc_value(keys.SECONDARY_SKIPPED, len(waiting))
            return
        for url in waiting:
            self.crawler.engine.crawl(self.discovery_request(url, root=url))
        raise DontCloseSpider  # the engine would close the spider once this handler returns

    def discovery_request(self, url: str, root: str, meta: dict | None = None) -> scrapy.Request:
        headers = self.plan.conditional_headers(url) if self.stops_early else {}
        self.discovery_pages[root] += 1
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.discovery_failed,
            headers=headers,
            meta={"root": root, "discovery": True, "handle_httpstatus_list": [304], **(meta or {})},
        )

    def revisit_request(self, revisit: state.Revisit) -> scrapy.Request:
        """A stored post asked for again: conditionally when recent, plainly when refused."""
        self.requested.add(revisit.url)
        self.crawler.stats.inc_value(keys.ARTICLES_REQUESTED)
        return scrapy.Request(
            revisit.url,
            callback=self.parse_article,
            errback=self.article_failed,
            headers=state.conditional_headers(revisit.etag, revisit.last_modified),
            # A copy from the archive is kept already: only the site's own page can replace it.
            meta={
                "revisit": True,
                "handle_httpstatus_list": [304, *GONE],
                "archive_kept": revisit.archived,
            },
        )

    def parse(self, response: Response, **kwargs) -> Iterator[scrapy.Request]:
        """A discovery page: request its articles, then the next discovery page if still useful."""
        root = response.meta.get("root", response.url)
        self.record_check(response, "discovery")
        if response.status == 304:
            self.crawler.stats.inc_value(keys.DISCOVERY_NOT_MODIFIED)
            return  # unchanged since the last complete run: nothing new here or after
        if response.status == 204:
            self.crawler.stats.inc_value(keys.DISCOVERY_EXHAUSTED)
            return  # a "load more" endpoint with nothing more
        if failures.is_challenge(response.headers, response.body, response.status):
            self.discovery_blocked(response)
            return
        if response.meta.get("sitemap"):
            yield from self.parse_sitemap(response, root)
            return
        links = list(self.discovered(response))
        self.record.discovered(root, len(links))
        requests, older, new, capped = self.article_requests(links, root)
        yield from requests
        if capped or (links and older == len(links)):
            return  # --limit or the canary's sample reached; --since: this page is all older
        if new and root not in self.secondary_urls:
            self.found_new = True  # translations of it may be listed: see ask_secondaries
        if links and not new and self.stops_early:
            return  # everything here is known: so is everything after it
        for url in self.following(response, links):
            if self.discovery_pages[root] >= MAX_DISCOVERY_PAGES:
                self.logger.warning(
                    "discovery of %s stopped after %d pages", root, MAX_DISCOVERY_PAGES
                )
                break
            yield self.discovery_request(url, root=root)
        yield from self.advertised_feeds(response, root)

    def article_requests(self, links: list[ArticleLink], root: str) -> tuple[list, int, int, bool]:
        """(requests, older, new, capped) for a discovery page's article links: older than
        --since, known already (incremental) and found by another path are not requested."""
        requests, older, new = [], 0, 0
        for link in links:
            # Dates are parsed only for --since: date parsing stays in the normalization workers.
            published = link.latest_day() if self.since else None
            if published and published < self.since:
                older += 1
                continue
            if link.url in self.requested:
                continue  # found by another discovery path already (listing and feed)
            if not self.full and self.is_known(link):
                self.crawler.stats.inc_value(keys.ARTICLES_KNOWN)
                continue
            new += 1
            if self.limit is not None and len(self.requested) >= self.limit:
                return requests, older, new, True
            if self.sample is not None and self.sampled.get(root, 0) >= self.sample:
                return requests, older, new, True
            self.sampled[root] = self.sampled.get(root, 0) + 1
            self.requested.add(link.url)
            self.crawler.stats.inc_value(keys.ARTICLES_REQUESTED)
            requests.append(self.article_request(link))
        return requests, older, new, False

    def article_request(self, link: ArticleLink) -> scrapy.Request:
        return scrapy.Request(
            link.url,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"hints": link.hints},
            meta={"canonical": link.url},  # made canonical by discovery: not again (post_address)
        )

    def advertised_feeds(self, response: Response, root: str) -> Iterator[scrapy.Request]:
        """Feeds an HTML discovery page declares, asked for once per run; their items count for
        the page's start URL."""
        if not isinstance(response, HtmlResponse) or is_feed(response):
            return
        for feed in discovery.advertised_feeds(response):
            if feed not in self.start_urls and feed not in self.feeds_asked:
                self.feeds_asked.add(feed)
                yield self.discovery_request(feed, root=root, meta={"advertised": True})

    def following(self, response: Response, links: list[ArticleLink]) -> list[str]:
        """The next discovery pages: the site's rule, else any theme's pagination (only from a
        page that listed articles, and never the page itself)."""
        pages = [response.urljoin(url) for url in self.next_pages(response)]
        if not pages and links and isinstance(response, HtmlResponse) and not is_feed(response):
            pages = [response.urljoin(url) for url in discovery.next_pages(response)]
            self.crawler.stats.inc_value(keys.DISCOVERY_GENERIC_NEXT, len(pages))
        return [url for url in pages if url != response.url and not self.source.is_article(url)]

    def parse_sitemap(self, response: Response, root: str) -> Iterator[scrapy.Request]:
        """A robots.txt's `Sitemap:` lines, a sitemap index's children, a sitemap's articles (with
        lastmod or the news sitemap's date as a hint)."""
        if response.url.endswith("/robots.txt"):
            # No Sitemap: line: the usual place is tried once (a guess: its 404 is quiet).
            children = discovery.robots_sitemaps(response)
            if not children:
                guess = response.urljoin("/sitemap.xml")
                yield self.discovery_request(guess, root=root, meta={"sitemap": True, "guess": 1})
                return
        else:
            body = discovery.sitemap_body(
                response, self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            )
            if body is None:
                self.record_failure(
                    response.url,
                    "discovery",
                    response.status,
                    "not a sitemap, or over the size limit",
                    failures.INVALID,
                )
                return
            children, pages = discovery.sitemap_entries(body)
            links = self.articles_of(response, pages)
            self.crawler.stats.inc_value(keys.DISCOVERY_PREFIX + discovery.SITEMAP, len(links))
            if links:  # an extra channel: a sitemap without news is no layout change
                self.record.discovered(root, len(links))
            requests, *_ = self.article_requests(links, root)
            yield from requests
        for url in children[: MAX_DISCOVERY_PAGES - self.discovery_pages[root]]:
            yield self.discovery_request(response.urljoin(url), root=root, meta={"sitemap": True})

    def is_known(self, link: ArticleLink) -> bool:
        """Stored already (under this address or the one it was discovered as)."""
        known = self.plan.known
        return link.url in known or link.hints.get("discovered_as") in known

    def record_check(self, response: Response, kind: str) -> str:
        """Validators of a 200 (kept exactly as received) and the status of any answer, under the
        URL the next run asks for (returned): a discovery page's own (a start URL that redirects
        is asked for again), an article's canonical address (the post's, which revisits ask
        for)."""
        if kind == "discovery":
            url = response.request.meta.get("redirect_urls", [response.url])[0]
        else:
            url = self.post_address(response.request, response.url)
        self.record_status(url, kind, response.status, response.headers)
        return url

    def record_status(self, url: str, kind: str, status: int, headers=None) -> None:
        headers = headers or {}
        etag, modified = header(headers, "ETag"), header(headers, "Last-Modified")
        self.record.check(url, self.name, kind, status, etag, modified)

    def record_failure(
        self, url: str, kind: str, status: int | None, error: str, reason: str | None = None
    ) -> None:
        self.record.failure(url, kind, status, error, reason)

    @staticmethod
    def post_address(request: scrapy.Request, url: str) -> str:
        """The canonical form of `url`, where an article's request answered or was asked: the
        address discovery made canonical (carried in the request), when it is that one; else
        (a redirect's end, a revisit, a URL Scrapy escaped) made canonical here, once."""
        given = request.meta.get("canonical")
        return given if url == given else canonical_url(url)

    def discovered(self, response: Response) -> list[ArticleLink]:
        """Article links of a discovery page from every path, canonical and filtered to article
        URLs: the site's own readers, then any link of the page whose URL is an article of the
        source (with its text and date as hints). Each path's finds are counted; when the site's
        selectors find nothing that the page's links do, the selectors are stale."""
        site = self.articles_of(response, self.article_links(response))
        page = []
        if isinstance(response, HtmlResponse) and not is_feed(response):
            page = first_of_each(discovery.page_links(response, self.article_address))
            if page and not site and self.reads_listings:
                self.record.stale.add(response.meta.get("root", response.url))
                self.crawler.stats.inc_value(keys.SELECTOR_STALE)
        for link in site + page:
            self.crawler.stats.inc_value(keys.DISCOVERY_PREFIX + link.via)
        return merged(site + page)

    @property
    def reads_listings(self) -> bool:
        """The spider has its own reader for HTML discovery pages (selectors or code)."""
        cls = type(self)
        overridden = (cls.article_links, cls.listing_links) != (
            NewsSpider.article_links,
            NewsSpider.listing_links,
        )
        return bool(self.article_links_css) or overridden

    def article_address(self, address: str) -> str | None:
        """The canonical URL of an absolute address when it is an article of the source."""
        url = canonical_url(address)
        return url if self.source.is_article(url) else None

    def articles_of(self, response: Response, links: Iterable[ArticleLink]) -> list[ArticleLink]:
        """The links that are article URLs of the source, canonical, each once."""
        found = {}
        for link in links:
            address = response.urljoin(link.url)
            link.url = canonical_url(address)
            if address != link.url:
                link.hints["discovered_as"] = address  # another shape of the URL, for the record
            if link.url in found:
                continue
            if self.source.is_article(link.url):
                found[link.url] = link
            else:
                self.logger.debug("not an article URL, skipped: %s", link.url)
        return list(found.values())

    def article_links(self, response: Response) -> Iterable[ArticleLink]:
        """Article links of a feed, or of an HTML discovery page (listing_links); override for
        APIs."""
        if is_feed(response):
            yield from feed_links(response)
        elif isinstance(response, HtmlResponse):
            yield from self.listing_links(response)

    def listing_links(self, response: HtmlResponse) -> Iterable[ArticleLink]:
        """The site's own reading of an HTML discovery page: article_links_css; override to
        read each item's date and title too."""
        for href in response.css(self.article_links_css).getall() if self.article_links_css else ():
            yield ArticleLink(href.strip(), {"via": "selector"})

    def next_pages(self, response: Response) -> list[str]:
        """The site's pagination rule (next_page_css); [] lets any theme's pagination be tried."""
        if not self.next_page_css or is_feed(response) or not isinstance(response, HtmlResponse):
            return []
        return discovery.usable(response.css(self.next_page_css).getall())

    def parse_article(self, response: Response, hints: dict | None = None) -> Iterator[ArticleItem]:
        unusable = unusable_article(response)
        if unusable:
            reason, error = unusable
            yield from self.article_lost(response.request, response.status, reason, error)
            return
        redirects = response.request.meta.get("redirect_urls", [])
        post_url = self.record_check(response, "article")
        yield ArticleItem(
            source=self.name,
            url=redirects[0] if redirects else response.url,
            final_url=response.url,
            post_url=post_url,
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
        status, reason = failure_reason(failure)
        yield from self.article_lost(failure.request, status, reason, failure_text(failure, status))

    def article_lost(self, request, status: int | None, reason: str, error: str):
        """Recorded under the URL asked for (before any redirect), the post kept from its
        discovery record when it has one."""
        url = asked_for(request)
        self.logger.info("article %s (%s): %s", reason, error, url)
        self.crawler.stats.inc_value(keys.ARTICLES_FAILED)
        self.crawler.stats.inc_value(f"{keys.FAILED_PREFIX}article/{reason}")
        if reason in (failures.BLOCKED, failures.ROBOTS):
            # Refused by the site, or by our own robots.txt politeness: not an error of ours,
            # and not a reason to walk every discovery page again next run.
            self.crawler.stats.inc_value(keys.ARTICLES_REFUSED)
        self.record_failure(url, "article", status, error, reason)
        post_url = self.post_address(request, url)
        self.record_status(post_url, "article", status or 0)  # as record_check
        hints = request.cb_kwargs.get("hints") or {}
        if hints.get("title"):
            yield ArticleItem(
                source=self.name,
                url=url,
                final_url=url,
                post_url=post_url,
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
        status, reason = failure_reason(failure)
        if reason == failures.GONE and failure.request.meta.get("guess"):
            return []  # /sitemap.xml guessed where robots.txt names none: not there, fine
        url = asked_for(failure.request)
        self.discovery_lost(url, status, reason, failure_text(failure, status))
        return []

    def discovery_blocked(self, response: Response) -> None:
        """A discovery page that answered with a bot challenge (some CDNs send it with a 200)."""
        error = f"HTTP {response.status}: bot challenge or CDN refusal page"
        self.discovery_lost(response.url, response.status, failures.BLOCKED, error)

    def discovery_lost(self, url: str, status: int | None, reason: str, error: str) -> None:
        self.logger.info("discovery page %s (%s): %s", reason, error, url)
        self.record_failure(url, "discovery", status, error, reason)
        self.crawler.stats.inc_value(f"{keys.FAILED_PREFIX}discovery/{reason}")
        if reason not in (failures.GONE, failures.ROBOTS):
            # A removed page or one robots.txt forbids will answer the same next time: the run
            # stays complete, so that the next one may stop early.
            self.crawler.stats.inc_value(keys.DISCOVERY_FAILED)

    def older_than_since(self, published: str | None) -> bool:
        """--since, once the page is read: a post dated before it is not stored (discovery may
        give no date, as IEC's listings). A month or a year is older only when all of it is."""
        if not self.since or not published:
            return False
        day = published[:10]
        return day < self.since.isoformat()[: len(day)]

    @property
    def limited(self) -> bool:
        """--limit or the canary's sample: this run did not walk everything it found."""
        return bool(self.limit or self.sample)


def first_of_each(links: Iterable[ArticleLink]) -> list[ArticleLink]:
    """The first link to each URL, in order."""
    found: dict[str, ArticleLink] = {}
    for link in links:
        found.setdefault(link.url, link)
    return list(found.values())


def failure_text(failure: Failure, status: int | None) -> str:
    if failure.check(RedirectRefused):
        return failure.getErrorMessage()
    return f"HTTP {status}" if status else f"{failure.type.__name__}: {failure.getErrorMessage()}"


def unusable_article(response: Response) -> tuple[str, str] | None:
    """(reason, error) of an article answer that holds no page to read: a challenge page, a
    non-text type (an image, a PDF: Scrapy gives no text for it), an empty body."""
    if failures.is_challenge(response.headers, response.body, response.status):
        return failures.BLOCKED, f"HTTP {response.status}: bot challenge or CDN refusal page"
    if response.status != 200:
        return None  # a revisit's 304 or 404/410: the pipeline's
    if not response.body.strip():
        return failures.EMPTY, "HTTP 200 with an empty body"
    if not isinstance(response, TextResponse):
        kind = header(response.headers, "Content-Type") or "no Content-Type"
        return failures.NOT_TEXT, f"HTTP 200 answered as {kind.split(';')[0]}: not a page"
    return None


def failure_reason(failure: Failure) -> tuple[int | None, str]:
    """(HTTP status or None, crawlers.failures reason) of a failed request."""
    if failure.check(HttpError):
        response = failure.value.response
        return response.status, failures.from_response(
            response.status, response.headers, response.body
        )
    if failure.check(HostUnreachable):
        return None, failures.UNREACHABLE
    if failure.check(RedirectRefused):
        return None, failure.value.reason
    if failure.check(IgnoreRequest):  # Scrapy's robots.txt middleware, or another filter
        robots = "robots.txt" in failure.getErrorMessage()
        return None, failures.ROBOTS if robots else failures.INVALID
    return None, failures.from_exception(failure.value)


def header(headers, name: str) -> str | None:
    """A response header exactly as received (latin-1, as HTTP defines it), or None."""
    value = headers.get(name)
    return value.decode("latin-1") if value else None
