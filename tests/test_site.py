"""The analysts' Datasette, in-process (ASGI): ranked search, facets and filters, canned queries,
feeds, the post page, downloads, exports, and what makes it safe to expose.

The database is the bundled snapshot crawled by the real spiders, plus one post whose title and
body carry HTML and scripts; the site is configured exactly as `stdnews serve` configures it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
import time
from dataclasses import replace
from urllib.parse import urlencode

import feedparser
import pytest
import yaml

from pipeline.normalize.sources import SOURCES
from pipeline.normalize.types import Post
from pipeline.paths import METADATA
from pipeline.site import queries
from pipeline.site.serve import date_label, filesize, make_datasette, metadata_for
from pipeline.store import open_db, save_post, search
from tests.site_support import (
    DUMP_DAY,
    HOSTILE_TITLE,
    HOSTILE_URL,
    build_site_db,
    hostile_post,
    write_dumps,
)

QUERIES = yaml.safe_load(METADATA.read_text("utf-8"))["databases"]["news"]["queries"]
SAMPLE_PARAMS = {
    "q": "standards",
    "organization": "ITU",
    "standard": "IEC 62443",
    "source": "iso",
    "tag": "Climate change",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "site"
    folder.mkdir(exist_ok=True)
    db_path = build_site_db(folder)
    manifest = write_dumps(folder / "dumps", db_path)
    return make_datasette(db_path), manifest, folder


def get(site, path: str, status: int = 200):
    ds = site[0]

    async def fetch():
        await ds.invoke_startup()
        return await ds.client.get(path)

    response = asyncio.run(fetch())
    assert response.status_code == status, (path, response.text[:1000])
    return response


def rows(site, path: str) -> list[dict]:
    sep = "&" if "?" in path else "?"
    return get(site, f"{path}{sep}_shape=objects").json()["rows"]


def sql(site, query: str) -> list[dict]:
    return rows(site, "/news.json?" + urlencode({"sql": query}))


# --- ranked search ---------------------------------------------------------------------------


def test_search_ranks_title_matches_first_and_highlights_the_words(site):
    found = rows(site, "/news/search.json?q=kilogram")
    assert found, "no result for kilogram"
    assert "kilogram" in found[0]["title"].lower()  # a word in the title weighs more
    assert [r["relevance"] for r in found] == sorted((r["relevance"] for r in found), reverse=True)
    assert all("【kilogram】" in r["snippet"].lower() for r in found if "kilogram" in r["snippet"])
    page = get(site, "/news/search?q=kilogram").text
    assert "<mark>kilogram</mark>" in page
    assert f'href="/news/posts/{found[0]["id"]}"' in page  # titles open the post page


@pytest.mark.parametrize(
    "q",
    [
        '"International System of Units"',
        '"the kilogram"',
        '"climate change" "net zero"',
        "ISO/IEC",
        "metrolog*",
        "kilo* OR metre",
        '"climate change" energ*',
    ],
)
def test_phrase_and_prefix_searches_answer_as_posts_fts_alone_would(site, q):
    """Phrases are answered by the word-pair index, and prefix searches find their snippets in
    one pass: the same posts, scores and snippets as posts_fts alone gives."""
    assert search.pairs_query(q) or search.prefixed_query(q) != search.NOTHING
    found = rows(site, "/news/search.json?" + urlencode({"q": q}))
    expected = sql(
        site,
        f"""select p.id, round(-bm25(posts_fts, 5.0, 1.0), 2) as relevance,
        snippet(posts_fts, 1, '【', '】', ' … ', 30) as snippet
      from posts_fts join posts p on p.rowid = posts_fts.rowid
      where posts_fts match fts_query('{q.replace("'", "''")}')
      order by bm25(posts_fts, 5.0, 1.0), posts_fts.rowid desc limit 50""",
    )
    assert expected
    assert [(r["id"], r["relevance"], r["snippet"]) for r in found] == [
        (r["id"], r["relevance"], r["snippet"]) for r in expected
    ]


@pytest.mark.parametrize("q", ["metrolog*", "kilo* OR metre", '"climate change" energ*'])
def test_prefix_search_snippets_all_come_from_the_one_pass(site, q):
    """The search falls back to a snippet by rowid for a hit its one pass missed; with the
    fallback removed, every snippet is still there and the same."""
    import sqlite3

    template = queries.SQL["search"]
    fallback = re.search(r"else \(select snippet\(.*?\) end", template, re.DOTALL)
    assert fallback
    args = {p: (q if p == "q" else "") for p in QUERIES["search"]["params"]}
    conn = sqlite3.connect(site[2] / "news.db")
    search.register(conn)
    without = template.replace(fallback.group(), "else null end")
    pages = [conn.execute(sql, args).fetchall() for sql in (template, without)]
    conn.close()
    assert pages[0]
    assert all(row[5] for row in pages[1])  # the snippet column
    assert pages[1] == pages[0]


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"source": "bipm"}, "select source = 'bipm' ok from posts where id = :id"),
        ({"q": "BIPM", "language": "fr"}, "select language = 'fr' ok from posts where id = :id"),
        (
            {"organization": "OIML"},
            "select count(*) ok from post_organizations "
            "where post_id = :id and organization_id = 'oiml'",
        ),
        (
            {"tag": "Metrology and the SI"},
            "select count(*) ok from post_tags pt join tags t "
            "on t.id = pt.tag_id where pt.post_id = :id and t.name = 'Metrology and the SI'",
        ),
        (
            {"date_from": "2022", "date_to": "2023-06"},
            "select published >= '2022' "
            "and substr(published, 1, 7) <= '2023-06' ok from posts where id = :id",
        ),
    ],
)
def test_search_narrows_by_each_filter(site, params, check):
    params = {"q": "measurement", **params}
    everything = rows(site, "/news/search.json?" + urlencode({"q": params["q"]}))
    narrowed = rows(site, "/news/search.json?" + urlencode(params))
    assert narrowed, params
    assert len(narrowed) < len(everything)
    for row in narrowed:
        assert sql(site, check.replace(":id", f"'{row['id']}'"))[0]["ok"], (params, row)


@pytest.mark.parametrize(
    "params",
    [
        {"q": "measurement", "source": "bipm"},
        {"q": "BIPM", "language": "fr"},
        {"q": "standards", "date_from": "2022", "date_to": "2023-06"},
        {"q": "measurement", "date_from": "2021-03-15"},
        {"q": "standards", "source": "iso", "date_to": "2024"},
        {"q": '"climate change"', "source": "iso", "language": "en", "date_from": "2020"},
    ],
)
def test_search_filters_give_the_same_posts_tested_per_row_or_as_sets(site, params):
    """A filter on the posts' own columns is a set of rowids when it selects few posts and a
    test of each match's row when it selects many: both ways give the same page."""
    import sqlite3

    args = {p: params.get(p, "") for p in QUERIES["search"]["params"]}
    conn = sqlite3.connect(site[2] / "news.db")
    search.register(conn)
    pages = []
    for broad in ("1", "1000000000"):  # every filter per row; every filter a set
        pages.append(conn.execute(queries.search(broad=broad), args).fetchall())
    conn.close()
    assert pages[0], params
    assert pages[0] == pages[1]
    everything = rows(site, "/news/search.json?" + urlencode({"q": params["q"]}))
    assert len(pages[0]) < len(everything)  # the filters did filter


def test_search_by_standard_takes_every_part(site):
    found = rows(site, "/news/search.json?" + urlencode({"q": "security", "standard": "IEC 62443"}))
    assert found
    for row in found:
        refs = sql(site, f"select standard_id from post_standards where post_id = '{row['id']}'")
        assert any(r["standard_id"].startswith("IEC 62443") for r in refs)


@pytest.mark.parametrize(
    "q", ["", "ISO/IEC 27001", '"unclosed phrase', "NOT", "C++ (draft)", "a AND AND b", "*"]
)
def test_search_box_text_is_never_a_syntax_error(site, q):
    data = get(site, "/news/search.json?" + urlencode({"q": q})).json()  # a 400 fails in get()
    assert isinstance(data["rows"], list)
    assert "error" not in data or not data["error"]


# --- posts table: facets and filters ---------------------------------------------------------


def test_posts_table_is_newest_first_with_its_facets(site):
    data = get(site, "/news/posts.json?_size=10").json()
    facets = {
        "source",
        "published_year",
        "published_month",
        "language",
        "byline",
        "organizations",
        "tags",
        "standards",
        "people",
    }
    assert set(data["facet_results"]) == facets
    published = [r[data["columns"].index("published")] for r in data["rows"]]
    assert published == sorted(published, reverse=True)


@pytest.mark.parametrize("column", ["organizations", "tags", "standards"])
def test_list_facet_counts_match_the_json_lists(site, column):
    facet = get(site, "/news/posts.json?_size=0").json()["facet_results"][column]["results"]
    assert facet
    for value in facet[:5]:
        expected = sql(
            site,
            f"select count(*) n from posts where exists (select 1 from "
            f"json_each(posts.{column}) where value = '{value['value']}')",
        )
        assert value["count"] == expected[0]["n"], value


def test_a_list_facet_value_filters_the_table(site):
    facet = get(site, "/news/posts.json?_size=0").json()["facet_results"]["organizations"]
    itu = next(v for v in facet["results"] if v["value"] == "ITU")
    assert "_organization=ITU" in itu["toggle_url"]
    filtered = get(site, "/news/posts.json?_organization=ITU&_size=200").json()
    assert filtered["filtered_table_rows_count"] == itu["count"]
    assert "mentions organization 'ITU'" in filtered["human_description_en"]
    columns = filtered["columns"]
    for row in filtered["rows"]:
        assert "ITU" in json.loads(row[columns.index("organizations")])
    selected = filtered["facet_results"]["organizations"]["results"]
    assert next(v for v in selected if v["value"] == "ITU")["selected"]


def test_standard_filter_takes_every_part_and_edition(site):
    found = rows(site, "/news/posts.json?_standard=IEC+62443&_size=200")
    references = {s for r in found for s in json.loads(r["standards"])}
    assert "IEC 62443-3-3" in references
    assert all(any(s.startswith("IEC 62443") for s in json.loads(r["standards"])) for r in found)
    exact = rows(site, "/news/posts.json?" + urlencode({"_standard": "IEC 62443-3-3"}))
    assert 0 < len(exact) < len(found)
    lower = rows(site, "/news/posts.json?_standard=iec+62443&_size=200")
    assert [r["id"] for r in lower] == [r["id"] for r in found]
    assert not rows(site, "/news/posts.json?_standard=IEC+6244")  # a prefix is no part


def test_date_range_counts_a_post_dated_to_its_year_or_month(site):
    found = rows(site, "/news/posts.json?_from=2021-03&_to=2021-06&_size=200")
    assert {r["published"] for r in found} >= {"2021", "2021-05-10"}  # 2021 overlaps the range
    for row in found:
        assert row["published"][:7] <= "2021-06"
        assert row["published"] + "-99" >= "2021-03"


def test_tag_filter_accepts_a_topic_name(site):
    found = rows(site, "/news/posts.json?" + urlencode({"_tag": "climate change", "_size": 200}))
    assert found
    assert all("Climate change" in json.loads(r["tags"]) for r in found)


# --- canned queries --------------------------------------------------------------------------


def canned(site, name: str, **params) -> list[dict]:
    return rows(site, f"/news/{name}.json?" + urlencode(params))


def test_latest_per_source(site):
    found = canned(site, "latest_per_source", per_source=3)
    assert [r["source"] for r in found] == [s for s in sorted(SOURCES) for _ in range(3)]
    newest = sql(site, "select max(published) m from posts where source = 'oecd'")[0]["m"]
    assert next(r for r in found if r["source"] == "oecd")["published"] == newest


def test_posts_mentioning_an_organization_by_acronym_or_name(site):
    by_acronym = canned(site, "posts_mentioning_organization", organization="UNECE")
    by_name = canned(
        site,
        "posts_mentioning_organization",
        organization="united nations economic commission for europe",
    )
    assert by_acronym
    assert by_acronym == by_name
    published = [r["published"] for r in by_acronym]
    assert published == sorted(published, reverse=True)


def test_posts_referencing_any_part_of_a_standard(site):
    found = canned(site, "posts_referencing_standard", standard="IEC 62443")
    assert found
    assert any("IEC 62443-" in r["matched"] for r in found)


def test_organizations_mentioned_together(site):
    pairs = canned(site, "organizations_mentioned_together")
    assert pairs[0]["posts"] >= pairs[-1]["posts"]
    first = pairs[0]
    expected = sql(
        site,
        f"""select count(*) n from post_organizations a
        join post_organizations b on a.post_id = b.post_id
        join organizations oa on oa.id = a.organization_id
        join organizations ob on ob.id = b.organization_id
        where coalesce(oa.acronym, oa.name) = '{first["organization"]}'
          and coalesce(ob.acronym, ob.name) = '{first["mentioned_with"]}'""",
    )
    assert first["posts"] == expected[0]["n"]
    partners = canned(site, "organizations_mentioned_together", organization="BIPM")
    assert {r["organization"] for r in partners} == {"BIPM"}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"source": "iso"},
        {"organization": "BIPM"},
        {"organization": "itu", "source": "iec"},
        {"organization": "no such body"},
        {"source": "nowhere"},
    ],
)
def test_organizations_together_agree_with_and_without_the_index(site, params, monkeypatch):
    """The facet index's pairs and the co_mentions aggregate's, for every kind of request."""
    answers = spy(monkeypatch, site_plugin().IndexedCoMentions, "__call__")
    indexed = canned(site, "organizations_mentioned_together", **params)
    if "no such body" not in params.values():  # an unknown name needs no index to say []
        assert [a for a in answers if a is not None], "the index did not answer"
    monkeypatch.setattr(site_plugin().IndexedCoMentions, "__call__", lambda *_: None)  # no index
    aggregated = canned(site, "organizations_mentioned_together", **params)
    assert indexed == aggregated
    assert bool(indexed) == (
        "no such body" not in params.values() and "nowhere" not in params.values()
    )


