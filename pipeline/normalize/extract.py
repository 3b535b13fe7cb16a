"""HTML -> fields of an article: the source's own selectors first, generic signals as fallback.

Each field records the path that produced it (`*_source`), so that analysts can tell a date from
the page's own metadata from one guessed from its URL. This is the only module that imports
trafilatura, used when no site body selector finds the text.
"""

from __future__ import annotations

import codecs
import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, cached_property
from itertools import accumulate
from urllib.parse import urlsplit

import cssselect
import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from pipeline.normalize import bounds, dates, structure
from pipeline.normalize.sources import Generation, Source

# Never part of an article's text, wherever they stand.
REMOVE_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "footer",
    "header",
    "aside",
    "form",
    "button",
    "iframe",
    "svg",
    "select",
)
# A body shorter than this from a site selector is taken as a selector that missed.
MIN_BODY_CHARS = 150


@dataclass
class Extracted:
    title: str | None = None
    title_source: str | None = None
    text: str = ""
    text_source: str | None = None
    # The body's headings, paragraphs, lists and quotes as HTML built by structure.py.
    body_html: str | None = None
    description: str | None = None
    published: dates.PubDate | None = None
    updated: dates.PubDate | None = None
    site_tags: list[str] = field(default_factory=list)
    html_lang: str | None = None
    generation: str | None = None
    # hreflang -> URL of the page's language versions (<link rel="alternate" hreflang>).
    alternates: dict[str, str] = field(default_factory=dict)
    related: list[str] = field(default_factory=list)


# lxml refuses text that declares its own encoding (XHTML pages open with one).
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def parse_html(html: str | bytes) -> etree._Element | None:
    if not html or not html.strip():
        return None
    if isinstance(html, bytes) and len(html) > bounds.MAX_PARSE_CHARS:
        html = decode_html(html)
    if isinstance(html, str):
        html = bounds.bounded_html(html)
        html = XML_DECLARATION.sub("", html, count=1)
    try:
        return lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return None


# C1 control characters (U+0080-U+009F) as the windows-1252 characters they nearly always are
# (’ “ ” – … €): what browsers do, as the WHATWG encoding standard reads ISO-8859-1 as
# windows-1252. The five bytes windows-1252 leaves undefined stay as they are.
C1_AS_WINDOWS_1252 = {
    code: bytes([code]).decode("cp1252")
    for code in range(0x80, 0xA0)
    if code not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}


def decode_html(body: bytes) -> str:
    """Bytes of a saved page to text, by its declared charset (old BIPM pages are ISO-8859-1,
    read as windows-1252 like browsers and Scrapy do)."""
    declared = re.search(rb"""<meta[^>]+charset=["']?([\w-]+)""", body[:4096], re.IGNORECASE)
    for encoding in ([declared.group(1).decode("ascii")] if declared else []) + ["utf-8"]:
        try:
            if codecs.lookup(encoding).name in ("iso8859-1", "cp1252"):
                return body.decode("latin-1").translate(C1_AS_WINDOWS_1252)
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")


def clean(value: str | None) -> str:
    return " ".join((value or "").split())


@cache
def _selector(css: str) -> CSSSelector:
    return CSSSelector(css)  # compiled once per process: compiling costs more than running


@cache
def _needs(css: str) -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    """(classes, ids) the page must use somewhere for each alternative of a selector to match:
    ".cat-links a" needs the class "cat-links"; what a :not() names is not needed."""
    needs = []
    for selector in cssselect.parse(css):
        classes, ids, stack = set(), set(), [selector.parsed_tree]
        while stack:
            node = stack.pop()
            if isinstance(node, cssselect.parser.Class):
                classes.add(node.class_name)
            elif isinstance(node, cssselect.parser.Hash):
                ids.add(node.id)
            if isinstance(node, cssselect.parser.CombinedSelector):
                stack += [node.selector, node.subselector]
            elif hasattr(node, "selector"):  # the element a class, :not() or [attr] qualifies
                stack.append(node.selector)
        needs.append((frozenset(classes), frozenset(ids)))
    return tuple(needs)


