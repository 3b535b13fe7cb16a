"""The reading list and the search results page: the posts as cards for a person, not a SQL user.

`/<db>/-/read` lists the posts newest first, 20 a page; `/<db>/-/search?q=...` shows the ranked
search's 50 best as the same cards, with highlighted snippets. Both take the filters of the ranked
search (source, organization, tag or topic, standard, language, dates) as a form whose choices
come from the data; a date or a value that names nothing answers with a message (400), never
silently nothing. The sidebar counts the listed posts by source, language, year, organization,
topic and standard (always in that order) from the facet index (pipeline/site/facets.py). Each
page links a feed and CSV/JSON downloads of what it shows.

No second search: the SQL is the canned search's (pipeline/site/queries.py) and the filters'
(pipeline/site/filters.py), run through Datasette's read-only connections and time limits.
Routes and the menu's links are registered by pipeline/site/plugin.py.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from datasette.database import QueryInterrupted
from datasette.utils import sqlite_timelimit
from datasette.utils.asgi import NotFound, Response

from pipeline.site import facets as facet_index
from pipeline.site import filters, queries

PARAMS = ("q", "source", "organization", "tag", "standard", "language", "date_from", "date_to")
PAGE_SIZE = 20
OPENING_CHARS = 320
CHOICES_SHOWN = 300  # datalist entries for organizations, topics and standards
FACET_VALUES = 8
# Sidebar facets in a fixed order: (facet index column, the form's parameter, heading).
FACETS = (
    ("source", "source", "Source"),
    ("language", "language", "Language"),
    ("published_year", "year", "Year"),
    ("organizations", "organization", "Organization"),
    ("tags", "tag", "Topic or tag"),
    ("standards", "standard", "Standard"),
)
DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
DATE_HELP = "write YYYY, YYYY-MM or YYYY-MM-DD (2024, 2024-06 or 2024-06-30)"
# Does a value name something? (the filters' own SQL, on the tables that hold the names)
EXISTS = {
    "organization": "select 1 from organizations o where "
    + filters.ORGANIZATION_IS.format(t="o", p="organization"),
    "tag": "select 1 from tags t where t.name = :tag collate nocase or t.id = :tag",
    "standard": "select 1 from post_standards ps where "
    + filters.STANDARD_IS.format(t="ps", p="standard"),
}
NOT_FOUND = {
    "organization": "No organization is called “{}” (give its acronym, id or name).",
    "tag": "No topic or tag is called “{}”.",
    "standard": "No post references the standard “{}” or any part or edition of it.",
    "source": "There is no source “{}”.",
    "language": "No post is in the language “{}”.",
}
DOWNLOAD_COLUMNS = (
    "id",
    "published",
    "published_precision",
    "source",
    "language",
    "title",
    "url",
    "description",
    "organizations",
    "tags",
    "standards",
)
CARD_COLUMNS = """p.id, p.title, p.source, p.published, p.published_precision, p.language,
  p.description, substr(p.text, 1, 400) as opening, p.text_missing, p.organizations, p.tags,
  p.url"""


@dataclass
class Asked:
    """What the request asks for: the form's values (stripped), the page, and what is wrong."""

    values: dict[str, str]
    page: int = 1
    errors: list[str] = field(default_factory=list)

    @property
    def searching(self) -> bool:
        return bool(self.values["q"])

    def set(self) -> dict[str, str]:
        return {k: v for k, v in self.values.items() if v}


def routes() -> list[tuple[str, object]]:
    return [(r"^/(?P<database>[^/]+)/-/(?P<mode>read|search)$", reader_page)]


def served_database(datasette) -> str | None:
    """The first served database with posts (the menu's links), by name."""
    for name, db in datasette.databases.items():
        if not name.startswith("_") and not db.is_memory:
            return name
    return None


def menu_links(datasette) -> list[dict]:
    name = served_database(datasette)
    if name is None:
        return []
    return [
        {"href": datasette.urls.path(f"/{name}/-/read"), "label": "Reading list"},
        {"href": datasette.urls.path(f"/{name}/-/search"), "label": "Search the posts"},
    ]


# --- the posts table's default columns -------------------------------------------------------

# The raw posts table (for SQL users) opens with these columns (the page's column menu, or any
# `_col`/`_nocol` in the address, shows the others): the body and the bookkeeping made the page
# thousands of pixels wide and the whole body tall. Exports (.json, .csv) keep every column.
TABLE_COLUMNS = (
    "published",
    "source",
    "language",
    "title",
    "organizations",
    "tags",
    "standards",
    "word_count",
    "url",
)
POSTS_PAGE = re.compile(r"^/[^/]+/posts$")


