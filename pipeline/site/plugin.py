"""Datasette plugin of standards-news (registered in pyproject.toml's `datasette` entry points).

- SQL functions of pipeline.store.search (search.register): `fts_query(text)`, a search box's text
  as an FTS5 query that is never a syntax error, for the ranked-search and feed queries;
  `search_words(text)` and `search_pairs(text)`, which split the ranked search between
  posts_fts and the word-pair index; `search_prefixed(text)`, its prefix searches' one pass for
  snippets; `fts_pairs(text)`, the pairs the word-pair index holds for a text.
- Canned queries: the SQL of those data/metadata.yml declares without it, built from the filters
  (pipeline/site/queries.py).
- Filters on the posts table: `_organization`, `_tag`, `_standard` (a standard or any part or
  edition of it), `_person` (a person's key or name), `_from` and `_to` (dates at any
  precision), answered from the link tables.
- Facets of the posts table all at once (`indexed` columns, and `list` facets on the JSON-array
  columns), from the in-memory facet index of pipeline/site/facets.py, in SQL while it is not built;
  Datasette's `array` facet de-duplicates whole rows, which is slow on a large corpus.
- `indexed_co_mentions(source, focus)`: organizations named together, from the same index.
- Cells: highlighted snippets (the text escaped, only the markers become <mark>), titles linking
  to the post page, lists as links to the filters above.
- Pages: the reading list and the search results as cards (pipeline/site/reader.py), linked
  from the top menu.
- The stories page: stories told by more than one publisher (pipeline/site/stories.py).
- Template variables: the dumps and the sources (home page), a post's organizations, tags,
  standards and language versions (post page), the active filters (posts table).
- Feeds: the `.atom` renderer of pipeline/site/feeds.py (titles from the parameters, summaries,
  a stylesheet for browsers), in place of datasette-atom's.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import re
import sqlite3
from collections import Counter
from itertools import combinations
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet, load_facet_configs
from datasette.filters import FilterArguments
from datasette.utils import (
    path_with_added_args,
    path_with_removed_args,
    sqlite_timelimit,
    urlsafe_components,
)
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from pipeline.site import facets as facet_index
from pipeline.site import feeds as atom_feeds
from pipeline.site import person_page, post_page, queries, reader
from pipeline.site import stories as joint_stories
from pipeline.site.filters import POSTS_OF, PUBLISHED_FROM, PUBLISHED_TO
from pipeline.site.serve import date_label, dumps_dir, filesize, read_dumps
from pipeline.store import search

# Snippet markers of the search query: plain characters, so CSV and JSON stay readable.
MARK_OPEN, MARK_CLOSE = "\u3010", "\u3011"
POST_TABLES = {"posts", "post_details", "post_feed"}
LIST_COLUMNS = {
    "organizations": "_organization",
    "tags": "_tag",
    "standards": "_standard",
    "committees": "_committee",
    "people": "_person",  # no column of posts: the people facet and filter (post_people)
}
# Where each date came from, for the post page (published_source values).
DATE_SIGNALS = {
    "site": "the page's own date field",
    "api": "the site's search API record",
    "listing": "the listing page",
    "feed": "the site's RSS feed",
    "json-ld": "the page's JSON-LD metadata",
    "meta": "a meta tag of the page",
    "time": "a <time> element of the page",
    "dateline": "the dateline opening the text",
    "url": "the date in the URL",
}
# Dates read from the page's shape or text, not from a field meant to carry them (as in
# data/metadata.yml's weak-dates query and chart).
WEAK_SIGNALS = {
    "url",
    "dateline",
    "time",
    "itemprop",
    "abbr",
    "class",
    "label",
    "byline",
    "text",
    "links",
    "lastmod",
}

mimetypes.add_type("application/vnd.sqlite3", ".db")
mimetypes.add_type("text/plain", ".sha256")


# --- SQL functions ---------------------------------------------------------------------------


@hookimpl
def prepare_connection(conn, database, datasette):
    search.register(conn)
    conn.create_aggregate("co_mentions", 2, CoMentions)
    db = datasette.databases.get(database)
    if db is not None and db.path and not db.is_memory:
        conn.create_function("indexed_co_mentions", 2, IndexedCoMentions(db.path))


class IndexedCoMentions:
    """indexed_co_mentions(source, focus): co_mentions() of the posts (of a source, or all) from
    the facet index (pipeline/site/facets.py), in a fraction of the time; NULL while there is no
    index, so that the query falls back to the aggregate."""

    def __init__(self, path):
        self.path = path

    def __call__(self, source, focus):
        index = facet_index.holder_for(self.path).current()
        if index is None:
            return None
        return json.dumps(facet_index.co_mentions(index, source or None, focus or None))


# Bounds of co_mentions(): items of one row's list paired, and distinct pairs kept (the
# organizations of data/organizations.yaml make about ten thousand).
CO_MENTION_ITEMS = 200
CO_MENTION_PAIRS = 100_000


class CoMentions:
    """co_mentions(organizations, focus): pairs of the JSON lists' items that occur in the same
    row, as a JSON list of [a, b, rows] (a < b), most frequent first; with a focus, only the
    pairs [focus, other]. One pass in Python: a self-join of post_organizations grouped by
    pair sorts every pair of the corpus."""

    def __init__(self):
        self.counts = Counter()
        self.overflow = False

    def step(self, value, focus=None):
        if self.overflow:
            return
        try:
            found = json.loads(value or "[]")
        except ValueError:
            return
        if not isinstance(found, list):
            return
        # One call builds its pairs where SQL's time limit cannot interrupt it: no post names
        # more than a few dozen organizations, a hostile list of thousands is cut.
        items = sorted({str(item) for item in found[:CO_MENTION_ITEMS]})
        if not focus:
            self.counts.update(combinations(items, 2))
        elif focus in items:
            self.counts.update((focus, other) for other in items if other != focus)
        self.overflow = len(self.counts) > CO_MENTION_PAIRS

    def finalize(self):
        if self.overflow:  # more pairs than the known organizations make: not real posts
            return None
        return json.dumps([[a, b, n] for (a, b), n in self.counts.most_common()])


# --- canned queries --------------------------------------------------------------------------


@hookimpl
def canned_queries(datasette, database):
    """The declared queries of this database's metadata that have no SQL there, with theirs: a
    metadata without them (another database) gets none."""
    declared = datasette.metadata("queries", database=database, fallback=False) or {}
    return queries.completed(declared)


# --- filters on posts ------------------------------------------------------------------------

FILTERS = {
    "_organization": (POSTS_OF["organization"], "mentions organization {!r}"),
    "_tag": (POSTS_OF["tag"], "tagged {!r}"),
    "_standard": (POSTS_OF["standard"], "references standard {!r} (any part or edition)"),
    "_committee": (POSTS_OF["committee"], "references committee {!r}"),
    "_person": (POSTS_OF["person"], "names person {!r}"),
    "_from": (PUBLISHED_FROM, "published from {}"),
    "_to": (PUBLISHED_TO, "published up to {}"),
}
LIST_FILTERS = set(LIST_COLUMNS.values())
# A list filter selecting more than this share of the posts is tested post by post along the
# page's order (the newest 50 are among the first few thousand); a narrower one is looked up
# in its link table. SQLite, which cannot know, looks up even a tag of most posts and reads
# each one's row (with its body) before sorting (docs/performance.md).
BROAD_SHARE = 0.002


@hookimpl
def filters_from_request(request, database, table, datasette):
    if table not in POST_TABLES:
        return None

    async def inner():
        db = datasette.get_database(database)
        where, params, human = [], {}, []
        for arg, (sql, description) in FILTERS.items():
            for i, value in enumerate(v.strip() for v in request.args.getlist(arg)):
                if not value:
                    continue
                name = f"f{arg}{i}"
                params[name] = value
                human.append(description.format(value))
                if arg not in LIST_FILTERS:
                    where.append(sql.format(t=f"[{table}]", p=name))
                    continue
                posts = sql.format(p=name)
                broad = "+" if await is_broad(db, posts, {name: value}) else ""
                where.append(f"{broad}[{table}].id in ({posts})")
        return FilterArguments(where, params, human)

    return inner


async def is_broad(db, posts_sql: str, params: dict) -> bool:
    total = (await db.execute("select max(rowid) from posts")).rows[0][0] or 0
    limit = int(total * BROAD_SHARE)
    found = await db.execute(f"select count(*) from ({posts_sql} limit {limit + 1})", params)
    return found.rows[0][0] > limit


def active_filters(request) -> list[dict]:
    """The filters above in the request, each with the URL that removes it."""
    return [
        {
            "label": FILTERS[arg][1].format(value),
            "remove_url": path_with_removed_args(request, {arg: value}),
        }
        for arg in FILTERS
        for value in request.args.getlist(arg)
        if value.strip()
    ]


# --- list facets -----------------------------------------------------------------------------

# While there is no facet index: per list column, its values over the links l of the posts
# ({where}: of the page's rows, when filtered; each post once per value: a site tag and a topic
# of one name are one value).
LIST_COUNTS = {
    "organizations": """select coalesce(o.acronym, o.name) as value, count(distinct l.post_id) as n
      from post_organizations l join organizations o on o.id = l.organization_id {where}
      group by 1""",
    "tags": """select t.name as value, count(distinct l.post_id) as n from post_tags l
      join tags t on t.id = l.tag_id {where} group by 1""",
    "standards": """select standard_id as value, count(*) as n from post_standards l {where}
      group by 1""",
    "committees": """select committee_id as value, count(*) as n from post_committees l {where}
      group by 1""",
    "people": """select pe.name as value, count(distinct l.post_id) as n from post_people l
      join people pe on pe.id = l.person_id {where} group by 1""",
}
# The columns Datasette selects from the table, replaced by the rowid for the facet index.
ROWS_FROM = re.compile(r"^select .*? from posts\b", re.DOTALL)


def list_counts(column: str, where: str) -> str:
    """The SQL counting a list column's values over the posts `where` selects."""
    return LIST_COUNTS[column].format(where=where)