_CLASSES = etree.XPath("//@class", smart_strings=False)
_IDS = etree.XPath("//@id", smart_strings=False)


class Page:
    """A parsed page, and the class and id names it uses, found on first need.

    Each site has several layout generations, so most selectors tried on a page belong to
    another layout. One that needs a class or id the page never uses is not run: on a page of
    menus a class test over every element costs more than listing the page's names once."""

    def __init__(self, tree: etree._Element):
        self.tree = tree
        self.memo: dict = {}  # what a fallback step found, for the steps that ask again

    @cached_property
    def names(self) -> tuple[frozenset[str], frozenset[str]]:
        """The class and id names the page uses."""
        return frozenset(" ".join(_CLASSES(self.tree)).split()), frozenset(_IDS(self.tree))

    def select(self, css: str, within: etree._Element | None = None) -> list:
        """Elements matching a CSS selector, in the page or `within` one of its elements."""
        selector = _selector(css)  # compiled first, so that a bad selector fails on any page
        classes, ids = self.names
        if not any(c <= classes and i <= ids for c, i in _needs(css)):
            return []
        return selector(self.tree if within is None else within)

    @cached_property
    def json_ld(self) -> list[dict]:
        """The objects of the page's JSON-LD scripts, @graph members included."""
        objects = []
        for script in self.tree.iter("script"):
            if (script.get("type") or "").strip().lower() != "application/ld+json":
                continue
            try:
                data = json.loads(script.text or "")
            except ValueError:
                continue
            stack = data if isinstance(data, list) else [data]
            while stack:
                item = stack.pop()
                if isinstance(item, dict):
                    objects.append(item)
                    stack.extend(item.get("@graph", []))
        return objects


def first(page: Page, css: str, attr: str = "") -> str | None:
    """The first non-empty attribute value or text for a CSS selector."""
    for element in page.select(css):
        value = element.get(attr) if attr else element.text_content()
        if clean(value):
            return clean(value)
    return None


def text_blocks(element, skip: frozenset | set = frozenset()) -> list[str]:
    """Paragraph texts of an element, one per block, in document order; the elements in `skip`
    count as removed (their tails, text after them, stay)."""
    blocks: list[str] = []
    current: list[str] = []

    def flush():
        text = "".join(current)
        # ’ stored as U+0092: mis-decoded text, or a page that says so
        if structure.C1.search(text):
            text = text.translate(C1_AS_WINDOWS_1252)
        text = clean(text)
        if text:
            blocks.append(text)
        current.clear()

    def walk(node):
        if not isinstance(node.tag, str) or node in skip:  # comments, PIs, unwanted elements
            if node.tail:
                current.append(node.tail)
            return
        block = node.tag in structure.BLOCK_TAGS
        if block:
            flush()
        if node.text:
            current.append(node.text)
        for child in node:
            walk(child)
        if block:
            flush()
        if node.tail:
            current.append(node.tail)

    walk(element)
    flush()
    return blocks


def generations_for(source: Source | None, url: str) -> list[Generation]:
    """The source's generations, the one whose URLs match first (a page may change address)."""
    if source is None:
        return []
    matched = source.generation(url)
    return ([matched] if matched else []) + [g for g in source.generations if g is not matched]


def body_text(
    page: Page, generations: list[Generation], url: str = ""
) -> tuple[str, str | None, str | None]:
    """The body's text, where it came from, and its structure as HTML (structure.py) read from
    the same element; no structure from trafilatura's text (the page shows its paragraphs)."""
    for generation in generations:
        for css in generation.body_css:
            for container in page.select(css):
                skip = _unwanted(page, container, generation.drop_css)
                text = "\n\n".join(text_blocks(container, skip))
                if len(text) >= MIN_BODY_CHARS:
                    html = structure.build(container, skip, url, C1_AS_WINDOWS_1252)
                    return text, f"site:{css}", html or None
    return (*generic_text(page.tree), None)


