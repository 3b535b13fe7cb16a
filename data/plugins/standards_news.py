"""Datasette plugin of standards-news (loaded with --plugins-dir data/plugins).

- `fts_query(text)` SQL function: a search box's text as an FTS5 query that is never a syntax
  error (pipeline.search), for the ranked-search and feed queries.
- Filters on the posts table: `_organization`, `_tag`, `_standard` (a standard or any part or
  edition of it), `_from` and `_to` (dates at any precision), answered from the link tables.
- `list` facets: the JSON-array columns of posts (organizations, tags, standards, committees)
  counted from the link tables, whose indexes keep them fast at 100,000 posts (Datasette's
  `array` facet de-duplicates whole rows and takes seconds there).
- Cells: highlighted snippets (the text escaped, only the markers become <mark>), titles linking
  to the post page, lists as links to the filters above.
- Template variables: the dumps (home page), a post's organizations, tags, standards and language
  versions (post page), the active filters (posts table).
- Feeds: datasette-atom answers a query with no rows with an empty feed instead of an error.
"""

from __future__ import annotations

import json
import mimetypes
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import path_with_added_args, path_with_removed_args, urlsafe_components
from markupsafe import Markup, escape

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:  # the plugin is loaded by path; pipeline is the project's package
    sys.path.insert(0, str(ROOT))

from pipeline.search import fts_query  # noqa: E402
from pipeline.site import PLUGIN_NAME, read_dumps  # noqa: E402

# Snippet markers of the search query: plain characters, so CSV and JSON stay readable.
MARK_OPEN, MARK_CLOSE = "\u3010", "\u3011"
POST_TABLES = {"posts", "post_details"}
LIST_COLUMNS = {"organizations": "_organization", "tags": "_tag", "standards": "_standard",
                "committees": "_committee"}  # fmt: skip
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
WEAK_SIGNALS = {"url", "dateline", "time"}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip

mimetypes.add_type("application/vnd.sqlite3", ".db")
mimetypes.add_type("text/plain", ".sha256")


# --- SQL functions ---------------------------------------------------------------------------


@hookimpl
def prepare_connection(conn):
    conn.create_function("fts_query", 1, fts_query, deterministic=True)


# --- filters on posts ------------------------------------------------------------------------

ORGANIZATION_SQL = """{t}.id in (select po.post_id from post_organizations po
  join organizations o on o.id = po.organization_id
  where o.id = lower(:{p}) or o.acronym = :{p} or o.name = :{p} collate nocase)"""
TAG_SQL = """{t}.id in (select pt.post_id from post_tags pt join tags t on t.id = pt.tag_id
  where t.name = :{p} collate nocase or t.id = :{p})"""
STANDARD_SQL = """{t}.id in (select ps.post_id from post_standards ps
  where ps.standard_id = :{p} collate nocase
  or substr(ps.standard_id, 1, length(:{p}) + 1) collate nocase in (:{p} || '-', :{p} || ':'))"""
COMMITTEE_SQL = """{t}.id in (select pc.post_id from post_committees pc
  where pc.committee_id = :{p} or pc.committee_id like :{p} || '/%')"""
# A post dated to a month or a year counts when its period overlaps the range.
FROM_SQL = "{t}.published || '-99' >= :{p}"
TO_SQL = "substr({t}.published, 1, length(:{p})) <= :{p}"
FILTERS = {
    "_organization": (ORGANIZATION_SQL, "mentions organization {!r}"),
    "_tag": (TAG_SQL, "tagged {!r}"),
    "_standard": (STANDARD_SQL, "references standard {!r} (any part or edition)"),
    "_committee": (COMMITTEE_SQL, "references committee {!r}"),
    "_from": (FROM_SQL, "published from {}"),
    "_to": (TO_SQL, "published up to {}"),
}


@hookimpl
def filters_from_request(request, database, table, datasette):
    if table not in POST_TABLES:
        return None
    where, params, human = [], {}, []
    for arg, (sql, description) in FILTERS.items():
        for i, value in enumerate(v.strip() for v in request.args.getlist(arg)):
            if value:
                name = f"f{arg}{i}"
                where.append(sql.format(t=f"[{table}]", p=name))
                params[name] = value
                human.append(description.format(value))
    return FilterArguments(where, params, human)


