"""What the pipeline knows of each source's article pages, one entry per layout generation.

A generation is a page layout the site has used (IEC's Drupal blog, its older WordPress blog and
its static news releases...): the URLs it serves and where title, body, date and tags live in it.
Selectors are data, tried in order; when none matches, extract.py falls back to generic signals
and records which path gave each field. Discovery (listings, feeds, APIs) is the spiders' business.

SOURCES is the one list of sources: spiders, URL keys, the `sources` table, tests and benchmarks
derive from it. Sources defined as data outside this file join it from STDNEWS_SOURCES.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Generation:
    name: str
    # Article URLs of this generation (canonical form, see urls.canonical_url).
    url_re: str
    title_css: tuple[str, ...] = ()
    body_css: tuple[str, ...] = ()
    # Boilerplate that sits inside the body container on some pages.
    drop_css: tuple[str, ...] = ()
    # (css, attribute or "" for the element's text): the page's own publication date.
    date_css: tuple[tuple[str, str], ...] = ()
    # The same for the date of the last update, where the page gives one.
    updated_css: tuple[tuple[str, str], ...] = ()
    tags_css: tuple[str, ...] = ()
    # Asides listing related standards (ISO's "Related standards"), kept with the post.
    related_css: tuple[str, ...] = ()

    def matches(self, url: str) -> bool:
        return re.search(self.url_re, url) is not None


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    organization: str  # id in data/organizations.yaml: the publisher
    homepage: str
    news_url: str
    hosts: tuple[str, ...]
    generations: tuple[Generation, ...]
    # Hosts of other sites that serve the source's pages (members' mirrors), by their ending.
    host_suffixes: tuple[str, ...] = ()
    # Removed from <title>/og:title when the page title is the fallback.
    title_suffixes: tuple[str, ...] = ()
    language: str = "en"
    # The language segment of a path, and what it becomes in the URL that names the story that
    # all language versions share ("/fr/-/x" and "/en/-/x" are one story).
    language_path: tuple[str, str] | None = None
    # (pattern, replacement) on the URL: other addresses of the same page -> its canonical one.
    url_rewrites: tuple[tuple[str, str], ...] = ()
    # Where the publisher sits (IANA name): a feed's or API's instant ("22:00 GMT") is read as a
    # day in this zone, the one its editors dated the post in.
    timezone: str = "UTC"

    def generation(self, url: str) -> Generation | None:
        return next((g for g in self.generations if g.matches(url)), None)

    def is_article(self, url: str) -> bool:
        return self.generation(url) is not None


IEC = Source(
    id="iec",
    timezone="Europe/Zurich",
    name="IEC News & blogs",
    organization="iec",
    homepage="https://www.iec.ch",
    news_url="https://www.iec.ch/blog",
    hosts=("www.iec.ch", "iec.ch", "blog.iec.ch"),
    title_suffixes=(" | IEC", " | IEC Blog", " – IEC Blog"),
    generations=(
        Generation(
            name="drupal",
            # /node/<nid>: posts the blog listing links before they have an alias.
            url_re=r"^https://www\.iec\.ch/(?:blog/[^/?#]+|node/\d+)$",
            title_css=("article.node--view-mode-full h1", "h1.page-title"),
            # The live blog's body container first (seen on every post of the 2024 listing);
            # the older Drupal theme's field after it.
            body_css=("div.blog-article-description", ".node--view-mode-full .field--name-body"),
            drop_css=(".social-share",),
            date_css=(
                ("meta[property='article:published_time']", "content"),
                (".node__meta time[datetime]", "datetime"),
            ),
        ),
        Generation(
            name="wordpress",  # blog.iec.ch, until the new site took over the blog (2020-21)
            url_re=r"^https://blog\.iec\.ch/\d{4}/\d{2}/[^/?#]+/?$",
            title_css=("article h1.entry-title",),
            body_css=("article .entry-content",),
            drop_css=(".sharedaddy", ".jp-relatedposts"),
            date_css=(("time.entry-date.published[datetime]", "datetime"),),
            updated_css=(("time.updated[datetime]", "datetime"),),
            tags_css=(".cat-links a", ".tags-links a"),
        ),
        Generation(
            name="newslog",  # the old site's news releases: the date is in a dateline
            url_re=r"^https://www\.iec\.ch/newslog/\d{4}/nr\d{4}\.htm$",
            title_css=(".newsrelease h1",),
            body_css=(".newsrelease .nr-body",),
        ),
    ),
)

BIPM = Source(
    id="bipm",
    timezone="Europe/Paris",
    name="BIPM news",
    organization="bipm",
    homepage="https://www.bipm.org",
    news_url="https://www.bipm.org/en/news-detail",
    hosts=("www.bipm.org", "bipm.org"),
    title_suffixes=(" - BIPM", "BIPM - "),
    language_path=(r"^/(en|fr)(?=/)", "/en"),
    # Liferay serves every page under /web/guest too.
    url_rewrites=((r"^https://www\.bipm\.org/(en|fr)/web/guest/", r"https://www.bipm.org/\1/"),),
    generations=(
        Generation(
            name="liferay",  # the date is only in the slug (YYYY-MM-DD- or YYYY-)
            url_re=r"^https://www\.bipm\.org/(en|fr)/-/\d{4}-[^/?#]+$",
            title_css=(".journal-content-article h1",),
            body_css=(
                ".journal-content-article .news-detail__content",
                ".journal-content-article",
            ),
            drop_css=("h1",),
        ),
        Generation(
            name="legacy",  # the JSP site until early 2021, ISO-8859-1; YYYY-MM in the URL
            url_re=r"^https://www\.bipm\.org/en/news/full-stories/\d{4}-\d{2}[-/][^/?#]+\.html$",
            title_css=("h1.fullstory", "#content h1"),
            body_css=(".fullstory-text",),
            drop_css=(".news-topics",),
        ),
    ),
)

ISO = Source(
    id="iso",
    timezone="Europe/Zurich",
    name="ISO news",
    organization="iso",
    homepage="https://www.iso.org",
    news_url="https://www.iso.org/insights/standards-world",
    hosts=("www.iso.org", "iso.org", "committee.iso.org"),
    host_suffixes=(".isolutions.iso.org",),
    title_suffixes=("ISO - ",),
    language_path=(r"^/(fr|ru|es)(?=/)", ""),
    url_rewrites=(
        # Members' mirrors wrap the English article in their own UI language.
        (
            r"^https://[a-z0-9-]+\.isolutions\.iso\.org/[a-z]{2}/sites/isoorg/",
            "https://www.iso.org/",
        ),
        # Jahia's internal paths: /cms/render/live/... and /cms/live/live/... (public link lists
        # name them on committee.iso.org too), English without a language segment.
        (
            r"^https://(?:www|committee)\.iso\.org/cms/(?:render|live)/live/en/sites/isoorg/",
            "https://www.iso.org/",
        ),
        (
            r"^https://(?:www|committee)\.iso\.org/cms/(?:render|live)/live/(fr|ru|es)/sites/"
            r"isoorg/",
            r"https://www.iso.org/\1/",
        ),
        # /news/YYYY/MM/<slug>, with or without .html: the vanity form of the node
        # contents/news/YYYY/MM/<slug>.html (dated Ref URLs of the pre-2021 site too). Slugs keep
        # their case. Undated vanity URLs redirect instead (see the jahia generation).
        (
            r"^https://www\.iso\.org/((?:fr/|ru/|es/)?)(?:contents/)?news/(\d{4}/\d{2}/[^/?#]+?)"
            r"(?:\.html)?(?=\?|$)",
            r"https://www.iso.org/\1contents/news/\2.html",
        ),
    ),
    generations=(
        Generation(
            name="jahia",  # www.iso.org and the members' isolutions mirrors share the template
            # The node path, and the undated vanity URLs the hub and members' lists link
            # (/news/<slug>, campaign folders /news/am23/<slug>, /news/refNNNN.html, root
            # /refNNNN.html): the site redirects those to the node, whose address the post takes;
            # one that does not redirect stays a post under its own address.
            url_re=r"^https://www\.iso\.org/(?:(?:fr|ru|es)/)?(?:"
            r"contents/news/\d{4}/\d{2}/[^/?#]+\.html"
            r"|[Rr]ef\d+\.html"
            r"|news/(?:[a-z][a-z0-9-]*/)?[^/?#.]+(?:\.html)?)$",
            title_css=("article.news-article h1", "main#content h1"),
            # The live pages' body (div#newsBody, else the itemprop) before the older theme's.
            body_css=(
                "div#newsBody",
                "div[itemprop=articleBody]",
                "article.news-article .news-content",
            ),
            drop_css=(".share-links",),
            date_css=(("meta[name=pubdate]", "content"), ("div.published time", "")),
            tags_css=("#metadata a",),
            related_css=(".related-standards .entry-name",),
        ),
    ),
)

OECD = Source(
    id="oecd",
    timezone="Europe/Paris",
    name="OECD newsroom",
    organization="oecd",
    homepage="https://www.oecd.org",
    news_url="https://www.oecd.org/en/about/newsroom.html",
    hosts=("www.oecd.org", "oecd.org", "api.oecd.org"),
    title_suffixes=(" | OECD", " - OECD"),
    language_path=(r"^/(en|fr)(?=/)", "/en"),
    generations=(
        Generation(
            name="aem",
            url_re=r"^https://www\.oecd\.org/(en|fr)/about/news/"
            r"(press-releases|announcements|media-advisories)/\d{4}/\d{2}/[^/?#]+\.html$",
            title_css=("h1.cmp-title__text",),
            body_css=("main .cmp-text",),
            tags_css=(".cmp-related-topics a.cmp-tag",),
        ),
        Generation(
            name="newsroom",  # the site before the AEM relaunch; dates in listings and datelines
            url_re=r"^https://www\.oecd\.org/newsroom/[^/?#]+\.htm$",
            title_css=("#webEditContent h1", "h1.title"),
            body_css=("#webEditContent .webeditcontent-body", "#webEditContent"),
            drop_css=("h1", ".share-tools"),
            tags_css=("meta[name=keywords]::attr(content)",),
        ),
    ),
)

BUILT_IN = (IEC, BIPM, ISO, OECD)
# Sources defined as data outside this module: TOML files (os.pathsep-separated paths) of
# `[[sources]]` tables, read by every process of a run (the crawl's and its normalization
# workers') from the environment it inherits. docs/adding-a-source.md shows one.
SOURCES_ENV = "STDNEWS_SOURCES"


def source_from_data(entry: dict) -> Source:
    """A Source from a TOML table: the dataclasses' fields, lists standing for tuples."""
    generations = tuple(Generation(**as_tuples(g)) for g in entry.get("generations", ()))
    return Source(**{**as_tuples(entry), "generations": generations})