def _unwanted(page: Page, container, drop_css: tuple[str, ...]) -> set:
    """The container's elements that are never text (scripts, menus) or that the site's layout
    says to drop (share buttons); read around, not cut out, as copying the tree costs more."""
    unwanted = {el for tag in REMOVE_TAGS for el in container.iter(tag)}
    unwanted.update(el for css in drop_css for el in page.select(css, container))
    unwanted.discard(container)
    return unwanted


def generic_text(tree) -> tuple[str, str | None]:
    """Main-content extraction by trafilatura, for pages no site selector understands."""
    import trafilatura

    text = trafilatura.extract(tree, include_comments=False, include_tables=False, deduplicate=True)
    if not text:
        return "", None
    return "\n\n".join(clean(line) for line in text.splitlines() if clean(line)), "trafilatura"


def title_of(page: Page, source: Source | None, generations, hints: dict, url: str = ""):
    for css in (css for g in generations for css in g.title_css):
        value = first(page, css)
        if value:
            return value, f"site:{css}"
    site_names = _site_names(page, source, url)
    heading, level = next(
        ((h, tag) for tag in ("h1", "h2") if (h := _first_heading(page, tag))), (None, None)
    )
    for css, attr, how in (
        ("meta[property='og:title']", "content", "og:title"),
        ("title", "", "title"),
    ):
        value = first(page, css, attr)
        if value:
            for affix in source.title_suffixes if source else ():
                value = value.removesuffix(affix).removeprefix(affix)
            if heading and _fold(heading) != _fold(value) and _within(heading, value):
                return heading, how  # the title is the heading and more: the site's name
            repeated = _part_repeated(value, heading, site_names)
            if repeated:
                return repeated, how
            value = post_title(value.strip(), site_names)
            if value:
                return value, how
            break  # the page's title names only the site: its heading names the post
    if heading:
        return heading, level
    if hints.get("title"):
        return clean(hints["title"]), hints.get("via", "listing")
    return None, None


# Separators of a title's parts: "Post | Site", "Site – Section – Post", "Site :: Post".
TITLE_SEPARATOR = re.compile(r"\s+(?:[|–—·•»/]|-{1,2}|::)\s+|\s*[|»]\s*")
# Parts that name a section of a site, not a post ("News", "Press releases 2018").
SECTION = re.compile(
    r"^(?:(?:latest|press|media|all|news)\s+)?(?:news|releases?|press(?:\s+releases?)?|blogs?|media|"
    r"events?|stories|insights|updates|articles?|actualités|communiqués?(?:\s+de\s+presse)?|"
    r"nouvelles|noticias|новости|nachrichten|aktuelles|home|accueil)(?:\s*(?:&|and|et)\s*\w+)?"
    r"(?:\s+(?:19|20)\d{2})?$",
    re.IGNORECASE,
)
# Host labels that are not a site's name ("www", "co" in .co.uk).
HOST_NOISE = {"www", "blog", "news", "com", "org", "net", "co", "ac", "gov", "int", "edu"}


def _site_names(page: Page, source: Source | None, url: str) -> set[str]:
    """Names the site goes by, folded: og:site_name, application-name, the host's name
    ("iec" for www.iec.ch) and the source's organization id."""
    names = {
        first(page, "meta[property='og:site_name']", "content"),
        first(page, "meta[name='application-name']", "content"),
    }
    labels = (urlsplit(url).hostname or "").split(".")[:-1]
    names.update(label for label in labels if label not in HOST_NOISE)
    if source:
        names.update((source.organization, source.id))
    return {_fold(name) for name in names if name}


def _part_repeated(title: str, heading: str | None, site_names: set[str]) -> str | None:
    """The one part of a "Site :: Post" title that the page's heading begins with (a heading
    of broken HTML may run on into the text after it)."""
    parts = [p.strip() for p in TITLE_SEPARATOR.split(title) if p.strip()]
    if not heading or len(parts) < 2:
        return None
    starts = [
        part
        for part in parts
        if len(part.split()) > 1
        and not _is_site_part(part, site_names)
        and _fold(heading).startswith(_fold(part))
    ]
    return starts[0] if len(starts) == 1 else None


