"""The site's Atom feeds: the `.atom` renderer of the canned feed queries (feed_latest,
feed_source, feed_organization, feed_tag, feed_search of data/metadata.yml), in place of
datasette-atom's at the same URLs.

- Each feed is titled by what it follows, from its parameters ("ISO posts mentioning ITU",
  "Search: metrology, since 2024"), so that subscriptions differ in a feed reader.
- Each entry links the original post (rel=alternate) and its page here (rel=related), and
  carries a summary: the description or the body's first lines, with the source and date.
- Opened in a browser, a feed is a readable page: an `<?xml-stylesheet?>` of CSS
  (data/static/feed.css, at /assets/) styles the Atom elements, and the summaries and the
  subtitle are XHTML, so their links work. CSS, not XSLT: Chromium warns that it is removing
  XSLT, not XML with CSS. The feed also links the same posts as a page (rel=alternate, HTML).
- A query with no rows is an empty feed, not an error; scraped text stays text (the XML
  serializer escapes it; characters XML cannot hold are dropped).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

from datasette import hookimpl
from datasette.utils.asgi import Response
from lxml import etree

from pipeline.site import filters
from pipeline.site.filters import ORGANIZATION_IS
from pipeline.site.serve import date_label

ATOM = "http://www.w3.org/2005/Atom"
XHTML = "http://www.w3.org/1999/xhtml"
REQUIRED_COLUMNS = {"atom_id", "atom_updated", "atom_title"}
STYLESHEET = "/assets/feed.css"
# The feed queries titled from their parameters (and the post_feed table's feed, from the
# posts table's filters of filters.TABLE_FILTERS).
FEED_QUERIES = {"feed_latest", "feed_source", "feed_organization", "feed_tag", "feed_search"}
# The feed of new stories across publishers: its entries are stories, its page the stories page.
JOINT_STORIES = "feed_joint_stories"
LANGUAGES = {
    "ar": "Arabic",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "pt": "Portuguese",
    "ru": "Russian",
    "zh": "Chinese",
}
# A parameter's text in a title, and a summary, at most this long (a feed reader's line).
LABEL_CHARS = 80
SUMMARY_CHARS = 300
# What atom_content (the post_feed view) appends to the summary.
ORGANIZATIONS_TAIL = "\n\nOrganizations: "
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@hookimpl(trylast=True)
def register_output_renderer(datasette):
    # trylast: Datasette keeps the last renderer of an extension, so this one replaces
    # datasette-atom's (which stays installed for a plain `datasette serve` without us).
    return {"extension": "atom", "render": render_atom, "can_render": can_render_atom}


def can_render_atom(columns):
    return REQUIRED_COLUMNS.issubset(columns)


async def render_atom(datasette, request, columns, rows, database, table, query_name, data):
    if not REQUIRED_COLUMNS.issubset(columns):
        return Response.text(
            "An Atom feed needs the columns " + ", ".join(sorted(REQUIRED_COLUMNS)), status=400
        )
    params = followed(request, table)
    described = query_name in FEED_QUERIES or (table == "post_feed" and only_filters(request))
    title = await feed_title(datasette, database, table, query_name, params, data, described)
    page = alternate_page(datasette, database, params) if described else None
    if query_name == JOINT_STORIES:
        page = datasette.urls.path(f"/{database}/-/stories")
    feed = Feed(datasette, request, database, title, page, query_name != JOINT_STORIES)
    for row in rows:
        feed.entry(dict(zip(columns, row, strict=False)) if not hasattr(row, "keys") else row)
    return Response(
        feed.to_bytes(datasette.urls.path(STYLESHEET)),
        content_type="application/xml; charset=utf-8",
    )


# --- what a feed follows ---------------------------------------------------------------------


def followed(request, table) -> dict:
    """What a feed follows, by the feed queries' parameter names: theirs, or for the post_feed
    table's feed (the reading list's of several filters) the posts table's filters."""
    names = (
        {arg: name for name, arg in filters.TABLE_FILTERS.items()} if table == "post_feed" else {}
    )
    names = names or {name: name for name in ("q", *filters.TABLE_FILTERS)}
    found = {name: request.args.get(arg, "").strip() for arg, name in names.items()}
    return {name: value for name, value in found.items() if value}