def active_filters(request) -> list[dict]:
    """The filters above in the request, each with the URL that removes it."""
    return [
        {"label": FILTERS[arg][1].format(value), "remove_url": path_with_removed_args(
            request, {arg: value})}
        for arg in FILTERS
        for value in request.args.getlist(arg)
        if value.strip()
    ]  # fmt: skip


# --- list facets -----------------------------------------------------------------------------

LIST_FACET_SQL = {
    "organizations": (
        "select coalesce(o.acronym, o.name) as value, count(*) as count"
        " from post_organizations l join organizations o on o.id = l.organization_id"
        " {where} group by l.organization_id"
    ),
    "tags": (
        "select t.name as value, count(distinct l.post_id) as count"
        " from post_tags l join tags t on t.id = l.tag_id {where} group by t.name"
    ),
    "standards": "select l.standard_id as value, count(*) as count"
    " from post_standards l {where} group by l.standard_id",
    "committees": "select l.committee_id as value, count(*) as count"
    " from post_committees l {where} group by l.committee_id",
}


class ListFacet(Facet):
    """Facet on a JSON list column of posts, counted from its link table; a value's link
    applies the matching filter (_organization=, _tag=, _standard=, _committee=)."""

    type = "list"

    async def suggest(self):
        return []

    async def facet_results(self):
        results, timed_out = [], []
        size = self.get_facet_size()
        pairs = self.get_querystring_pairs()
        for config in self.get_configs():
            column = config["config"].get("column") or config["config"]["simple"]
            if column not in LIST_FACET_SQL or self.table != "posts":
                continue
            # Unfiltered: count straight from the link table's index, no post set to build.
            unfiltered = " where " not in self.sql.lower() and not self.params
            where = "" if unfiltered else f"where l.post_id in (select id from ({self.sql}))"
            sql = (LIST_FACET_SQL[column].format(where=where)
                   + f" order by count desc, value limit {size + 1}")  # fmt: skip
            try:
                rows = await self.ds.execute(self.database, sql, self.params, truncate=False,
                                             custom_time_limit=self.ds.setting(
                                                 "facet_time_limit_ms"))  # fmt: skip
            except QueryInterrupted:
                timed_out.append(column)
                continue
            arg = LIST_COLUMNS[column]
            results.append({
                "name": column,
                "type": self.type,
                "hideable": config["source"] != "metadata",
                "toggle_url": self.ds.urls.path(
                    path_with_removed_args(self.request, {"_facet_list": column})),
                "results": [self.value(arg, row, pairs) for row in rows.rows[:size]],
                "truncated": len(rows.rows) > size,
            })  # fmt: skip
        return results, timed_out

    def value(self, arg: str, row, pairs) -> dict:
        value = str(row["value"])
        selected = (arg, value) in pairs
        change = path_with_removed_args if selected else path_with_added_args
        path = change(self.request, {arg: value})
        return {"value": value, "label": value, "count": row["count"], "selected": selected,
                "toggle_url": self.ds.absolute_url(self.request, path)}  # fmt: skip


@hookimpl
def register_facet_classes():
    return [ListFacet]


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
    links = [f'<a href="{escape(base)}?{escape(urlencode({arg: item}))}">{escape(item)}</a>'
             for item in items]  # fmt: skip
    return Markup(", ".join(links))


# --- template variables ----------------------------------------------------------------------


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["date_label"] = date_label
    env.filters["filesize"] = filesize
    env.filters["host"] = lambda url: urlsplit(url or "").hostname or ""


def date_label(published: str | None, precision: str | None = None) -> str:
    """2021-05-10 -> 10 May 2021; 2020-09 -> September 2020; 2021 -> 2021."""
    if not published:
        return "date unknown"
    year, month, day = (published[:10].split("-") + [None, None])[:3]
    if month and (precision or "day") != "year":
        if day and precision == "day":
            return f"{int(day)} {MONTHS[int(month) - 1]} {year}"
        return f"{MONTHS[int(month) - 1]} {year}"
    return year