def _within(part: str, whole: str) -> bool:
    """Whether the words of `part` stand in `whole`, as whole words."""
    return f" {_fold(part)} " in f" {_fold(whole)} "


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def _is_site_part(part: str, site_names: set[str]) -> bool:
    """A part that is the site's name, or a short one made of it ("IEC Blog", "BIPM news")."""
    folded = _fold(part)
    if folded in site_names:
        return True
    words = folded.split()
    others = [word for word in words if word not in site_names]
    return 0 < len(others) < len(words) <= 3 and all(SECTION.match(word) for word in others)


def post_title(title: str, site_names: set[str]) -> str:
    """A <title> or og:title without the site's name and sections at either end: "Post | Site",
    "Site – News – Post", "Site - News releases 2018: Post" -> "Post" (separators inside the
    post's title stay). Empty when it names only the site or a section ("BIPM - news")."""
    cuts = [0, *(x for m in TITLE_SEPARATOR.finditer(title) for x in m.span()), len(title)]
    parts = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2)]
    kept = [
        (start, end)
        for start, end in parts
        if not _is_site_part(title[start:end], site_names)
        and not SECTION.match(title[start:end].strip())
    ]
    if not kept:
        return ""
    post = title[kept[0][0] : kept[-1][1]]
    section, colon, after = post.partition(": ")
    if colon and SECTION.match(section.strip()):
        post = after
    return post.strip()


def _first_heading(page: Page, tag: str) -> str | None:
    """The first heading of that level outside menus, asides and lists of other stories, if it
    names more than a section."""
    for heading in page.tree.iter(tag):
        text = clean(heading.text_content())
        if text and not _elsewhere(heading):
            return text if len(text.split()) > 1 and not SECTION.match(text) else None
    return None


def tags_at(page: Page, css: str) -> list[str]:
    """Texts of the elements, or with "::attr(name)" the comma-separated attribute values."""
    css, _, attr = css.partition("::attr(")
    if attr:
        values = [el.get(attr.rstrip(")")) or "" for el in page.select(css)]
        return [clean(tag) for value in values for tag in value.split(",") if clean(tag)]
    return [clean(el.text_content()) for el in page.select(css) if clean(el.text_content())]


def published_of(page: Page, url, source, generations, hints, text, now) -> dates.PubDate | None:
    """The publication date from the strongest signal present (never a date merely mentioned)."""
    language = source.language if source else None
    zone = source.timezone if source else None
    for css, attr in (pair for g in generations for pair in g.date_css):
        found = dates.parse_any(first(page, css, attr), "site", language, now, zone)
        if found:
            return found
    hinted = None
    if hints.get("published"):
        # The hint's own provenance (listing, feed, sitemap, api...), else the path that found it.
        via = hints.get("published_via") or hints.get("via", "listing")
        hinted = dates.parse_any(hints["published"], via, language, now, zone)
        if hinted and not _weak_hint(hints):
            return hinted
    return generic_published(page, url, text, now, zone, hinted)


def _weak_hint(hints: dict) -> bool:
    """A date discovery guessed (the date text nearest a link found on any page) or one that
    is a modification date (a sitemap's lastmod): the page's own signals and its URL first."""
    return hints.get("via") == "links" or hints.get("published_via") in ("links", "lastmod")