def as_tuples(entry: dict) -> dict:
    def frozen(value):
        return tuple(frozen(v) for v in value) if isinstance(value, list) else value

    return {name: frozen(value) for name, value in entry.items()}


def sources_from_files(paths: str) -> list[Source]:
    """The sources of the TOML files named in paths (os.pathsep-separated; "" names none)."""
    found = []
    for path in filter(None, paths.split(os.pathsep)):
        for entry in tomllib.loads(Path(path).read_text("utf-8")).get("sources", []):
            unknown = set(entry) - {f.name for f in fields(Source)}
            if unknown:
                raise ValueError(f"{path}: source {entry.get('id')}: unknown {sorted(unknown)}")
            found.append(source_from_data(entry))
    return found


def registry(extra: list[Source]) -> dict[str, Source]:
    """Every source by id; an id given twice is an error, not an override."""
    found: dict[str, Source] = {}
    for source in (*BUILT_IN, *extra):
        if source.id in found:
            raise ValueError(f"source {source.id} is defined twice")
        found[source.id] = source
    return found


SOURCES: dict[str, Source] = registry(sources_from_files(os.environ.get(SOURCES_ENV, "")))


def source_for_url(url: str) -> Source | None:
    """The source whose hosts include the URL's host (trailing dots and mirrors allowed)."""
    host = (urlsplit(url).hostname or "").rstrip(".")
    found = (s for s in SOURCES.values() if host in s.hosts or host.endswith(s.host_suffixes))
    return next(found, None)