def test_a_canned_query_page_is_titled_by_its_title_not_its_sql(site):
    page = get(site, "/news/search?q=kilogram").text
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1).strip()
    assert title == QUERIES["search"]["title"]


def test_posts_per_month_per_source_adds_up(site):
    months = canned(site, "posts_per_month")
    assert set(months[0]) == {"month", "source", "n"}  # long: a row per month and source
    keys = [(r["month"], r["source"]) for r in months]  # newest month first, then by source
    assert keys == sorted(sorted(keys, key=lambda k: k[1]), key=lambda k: k[0], reverse=True)
    dated = sql(
        site,
        "select published_month month, source, count(*) n from posts"
        " where published_month is not null group by 1, 2",
    )
    assert {(r["month"], r["source"]): r["n"] for r in months} == {
        (r["month"], r["source"]): r["n"] for r in dated
    }


def test_weak_dates_are_the_guessed_ones(site):
    found = canned(site, "weak_dates")
    assert {r["date_from"] for r in found} >= {"url", "dateline"}
    assert all(
        r["date_from"] in ("url", "dateline", "time") or r["precision"] != "day" for r in found
    )
    assert not [r for r in found if r["date_from"] == "api" and r["precision"] == "day"]


# --- feeds -----------------------------------------------------------------------------------