def generic_published(page: Page, url: str, text: str = "", now=None, zone=None, guess=None):
    """The publication date of a page no site selector understands, from the signals general
    news pages carry, most reliable first: structured data (JSON-LD, meta tags), marked-up dates
    (<time>, itemprop, abbr.published), elements whose class says date or byline, a dateline
    or a date beside the title; the URL only after all of these, at its own precision; then a
    discovery's `guess`, last the first date of the main text. Never a modification date."""
    found = _json_ld_published(page, now, zone) or _meta_published(page, now, zone)
    if found and zone is None and found.value.endswith("Z"):
        return _local_day(found, page, url, now)
    found = (
        found
        or _marked_up_published(page, now, zone, text)
        or dates.after_label(_page_text(page), "label", now)
        or _near_title(page, now)
    )
    if found:
        return found
    # A URL's month is not refined by a day of the text: that is as often an event's.
    return dates.from_url(url, now) or guess or _in_main_text(page, now)


def _local_day(instant: dates.PubDate, page: Page, url: str, now) -> dates.PubDate:
    """An instant stated in UTC, when the publisher's zone is unknown: the day the page shows
    (in its URL, a byline or date element) if it is the day before or after, as that is the
    publisher's own calendar (an evening post in New York is dated the next day in UTC)."""
    day = date.fromisoformat(instant.value[:10])
    for finder in (lambda: dates.from_url(url, now), lambda: _cued_published(page, now)):
        shown = finder()
        if shown and shown.precision == "day" and shown.value != instant.value[:10]:
            return shown if abs((date.fromisoformat(shown.value) - day).days) == 1 else instant
    return instant


def _parse_value(value, source: str, now, zone) -> dates.PubDate | None:
    """A machine value (ISO 8601, RFC 822) or a short human date, without the slow parser."""
    if not value or not isinstance(value, str):
        return None
    return (
        dates.parse_machine(value, source, now, zone)
        or dates.parse_rfc822(value, source, now, zone)
        or dates.in_text(value[:80], source, now)
    )


_JSON_PUBLISHED = re.compile(r'"date(?:Published|Created)"\s*:\s*"([^"]{6,40})"')
ARTICLE_TYPES = re.compile(r"Article|Posting|Report|Release|Blog|Story", re.IGNORECASE)


def _json_ld_published(page: Page, now, zone) -> dates.PubDate | None:
    """datePublished of the page's article object (else of any object, else dateCreated);
    JSON that does not parse (trailing commas, raw newlines) is searched as text."""
    items = sorted(page.json_ld, key=lambda i: not ARTICLE_TYPES.search(str(i.get("@type"))))
    for key in ("datePublished", "dateCreated"):
        for item in items:
            value = item.get(key)
            found = _parse_value(
                value[0] if isinstance(value, list) and value else value, "json-ld", now, zone
            )
            if found:
                return found
    # Also JSON-LD in a script without its type, as some CMS templates write it.
    for script in page.tree.iter("script"):
        if script.get("type", "application/ld+json") == "application/ld+json":
            match = _JSON_PUBLISHED.search(script.text or "")
            found = _parse_value(match.group(1), "json-ld", now, zone) if match else None
            if found:
                return found
    return None


# Meta tags (name, property or itemprop, lower case) that give the publication date, most
# specific first; "date" and Dublin Core's plain date are often the page's, so they come late.
PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "article:published",
    "datepublished",
    "dc.date.issued",
    "dcterms.issued",
    "citation_publication_date",
    "citation_date",
    "citation_online_date",
    "parsely-pub-date",
    "sailthru.date",
    "publishdate",
    "publish-date",
    "publish_date",
    "published_time",
    "published-date",
    "published_date",
    "publication_date",
    "article.published",
    "article:post_date",
    "originalpublicationdate",
    "pubdate",
    "og:pubdate",
    "date_published",
    "dateposted",
    "rnews:datepublished",
    "cxenseparse:recs:publishtime",
    "article_date_original",
    "displaydate",
    "dc.date.created",
    "dcterms.created",
    "datecreated",
    "date",
    "dc.date",
    "dcterms.date",
    "dc:date",
    "created",
    "timestamp",
)
MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dc.date.modified",
    "dcterms.modified",
    "modified_time",
    "last-modified",
    "lastmod",
    "modified",
)
_META_KEYS = ("property", "name", "itemprop", "http-equiv")


