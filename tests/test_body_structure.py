"""The body's structure (posts.body_html): read from the page's body element with the text,
built from an allowlist of tags so that nothing scraped is markup, stored, and shown by the post
page with one chip per tag name and the layout's name out of the way."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from dataclasses import replace

import lxml.html
import pytest

from pipeline.normalize import bounds, structure
from pipeline.normalize.extract import extract
from pipeline.normalize.sources import SOURCES
from pipeline.site.serve import make_datasette
from pipeline.store import open_db, save_post
from tests.conftest import SNAPSHOT, crawl_replay, snapshot_file, stdnews
from tests.site_support import build_site_db, hostile_post

ARTICLE = """<html><body><header><h2>Menu</h2><ul><li>Home</li></ul></header>
<main><article>
<h1>Title of the post</h1>
<p>The first paragraph of a body long enough to be taken as one, with <em>emphasis</em> and a
<a href="/news/other">relative link</a> that the builder makes absolute.</p>
<h2>A subheading</h2>
<ul><li>First item</li><li>Second <strong>item</strong></li></ul>
<ol><li>One</li><li>Two<ul><li>nested</li></ul></li></ol>
<blockquote><p>A quoted sentence.</p></blockquote>
<h3>Smaller heading</h3><h5>Smallest</h5>
<p>Last paragraph.</p>
</article></main><footer><p>Copyright</p></footer></body></html>"""

HOSTILE = """<div><p onclick="steal()">Click <a href="javascript:alert(1)">here</a> or
<a href="JaVaScRiPt:alert(2)" onmouseover="x()">there</a> and
<a href="data:text/html,<script>alert(3)</script>">data</a>.</p>
<script>alert('body')</script><style>p{}</style><iframe src="https://evil.example"></iframe>
<p>Text that reads &lt;script&gt;alert(4)&lt;/script&gt; stays text.</p>
<img src="x" onerror="alert(5)"><svg onload="alert(6)"><text>svg</text></svg>
<h2 style="color:red" class="x" id="y">Heading</h2>
<ul><li><a href="https://example.org/a?b=1&amp;c=2" title="t" target="_blank">ok</a></li></ul>
</div>"""


def build(html: str, base: str = "https://example.org/news/post") -> str:
    return structure.build(lxml.html.fromstring(html), base_url=base)


def tags_of(html: str) -> set[str]:
    return set(re.findall(r"<(\w+)", html))


def test_headings_paragraphs_lists_and_quotes_are_kept():
    html = build(ARTICLE)
    assert "<h2>A subheading</h2>" in html
    assert "<ul><li>First item</li><li>Second <strong>item</strong></li></ul>" in html
    assert "<ol><li>One</li><li>Two<ul><li>nested</li></ul></li></ol>" in html
    assert "<blockquote><p>A quoted sentence.</p></blockquote>" in html
    assert "<h3>Smaller heading</h3>" in html
    assert "<h4>Smallest</h4>" in html
    assert "<h2>Title of the post</h2>" in html  # h1 becomes the top level the page allows
    assert '<a href="https://example.org/news/other">relative link</a>' in html
    assert "<em>emphasis</em>" in html
    assert tags_of(html) <= structure.ALLOWED


def test_hostile_markup_stays_text_or_is_dropped():
    html = build(HOSTILE)
    assert tags_of(html) <= structure.ALLOWED
    assert not re.search(r"on\w+=|javascript:|data:|style=|class=|id=|target=|title=", html, re.I)
    assert "alert('body')" not in html
    assert "svg" not in html
    assert "evil" not in html
    assert "Click here or there and data." in html  # the refused links' words stay
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in html  # text that looks like markup
    assert '<a href="https://example.org/a?b=1&amp;c=2">ok</a>' in html
    assert structure.sanitized(html) == html  # the page's second pass changes nothing built here


def test_markup_nested_as_deep_as_the_parser_goes_gives_no_structure():
    nested = "<em>" * 300 + "deep" + "</em>" * 300
    assert build(f"<div><p>{nested}</p></div>") == ""
    body = "<p>A paragraph of text.</p>" * 20 + nested
    html = f'<html><body><article><div class="entry-content">{body}</div></article></body></html>'
    fields = extract(html, "https://blog.iec.ch/2019/05/a-post/", SOURCES["iec"])
    assert fields.text_source.startswith("site:")  # the text stands, without a structure
    assert fields.body_html is None


def test_stored_markup_is_rebuilt_through_the_allowlist():
    stored = (
        '<p onclick="x()">a<script>alert(1)</script><img src=x onerror=y></p><h2 style="s">h</h2>'
    )
    assert structure.sanitized(stored) == "<p>a</p>\n<h2>h</h2>"
    assert structure.sanitized(None) == ""
    assert structure.sanitized("  ") == ""


def test_the_structure_is_bounded_like_the_text(monkeypatch):
    monkeypatch.setattr(bounds, "MAX_TEXT_CHARS", 50)
    html = build("<div>" + "".join(f"<p>paragraph number {n:03}</p>" for n in range(20)) + "</div>")
    assert html.count("<p>") == 2  # 20 characters each: the third would pass 50


def test_extract_takes_structure_and_text_from_the_same_element():
    url = "https://www.iec.ch/blog/understanding-iec-62443"
    fields = extract(snapshot_file(url).read_text("utf-8"), url, SOURCES["iec"])
    assert fields.text_source.startswith("site:")
    assert "<h2>A series for every stakeholder</h2>" in fields.body_html
    assert fields.body_html.count("<li>") == 4
    built = lxml.html.fragment_fromstring(fields.body_html, create_parent="div")
    assert "".join(built.text_content().split()) == "".join(fields.text.split())


def test_a_post_without_a_page_has_no_structure():
    fields = extract("", "https://www.iec.ch/blog/x", SOURCES["iec"], {"title": "T"})
    assert fields.body_html is None


# --- stored, and shown by the post page --------------------------------------------------------


@pytest.fixture(scope="module")
def site_db(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "site"
    folder.mkdir(exist_ok=True)
    return build_site_db(folder)


def test_the_structure_is_a_stored_column_a_refused_fetch_keeps(tmp_path):
    db = open_db(tmp_path / "news.db")
    post = replace(hostile_post(), body_html="<h2>Kept</h2>\n<p>body</p>")
    save_post(db, post)
    refused = replace(post, text="", body_html=None, text_missing=True, content_hash="1" * 64)
    save_post(db, refused, now="2099-01-01T00:00:00+00:00")
    stored = db.execute("select body_html from posts").fetchall()
    assert stored == [("<h2>Kept</h2>\n<p>body</p>",)]


def test_reprocess_fills_the_structure_of_posts_stored_without_it(tmp_path):
    db_path = tmp_path / "news.db"
    result = crawl_replay(db_path, SNAPSHOT, "iec")
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(db_path)
    built = dict(conn.execute("select id, body_html from posts where body_html is not null"))
    assert sum("<h2>" in html for html in built.values()) >= 3
    conn.execute("update posts set body_html = null")  # as the migration leaves older posts
    conn.commit()
    result = stdnews("reprocess", "--db", str(db_path))
    assert result.returncode == 0, result.stdout + result.stderr
    again = dict(conn.execute("select id, body_html from posts where body_html is not null"))
    conn.close()
    assert again == built


def page(db_path, path: str) -> str:
    ds = make_datasette(db_path)

    async def fetch():
        await ds.invoke_startup()
        return await ds.client.get(path)

    response = asyncio.run(fetch())
    assert response.status_code == 200, response.text[:500]
    return response.text


def post_where(db_path, where: str) -> dict:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    row = conn.execute(f"select * from posts where {where} limit 1").fetchone()
    conn.close()
    return dict(row)


def test_post_page_shows_headings_lists_and_quotes(site_db, tmp_path):
    post = post_where(site_db, "url like '%understanding-iec-62443'")
    body = page(site_db, f"/news/posts/{post['id']}").split('<div class="sn-body">')[1]
    body = body.split("</div>")[0]
    assert "<h2>A series for every stakeholder</h2>" in body
    assert body.count("<li>") == 4
    assert "<ul>" in body
    post = post_where(site_db, "url like '%/iec-and-iso-launch-working-group-advance-functional%'")
    body = page(site_db, f"/news/posts/{post['id']}").split('<div class="sn-body">')[1]
    assert "<blockquote><p>“Functional safety engineers and AI specialists" in body
    assert "<h2>Connecting sector standards</h2>" in body


def test_post_page_rebuilds_stored_markup_safely(site_db, tmp_path):
    db_path = tmp_path / "news.db"
    db_path.write_bytes(site_db.read_bytes())
    post = post_where(db_path, "url like '%understanding-iec-62443'")
    conn = sqlite3.connect(db_path)
    conn.execute(
        "update posts set body_html = ? where id = ?",
        [
            '<blockquote>Said<script>alert(1)</script></blockquote><p onclick="x()">p</p>',
            post["id"],
        ],
    )
    conn.commit()
    conn.close()
    body = page(db_path, f"/news/posts/{post['id']}").split('<div class="sn-body">')[1]
    body = body.split("</div>")[0]
    assert "<blockquote><p>Said</p></blockquote>" in body
    assert "alert(1)" not in body
    assert "onclick" not in body


def test_one_chip_per_topic_and_the_layout_out_of_the_way(site_db):
    post = post_where(site_db, "url = 'https://www.iso.org/contents/news/2021/05/Ref2667.html'")
    html = page(site_db, f"/news/posts/{post['id']}")
    tags = html.split("<dt>Tags</dt>")[1].split("</dd>")[0]
    assert tags.count(">Capacity building</a>") == 1  # a site tag and a topic
    assert "the site&#39;s own tag and a topic" in tags
    kicker = html.split('<p class="sn-kicker">')[1].split("</p>")[0]
    assert post["generation"]
    assert post["generation"] not in kicker
    about = html.split("<summary>About this record</summary>")[1].split("</details>")[0]
    assert post["generation"] in about


def test_a_post_without_structure_shows_its_paragraphs(site_db):
    post = post_where(site_db, "body_html is null and text != ''")
    body = page(site_db, f"/news/posts/{post['id']}").split('<div class="sn-body">')[1]
    body = body.split("</div>")[0]
    assert body.count("<p>") == len([p for p in post["text"].split("\n\n") if p.strip()])
