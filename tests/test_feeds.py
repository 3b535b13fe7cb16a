"""The Atom feeds (pipeline/site/feeds.py) served by the real Datasette over the test site's
database: each titled by what it follows, entries with a summary and links to the original and
the post page, a stylesheet that makes them readable in a browser, scraped text kept as text.
Read with the standard library's XML parser (what any feed reader can rely on).
"""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest

from pipeline.site.feeds import describe
from pipeline.site.serve import make_datasette
from tests.site_support import HOSTILE_TITLE, HOSTILE_URL, build_site_db, write_dumps

A = "{http://www.w3.org/2005/Atom}"
H = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "site"  # test_site's database, built once
    folder.mkdir(exist_ok=True)
    db_path = build_site_db(folder)
    write_dumps(folder / "dumps", db_path)
    return make_datasette(db_path)


def fetch(ds, path: str):
    async def inner():
        await ds.invoke_startup()
        return await ds.client.get(path)

    response = asyncio.run(inner())
    assert response.status_code == 200, (path, response.text[:500])
    assert response.headers["content-type"].startswith("application/xml")
    return response


def feed(ds, path: str) -> ET.Element:
    """The feed at path, parsed, after checking what RFC 4287 requires of it."""
    root = ET.fromstring(fetch(ds, path).content)
    assert root.tag == A + "feed"
    for name in ("id", "title", "updated", "author"):
        assert root.find(A + name) is not None, name
    for entry in root.iter(A + "entry"):
        for name in ("id", "title", "updated"):
            assert (entry.findtext(A + name) or "").strip(), name
    return root


@pytest.mark.parametrize(
    ("params", "title"),
    [
        ("feed_latest.atom", "Latest posts, all sources"),
        ("feed_source.atom?source=iso", "ISO posts"),
        ("feed_organization.atom?organization=itu", "Posts mentioning ITU"),
        ("feed_tag.atom?tag=topic:climate-change", "Posts tagged \u201cClimate change\u201d"),
        ("feed_search.atom?q=metrology&date_from=2024", "Search: metrology, since 2024"),
        (
            "feed_search.atom?" + urlencode({"q": "", "source": "iso", "organization": "ITU"}),
            "ISO posts mentioning ITU",
        ),
        (
            "feed_search.atom?"
            + urlencode(
                {"q": "measurement", "source": "bipm", "language": "en", "date_to": "2023"}
            ),
            "Search: measurement, BIPM posts in English, until 2023",
        ),
    ],
)
def test_each_feed_is_titled_by_what_it_follows(site, params, title):
    assert feed(site, "/news/" + params).findtext(A + "title") == title


def test_the_reading_lists_feed_of_several_filters_is_titled_too(site):
    """The reading list's feed of several filters is the post_feed table's (reader.feed_for)."""
    args = {"source": "iso", "_organization": "ITU", "_sort_desc": "published", "_size": 50}
    root = feed(site, "/news/post_feed.atom?" + urlencode(args))
    assert root.findtext(A + "title") == "ISO posts mentioning ITU"
    assert root.findall(A + "entry")
    page = root.find(f"{A}link[@rel='alternate']").get("href")
    assert page == "http://localhost/news/-/read?source=iso&organization=ITU"
    other = feed(site, "/news/post_feed.atom?" + urlencode({**args, "language__not": "fr"}))
    assert other.findtext(A + "title").startswith("post_feed: ")  # Datasette's own filters


def test_titles_name_every_filter():
    labels = {"q": "kg", "organization": "OIML", "standard": "IEC 62443", "date_from": "2022"}
    labels |= {"date_to": "2023-06", "tag": "Metrology"}
    assert describe(labels) == (
        "Search: kg, posts mentioning OIML tagged \u201cMetrology\u201d referencing IEC 62443,"
        " 2022 to 2023-06"
    )
    assert describe({"date_from": "2024"}) == "Posts since 2024"


def test_entries_carry_a_summary_and_links(site):
    root = feed(site, "/news/feed_source.atom?source=bipm")
    entries = root.findall(A + "entry")
    assert entries
    for entry in entries:
        links = {link.get("rel"): link.get("href") for link in entry.findall(A + "link")}
        assert links["alternate"].startswith("https://")  # the original
        assert re.match(r"http://localhost/news/posts/\w+$", links["related"])  # its page here
        summary = entry.find(A + "summary")
        assert summary.get("type") == "xhtml"
        text = summary.find(f"{H}div/{H}p[@class='text']").text
        assert 20 < len(text) <= 301
        assert summary.find(f"{H}div/{H}p[@class='meta']").text.startswith("BIPM \u00b7 ")
        hrefs = [a.get("href") for a in summary.iter(H + "a")]
        assert hrefs == [links["related"], links["alternate"]]


def test_the_summary_is_the_description(site):
    root = feed(site, "/news/feed_source.atom?source=iso")
    entry = next(e for e in root.iter(A + "entry") if e.findtext(A + "id") == HOSTILE_URL)
    text = entry.find(f"{A}summary/{H}div/{H}p[@class='text']").text
    assert text == "A <i>description</i> with <script>alert('description')</script>"


def test_a_browser_is_given_a_stylesheet_and_the_same_posts_as_a_page(site):
    body = fetch(site, "/news/feed_organization.atom?organization=ITU").text
    assert re.search(r'<\?xml-stylesheet type="text/css" href="/assets/feed\.css"\?>', body)
    root = ET.fromstring(body.encode())
    page = root.find(f"{A}link[@rel='alternate']").get("href")
    assert page == "http://localhost/news/-/read?organization=ITU"  # the reading list
    search = feed(site, "/news/feed_search.atom?q=kilogram&source=bipm")
    found = search.find(f"{A}link[@rel='alternate']").get("href")
    assert found == "http://localhost/news/-/search?q=kilogram&source=bipm"  # its results
    assert fetch_css(site).startswith("/* standards-news: an Atom feed")


def fetch_css(ds) -> str:
    async def inner():
        return await ds.client.get("/assets/feed.css")

    response = asyncio.run(inner())
    assert response.status_code == 200
    return response.text


def test_a_hostile_title_stays_text(site):
    body = fetch(site, "/news/feed_source.atom?source=iso").text
    assert "<script>" not in body
    assert "<b>" not in body
    root = ET.fromstring(body.encode())
    entry = next(e for e in root.iter(A + "entry") if e.findtext(A + "id") == HOSTILE_URL)
    assert entry.findtext(A + "title") == HOSTILE_TITLE
    assert not list(entry.find(A + "title"))  # text, no elements
    summary = entry.find(A + "summary")
    assert {e.tag for e in summary.iter()} <= {
        A + "summary",
        H + "div",
        H + "p",
        H + "a",
        H + "span",
    }


def test_a_hostile_search_stays_text_in_the_title(site):
    q = "<script>alert(1)</script>\x07 kg"
    root = feed(site, "/news/feed_search.atom?" + urlencode({"q": q}))
    assert root.findtext(A + "title") == "Search: <script>alert(1)</script> kg"


def test_an_empty_feed_is_valid(site):
    root = feed(site, "/news/feed_search.atom?q=zzyzxnothing")
    assert root.findall(A + "entry") == []
    assert root.findtext(A + "title") == "Search: zzyzxnothing"