def meta_values(page: Page) -> dict[str, str]:
    """Each meta tag's name (property, name, itemprop or http-equiv, lower case): its first
    non-empty content."""
    values: dict[str, str] = {}
    for meta in page.tree.iter("meta"):
        content = (meta.get("content") or meta.get("datetime") or "").strip()
        for key in _META_KEYS:
            name = (meta.get(key) or "").strip().lower()
            if name and content:
                values.setdefault(name, content)
    return values


# Other names CMSs give their publication meta tag ("sw-pubdate", "dcterms.dateAccepted" no).
PUBLISHED_NAME = re.compile(r"pub(?:lish\w*|lication)?[-_.:]?date|date[-_.:]?pub|published")


def _meta_published(page: Page, now, zone) -> dates.PubDate | None:
    values = meta_values(page)
    others = [n for n in values if PUBLISHED_NAME.search(n) and not UPDATED_CLASS.search(n)]
    for name in (*PUBLISHED_META, *others):
        found = _parse_value(values.get(name), "meta", now, zone)
        if found:
            return found
    return None


# Containers of other stories, menus and comments: their dates are not the page's.
ELSEWHERE_TAGS = {"aside", "nav", "footer", "form"}
ELSEWHERE = re.compile(
    r"related|sidebar|widget|recommend|popular|trending|comment|teaser|more-|-more|read-?next|"
    r"newsletter|breadcrumb|menu|footer|promo|latest|archive|calendar|event|(?:^|\s)card",
    re.IGNORECASE,
)
UPDATED_CLASS = re.compile(r"updat|modif|revis", re.IGNORECASE)
# Class or id names of elements that hold the date (strong: the publication date by name).
STRONG_CUE = re.compile(
    r"publish|posted|pubdate|pub-date|entry-date|post-date|article-date|dateline|datepub|"
    r"date-pub|created|parution|veroeffentlicht",
    re.IGNORECASE,
)
# Any of these in a class or id makes an element a candidate (the strong ones included: "date"
# is in "entry-date" and "dateline").
CUE_WORDS = (
    "date",
    "datum",
    "fecha",
    "time",
    "byline",
    "meta",
    "submitted",
    "info",
    "data",
    "publi",
    "posted",
    "created",
    "parution",
    "veroeffentlicht",
)
_TIMES = etree.XPath("//body//time | //body//*[@itemprop or @property] | //body//abbr")


# Class names that describe the post rather than the element (WordPress's "tag-events",
# "category-latest", the body's "no-sidebar").
POST_CLASS = ("tag-", "category-", "type-", "status-", "format-", "post", "no-", "has-", "single")


def _elsewhere(element) -> bool:
    """Inside an aside, a menu, a footer or a list of other stories."""
    for node in element.iterancestors():
        if node.tag in ELSEWHERE_TAGS:
            return True
        if node.tag in ("body", "html"):
            return False
        for name in _names(node).split():
            if not name.startswith(POST_CLASS) and ELSEWHERE.search(name):
                return True
    return False


def _names(element) -> str:
    return f"{element.get('class', '')} {element.get('id', '')}"


# itemprop or RDFa property values (prefix dropped) that mark the publication date.
PUBLISHED_PROPS = {"datepublished", "datecreated", "date", "created", "issued", "pubdate"}


def _marks_publication(element, names: str) -> bool:
    props = f"{element.get('itemprop', '')} {element.get('property', '')}".lower().split()
    return (
        any(prop.rpartition(":")[2] in PUBLISHED_PROPS for prop in props)
        or element.get("pubdate") is not None
        or STRONG_CUE.search(names) is not None
    )