def only_filters(request) -> bool:
    """Whether the post_feed table's feed is narrowed by the filters a title names, and no
    other (a column filter of Datasette's own, a search: then the table's title says it)."""
    known = {*filters.TABLE_FILTERS.values(), "_sort", "_sort_desc", "_size"}
    return set(request.args.keys()) <= known


async def feed_title(datasette, database, table, query_name, params, data, described) -> str:
    if described:
        labels = await parameter_labels(datasette.get_database(database), params)
        return describe(labels)
    if query_name:
        queries = datasette.metadata("queries", database=database, fallback=False) or {}
        return (queries.get(query_name) or {}).get("title") or query_name
    if table:
        human = (data or {}).get("human_description_en")
        return f"{table}: {human}" if human else table
    return "standards-news query"


def describe(labels: dict) -> str:
    """A feed's title from the labels of its parameters: "ISO posts mentioning ITU",
    "Search: metrology, since 2024", "Latest posts, all sources" with none."""
    qualifiers = [
        f"mentioning {labels['organization']}" if "organization" in labels else "",
        f"tagged \u201c{labels['tag']}\u201d" if "tag" in labels else "",
        f"referencing {labels['standard']}" if "standard" in labels else "",
        f"in {labels['language']}" if "language" in labels else "",
    ]
    posts = f"{labels['source']} posts" if "source" in labels else "posts"
    followed = " ".join([posts, *filter(None, qualifiers)])
    when = period(labels)
    if "q" in labels:
        narrowed = followed if followed != "posts" else ""
        return ", ".join(filter(None, [f"Search: {labels['q']}", narrowed, when]))
    if followed == "posts" and not when:
        return "Latest posts, all sources"
    if followed.startswith("posts"):
        followed = "P" + followed[1:]
    return f"{followed} {when}" if when else followed


def period(labels: dict) -> str:
    start, end = labels.get("date_from"), labels.get("date_to")
    if start and end:
        return f"{start} to {end}"
    if start:
        return f"since {start}"
    return f"until {end}" if end else ""


async def parameter_labels(db, params: dict) -> dict:
    """The parameters as a person reads them: a source's or organization's acronym, a tag's
    name, a language's name; each cut to a title's length."""
    labels = dict(params)
    lookups = {
        "source": "select coalesce(o.acronym, s.name) from sources s"
        " left join organizations o on o.id = s.organization where s.id = :source",
        "organization": "select coalesce(o.acronym, o.name) from organizations o where "
        + ORGANIZATION_IS.format(t="o", p="organization"),
        "tag": "select name from tags where name = :tag collate nocase or id = :tag",
    }
    for name, sql in lookups.items():
        if name in params:
            found = await db.execute(sql + " limit 1", {name: params[name]})
            labels[name] = (found.first() or [None])[0] or params[name]
    if "language" in params:
        labels["language"] = LANGUAGES.get(params["language"].lower(), params["language"])
    return {name: shorten(xml_text(value), LABEL_CHARS) for name, value in labels.items()}


def alternate_page(datasette, database, params) -> str:
    """The page listing the posts a feed follows: the search results', or the reading list's
    (pipeline/site/reader.py), with the same filters."""
    page = "search" if "q" in params else "read"
    path = f"{datasette.urls.database(database)}/-/{page}"
    return path + ("?" + urlencode(params) if params else "")


# --- the Atom document -----------------------------------------------------------------------