def with_default_columns(scope: dict) -> dict:
    """The request of the posts table's HTML page with its default columns, unless it chose."""
    if scope.get("type") != "http" or not POSTS_PAGE.match(scope.get("path") or ""):
        return scope
    query = scope.get("query_string") or b""
    if re.search(rb"(^|&)_(no)?col=", query):
        return scope
    columns = urlencode([("_col", c) for c in TABLE_COLUMNS]).encode()
    return dict(scope, query_string=query + b"&" + columns if query else columns)


# --- the request -----------------------------------------------------------------------------


def asked(request) -> Asked:
    values = {name: (request.args.get(name) or "").strip() for name in PARAMS}
    year = (request.args.get("year") or "").strip()
    if year:  # a year facet's link: that year's dates
        values["date_from"] = values["date_to"] = year
    result = Asked(values)
    page = request.args.get("page") or "1"
    if page.isdigit() and int(page) >= 1:
        result.page = min(int(page), 10_000)
    else:
        result.errors.append(f"“{page}” is not a page number.")
    for name, label in (("date_from", "From"), ("date_to", "To")):
        message = date_error(values[name])
        if message:
            result.errors.append(f"{label}: “{values[name]}” is not a date: {message}.")
    frm, to = values["date_from"], values["date_to"]
    if frm and to and not result.errors and frm[: len(to)] > to:
        result.errors.append(f"“From” ({frm}) is after “To” ({to}).")
    return result


def date_error(value: str) -> str | None:
    """Why a date field's value is not a date (None: empty or a real date at some precision)."""
    if not value:
        return None
    found = DATE.match(value)
    if not found:
        return DATE_HELP
    year, month, day = (int(part) if part else 1 for part in found.groups())
    if not 1 <= month <= 12:
        return f"there is no month {month}; {DATE_HELP}"
    try:
        date(year, month, day)
    except ValueError:
        return f"there is no such day; {DATE_HELP}"
    return None


async def unknown_values(db, values: dict, choices: dict) -> list[str]:
    """Messages for the filters that name nothing in the data."""
    errors = []
    for name in ("source", "language"):
        if values[name] and values[name] not in choices[name]:
            errors.append(NOT_FOUND[name].format(values[name]))
    for name, sql in EXISTS.items():
        if values[name] and not (await db.execute(sql + " limit 1", {name: values[name]})).rows:
            errors.append(NOT_FOUND[name].format(values[name]))
    return errors


# --- the page --------------------------------------------------------------------------------


async def reader_page(request, datasette):
    name = request.url_vars["database"]
    if name not in datasette.databases or name.startswith("_"):
        raise NotFound("No such database")
    db = datasette.get_database(name)
    if not await db.table_exists("posts"):
        raise NotFound("This database has no posts")
    ask = asked(request)
    index = await current_index(db)
    choices = await form_choices(db, index)
    if not ask.errors:
        ask.errors += await unknown_values(db, ask.values, choices)
    context = {
        "database": name,
        "ask": ask,
        "choices": choices,
        "searching": ask.searching,
        "mode": request.url_vars["mode"],
        "links": links(datasette, name, ask),
        "facets": {},
        "cards": [],
        "total": None,
    }
    if not ask.errors:
        try:
            context |= await (search_results if ask.searching else listing)(db, ask, index)
        except QueryInterrupted:
            ask.errors.append("This took too long to answer: narrow it (a source, dates).")
    context["facets"] = facet_lists(datasette, name, ask, context["facets"])
    html = await datasette.render_template(
        "reader.html", context, request=request, view_name="reader"
    )
    return Response.html(html, status=400 if ask.errors else 200)


async def current_index(db):
    if not db.path or db.is_memory:
        return None
    return await asyncio.to_thread(facet_index.holder_for(db.path).current)


async def form_choices(db, index) -> dict:
    """The form's choices, from the data: sources (id, name), languages, and the organizations,
    topics and standards most often found (the facet index's totals, else the tables)."""
    sources = [(r[0], r[1]) for r in await db.execute("select id, name from sources order by id")]
    if index is not None:
        totals = index.counts(["language", "organizations", "tags", "standards"])
        ranked = {c: sorted(totals[c], key=lambda v: (-totals[c][v], str(v))) for c in totals}
    else:
        ranked = {
            "language": await column(db, "select distinct language from posts"),
            "organizations": await column(db, "select coalesce(acronym, name) from organizations"),
            "tags": await column(db, "select distinct name from tags"),
            "standards": await column(db, "select id from standards"),
        }
    return {
        "source": {id_: label or id_ for id_, label in sources},
        "language": sorted(v for v in ranked["language"] if v),
        "organization": ranked["organizations"][:CHOICES_SHOWN],
        "tag": ranked["tags"][:CHOICES_SHOWN],
        "standard": ranked["standards"][:CHOICES_SHOWN],
    }