def _marked_up_published(page: Page, now, zone, text: str = "") -> dates.PubDate | None:
    """<time>, itemprop or RDFa datePublished, abbr.published; then a dateline, elements named
    for the date. Marked as the publication and outside asides first, then any <time> outside
    them, then a marked one in an aside."""
    ranked: list = []
    for order, element in enumerate(_TIMES(page.tree)):
        names = _names(element)
        marks = f"{names} {element.get('itemprop', '')} {element.get('property', '')}"
        if UPDATED_CLASS.search(marks):
            continue
        strong = _marks_publication(element, names)
        if not strong and element.tag != "time":
            continue
        rank = (0 if strong else 1) if not _elsewhere(element) else 2 + (not strong)
        if rank == 3:
            continue
        found = _element_date(element, now, zone)
        if found and rank == 0:
            return found
        if found:
            ranked.append((rank, order, found))
    # A dateline opening the text is as specific as markup ("03/05/2024 – "), and the page's
    # own; an element named for a date may be a template's.
    cued = dates.from_dateline(text, now) or _cued_published(page, now)
    if cued or not ranked:
        return cued
    return min(ranked, key=lambda r: r[:2])[2]


def _element_date(element, now, zone) -> dates.PubDate | None:
    source = "abbr" if element.tag == "abbr" else "time" if element.tag == "time" else "itemprop"
    values = (element.get("datetime"), element.get("content"), element.get("title"))
    for value in (*values, clean(element.text_content())[:80]):
        found = _parse_value(value, source, now, zone)
        if found:
            return found
    return None


def _cued_published(page: Page, now) -> dates.PubDate | None:
    """The first date in a short element whose class or id names a date or byline, those that
    name the publication first; not in asides or lists of other stories."""
    if "cued" not in page.memo:
        page.memo["cued"] = _find_cued(page, now)
    return page.memo["cued"]


def _find_cued(page: Page, now) -> dates.PubDate | None:
    named = [el for el in page.tree.iter(etree.Element) if el.get("class") or el.get("id")]
    names = [_names(el) for el in named]
    candidates = []
    for index in _matching(names, CUE_WORDS):
        element, name = named[index], names[index]
        if element.tag in CUE_SKIP or len(element) >= 12 or UPDATED_CLASS.search(name):
            continue  # not text, or a container of more than a date
        candidates.append((STRONG_CUE.search(name) is None, index, element))
    for _, _, element in sorted(candidates, key=lambda c: c[:2]):
        text = clean(element.text_content())
        if len(text) > 200 or _elsewhere(element):
            continue
        found = dates.in_text(text, "class", now) or dates.in_text(
            element.get("title"), "class", now
        )
        if found and found.precision == "day":
            return found
    return None


def _matching(names: list[str], words: tuple[str, ...]) -> set[int]:
    """Indexes of the names that contain one of the words, in any case. Searched in all names
    joined with str.find, not name by name with a regex: pages carry thousands of names, and an
    alternation of words costs a regex a step at every character."""
    joined = "\n".join(names).lower()
    starts = list(accumulate((len(name) + 1 for name in names), initial=0))
    found = set()
    for word in words:
        at = joined.find(word)
        while at != -1:
            index = bisect_right(starts, at) - 1
            found.add(index)
            at = joined.find(word, starts[index + 1])  # the next name
    return found


CUE_SKIP = {"script", "style", "a", "img", "body", "html", "link", "meta", "head", "input"}


_AFTER = etree.XPath("following::*[position() <= 16]")
_BEFORE = etree.XPath("preceding::*[ancestor::body][position() <= 4]")
# A byline is short; a longer element that holds a date is a sentence about an event.
BYLINE_CHARS = 100
BYLINE_WORDS = 8


def _sentence(text: str) -> bool:
    """A sentence about an event, not a byline: it ends with a full stop (not "p.m."), or has
    many words besides the date's."""
    words = [word for word in text.split() if not any(c.isdigit() for c in word)]
    return len(words) > BYLINE_WORDS or (text.endswith(".") and not ABBREVIATION.search(text))


ABBREVIATION = re.compile(r"\b\w\.\w\.$|\b[A-Z][a-z]{0,3}\.$")