def filesize(size) -> str:
    size = float(size or 0)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} bytes"


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    if view_name == "index":
        return {"dumps": dumps_for(datasette)}
    if view_name == "row" and table == "posts" and request is not None:
        return post_page_vars(datasette, database, request)
    if view_name == "table" and table in POST_TABLES and request is not None:
        return {"post_filters": active_filters(request)}
    return {}


def dumps_for(datasette) -> list[dict]:
    config = datasette.plugin_config(PLUGIN_NAME) or {}
    folder = config.get("dumps_dir")
    return read_dumps(Path(folder)) if folder and Path(folder).is_dir() else []


def post_page_vars(datasette, database, request):
    async def inner():
        (post_id,) = urlsafe_components(request.url_vars["pks"])[:1]
        db = datasette.get_database(database)

        async def rows(sql):
            return [dict(r) for r in (await db.execute(sql, [post_id])).rows]

        post = (await rows("select * from posts where id = ?") or [None])[0]
        if post is None:
            return {}
        return {"post_page": {
            "source": (await rows("select s.* from sources s join posts p on p.source = s.id"
                                  " where p.id = ?") or [{}])[0],
            "date_signal": DATE_SIGNALS.get(post["published_source"], post["published_source"]),
            "weak_date": post["published_source"] in WEAK_SIGNALS
            or post["published_precision"] in ("month", "year") or not post["published"],
            "paragraphs": [p.strip() for p in (post["text"] or "").split("\n\n") if p.strip()],
            "organizations": await rows(
                "select coalesce(o.acronym, o.name) as label, o.name, o.kind, o.homepage,"
                " po.role, po.count from post_organizations po join organizations o"
                " on o.id = po.organization_id where po.post_id = ?"
                " order by po.role = 'publisher' desc, po.count desc, o.id"),
            "tags": await rows(
                "select t.name, t.origin, pt.matched from post_tags pt join tags t"
                " on t.id = pt.tag_id where pt.post_id = ? order by t.origin, t.name"),
            "standards": await rows(
                "select standard_id, origin from post_standards where post_id = ?"
                " order by origin desc, standard_id"),
            "committees": await rows(
                "select committee_id from post_committees where post_id = ? order by 1"),
            "versions": await rows(
                "select v.id, v.language, v.title from posts v join posts p"
                " on p.story_id = v.story_id and v.id != p.id where p.id = ?"
                " order by v.language"),
            "duplicate_of": await rows(
                "select d.id, d.title, d.source from posts d join posts p"
                " on d.id = p.duplicate_of where p.id = ?"),
        }}  # fmt: skip

    return inner


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/assets/standards-news.css")]


# --- feeds -----------------------------------------------------------------------------------


def _empty_feed_guard():
    """datasette-atom takes max() of the rows' dates; with no rows that is an error (500). A
    feed reader subscribed to a quiet organization or search should get an empty feed."""
    try:
        import datasette_atom
    except ImportError:
        return
    render = datasette_atom.render_atom
    if getattr(render, "empty_feed_guard", False):
        return

    # Datasette passes a renderer the arguments its signature names, so all are spelled out.
    def render_atom(datasette, request, sql, columns, rows, database, table, query_name,
                    view_name, data):  # fmt: skip
        if rows:
            return render(datasette, request, sql, columns, rows, database, table, query_name,
                          view_name, data)  # fmt: skip
        from datasette.utils.asgi import Response
        from feedgen.feed import FeedGenerator

        feed = FeedGenerator()
        feed.id(request.url)
        feed.link(href=request.url, rel="self")
        feed.updated(datetime.now(UTC))
        title = None
        if query_name:
            queries = (datasette.metadata(database=database) or {}).get("queries", {})
            title = (queries.get(query_name) or {}).get("title")
        feed.title(title or "standards-news")
        return Response(feed.atom_str(pretty=True),
                        content_type="application/xml; charset=utf-8")  # fmt: skip

    render_atom.empty_feed_guard = True
    datasette_atom.render_atom = render_atom


_empty_feed_guard()