class Feed:
    """An Atom feed being written: its head, then entries, newest first as the rows come."""

    def __init__(self, datasette, request, database, title, page, of_posts=True):
        self.datasette, self.request, self.database = datasette, request, database
        self.root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
        self.updated = None
        add(self.root, "title", title)
        add(self.root, "id", request.url)
        link(self.root, request.url, "self", "application/atom+xml")
        if page:
            link(self.root, self.absolute(page), "alternate", "text/html")
        add(add(self.root, "author"), "name", "standards-news")
        add(self.root, "generator", "standards-news (Datasette)")
        self.root.append(subtitle(self.absolute(page) if page else None, of_posts))
        self.updated_element = add(self.root, "updated", "")

    def absolute(self, path: str) -> str:
        return self.datasette.absolute_url(self.request, path)

    def entry(self, row) -> None:
        keys = set(row.keys())
        entry = etree.SubElement(self.root, f"{{{ATOM}}}entry")
        add(entry, "title", str(row["atom_title"] or "(untitled)"))
        add(entry, "id", str(row["atom_id"]))
        updated = rfc3339(row["atom_updated"])
        self.updated = max(filter(None, [self.updated, updated]), default=None)
        add(entry, "updated", (updated or datetime.now(UTC)).isoformat())
        original = row["atom_link"] if "atom_link" in keys else None
        if original:
            link(entry, original, "alternate", "text/html")
        post_page = self.post_page(row["id"]) if "id" in keys and row["id"] else None
        if post_page:
            link(entry, post_page, "related", "text/html")
        if "atom_author_name" in keys and row["atom_author_name"]:
            author = add(entry, "author")
            add(author, "name", row["atom_author_name"])
            if "atom_author_uri" in keys and row["atom_author_uri"]:
                add(author, "uri", row["atom_author_uri"])
        content = str(row["atom_content"] or "") if "atom_content" in keys else ""
        entry.append(summary(row, content, original, post_page))
        if content:
            add(entry, "content", content).set("type", "text")

    def post_page(self, post_id: str) -> str:
        return self.absolute(self.datasette.urls.row(self.database, "posts", post_id))

    def to_bytes(self, stylesheet: str) -> bytes:
        self.updated_element.text = (self.updated or datetime.now(UTC)).isoformat()
        instruction = etree.ProcessingInstruction(
            "xml-stylesheet", f'type="text/css" href="{stylesheet}"'
        )
        self.root.addprevious(instruction)
        return etree.tostring(
            self.root.getroottree(), xml_declaration=True, encoding="utf-8", pretty_print=True
        )


def add(parent, name: str, text: str | None = None):
    element = etree.SubElement(parent, f"{{{ATOM}}}{name}")
    if text is not None:
        element.text = xml_text(text)
    return element


def link(parent, href: str, rel: str, kind: str) -> None:
    element = etree.SubElement(parent, f"{{{ATOM}}}link")
    element.attrib.update({"href": xml_text(href), "rel": rel, "type": kind})


def html(parent, name: str, text: str | None = None, **attributes):
    element = etree.SubElement(parent, f"{{{XHTML}}}{name}", nsmap={None: XHTML})
    element.text = xml_text(text) if text else None
    for key, value in attributes.items():
        element.set(key.rstrip("_"), xml_text(value))
    return element


def subtitle(page: str | None, of_posts: bool = True):
    """What a person who opened the feed in a browser reads first."""
    element = etree.Element(f"{{{ATOM}}}subtitle", type="xhtml")
    div = html(element, "div")
    what = "posts of standards-news that match" if of_posts else "stories across publishers"
    html(div, "span", f"The 50 newest {what}. ")
    html(div, "span", "To subscribe, copy this page's address into a feed reader.")
    if page:
        html(div, "br")
        same = "The same posts as a page: " if of_posts else "The stories as a page: "
        html(html(div, "span", same), "a", "open the list", href=page)
    return element


def summary(row, content: str, original: str | None, post_page: str | None):
    """The entry's source, date and first lines, and its links, as XHTML."""
    element = etree.Element(f"{{{ATOM}}}summary", type="xhtml")
    div = html(element, "div")
    keys = set(row.keys())
    meta = [
        str(row["source"]).upper() if "source" in keys and row["source"] else "",
        date_label(row["published"]) if "published" in keys else "",
        LANGUAGES.get(row["language"] or "", row["language"] or "") if "language" in keys else "",
    ]
    if any(meta):
        html(div, "p", " \u00b7 ".join(filter(None, meta)), class_="meta")
    text = first_lines(content)
    if text:
        html(div, "p", text, class_="text")
    links = html(div, "p", class_="links")
    if post_page:
        html(links, "a", "Read on standards-news", href=post_page)
    if original:
        if post_page:
            html(links, "span", " \u00b7 ")
        html(links, "a", f"Original on {urlsplit(original).hostname or original}", href=original)
    return element


def first_lines(content: str) -> str:
    """The summary atom_content opens with (the description, or the body's start)."""
    text = content.rsplit(ORGANIZATIONS_TAIL, 1)[0] if ORGANIZATIONS_TAIL in content else content
    return shorten(" ".join(text.split()), SUMMARY_CHARS)


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.") + "\u2026"


def rfc3339(value) -> datetime | None:
    """atom_updated as a time with its zone (UTC when it has none); None when unreadable."""
    try:
        when = datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def xml_text(value) -> str:
    """Text XML can hold: scraped control characters are dropped, the rest is escaped on
    output."""
    return NOT_XML.sub("", str(value))
