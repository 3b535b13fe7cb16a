"""Bylines: who wrote a post, with where each name was read (its provenance).

The page's own markup first (a Drupal author field, a WordPress `author vcard`, JSON-LD, a
`By ...` element), then the discovery record's names (the OECD API's `authors[]`), then a
signature line at the start or end of the body ("By Clare Naden", "Par ..."), and only then
trafilatura's guess. A credit is split into its authors ("IEC Editor Team & Antoinette Price");
teams and organizations are kept as such, never as people. Precision first: a name that does
not look like a person's, a team's or an organization's is dropped, and trafilatura's guess is
refused when it stands in a contact, photo or comment context ("Contact: press office").
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from lxml import etree

from pipeline.normalize import organizations
from pipeline.normalize.extract import ARTICLE_TYPES, Page, clean, parse_html
from pipeline.normalize.types import Author


@dataclass(frozen=True)
class Rule:
    """Elements of a page that hold a byline, and the provenance their names are stored with."""

    css: str
    provenance: str
    # Selects by an attribute (rel, itemprop) no class or id names: run only on a page whose
    # rel or itemprop values name an author (Page.select cannot tell, and would scan the page).
    by_attribute: bool = False


# Per-site knowledge as data, most specific first; the first rule that gives a valid author
# wins. www.iec.ch/blog (Drupal): `span.field--name-field-author`; blog.iec.ch and WordPress
# themes: `span.byline span.author.vcard a.url.fn`; ISO: `div.author` "By <span>Name</span>".
MARKUP_RULES = (
    Rule(".field--name-field-author .field__item", "markup:drupal-field-author"),
    Rule(".field--name-field-author", "markup:drupal-field-author"),
    Rule(".author.vcard .fn", "markup:wordpress-vcard"),
    Rule(".author.vcard", "markup:wordpress-vcard"),
    Rule("a[rel~=author]", "markup:rel-author", by_attribute=True),
    Rule("[itemprop~=author] [itemprop~=name]", "markup:itemprop-author", by_attribute=True),
    Rule("[itemprop~=author]", "markup:itemprop-author", by_attribute=True),
    Rule(".byline, .author, .article-author, .post-author, .entry-author", "markup:byline"),
)
# Meta tags naming the author (their content), after the elements: sites often set them once
# for every page (the organization's name).
META_AUTHOR = ("author", "article:author", "dc.creator", "dcterms.creator", "parsely-author")
# Where a byline is never read: comments, sidebars, related posts, the site's chrome.
OUTSIDE = re.compile(
    r"(?<![a-z])(?:comments?|sidebar|widgets?|related|recent|footer|share|newsletter|"
    r"breadcrumbs?|menu|nav|navigation)(?![a-z])",
    re.IGNORECASE,
)
OUTSIDE_TAGS = frozenset({"aside", "footer", "nav", "form"})
# Words that make a line a contact, a credit for an image or a copyright: never a byline.
NOT_BYLINE = re.compile(
    r"\b(?:contacts?|press\s+contacts?|media\s+(?:contacts?|relations|enquiries)|tel|phone|"
    r"e-?mail|photos?|images?|credits?|copyright|©|illustrations?|source|comments?|"
    r"renseignements|contactez|téléphone)\b",
    re.IGNORECASE,
)
# The words that open a byline, in the sites' languages; removed before the names are read.
PREFIX = re.compile(
    r"^(?:(?:written|posted|published|reported|edited|text|words)\s+by|by|par|por|von|"
    r"auteur(?:e|s)?|author(?:s)?|texte\s+de|rédigé\s+par|écrit\s+par|publié\s+par)\s*[:\-–]?\s+",
    re.IGNORECASE,
)
# A signature line of the body: the prefix, then only names.
SIGNATURE = re.compile(r"^(?:by|par|por|von|texte\s+de|written\s+by)\s+(\S.{2,100})$", re.I)
# Titles before a name, left out of it ("Dr Jane Smith" is credited as "Jane Smith").
HONORIFIC = re.compile(r"^(?:(?:dr|prof|mr|mrs|ms|mx|m|mme|mlle|sir|dame)\.?\s+)+", re.IGNORECASE)
# A credit's authors are joined by these; " and " / " et " only split when every part is a name.
JOINERS = re.compile(r"\s*(?:&|;|\||,|\s/\s|\+)\s*")
CONJUNCTIONS = re.compile(r"\s+(?:and|et|y|und|with|avec)\s+", re.IGNORECASE)
# What follows the names on one line: a date ("on 3 March 2021", "le 3 mars"), a reading time.
TAIL = re.compile(
    r"\s+(?:(?:on|le|el|am|posted|published|updated|publié)\s+\D*\d.*|\d.*)$|\s+[-–—·]\s.*$",
    re.IGNORECASE,
)
# A team or an office of an organization: a credit, not a person.
TEAM_WORDS = frozenset(
    [
        "team",
        "office",
        "editor",
        "editors",
        "editorial",
        "staff",
        "desk",
        "newsroom",
        "communications",
        "communication",
        "media",
        "press",
        "secretariat",
        "department",
        "service",
        "services",
        "unit",
        "division",
        "bureau",
        "équipe",
        "rédaction",
        "redaction",
        "direction",
        "comité",
        "committee",
        "group",
    ]
)
# Particles of people's names, lower case between capitalized words ("Ursula von der Leyen").
PARTICLES = frozenset(
    [
        "de",
        "del",
        "della",
        "di",
        "da",
        "das",
        "dos",
        "du",
        "des",
        "van",
        "von",
        "der",
        "den",
        "le",
        "la",
        "bin",
        "ibn",
        "al",
        "y",
        "e",
        "ter",
        "ten",
    ]
)
# Small words of a team's or an organization's name ("Office of the Secretary-General").
LINKS = frozenset(["of", "the", "and", "for", "de", "du", "des", "la", "le", "et", "for"])
# Words that are never part of a name a byline gives (the chrome's labels).
NOT_NAME = frozenset(
    [
        "share",
        "posted",
        "published",
        "updated",
        "read",
        "minutes",
        "min",
        "news",
        "home",
        "admin",
        "administrator",
        "webmaster",
        "anonymous",
        "guest",
        "follow",
        "more",
        "the",
        "our",
        "your",
        "this",
        # a company's name (a web agency's meta tag), never a person
        "ltd",
        "inc",
        "llc",
        "gmbh",
        "sarl",
        "agency",
        "studio",
        "digital",
        "design",
        "solutions",
    ]
)
# What trafilatura reads authors from (its AUTHOR_XPATHS' names, its meta tags): a page with
# none of them is not given to it.
GENERIC_NAMES = re.compile(
    r"author|byline|writer|screenname|username|submitted|posted-by|journalist|zuozhe|bianji|"
    r"^byl$|^BBL$",
    re.IGNORECASE,
)
GENERIC_META = frozenset(
    [
        "author",
        "article:author",
        "atc-metaauthor",
        "authors",
        "byl",
        "citation_author",
        "dc.creator",
        "dc.creator.aut",
        "dc:creator",
        "dcterms.creator",
        "dcterms.creator.aut",
        "dcsext.author",
        "parsely-author",
        "rbauthors",
        "sailthru.author",
        "shareaholic:article_author_name",
        "og:author",
        "og:article:author",
    ]
)
NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’.\-]*(?:[-'’][^\W\d_]+)*\.?$|^[^\W\d_]\.$")


def authors(
    html: Page | str | bytes | None, text: str = "", hints: dict | None = None
) -> list[Author]:
    """The post's authors, from the first signal that gives any (see the module's docstring);
    `html` may be the page as extraction parsed it, which saves parsing it again."""
    page = _page(html)
    for signal, argument in (
        (_from_markup, page),
        (_from_hints, hints or {}),
        (_from_signature, text),
        (_from_trafilatura, page),
    ):
        found = signal(argument)  # in turn: trafilatura's search costs the most
        if found:
            return found
    return []


def byline(found: list[Author]) -> str | None:
    """The names as one line for display and facets ("IEC Editor Team, Antoinette Price")."""
    return ", ".join(a["name"] for a in found) or None


def _page(html: Page | str | bytes | None) -> Page | None:
    """The page parsed, or as extraction parsed it already (a Page)."""
    if isinstance(html, Page):
        return html
    tree = parse_html(html) if html else None
    return Page(tree) if tree is not None else None


def _from_markup(page: Page | None) -> list[Author]:
    if page is None:
        return []
    marked = any("author" in value.lower() for value in _AUTHOR_ATTRIBUTES(page.tree))
    for rule in MARKUP_RULES:
        if rule.by_attribute and not marked:
            continue
        found = _credits(_texts(page, rule.css), rule.provenance)
        if found:
            return found
    found = _credits(_json_ld_authors(page), "markup:json-ld")
    return found or _credits(_meta_authors(page), "markup:meta-author")


_AUTHOR_ATTRIBUTES = etree.XPath("//@rel | //@itemprop", smart_strings=False)


def _texts(page: Page, css: str) -> Iterator[str]:
    for element in page.select(css):
        if not _outside(element):
            yield element.text_content()


def _outside(element) -> bool:
    """Inside comments, a sidebar, related posts or the page's chrome (not the article's)."""
    for node in element.iterancestors():
        if node.tag == "article":
            return False
        names = f"{node.get('class') or ''} {node.get('id') or ''}"
        if node.tag in OUTSIDE_TAGS or OUTSIDE.search(names):
            return True
    return False


def _json_ld_authors(page: Page) -> list[str]:
    """The authors of the page's article object (else of the first object naming any): an
    Organization marked as one; a related article's authors are not this page's."""
    items = sorted(page.json_ld, key=lambda i: not ARTICLE_TYPES.search(str(i.get("@type"))))
    for item in items:
        value = item.get("author") or item.get("creator")
        names = []
        for author in value if isinstance(value, list) else [value]:
            if isinstance(author, dict) and isinstance(author.get("name"), str):
                organization = str(author.get("@type") or "") == "Organization"
                names.append(("\x00" if organization else "") + author["name"])
            elif isinstance(author, str) and not author.startswith("http"):
                names.append(author)
        if names:
            return names
    return []


def _meta_authors(page: Page) -> Iterator[str]:
    for meta in page.tree.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if key in META_AUTHOR and content and not content.startswith("http"):
            yield content


def _from_hints(hints: dict) -> list[Author]:
    names = [n for n in hints.get("authors") or [] if isinstance(n, str)]
    return _credits(names, "api:authors")


def _from_signature(text: str) -> list[Author]:
    """A paragraph that is only "By Name(s)", among the body's first and last three."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    for paragraph in paragraphs[:3] + paragraphs[-3:]:
        match = SIGNATURE.match(paragraph.rstrip("."))
        if match and not NOT_BYLINE.search(paragraph):
            found = _credits([match.group(1)], "text:signature")
            if found:
                return found
    return []