FEEDS = [
    "/news/feed_latest.atom",
    "/news/feed_source.atom?source=bipm",
    "/news/feed_organization.atom?organization=ITU",
    "/news/feed_tag.atom?" + urlencode({"tag": "Climate change"}),
    "/news/feed_search.atom?q=metrology",
]


@pytest.mark.parametrize("path", FEEDS)
def test_feeds_are_valid_atom(site, path):
    response = get(site, path)
    assert response.headers["content-type"].startswith("application/xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.entries
    for entry in feed.entries:
        assert entry.link.startswith("https://")
        assert entry.title
        assert entry.updated_parsed
    updated = [e.updated_parsed for e in feed.entries]
    assert updated == sorted(updated, reverse=True)


@pytest.mark.parametrize(
    "params",
    [
        {"q": "measurement", "source": "bipm"},
        {"q": "standards", "date_from": "2022", "date_to": "2023-06", "language": "en"},
        {"q": "security", "standard": "IEC 62443"},
        {"q": "measurement", "tag": "Metrology and the SI", "organization": "OIML"},
    ],
)
def test_the_search_feed_lists_the_posts_the_search_finds(site, params):
    """The feed and the ranked search share their filters (pipeline/site/filters.py)."""
    found = {r["url"] for r in rows(site, "/news/search.json?" + urlencode(params))}
    assert found, params
    feed = feedparser.parse(get(site, "/news/feed_search.atom?" + urlencode(params)).content)
    assert {entry.link for entry in feed.entries} == found


def test_a_feed_with_no_posts_is_empty_not_an_error(site):
    feed = feedparser.parse(get(site, "/news/feed_search.atom?q=zzyzxnothing").content)
    assert not feed.bozo
    assert feed.entries == []
    assert feed.feed.title == "Search: zzyzxnothing"


def test_search_page_links_its_feed(site):
    page = get(site, "/news/search?q=kilogram&source=bipm").text
    assert '/news/feed_search.atom?q=kilogram&amp;source=bipm"' in page


# --- the post page ---------------------------------------------------------------------------


def test_post_page_reads_like_the_article(site):
    post = sql(
        site,
        "select * from posts where url = 'https://www.iso.org/contents/news/2021/05/Ref2667.html'",
    )[0]
    page = get(site, f"/news/posts/{post['id']}").text
    assert f'<h1 class="sn-title">{post["title"]}</h1>' in page
    assert "10 May 2021" in page
    assert "day precision, from the page&#39;s own date field" in page
    assert f'href="{post["url"]}"' in page
    paragraphs = [p for p in post["text"].split("\n\n") if p.strip()]
    body = page.split('<div class="sn-body">')[1].split("</div>")[0]
    assert body.count("<p>") == len(paragraphs) > 3
    for acronym in json.loads(post["organizations"])[:3]:
        assert f"_organization={acronym}" in page
    assert "Other languages" in page  # the French and Russian versions


def test_post_page_says_when_a_date_is_weak(site):
    post = sql(site, "select id from posts where published_precision = 'month'")[0]
    page = get(site, f"/news/posts/{post['id']}").text
    assert "month precision, from the date in the URL: a weak signal" in page


# --- safe to expose --------------------------------------------------------------------------


def hostile_id(site) -> str:
    return sql(site, f"select id from posts where url = '{HOSTILE_URL}'")[0]["id"]


@pytest.mark.parametrize(
    "path",
    [
        "/news/posts/{id}",
        "/news/posts?source=iso",
        "/news/search?q=paragraph",
        "/news/post_details?id={id}",
        "/news/posts_referencing_standard?standard=IEC+62443",
    ],
)
def test_scraped_markup_is_shown_as_text(site, path):
    page = get(site, path.format(id=hostile_id(site))).text
    assert "alert(" in page
    assert not re.search(r"<script>alert|<img src=x|<b>bold</b>|href=\"javascript", page)
    assert "&lt;script&gt;alert(" in page


def test_scraped_markup_stays_text_in_feeds(site):
    body = get(site, "/news/feed_source.atom?source=iso").text
    entry = next(e for e in feedparser.parse(body).entries if e.link == HOSTILE_URL)
    assert entry.title == HOSTILE_TITLE  # the reader shows it as text
    assert entry.content[0].type == "text/plain"
    assert "<script>" not in body  # escaped in the XML


@pytest.mark.parametrize(
    "statement",
    [
        "delete from posts",
        "update posts set title = 'x'",
        "drop table posts",
        "insert into sources (id) values ('x')",
        "pragma writable_schema = 1",
        "attach database ':memory:' as other",
    ],
)
def test_nothing_can_be_written_through_datasette(site, statement):
    before = sql(site, "select count(*) n, max(title) t from posts")
    response = get(site, "/news.json?" + urlencode({"sql": statement}), status=400)
    assert response.json()["ok"] is False
    assert sql(site, "select count(*) n, max(title) t from posts") == before


def test_queries_stop_at_the_time_limit(site):
    endless = (
        "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
    )
    started = time.perf_counter()
    response = get(site, "/news.json?" + urlencode({"sql": endless}), status=400)
    assert "interrupted" in response.text.lower() or "time limit" in response.text.lower()
    assert time.perf_counter() - started < 10


def test_only_the_corpus_is_served(site):
    databases = get(site, "/-/databases.json").json()
    assert [d["name"] for d in databases] == ["news"]
    folder = str(site[2])
    for path in (
        "/-/databases.json",
        "/-/metadata.json",
        "/-/settings.json",
        "/-/plugins.json",
        "/",
        "/news",
    ):  # no path of the server's files
        assert folder not in get(site, path).text, path
    assert get(site, "/news.db", status=403)  # downloads are the checked dumps
    assert get(site, "/dumps/%2E%2E/news.db", status=404)


# --- downloads and exports -------------------------------------------------------------------


def test_home_page_lists_the_dumps_with_size_and_sha256(site):
    _, manifest, _ = site
    page = get(site, "/").text
    assert f"standards-news-{DUMP_DAY}" in page
    for file in manifest["files"]:
        assert f'href="/dumps/{file["name"]}"' in page
        assert file["sha256"] in page
    assert filesize(manifest["files"][0]["bytes"]) in page
    assert f'href="/dumps/standards-news-{DUMP_DAY}.sha256"' in page
    assert filesize(1536) == "1.5 KB"
    assert filesize(3 * 1024**3) == "3.0 GB"
    assert 'type="application/atom+xml"' in page  # feed autodiscovery
    for source in SOURCES:  # a feed per source of the registry
        assert f'href="/news/feed_source.atom?source={source}">{source}</a>' in page


def test_dumps_download_as_written(site):
    _, manifest, folder = site
    for file in manifest["files"]:
        body = get(site, f"/dumps/{file['name']}").content
        assert hashlib.sha256(body).hexdigest() == file["sha256"]
    latest = get(site, "/dumps/standards-news-latest.sha256").text
    assert latest == (folder / "dumps" / f"standards-news-{DUMP_DAY}.sha256").read_text()


def test_every_table_view_and_query_exports_csv_and_json(site):
    data = get(site, "/news.json").json()
    names = [t["name"] for t in data["tables"] if not t["hidden"]] + [
        v["name"] for v in data["views"]
    ]
    assert {"posts", "post_details", "organization_mentions", "standard_references"} <= set(names)
    paths = [f"/news/{name}" for name in names]
    for name, query in QUERIES.items():
        params = {p: SAMPLE_PARAMS.get(p, "") for p in query.get("params", [])}
        paths.append(f"/news/{name}?" + urlencode(params))
    for path in paths:
        base, _, query = path.partition("?")
        data = get(site, f"{base}.json?{query}").json()
        assert data.get("ok", True), path
        csv = get(site, f"{base}.csv?{query}")
        assert (
            csv.headers["content-type"].startswith("text/plain")
            or "csv" in csv.headers["content-type"]
        )
        assert csv.text.splitlines()[0].count(",") == len(data["columns"]) - 1, path


def test_dashboard_charts_run_their_queries(site):
    ds, _, _ = site
    dashboard = metadata_for(ds.databases["news"].path)["plugins"]["datasette-dashboards"]
    for slug, chart in dashboard["overview"]["charts"].items():
        query = re.sub(r"\[\[.*?\]\]", "", chart["query"])
        found = sql(site, query)
        assert found, slug
    page = get(site, "/-/dashboards/overview").text
    assert "/-/static-plugins/datasette_dashboards/vega-lite.min.js" in page
    assert "cdn.jsdelivr" not in page
    assert "unpkg.com" not in page


def test_canned_queries_are_served_in_their_order_with_the_filters_written_out(site):
    served = asyncio.run(site[0].get_canned_queries("news", None))
    assert list(served) == list(QUERIES)  # as data/metadata.yml lists them
    assert "sql" not in QUERIES["feed_organization"]  # the plugin's (pipeline/site/queries.py)
    assert all(query["sql"] for query in served.values())
    assert "o.acronym = :organization" in served["feed_organization"]["sql"]
    assert "{{" not in METADATA.read_text("utf-8")  # no macros: Datasette reads it as it is


def test_every_canned_query_is_titled_and_described():
    for name, query in QUERIES.items():
        assert query.get("title"), name
        assert query.get("description") or query.get("description_html"), name


def facet_counts(site, path: str) -> dict:
    facets = get(site, path).json()["facet_results"]
    return {name: {(v["value"], v["count"]) for v in f["results"]} for name, f in facets.items()}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "source=iso",
        "language=en",
        "_search=measurement",
        "_organization=ITU",
        "_tag=Climate+change",
        "_from=2021&_to=2024",
    ],
)
def test_facets_agree_whichever_way_they_are_counted(site, query, monkeypatch):
    """The facet index (pipeline/site/facets.py) and the SQL counts used while there is none."""
    plugin = site_plugin()
    path = f"/news/posts.json?_size=0&{query}"
    answers = spy(monkeypatch, plugin.PostFacets, "index_counts")
    indexed = facet_counts(site, path)
    assert [a for a in answers if a is not None], "the index did not answer"

    async def no_index(self, facets):
        return None

    monkeypatch.setattr(plugin.PostFacets, "index_counts", no_index)
    counted = facet_counts(site, path)
    assert indexed == counted
    assert indexed["organizations"]
    assert indexed["tags"]
    expected = {
        row["value"]: row["n"]
        for row in sql(
            site,
            f"""select j.value, count(*) n
        from posts, json_each(posts.organizations) j where posts.id in (
          select value from json_each('{
                json.dumps(
                    [r["id"] for r in rows(site, f"/news/posts.json?_size=max&_nofacet=1&{query}")]
                )
            }'))
        group by j.value""",
        )
    }
    assert {v: n for v, n in indexed["organizations"]} == {
        v: expected[v] for v, _ in indexed["organizations"]
    }


