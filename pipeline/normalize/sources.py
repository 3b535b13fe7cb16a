"""What the pipeline knows of each source's article pages, one entry per layout generation.

A generation is a page layout the site has used (IEC's Drupal blog, its older WordPress blog and
its static news releases...): the URLs it serves and where title, body, date and tags live in it.
Selectors are data, tried in order; when none matches, extract.py falls back to generic signals
and records which path gave each field. Discovery (listings, feeds, APIs) is the spiders' business.

SOURCES is the one list of sources: spiders, URL keys, the `sources` table, tests and benchmarks
derive from it. Sources defined as data outside this file join it from STDNEWS_SOURCES, every
field checked first: a mistake is a SourcesFileError of one line, which the cli prints (exit 2).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.normalize.source_errors import SourcesFileError


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


def is_strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def is_pair(value) -> bool:
    return is_strings(value) and len(value) == 2


def is_tables(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


# What a field of each annotation must be in TOML: a check, and its name for an error message.
SHAPES = {
    "str": (lambda v: isinstance(v, str), "a string"),
    "tuple[str, ...]": (is_strings, "a list of strings"),
    "tuple[str, str] | None": (is_pair, "a list of two strings"),
    "tuple[tuple[str, str], ...]": (
        lambda v: isinstance(v, list) and all(map(is_pair, v)),
        "a list of [string, string] pairs",
    ),
    "tuple[Generation, ...]": (is_tables, "[[sources.generations]] tables"),
}
# A source id is a spider's name, a URL key and a path of the site's feeds: a plain word.
SOURCE_ID = re.compile(r"[a-z][a-z0-9_-]*")


class Mistake(Exception):
    """A field of an entry that is not what the registry needs: "field: problem"."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")


def sources_from_files(paths: str) -> list[Source]:
    """The sources of the TOML files named in paths (os.pathsep-separated; "" names none). A
    mistake raises SourcesFileError: one line naming the file, the source and the field."""
    taken = {s.id: "built in" for s in BUILT_IN}
    found = []
    for path in filter(None, paths.split(os.pathsep)):
        for entry in entries_of(path):
            try:
                found.append(checked_source(entry, taken))
            except Mistake as mistake:
                source = entry.get("id") if isinstance(entry.get("id"), str) else "without an id"
                raise SourcesFileError(
                    f"{path} ({SOURCES_ENV}): source {source}: {mistake}"
                ) from None
            taken[found[-1].id] = f"in {path}"
    return found


def entries_of(path: str) -> list[dict]:
    """The [[sources]] tables of a file."""
    where = f"{path} ({SOURCES_ENV})"
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except OSError as error:
        raise SourcesFileError(f"{where}: cannot read it: {error.strerror or error}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SourcesFileError(f"{where}: not a TOML file: {error}") from None
    unknown = sorted(set(data) - {"sources"})
    if unknown:
        raise SourcesFileError(f"{where}: unknown {', '.join(unknown)}: [[sources]] tables only")
    entries = data.get("sources", [])
    if not is_tables(entries):
        raise SourcesFileError(f"{where}: sources: [[sources]] tables expected")
    return entries


def checked_source(entry: dict, taken: dict[str, str]) -> Source:
    """A Source from a TOML table, every field checked (Mistake otherwise); lists stand for
    tuples."""
    check_shapes(entry, Source)
    check_source(entry, taken)
    generations = tuple(checked_generation(n, g) for n, g in enumerate(entry["generations"], 1))
    return Source(**{**as_tuples(entry), "generations": generations})


def checked_generation(number: int, entry: dict) -> Generation:
    try:
        check_shapes(entry, Generation)
        check_pattern("url_re", entry["url_re"])
    except Mistake as mistake:
        name = entry.get("name") if isinstance(entry.get("name"), str) else "?"
        raise Mistake(f"generation {number} ({name})", str(mistake)) from None
    return Generation(**as_tuples(entry))


def check_shapes(entry: dict, cls: type) -> None:
    """Every field of the dataclass that the entry needs is there, of its shape; no other."""
    known = {f.name: f for f in fields(cls)}
    for name in entry:
        if name not in known:
            raise Mistake(name, f"unknown field; known: {', '.join(known)}")
    for name, field in known.items():
        if name not in entry:
            if field.default is MISSING:
                raise Mistake(name, "missing")
            continue
        check, shape = SHAPES[field.type]
        if not check(entry[name]):
            raise Mistake(name, f"{shape} expected, not {shorter(repr(entry[name]))}")


def check_source(entry: dict, taken: dict[str, str]) -> None:
    """What the shapes do not say: a plain id not taken, a known publisher, hosts and
    generations, a time zone, patterns that compile."""
    from pipeline.normalize import vocab  # YAML, loaded only when a file names a source

    source_id = entry["id"]
    if not SOURCE_ID.fullmatch(source_id):
        raise Mistake("id", f"{source_id!r} is not a lowercase word ([a-z][a-z0-9_-]*)")
    if source_id in taken:
        raise Mistake("id", f"already defined ({taken[source_id]})")
    if entry["organization"] not in {o["id"] for o in vocab.organizations()}:
        raise Mistake(
            "organization", f"{entry['organization']!r} is no id of data/organizations.yaml"
        )
    for name in ("hosts", "generations"):
        if not entry[name]:
            raise Mistake(name, "empty")
    check_zone(entry.get("timezone", "UTC"))
    if "language_path" in entry:
        check_pattern("language_path", *entry["language_path"])
    for number, (pattern, replacement) in enumerate(entry.get("url_rewrites", ()), 1):
        check_pattern(f"url_rewrites (pair {number})", pattern, replacement)


def check_zone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Mistake("timezone", f"{name!r} is no IANA time zone (Europe/Paris, UTC...)") from None


def check_pattern(field: str, pattern: str, replacement: str | None = None) -> None:
    """A regular expression that compiles, and a replacement whose groups it has."""
    try:
        compiled = re.compile(pattern)
        if replacement is not None:
            compiled.sub(replacement, "")
    except re.error as error:
        what = "regular expression" if replacement is None else "pattern and replacement"
        raise Mistake(field, f"not a valid {what}: {error}") from None


def shorter(text: str, size: int = 60) -> str:
    return text if len(text) <= size else text[: size - 3] + "..."


def as_tuples(entry: dict) -> dict:
    def frozen(value):
        return tuple(frozen(v) for v in value) if isinstance(value, list) else value

    return {name: frozen(value) for name, value in entry.items()}


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