def _from_trafilatura(page: Page | None) -> list[Author]:
    """trafilatura's author, where it holds up: each name a valid one, and none read from a
    contact line, a photo credit or a comment (trafilatura reads any element with an author
    class, and so takes "Contact: press office" or a commenter for the author)."""
    if page is None or not _may_credit(page):
        return []
    guessed = generic_author(page.tree)
    if not guessed or NOT_BYLINE.search(guessed):
        return []
    found = _credits(guessed.split(";"), "trafilatura")
    if any(_in_wrong_context(page.tree, a["name"]) for a in found):
        return []
    return found


def _may_credit(page: Page) -> bool:
    """The page has something trafilatura reads an author from (a class or id it looks for, a
    meta tag, JSON-LD): most pages have none, and its search costs more than the rest here."""
    classes, ids = page.names
    if any(GENERIC_NAMES.search(name) for name in (*classes, *ids)) or page.json_ld:
        return True
    return any(
        (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").lower()
        in GENERIC_META
        for meta in page.tree.iter("meta")
    )


def generic_author(tree: etree._Element) -> str | None:
    """trafilatura's author as its extract_metadata finds it (meta tags, JSON-LD, then the
    elements it knows), without the date search that function also makes."""
    from trafilatura import metadata

    found = metadata.examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None
    with contextlib.suppress(Exception):  # trafilatura's JSON-LD reader fails on odd data
        found = metadata.extract_meta_json(tree, found)
    return found.author or metadata.extract_author(tree)


def _in_wrong_context(tree: etree._Element, name: str) -> bool:
    """The name stands in a contact, credit or comment element (its text or its names)."""
    for node in tree.xpath("//text()[contains(., $name)]/..", name=name):
        for element in (node, *list(node.iterancestors())[:2]):
            names = f"{element.get('class') or ''} {element.get('id') or ''}"
            line = clean(element.text_content())[:200]
            if NOT_BYLINE.search(line) or re.search(r"contact|comment|credit|caption", names, re.I):
                return True
    return False


def _credits(texts: Iterable[str], provenance: str) -> list[Author]:
    """The authors of some credits, each once, in order; organizations only when no person
    or team is credited beside them (then they are an affiliation: "By Clare Naden, ISO")."""
    found: dict[str, Author] = {}
    for text in texts:
        for author in split_credit(text, provenance):
            found.setdefault(author["name"].casefold(), author)
    people = [a for a in found.values() if a["kind"] != "organization"]
    return people or list(found.values())


def split_credit(text: str, provenance: str) -> list[Author]:
    """One credit ("By IEC Editor Team & Antoinette Price") -> its valid authors."""
    declared_organization = text.startswith("\x00")
    text = clean(text.lstrip("\x00"))
    if not text or len(text) > 200 or NOT_BYLINE.search(text):
        return []
    text = PREFIX.sub("", text)
    found = []
    for part in JOINERS.split(text):
        part = HONORIFIC.sub("", TAIL.sub("", PREFIX.sub("", part)).strip(" .:"))
        for name in _names(part):
            kind = "organization" if declared_organization else kind_of(name)
            if kind:
                found.append(Author(name=name, kind=kind, provenance=provenance))
    return found


def _names(part: str) -> list[str]:
    """The part as one name, or its names joined by "and"/"et" when every one is a person's."""
    pieces = [HONORIFIC.sub("", piece) for piece in CONJUNCTIONS.split(part)]
    if len(pieces) > 1 and all(kind_of(p) == "person" for p in pieces):
        return pieces
    return [part] if part else []


def kind_of(name: str) -> str | None:
    """person, team or organization; None for what is none of them (a label, a sentence)."""
    words = name.split()
    if not words or len(words) > 8 or any(c.isdigit() for c in name) or "@" in name:
        return None
    folded = {w.casefold().strip(".,") for w in words}
    if folded & NOT_NAME:
        return None
    if name.casefold() in organization_names() or (len(words) == 1 and is_acronym(name)):
        return "organization"
    capitalized = all(w[0].isupper() or w.casefold() in LINKS for w in words)
    if folded & TEAM_WORDS:
        return "team" if capitalized else None
    return "person" if is_person(words) else None


def is_acronym(word: str) -> bool:
    return 2 <= len(word) <= 8 and word.isupper() and word.isalpha()


@cache
def organization_names() -> frozenset[str]:
    """Every name and acronym of the gazetteer's organizations, case folded."""
    names = set()
    for org in organizations.by_id().values():
        variants = [v for vs in (org.get("names") or {}).values() for v in vs]
        for name in [org.get("acronym"), org["name"], *variants, *(org.get("aliases") or [])]:
            if name:
                names.add(name.casefold())
    return frozenset(names)


def is_person(words: list[str]) -> bool:
    """Two to five words, each a capitalized word or an initial, or a particle between them."""
    if not 2 <= len(words) <= 5 or words[0].casefold() in PARTICLES:
        return False
    named = [w for w in words if w.casefold() not in PARTICLES]
    return (
        len(named) >= 2
        and all(NAME_WORD.match(w) and w[0].isupper() for w in named)
        and not all(w.isupper() and len(w) > 1 for w in named)
    )