class PostFacets(Facet):
    """All the configured facets of the posts table at once: `indexed` facets (a column, like
    Datasette's own) and `list` facets (a JSON list column, counted from its link table), from
    the facet index (pipeline/site/facets.py), or in one SQL query while there is none. A list
    value's link applies the matching filter (_organization=, _tag=, _standard=, _committee=).

    Datasette runs its facets one after the other, each finding the rows again: on a large
    corpus and a search matching most of it, that alone is slow."""

    type = "list"

    async def suggest(self):
        return []

    def get_configs(self):
        configs = load_facet_configs(self.request, self.metadata)
        return [(kind, c) for kind in ("indexed", "list") for c in configs.get(kind, [])]

    async def facet_results(self):
        if self.table != "posts":
            return [], []
        facets = {}
        for kind, config in self.get_configs():
            column = config["config"].get("column") or config["config"]["simple"]
            if kind == "indexed" or column in LIST_COUNTS:
                facets[column] = (kind, config)
        if not facets:
            return [], []
        try:
            # From the index, what it holds; in SQL the rest (a large database's first build
            # is running, or a facet it does not hold: ?_facet_indexed=generation).
            counts = await self.index_counts(facets) or {}
            missing = {column: facets[column] for column in facets if column not in counts}
            if missing:
                counts |= await self.sql_counts(missing)
        except QueryInterrupted:
            return [], list(facets)
        size = self.get_facet_size()
        pairs = self.get_querystring_pairs()
        results = []
        for column, (kind, config) in facets.items():
            values = sorted(counts[column].items(), key=lambda item: (-item[1], str(item[0])))
            arg = LIST_COLUMNS[column] if kind == "list" else column
            results.append(
                {
                    "name": column,
                    "type": kind if kind == "list" else "column",
                    "hideable": config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(
                        path_with_removed_args(self.request, {"_facet_" + kind: column})
                    ),
                    "results": [self.value(arg, v, n, pairs) for v, n in values[:size]],
                    "truncated": len(values) > size,
                }
            )
        return results, []

    async def index_counts(self, facets: dict) -> dict | None:
        """{column: {value: rows}} for the table's rows from the in-memory facet index
        (pipeline/site/facets.py), for the columns it holds: SQL only finds the rows' rowids."""
        db = self.ds.get_database(self.database)
        if not db.path or db.is_memory:
            return None
        index = await asyncio.to_thread(facet_index.holder_for(db.path).current)
        if index is None:
            return None  # not built yet
        params = dict(self.params) if isinstance(self.params, dict) else {}
        if " where " not in self.sql.lower() and not params:
            return index.counts(facets)
        # Rowids of a broad list filter's posts: from its links (the + is for the page's order).
        sql = ROWS_FROM.sub("select posts.rowid from posts", self.sql, count=1).replace(
            "+[posts].id in (", "[posts].id in ("
        )
        limit = self.ds.setting("facet_time_limit_ms") * len(facets)

        def rowids(conn):
            with sqlite_timelimit(conn, limit):
                try:
                    return facet_index.rowids(conn, sql, params)
                except sqlite3.OperationalError as error:
                    raise QueryInterrupted(error, sql, params) from error

        return index.counts(facets, await db.execute_fn(rowids))

    async def sql_counts(self, facets: dict) -> dict:
        """{column: {value: rows}} for the table's rows from one SQL query, the rows found once
        (slower than the index on a large corpus)."""
        params = dict(self.params) if isinstance(self.params, dict) else {}
        filtered = " where " in self.sql.lower() or bool(params)
        posts = "rows_" if filtered else "posts"
        # Unfiltered, every link counts: testing each against all the posts cost seconds.
        where = "where l.post_id in (select id from rows_)" if filtered else ""
        branches = [
            f"select '{column}' as facet, [{column}] as value, count(*) as n from {posts}"
            f" where [{column}] is not null group by 2"
            if kind == "indexed"
            else f"select '{column}' as facet, value, n from ({list_counts(column, where)})"
            for column, (kind, _) in facets.items()
        ]
        columns = "".join(f", [{c}]" for c, (kind, _) in facets.items() if kind == "indexed")
        rows_ = (
            f"with rows_ as materialized (select id{columns} from ({self.sql})) "
            if filtered
            else ""
        )
        limit = self.ds.setting("facet_time_limit_ms") * len(facets)
        rows = await self.ds.execute(
            self.database,
            rows_ + " union all ".join(branches),
            params,
            truncate=False,
            custom_time_limit=limit,
        )
        counts: dict[str, dict] = {column: {} for column in facets}
        for row in rows.rows:
            counts[row["facet"]][row["value"]] = row["n"]
        return counts

    def value(self, arg: str, value, count: int, pairs) -> dict:
        selected = (arg, str(value)) in pairs
        change = path_with_removed_args if selected else path_with_added_args
        path = change(self.request, {arg: str(value)})
        return {
            "value": value,
            "label": value,
            "count": count,
            "selected": selected,
            "toggle_url": self.ds.absolute_url(self.request, path),
        }