def spy(monkeypatch, cls, name: str) -> list:
    """What cls.name returns from now on (sync or async), in a list."""
    real, answers = getattr(cls, name), []

    if asyncio.iscoroutinefunction(real):

        async def recorded(*args, **kwargs):
            answers.append(await real(*args, **kwargs))
            return answers[-1]
    else:

        def recorded(*args, **kwargs):
            answers.append(real(*args, **kwargs))
            return answers[-1]

    monkeypatch.setattr(cls, name, recorded)
    return answers


def site_plugin():
    from datasette.plugins import pm

    return pm.get_plugin("standards_news")


def test_facet_index_follows_the_database(site, tmp_path):
    """A post written while Datasette runs is counted on the next page (the database changed:
    the index is rebuilt), and /-/facet-index.json says the index is ready."""
    db_path = tmp_path / "news.db"
    shutil.copy(site[0].databases["news"].path, db_path)
    ds = make_datasette(db_path)
    fresh = (ds, None, tmp_path)
    before = dict(facet_counts(fresh, "/news/posts.json?_size=0")["source"])
    status = get(fresh, "/-/facet-index.json").json()
    assert status[db_path.stem]["ready"]
    assert status[db_path.stem]["posts_indexed"] > 0
    db = open_db(db_path)
    post = hostile_post()
    post = replace(post, id="f" * 16, url=post.url.replace("hostile", "another"), story_id="f" * 16)
    save_post(db, post)
    db.close()
    after = dict(facet_counts(fresh, "/news/posts.json?_size=0")["source"])
    assert after["iso"] == before["iso"] + 1
    assert get(fresh, "/-/facet-index.json").json()[db_path.stem]["posts_indexed"] == (
        status[db_path.stem]["posts_indexed"] + 1
    )


