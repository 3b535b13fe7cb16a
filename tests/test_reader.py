"""The reading list and the search results page (pipeline/site/reader.py), in-process: cards, the
filters' form and its messages, the facets' fixed order, pages, the feed and download links, a
refused page's post, and scraped markup kept as text.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from html import unescape
from urllib.parse import urlencode

import feedparser
import pytest

from pipeline.normalize.urls import url_id
from pipeline.site import reader
from pipeline.site.serve import make_datasette
from tests.site_support import HOSTILE_TITLE, HOSTILE_URL, build_site_db


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "site"
    folder.mkdir(exist_ok=True)
    db_path = build_site_db(folder)
    return make_datasette(db_path), db_path


def get(site, path: str, status: int = 200):
    ds = site[0]

    async def fetch():
        await ds.invoke_startup()
        return await ds.client.get(path)

    response = asyncio.run(fetch())
    assert response.status_code == status, (path, response.text[:2000])
    return response


def query(site, sql: str, params=()) -> list:
    with sqlite3.connect(f"file:{site[1]}?mode=ro", uri=True) as db:
        return db.execute(sql, params).fetchall()


def cards(html: str) -> list[str]:
    return re.findall(r'<h2 class="sn-card-title"><a href="/news/posts/(\w+)">', html)


def link(html: str, css_class: str) -> str:
    return unescape(re.search(rf'class="{css_class}" href="([^"]+)"', html).group(1))


def test_reading_list_is_cards_newest_first_with_the_facets_in_order(site):
    html = get(site, "/news/-/read").text
    newest = [r[0] for r in query(site, "select id from posts order by published desc, rowid desc")]
    assert cards(html) == newest[: reader.PAGE_SIZE]
    (total,) = query(site, "select count(*) from posts")[0]
    assert f"{total:,} posts, newest first" in html
    order = re.findall(r'<section class="sn-facet" id="facet-(\w+)">', html)
    assert order == ["source", "language", "published_year", "organizations", "tags", "standards"]
    counted = dict(query(site, "select source, count(*) from posts group by source"))
    facet = html.split('id="facet-source"')[1].split("</section>")[0]
    shown = re.findall(r"\?source=(\w+)\">\1</a> <span class=\"sn-count\">([\d,]+)<", facet)
    assert {s: int(n.replace(",", "")) for s, n in shown} == counted
    first = html.split('<article class="sn-card')[1].split("</article>")[0]
    assert "sn-card-source" in first
    assert "<time datetime=" in first
    assert 'class="sn-chip sn-chip-org"' in html
    assert 'class="sn-chip sn-chip-tag"' in html


def test_pages_follow_each_other(site):
    first = get(site, "/news/-/read").text
    nxt = unescape(re.search(r'rel="next" href="([^"]+)"', first).group(1))
    second = get(site, nxt).text
    newest = [r[0] for r in query(site, "select id from posts order by published desc, rowid desc")]
    assert cards(second) == newest[reader.PAGE_SIZE : 2 * reader.PAGE_SIZE]
    assert 'rel="prev"' in second


@pytest.mark.parametrize(
    ("params", "sql", "args"),
    [
        ({"source": "iso"}, "select id from posts where source = ?", ["iso"]),
        ({"language": "fr"}, "select id from posts where language = ?", ["fr"]),
        (
            {"organization": "ITU"},
            "select post_id from post_organizations where organization_id = 'itu'",
            [],
        ),
        (
            {"standard": "IEC 62443"},
            "select post_id from post_standards where standard_id like 'IEC 62443%'",
            [],
        ),
        (
            {"date_from": "2021", "date_to": "2021"},
            "select id from posts where published_year = 2021",
            [],
        ),
        ({"year": "2021"}, "select id from posts where published_year = 2021", []),
    ],
)
def test_each_filter_narrows_the_list(site, params, sql, args):
    expected = {r[0] for r in query(site, sql, args)}
    assert expected
    html = get(site, "/news/-/read?" + urlencode({**params, "page": 1})).text
    total = int(re.search(r"([\d,]+) posts?, newest first", html).group(1).replace(",", ""))
    assert total == len(expected)
    assert set(cards(html)) <= expected
    assert len(cards(html)) == min(total, reader.PAGE_SIZE)


def test_a_topic_filter_and_the_form_keeps_the_choices(site):
    (tag,) = query(site, "select name from tags where origin = 'topic' limit 1")[0]
    html = get(site, "/news/-/read?" + urlencode({"tag": tag, "source": "iso"})).text
    assert '<option value="iso" selected>' in html
    assert f'name="tag" value="{tag}"' in html
    assert f'<option value="{tag}">' in html  # the datalist's choices come from the data


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "garbage"}, "“garbage” is not a date"),
        ({"date_to": "2021-13-45"}, "there is no month 13"),
        ({"date_from": "2021-02-30"}, "there is no such day"),
        ({"date_from": "2022", "date_to": "2021"}, "is after"),
        ({"organization": "No such body"}, "No organization is called"),
        ({"source": "nowhere"}, "There is no source"),
        ({"q": "kilogram", "date_from": "garbage"}, "“garbage” is not a date"),
    ],
)
def test_a_bad_date_or_filter_answers_with_a_message(site, params, message):
    mode = "search" if "q" in params else "read"
    html = get(site, f"/news/-/{mode}?" + urlencode(params), status=400).text
    errors = html.split('class="sn-errors"')[1].split("</div>")[0]
    assert message in unescape(errors)
    assert not cards(html)


def test_subscribe_and_download_the_listed_posts(site):
    params = {"organization": "ITU", "date_from": "2020"}
    html = get(site, "/news/-/read?" + urlencode(params)).text
    total = int(re.search(r"([\d,]+) posts?, newest first", html).group(1).replace(",", ""))
    listed = set(cards(html))
    downloaded = get(site, link(html, "sn-download-json")).json()
    assert len(downloaded) == total
    assert listed <= {row["id"] for row in downloaded}
    assert get(site, link(html, "sn-download-csv")).text.count("\n") >= total + 1
    feed = feedparser.parse(get(site, link(html, "sn-subscribe")).content)
    assert not feed.bozo
    assert feed.entries
    ids = {r[0]: r[1] for r in query(site, "select url, id from posts")}
    assert {ids[e.link] for e in feed.entries} <= {row["id"] for row in downloaded}


def test_a_single_filter_subscribes_to_its_own_feed(site):
    assert "/news/feed_source.atom?source=iso" in get(site, "/news/-/read?source=iso").text
    assert "/news/feed_latest.atom" in get(site, "/news/-/read").text


def test_search_results_are_the_ranked_search_as_cards(site):
    params = {"q": "kilogram", "source": "bipm"}
    ranked = get(site, "/news/search.json?" + urlencode({**params, "_shape": "array"})).json()
    html = get(site, "/news/-/search?" + urlencode(params)).text
    assert cards(html) == [r["id"] for r in ranked]
    assert "<mark>kilogram</mark>" in html.lower()
    assert "Run SQL" not in html
    assert "Edit SQL" not in html
    assert '<option value="bipm" selected>' in html
    assert 'name="q" value="kilogram"' in html
    assert link(html, "sn-subscribe") == "/news/feed_search.atom?" + urlencode(params)
    assert link(html, "sn-download-csv") == "/news/search.csv?" + urlencode(params)


def test_a_refused_page_shows_its_summary_and_says_so(site):
    refused = query(
        site, "select id, description from posts where text_missing = 1 and description != ''"
    )
    assert refused
    post_id, description = refused[0]
    (title,) = query(site, "select title from posts where id = ?", [post_id])[0]
    html = get(site, "/news/-/search?" + urlencode({"q": title})).text
    card = html.split(f'href="/news/posts/{post_id}"')[1].split("</article>")[0]
    assert "could not be fetched" in card
    assert unescape(card.split('class="sn-card-snippet">')[1].split("</p>")[0]) == description


def test_scraped_markup_stays_text_in_cards(site):
    hostile = url_id(HOSTILE_URL)
    for path in ("/news/-/read?source=iso&date_from=2026-01", "/news/-/search?q=paragraph+markup"):
        html = get(site, path).text
        card = html.split(f'href="/news/posts/{hostile}">')[1].split("</article>")[0]
        assert unescape(card.split("</a></h2>")[0]) == HOSTILE_TITLE
        assert "<script" not in card
        assert "<img" not in card
        assert "<b>" not in card


def test_the_home_page_and_the_menu_link_the_reading_list(site):
    home = get(site, "/").text
    assert 'href="/news/-/read"' in home
    assert 'action="/news/-/search"' in home
    posts = get(site, "/news/posts").text
    assert 'href="/news/-/read">Reading list</a>' in posts  # the top menu, on every page


def test_an_unknown_database_is_not_found(site):
    get(site, "/nothing/-/read", status=404)


def test_the_posts_table_opens_without_the_wide_columns(site):
    html = get(site, "/news/posts").text
    shown = re.findall(r'class="col-(\w+)" scope="col"', html)
    assert shown == ["id", *reader.TABLE_COLUMNS]
    assert "col-text" not in html
    chosen = get(site, "/news/posts?_col=text").text
    assert 'class="col-text"' in chosen  # a choice of columns is kept
    full = get(site, "/news/posts.json?_size=1").json()
    assert "text" in full["columns"]  # exports keep every column
    assert "description" in full["columns"]