@hookimpl
def register_facet_classes():
    return [PostFacets]


# --- cells -----------------------------------------------------------------------------------


def highlight(text: str) -> Markup:
    """The snippet escaped, its markers turned into <mark>."""
    escaped = str(escape(text))
    return Markup(escaped.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>"))


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if not isinstance(value, str):
        return None
    keys = row.keys() if hasattr(row, "keys") else []
    if column == "snippet" and table is None:
        return highlight(value)
    if column == "title" and (table in POST_TABLES or table is None) and "id" in keys:
        url = datasette.urls.row(database, "posts", row["id"])
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    if column == "title" and "post_id" in keys:
        url = datasette.urls.row(database, "posts", row["post_id"])
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    if column in LIST_COLUMNS and table in POST_TABLES and value.startswith("["):
        return list_links(datasette, database, column, value, table == "posts")
    return None


def list_links(datasette, database, column: str, value: str, as_links: bool) -> Markup | None:
    try:
        items = [str(item) for item in json.loads(value)]
    except ValueError:
        return None
    if not as_links:  # post_details: labels with role and count, one per line
        return Markup("<br>".join(str(escape(item)) for item in items))
    base = datasette.urls.table(database, "posts")
    arg = LIST_COLUMNS[column]
    links = [
        f'<a href="{escape(base)}?{escape(urlencode({arg: item}))}">{escape(item)}</a>'
        for item in items
    ]
    return Markup(", ".join(links))


# --- template variables ----------------------------------------------------------------------


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["date_label"] = date_label
    env.filters["filesize"] = filesize
    env.filters["host"] = lambda url: urlsplit(url or "").hostname or ""


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    if view_name == "index":
        return home_page_vars(datasette)
    if view_name == "row" and table == "posts" and request is not None:
        return post_page_vars(datasette, database, request)
    if view_name == "row" and table == "people" and request is not None:
        return person_page.person_page_vars(datasette, database, request)
    if view_name == "table" and table in POST_TABLES and request is not None:
        return {"post_filters": active_filters(request)}
    return {}


def home_page_vars(datasette):
    async def inner():
        return {"dumps": dumps_for(datasette), "sources": await source_ids(datasette)}

    return inner


async def source_ids(datasette) -> list[str]:
    """The served sources table's ids (in the order they were defined), for the home page's
    feeds: a source added to the registry is listed with no change to the template."""
    for db in datasette.databases.values():
        if db.path and not db.is_memory and await db.table_exists("sources"):
            return [row[0] for row in await db.execute("select id from sources order by rowid")]
    return []


def dumps_for(datasette) -> list[dict]:
    """The dumps beside the served database (where `stdnews dump` writes them)."""
    files = [db.path for db in datasette.databases.values() if db.path]
    folder = dumps_dir(Path(files[0])) if files else None
    return read_dumps(folder) if folder and folder.is_dir() else []


# --- nothing private -------------------------------------------------------------------------


async def databases_without_paths(request, datasette):
    """/-/databases: Datasette's own answer less the files' paths on the server."""
    listing = [
        {
            "name": name,
            "route": db.route,
            "is_mutable": db.is_mutable,
            "is_memory": db.is_memory,
            "hash": db.hash,
        }
        for name, db in datasette.databases.items()
        if not name.startswith("_")
    ]
    if request.url_vars.get("format") == "json":
        return Response.json(listing)
    return Response.html(
        await datasette.render_template(
            "show_json.html",
            {"filename": "databases.json", "data_json": json.dumps(listing, indent=4)},
            request=request,
        )
    )


async def facet_index_status(request, datasette):
    """/-/facet-index.json: whether each database's facet index is built, and how it went."""
    status = {}
    for name, db in datasette.databases.items():
        if db.path and not db.is_memory and not name.startswith("_"):
            status[name] = facet_index.holder_for(db.path).status()
    return Response.json(status)


@hookimpl
def register_routes():
    return [
        (r"^/-/databases(\.(?P<format>json))?$", databases_without_paths),
        (r"^/-/facet-index\.json$", facet_index_status),
        *reader.routes(),
        *joint_stories.routes(),
    ]


@hookimpl
def menu_links(datasette):
    """The reading list and the search page (pipeline/site/reader.py) in the top menu."""
    return reader.menu_links(datasette)


@hookimpl
def asgi_wrapper():
    """The posts table's page opens with its default columns (pipeline/site/reader.py)."""

    def wrap(app):
        async def default_columns(scope, receive, send):
            return await app(reader.with_default_columns(scope), receive, send)

        return default_columns

    return wrap


@hookimpl
def startup(datasette):
    """Build the facet index before the first page asks (a large database's in the background)."""

    async def inner():
        for db in list(datasette.databases.values()):
            if db.path and not db.is_memory and await db.table_exists("posts"):
                await asyncio.to_thread(facet_index.holder_for(db.path).current)

    return inner


def post_page_vars(datasette, database, request):
    async def inner():
        (post_id,) = urlsafe_components(request.url_vars["pks"])[:1]
        db = datasette.get_database(database)

        async def rows(sql, *params):  # the post's id unless told otherwise
            return [dict(r) for r in (await db.execute(sql, params or [post_id])).rows]

        post = (await rows("select * from posts where id = ?") or [None])[0]
        if post is None:
            return {}
        return {
            "post_page": {
                "source": (
                    await rows("select * from sources where id = ?", post["source"]) or [{}]
                )[0],
                "date_signal": DATE_SIGNALS.get(post["published_source"], post["published_source"]),
                "weak_date": post["published_source"] in WEAK_SIGNALS
                or post["published_precision"] in ("month", "year")
                or not post["published"],
                "paragraphs": [p.strip() for p in (post["text"] or "").split("\n\n") if p.strip()],
                "body_html": post_page.body_markup(post),
                "organizations": await rows(
                    "select coalesce(o.acronym, o.name) as label, o.name, o.kind, o.homepage,"
                    " po.role, po.count from post_organizations po join organizations o"
                    " on o.id = po.organization_id where po.post_id = ?"
                    " order by po.role = 'publisher' desc, po.count desc, o.id"
                ),
                "tags": post_page.chips(
                    await rows(
                        "select t.name, t.origin, pt.matched from post_tags pt join tags t"
                        " on t.id = pt.tag_id where pt.post_id = ? order by t.origin, t.name"
                    )
                ),
                "standards": await rows(
                    "select standard_id, origin from post_standards where post_id = ?"
                    " order by origin desc, standard_id"
                ),
                "committees": await rows(
                    "select committee_id from post_committees where post_id = ? order by 1"
                ),
                "people": await person_page.post_people(db, post_id),
                "authors": await rows(
                    "select name, kind, provenance from post_authors where post_id = ?"
                    " order by position"
                ),
                "versions": await rows(
                    "select id, language, title from posts where story_id = ? and id != ?"
                    " order by language",
                    post["story_id"],
                    post_id,
                ),
                "duplicate_of": await rows(
                    "select id, title, source from posts where id = ?", post["duplicate_of"]
                ),
                # The same story told by other publishers (pipeline/site/stories.py).
                "joint_versions": await joint_stories.other_versions(db, post_id),
            }
        }

    return inner


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/assets/standards-news.css")]


# --- feeds -----------------------------------------------------------------------------------

# The feeds' renderer (a hook of its module, registered with this one).
register_output_renderer = atom_feeds.register_output_renderer