def another_post(number: int) -> Post:
    post = hostile_post()
    post_id = f"{number:016x}"
    url = post.url.replace("hostile", f"post-{number}")
    return replace(post, id=post_id, url=url, story_id=post_id)


def test_facet_index_is_built_from_one_snapshot(site, tmp_path, monkeypatch):
    """A crawl commits a post while the index is being built: the build reads one snapshot, so
    it neither fails nor holds links of posts beyond its size."""
    from pipeline.site import facets

    db_path = tmp_path / "news.db"
    shutil.copy(site[0].databases["news"].path, db_path)
    original, writes = facets.column_codes, []

    def column_codes_while_a_crawl_writes(conn, column, size):
        if not writes:
            db = open_db(db_path)
            save_post(db, another_post(1))
            db.close()
            writes.append(column)
        return original(conn, column, size)

    monkeypatch.setattr(facets, "column_codes", column_codes_while_a_crawl_writes)
    index = facets.build(db_path)
    assert writes
    for codes in index.facets.values():
        assert codes.rowids is None or int(codes.rowids.max()) < index.size
    posts = sql_count(db_path, "select count(*) from posts")
    assert sum(index.counts(["source"])["source"].values()) == posts - 1  # as before the write


def sql_count(db_path, query: str) -> int:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(db_path)) as conn:
        return conn.execute(query).fetchone()[0]