async def column(db, sql: str) -> list:
    return [row[0] for row in await db.execute(sql + " limit 5000")]


# --- the reading list ------------------------------------------------------------------------


def where(values: dict, broad: bool = False) -> tuple[str, dict]:
    """The filters as a WHERE clause on posts, and its parameters (the filters' own SQL). A
    broad list filter is tested along the newest-first order instead of driving the query."""
    tests, params = ["1"], {}
    for name in ("source", "language"):
        if values[name]:
            tests.append(f"posts.{name} = :{name}")
            params[name] = values[name]
    for kind in filters.LINK_FILTERS:
        if values[kind]:
            plus = "+" if broad else ""
            tests.append(f"{plus}posts.id in ({filters.posts_of(kind, kind)})")
            params[kind] = values[kind]
    for name, sql in (("date_from", filters.PUBLISHED_FROM), ("date_to", filters.PUBLISHED_TO)):
        if values[name]:
            tests.append(sql.format(t="posts", p=name))
            params[name] = values[name]
    return " and ".join(tests), params


async def listing(db, ask: Asked, index) -> dict:
    sql, params = where(ask.values)
    filtered = bool(params)
    counts, total = await counted(db, index, sql, params, filtered)
    everything = sum(counts.get("source", {}).values()) if filtered else total
    broad = filtered and total > filters_share(everything)
    sql, params = where(ask.values, broad)
    offset = (ask.page - 1) * PAGE_SIZE
    rows = await db.execute(
        f"select {CARD_COLUMNS} from posts p where p.rowid in (select rowid from posts"
        f" where {sql} order by published desc, rowid desc limit {PAGE_SIZE} offset {offset})"
        " order by p.published desc, p.rowid desc",
        params,
    )
    return {
        "cards": [card(dict(r)) for r in rows],
        "total": total,
        "facets": counts,
        "pages": max(1, -(-total // PAGE_SIZE)),
    }


def filters_share(posts: int) -> int:
    """From how many posts a list filter is broad (as the posts table decides)."""
    return int(posts * 0.002)


async def counted(db, index, sql: str, params: dict, filtered: bool) -> tuple[dict, int]:
    """The facets' counts over the posts selected, and how many they are."""
    columns = [c for c, _, _ in FACETS]
    if index is None:
        return await sql_counts(db, sql, params)
    if not filtered:
        counts = index.counts(columns)
        return counts, sum(counts["source"].values())
    limit = db.ds.setting("facet_time_limit_ms") * 2

    def rowids(conn):
        with sqlite_timelimit(conn, limit):
            try:
                return facet_index.rowids(conn, f"select rowid from posts where {sql}", params)
            except sqlite3.OperationalError as error:
                raise QueryInterrupted(error, sql, params) from error

    found = await db.execute_fn(rowids)
    return index.counts(columns, found), len(found)


async def sql_counts(db, sql: str, params: dict) -> tuple[dict, int]:
    """Without a facet index (an in-memory database): the same counts in SQL."""
    from pipeline.site.plugin import list_counts  # the plugin registers this module

    counts: dict[str, dict] = {}
    for column, _, _ in FACETS:
        if column in ("organizations", "tags", "standards"):
            query = list_counts(column, f"where l.post_id in (select id from posts where {sql})")
        else:
            query = f"select [{column}], count(*) from posts where {sql} group by 1"
        rows = await db.execute(query, params)
        counts[column] = {r[0]: r[1] for r in rows if r[0] is not None}
    total = (await db.execute(f"select count(*) from posts where {sql}", params)).rows[0][0]
    return counts, total


# --- search results --------------------------------------------------------------------------


async def search_results(db, ask: Asked, index) -> dict:
    """The canned ranked search (BM25, phrases, prefixes, filters, the 10,000 cap), as cards."""
    from pipeline.site.plugin import highlight

    found = [dict(r) for r in await db.execute(queries.SQL["search"], ask.values)]
    ids = [r["id"] for r in found]
    marks = ", ".join(f":p{i}" for i in range(len(ids)))
    more = {}
    if ids:
        rows = await db.execute(
            f"select {CARD_COLUMNS} from posts p where p.id in ({marks})",
            {f"p{i}": id_ for i, id_ in enumerate(ids)},
        )
        more = {r["id"]: dict(r) for r in rows}
    cards = []
    for hit in found:
        shown = card(more.get(hit["id"], hit))
        if hit["snippet"] and not shown["refused"]:
            shown["snippet"] = highlight(hit["snippet"])
        shown["relevance"] = hit["relevance"]
        cards.append(shown)
    return {"cards": cards, "total": len(cards), "facets": {}, "pages": 1}


# --- cards, facets and links -----------------------------------------------------------------


def card(row: dict) -> dict:
    """A post as its card shows it: the opening lines (or the page's summary when the page was
    refused), organizations and topics as chips, each once."""
    refused = bool(row.get("text_missing"))
    opening = (row.get("opening") or "").strip()
    if refused or not opening:
        opening = (row.get("description") or "").strip()
    elif len(opening) > OPENING_CHARS:
        opening = opening[:OPENING_CHARS].rsplit(" ", 1)[0] + " …"
    return {
        **row,
        "refused": refused,
        "snippet": opening.replace("\n\n", " ¶ "),
        "organizations": unique(row.get("organizations")),
        "tags": unique(row.get("tags")),
    }


def unique(value) -> list[str]:
    try:
        items = json.loads(value or "[]")
    except (TypeError, ValueError):
        return []
    seen, kept = set(), []
    for item in items if isinstance(items, list) else []:
        key = str(item).casefold()
        if key not in seen:
            seen.add(key)
            kept.append(str(item))
    return kept


def facet_lists(datasette, name: str, ask: Asked, counts: dict) -> list[dict]:
    """The sidebar: each facet's most frequent values, with the link that applies or removes it."""
    base = datasette.urls.path(f"/{name}/-/read")
    chosen = ask.set()
    year = chosen.get("date_from") if chosen.get("date_from") == chosen.get("date_to") else None
    lists = []
    for column, param, heading in FACETS:
        values = sorted(counts.get(column, {}).items(), key=lambda i: (-i[1], str(i[0])))
        if param == "year":  # the years themselves, newest first
            values = sorted(values, key=lambda i: str(i[0]), reverse=True)
        items = []
        for value, n in values[:FACET_VALUES]:
            value = str(value)
            on = (year == value) if param == "year" else chosen.get(param) == value
            items.append(
                {
                    "value": value,
                    "count": n,
                    "selected": on,
                    "url": facet_url(base, chosen, param, value, on),
                }
            )
        if items:
            lists.append({"name": column, "heading": heading, "entries": items})
    return lists


def facet_url(base: str, chosen: dict, param: str, value: str, on: bool) -> str:
    args = {k: v for k, v in chosen.items() if k not in ("q",)}
    if param == "year":
        args.pop("date_from", None)
        args.pop("date_to", None)
        if not on:
            args["year"] = value
    elif on:
        args.pop(param, None)
    else:
        args[param] = value
    return base + ("?" + urlencode(args) if args else "")


def links(datasette, name: str, ask: Asked) -> dict:
    """Pages, the feed and the downloads of what the page shows."""
    db = datasette.urls.database(name)
    chosen = ask.set()
    table_args = {
        filters.TABLE_FILTERS[k]: v for k, v in chosen.items() if k in filters.TABLE_FILTERS
    }
    if ask.searching:
        query = urlencode(chosen)
        return {
            "feed": f"{db}/feed_search.atom?{query}",
            "csv": f"{db}/search.csv?{query}",
            "json": f"{db}/search.json?{query}&_shape=array",
            "sql": f"{db}/search?{query}",
            "page": None,
        }
    columns = [("_col", c) for c in DOWNLOAD_COLUMNS if c != "id"]
    listing_args = [*table_args.items(), ("_sort_desc", "published"), *columns]
    return {
        "feed": feed_for(db, chosen),
        "csv": f"{db}/posts.csv?{urlencode([*listing_args, ('_stream', 'on')])}",
        "json": f"{db}/posts.json?{urlencode([*listing_args, ('_shape', 'array')])}",
        "sql": f"{db}/posts?{urlencode(list(table_args.items()))}",
        "page": lambda number: (
            datasette.urls.path(f"/{name}/-/read") + "?" + urlencode({**chosen, "page": number})
        ),
    }


def feed_for(db: str, chosen: dict) -> str:
    """The feed of the listed posts: the site's feed of that one filter, else the post_feed
    view's with the posts table's filters."""
    single = {
        (): "feed_latest.atom",
        ("source",): "feed_source.atom",
        ("organization",): "feed_organization.atom",
        ("tag",): "feed_tag.atom",
    }.get(tuple(sorted(chosen)))
    if single:
        return f"{db}/{single}" + (f"?{urlencode(chosen)}" if chosen else "")
    args = [(filters.TABLE_FILTERS[k], v) for k, v in chosen.items()]
    return f"{db}/post_feed.atom?{urlencode([*args, ('_sort_desc', 'published'), ('_size', 50)])}"
