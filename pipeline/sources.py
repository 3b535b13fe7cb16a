"""What the pipeline knows of each source's article pages: where title, body, date and tags live.

Selectors are data, tried in order; each generation of a site's markup adds its selectors to the
tuple. When none matches, extract.py falls back to generic signals, and records which path gave
each field. Discovery (listing URLs, pagination) is the spiders' business, in crawlers/spiders/.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    organization: str  # id in data/organizations.yaml: the publisher
    homepage: str
    news_url: str
    hosts: tuple[str, ...]
    title_css: tuple[str, ...] = ()
    body_css: tuple[str, ...] = ()
    # Boilerplate that sits inside the body container on some pages.
    drop_css: tuple[str, ...] = ()
    # (css, attribute or "" for the element's text): the page's own publication date.
    date_css: tuple[tuple[str, str], ...] = ()
    tags_css: tuple[str, ...] = ()
    # Removed from <title>/og:title when the page title is the fallback.
    title_suffixes: tuple[str, ...] = ()
    language: str = "en"


SOURCES: dict[str, Source] = {
    source.id: source
    for source in (
        Source(
            id="iec",
            name="IEC News & blogs",
            organization="iec",
            homepage="https://www.iec.ch",
            news_url="https://www.iec.ch/news-blogs",
            hosts=("www.iec.ch", "iec.ch", "blog.iec.ch"),
            title_css=("article.node--view-mode-full h1", "h1.page-title"),
            body_css=(".node--view-mode-full .field--name-body", "article .entry-content"),
            drop_css=(".social-share",),
            date_css=(
                ("meta[property='article:published_time']", "content"),
                (".node__meta time[datetime]", "datetime"),
                ("time.entry-date.published[datetime]", "datetime"),
            ),
            title_suffixes=(" | IEC",),
        ),
        Source(
            id="bipm",
            name="BIPM news",
            organization="bipm",
            homepage="https://www.bipm.org",
            news_url="https://www.bipm.org/en/news-detail",
            hosts=("www.bipm.org", "bipm.org"),
            title_css=(".journal-content-article h1", "h1.fullstory", "#content h1"),
            body_css=(
                ".journal-content-article .news-detail__content",
                ".journal-content-article",
                ".fullstory-text",
            ),
            drop_css=("h1", ".news-topics"),
            title_suffixes=(" - BIPM",),
        ),
        Source(
            id="iso",
            name="ISO news",
            organization="iso",
            homepage="https://www.iso.org",
            news_url="https://www.iso.org/news.html",
            hosts=("www.iso.org", "iso.org"),
            title_css=("article.news-article h1", "main#content h1"),
            body_css=("article.news-article .news-content",),
            drop_css=(".share-links",),
            date_css=(("meta[name=pubdate]", "content"), ("div.published time", "")),
            tags_css=("#metadata a",),
            title_suffixes=("ISO - ",),
        ),
        Source(
            id="oecd",
            name="OECD newsroom",
            organization="oecd",
            homepage="https://www.oecd.org",
            news_url="https://www.oecd.org/en/about/newsroom.html",
            hosts=("www.oecd.org", "oecd.org", "api.oecd.org"),
            title_css=("h1.cmp-title__text", "#webEditContent h1"),
            body_css=("main .cmp-text", "#webEditContent"),
            tags_css=(".cmp-related-topics a.cmp-tag",),
            title_suffixes=(" | OECD", " - OECD"),
        ),
    )
}


def source_for_url(url: str) -> Source | None:
    """The source whose hosts include the URL's host (trailing dots and www. variants allowed)."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").rstrip(".")
    for source in SOURCES.values():
        if host in source.hosts or host.endswith(".isolutions.iso.org") and source.id == "iso":
            return source
    return None
