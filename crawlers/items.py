"""The crawl -> pipeline contract: what a spider hands over for one article page."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ArticleItem:
    """One fetched article page, before any extraction.

    Spiders only discover and fetch; `pipeline.normalize` turns this into a post. `hints` carries
    what discovery already knew about the article (from a listing row, a feed entry or an API
    record: title, published, tags, description), so that the pipeline can prefer a structured
    value to one scraped from the page. A revisit of a stored post may come back with status 304
    (unchanged) or 404/410 (gone) and no html.
    """

    source: str
    url: str  # the article URL as discovered (real https URL, also in replays)
    final_url: str  # after redirects
    # The post's address: final_url made canonical, once, by the spider (the key it is stored,
    # confirmed or marked gone under).
    post_url: str
    status: int
    html: str = field(repr=False)  # kept out of log lines: pages are tens of KB
    fetched_at: str  # ISO 8601 UTC
    hints: dict = field(default_factory=dict)
    redirect_urls: list[str] = field(default_factory=list)  # every hop before final_url
    # Where the page came from: the site ("live"), the Internet Archive's copy ("archive", see
    # crawlers/archive.py; archived_at its YYYYMMDDhhmmss timestamp), or only the discovery
    # record of a refused page ("api").
    fetched_via: str = "live"
    archived_at: str | None = None
    # (Its HTTP validators go to the store through the spider's checks, not with the item.)