def test_requests_that_find_the_database_changed_rebuild_it_once(site, tmp_path, monkeypatch):
    import threading

    from pipeline.site import facets

    db_path = tmp_path / "news.db"
    shutil.copy(site[0].databases["news"].path, db_path)
    holder = facets.Holder(db_path)
    assert holder.current() is not None
    db = open_db(db_path)
    save_post(db, another_post(99))
    db.close()
    original, builds, ready = facets.build, [], threading.Barrier(8)

    def slow_build(*args):  # long enough for every request to find the database changed
        builds.append(args)
        time.sleep(0.2)
        return original(*args)

    def request():
        ready.wait()
        holder.current()

    monkeypatch.setattr(facets, "build", slow_build)
    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1
    assert sum(holder.current().counts(["source"])["source"].values()) == sql_count(
        db_path, "select count(*) from posts"
    )


def test_a_facet_the_index_does_not_hold_is_counted_in_sql(site):
    facets = get(site, "/news/posts.json?_size=0&_facet_indexed=generation").json()
    generations = {v["value"]: v["count"] for v in facets["facet_results"]["generation"]["results"]}
    expected = {
        r["generation"]: r["n"]
        for r in sql(
            site,
            "select generation, count(*) n from posts where generation is not null"
            " group by generation",
        )
    }
    assert generations == expected


def test_every_view_and_its_columns_are_described(site):
    tables = yaml.safe_load(METADATA.read_text("utf-8"))["databases"]["news"]["tables"]
    for view in get(site, "/news.json").json()["views"]:
        meta = tables[view["name"]]
        assert meta.get("description"), view["name"]
        columns = get(site, f"/news/{view['name']}.json?_size=1").json()["columns"]
        assert set(columns) <= set(meta.get("columns", {})), view["name"]


@pytest.mark.parametrize(
    ("published", "precision", "label"),
    [
        ("2021-05-10", "day", "10 May 2021"),
        ("2024-05-03T10:00:00Z", "day", "3 May 2024"),
        ("2020-09", "month", "September 2020"),
        ("2021", "year", "2021"),
        (None, None, "date unknown"),
    ],
)
def test_dates_read_at_their_precision(published, precision, label):
    assert date_label(published, precision) == label