def _near_title(page: Page, now) -> dates.PubDate | None:
    """A date in a short element just after the page's first heading (or in it, or just
    before it)."""
    for heading in page.tree.iter("h1"):
        if not clean(heading.text_content()) or _elsewhere(heading):
            continue
        for element in (heading, *_AFTER(heading), *_BEFORE(heading)[::-1]):
            text = clean(element.text_content())
            if 6 <= len(text) <= BYLINE_CHARS and not _sentence(text):
                found = dates.in_text(text, "byline", now)
                if found and found.precision == "day":
                    return found
        return None
    return None


def _page_text(page: Page) -> str:
    """The text of the page's body (serialized by libxml2: walking it in Python costs ten times
    more; inline scripts' text comes with it, and labels and dates rarely stand in scripts)."""
    body = page.tree.find("body")
    text = etree.tostring(body if body is not None else page.tree, method="text", encoding=str)
    return " ".join(text.split())


def _in_main_text(page: Page, now) -> dates.PubDate | None:
    """The first date of the page's main container (<article>, <main>, else the body), a guess."""
    for tag in ("article", "main", "body"):
        for element in page.tree.iter(tag):
            if not _elsewhere(element):
                found = dates.in_text(clean(element.text_content())[:3000], "text", now)
                if found:
                    return found
    return None


def updated_of(page: Page, generations, now, zone=None) -> dates.PubDate | None:
    """The date of the last update, only where the page states one."""
    for css, attr in (pair for g in generations for pair in g.updated_css):
        found = dates.parse_any(first(page, css, attr), "site", None, now, zone)
        if found:
            return found
    for item in page.json_ld:
        found = dates.parse_machine(item.get("dateModified"), "json-ld", now, zone)
        if found:
            return found
    values = meta_values(page)
    for name in MODIFIED_META:
        found = dates.parse_machine(values.get(name), "meta", now, zone)
        if found:
            return found
    return None


EMPTY = Page(lxml.html.fromstring("<html></html>"))


def extract(
    html: str | bytes,
    url: str,
    source: Source | None,
    hints: dict | None = None,
    now: datetime | None = None,
) -> Extracted:
    """Fields of the article at url (canonical form); hints come from discovery."""
    hints = hints or {}
    generations = generations_for(source, url)
    generation = generations[0].name if generations and generations[0].matches(url) else None
    tree = parse_html(html)
    if tree is None:
        # A page we could not read (empty, refused): keep what discovery knew.
        title = clean(hints.get("title")) or None
        return Extracted(
            title=title,
            title_source=hints.get("via", "listing") if title else None,
            description=clean(hints.get("description")) or None,
            published=published_of(EMPTY, url, source, [], hints, "", now),
            site_tags=list(hints.get("tags") or []),
            generation=generation,
        )
    page = Page(tree)
    text, text_source, body_html = body_text(page, generations, url)
    if len(text) > bounds.MAX_TEXT_CHARS:
        text, text_source = bounds.bounded_text(text), f"{text_source}{bounds.CUT}"
    title, title_source = title_of(page, source, generations, hints, url)
    tags = [tag for g in generations for css in g.tags_css for tag in tags_at(page, css)]
    description = (
        first(page, "meta[name=description]", "content")
        or first(page, "meta[property='og:description']", "content")
        or clean(hints.get("description"))
    )
    return Extracted(
        title=bounds.bounded_field(title),
        title_source=title_source,
        text=text,
        text_source=text_source,
        body_html=body_html,
        description=bounds.bounded_field(description) or None,
        published=published_of(page, url, source, generations, hints, text, now),
        updated=updated_of(page, generations, now, source.timezone if source else None),
        site_tags=[t for t in tags if t] + list(hints.get("tags") or []),
        html_lang=(tree.get("lang") or "").split("-")[0].lower() or None,
        generation=generation,
        alternates={
            el.get("hreflang").split("-")[0].lower(): el.get("href")
            for el in page.select("link[rel=alternate][hreflang][href]")
        },
        related=[
            clean(el.text_content())
            for g in generations
            for css in g.related_css
            for el in page.select(css)
        ],
    )
