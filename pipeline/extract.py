"""HTML -> fields of an article: the source's own selectors first, generic signals as fallback.

Each field records the path that produced it (`*_source`), so that analysts can tell a date from
the page's own metadata from one guessed from its URL. This is the only module that imports
trafilatura, used when no site body selector finds the text.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property

import cssselect
import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from pipeline import dates
from pipeline.sources import Generation, Source

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
BLOCK_TAGS = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li",
              "ul", "ol", "blockquote", "pre", "table", "tr", "td", "th", "dd", "dt", "dl",
              "figure", "figcaption", "br", "hr"}  # fmt: skip
# A body shorter than this from a site selector is taken as a selector that missed.
MIN_BODY_CHARS = 150
GENERIC_DATE_META = (
    ("meta[property='article:published_time']", "content"),
    ("meta[name='article:published_time']", "content"),
    ("meta[itemprop=datePublished]", "content"),
    ("meta[name='DC.date.issued']", "content"),
    ("meta[name='dc.date']", "content"),
    ("meta[name='DC.date']", "content"),
    ("meta[name=date]", "content"),
    ("meta[name=pubdate]", "content"),
)
GENERIC_TIME = (("article time[datetime]", "datetime"), ("time[datetime]", "datetime"))


@dataclass
class Extracted:
    title: str | None = None
    title_source: str | None = None
    text: str = ""
    text_source: str | None = None
    description: str | None = None
    published: dates.PubDate | None = None
    updated: dates.PubDate | None = None
    site_tags: list[str] = field(default_factory=list)
    html_lang: str | None = None
    generation: str | None = None
    # hreflang -> URL of the page's language versions (<link rel="alternate" hreflang>).
    alternates: dict[str, str] = field(default_factory=dict)
    related: list[str] = field(default_factory=list)


def parse_html(html: str | bytes) -> etree._Element | None:
    if not html or not html.strip():
        return None
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
_C1 = re.compile("[\x80-\x9f]")


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
    another layout. One that needs a class or id the page never uses is not run: on a 40 KB page
    of menus a class test over every element costs 0.1 ms, the list of names 0.05 ms once."""

    def __init__(self, tree: etree._Element):
        self.tree = tree

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
        for script in self.select("script[type='application/ld+json']"):
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
        if _C1.search(text):  # ’ stored as U+0092: mis-decoded text, or a page that says so
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
        block = node.tag in BLOCK_TAGS
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


def body_text(page: Page, generations: list[Generation]) -> tuple[str, str | None]:
    for generation in generations:
        for css in generation.body_css:
            for container in page.select(css):
                blocks = text_blocks(container, _unwanted(page, container, generation.drop_css))
                text = "\n\n".join(blocks)
                if len(text) >= MIN_BODY_CHARS:
                    return text, f"site:{css}"
    return generic_text(page.tree)


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


def title_of(page: Page, source: Source | None, generations, hints: dict):
    for css in (css for g in generations for css in g.title_css):
        value = first(page, css)
        if value:
            return value, f"site:{css}"
    for css, attr, how in (("meta[property='og:title']", "content", "og:title"),
                           ("title", "", "title")):  # fmt: skip
        value = first(page, css, attr)
        if value:
            for affix in source.title_suffixes if source else ():
                value = value.removesuffix(affix).removeprefix(affix)
            return value.strip(), how
    if hints.get("title"):
        return clean(hints["title"]), hints.get("via", "listing")
    return None, None


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
    for css, attr in (pair for g in generations for pair in g.date_css):
        found = dates.parse_any(first(page, css, attr), "site", language, now)
        if found:
            return found
    if hints.get("published"):
        found = dates.parse_any(hints["published"], hints.get("via", "listing"), language, now)
        if found:
            return found
    for item in page.json_ld:
        found = dates.parse_machine(item.get("datePublished"), "json-ld", now)
        if found:
            return found
    for how, selectors in (("meta", GENERIC_DATE_META), ("time", GENERIC_TIME)):
        for css, attr in selectors:
            found = dates.parse_machine(first(page, css, attr), how, now)
            if found:
                return found
    return dates.from_dateline(text, now) or dates.from_url(url, now)


GENERIC_UPDATED = (
    ("meta[property='article:modified_time']", "content"),
    ("meta[itemprop=dateModified]", "content"),
    ("meta[name='DC.date.modified']", "content"),
)


def updated_of(page: Page, generations, now) -> dates.PubDate | None:
    """The date of the last update, only where the page states one."""
    for css, attr in (pair for g in generations for pair in g.updated_css):
        found = dates.parse_any(first(page, css, attr), "site", None, now)
        if found:
            return found
    for item in page.json_ld:
        found = dates.parse_machine(item.get("dateModified"), "json-ld", now)
        if found:
            return found
    for css, attr in GENERIC_UPDATED:
        found = dates.parse_machine(first(page, css, attr), "meta", now)
        if found:
            return found
    return None


EMPTY = Page(lxml.html.fromstring("<html></html>"))


def extract(html: str | bytes, url: str, source: Source | None, hints: dict | None = None,
            now: datetime | None = None) -> Extracted:  # fmt: skip
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
            published=published_of(EMPTY, url, None, [], hints, "", now),
            site_tags=list(hints.get("tags") or []),
            generation=generation,
        )
    page = Page(tree)
    text, text_source = body_text(page, generations)
    title, title_source = title_of(page, source, generations, hints)
    tags = [tag for g in generations for css in g.tags_css for tag in tags_at(page, css)]
    return Extracted(
        title=title,
        title_source=title_source,
        text=text,
        text_source=text_source,
        description=first(page, "meta[name=description]", "content")
        or first(page, "meta[property='og:description']", "content")
        or clean(hints.get("description"))
        or None,
        published=published_of(page, url, source, generations, hints, text, now),
        updated=updated_of(page, generations, now),
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
        ],  # fmt: skip
    )
