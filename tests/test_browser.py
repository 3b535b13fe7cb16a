"""The site as an analyst uses it, in a real browser: headless Chromium (the OS package) driven by
Playwright, against `stdnews serve` running as a process on a free loopback port.

Home page, a search, a post, a facet, the dashboard, a feed, and a post whose scraped title and
body carry scripts. Screenshots go to artifacts/ (git-ignored). The browser may only reach
127.0.0.1: any other request is refused and fails the test, so nothing (no chart library) may
come from a CDN. Where Chromium is not installed (`apt-get install chromium`), these tests skip.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest

from pipeline.paths import ROOT
from pipeline.site.serve import ServedSite
from tests.site_support import (
    DUMP_DAY,
    HOSTILE_TITLE,
    HOSTILE_URL,
    build_site_db,
    write_dumps,
)

CHROMIUM = os.environ.get("STDNEWS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"Chromium is not installed ({CHROMIUM}): apt-get install -y chromium",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "site"
    folder.mkdir(exist_ok=True)
    db_path = build_site_db(folder)
    write_dumps(folder / "dumps", db_path)  # where `stdnews serve` looks: beside the database
    served = ServedSite(db_path)
    served.db_path = db_path  # what the pages should count
    yield served
    served.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """A page in a fresh context that records dialogs, page errors and outside requests."""

    def __init__(self, browser, server):
        self.base = server.url
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.dialogs, self.errors, self.outside = [], [], []
        self.page.on(
            "dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss())
        )
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.route("**/*", self.only_loopback)

    def only_loopback(self, route):
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def goto(self, path: str):
        return self.page.goto(self.base + path, wait_until="networkidle")

    def screenshot(self, name: str, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"browser-{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def close(self):
        assert not self.outside, f"requests beyond loopback: {self.outside}"
        assert not self.errors, self.errors
        assert not self.dialogs, f"a script ran: {self.dialogs}"
        self.context.close()


@pytest.fixture
def visit(browser, server):
    opened = Visit(browser, server)
    yield opened
    opened.close()


def test_home_page_offers_search_feeds_and_the_downloads(visit):
    visit.goto("/")
    page = visit.page
    assert page.get_by_label("Search the posts").is_visible()
    downloads = page.locator("#downloads")
    assert f"standards-news-{DUMP_DAY}.db.gz" in downloads.inner_text()
    row = downloads.locator("tr", has_text=f"standards-news-{DUMP_DAY}.db.gz")
    assert row.locator(".sn-size").inner_text().endswith(("KB", "MB"))
    assert len(row.locator(".sn-sha").inner_text()) == 64
    assert page.get_by_role("link", name="Latest posts", exact=True).is_visible()
    visit.screenshot("home", full_page=True)


def test_search_for_a_term_and_open_a_post(visit):
    visit.goto("/")
    page = visit.page
    page.get_by_label("Search the posts").fill("kilogram")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/news/-/search?q=kilogram*")
    page.wait_for_load_state("networkidle")
    results = page.locator("article.sn-card")
    assert results.count() >= 2
    first_title = results.first.locator(".sn-card-title a")
    assert "kilogram" in first_title.inner_text().lower()
    marks = page.locator(".sn-card-snippet mark")
    assert marks.count() >= 2
    assert marks.first.inner_text().lower() == "kilogram"
    visit.screenshot("search")

    title = first_title.inner_text()
    first_title.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1.sn-title").inner_text() == title
    assert (
        page.get_by_role("link", name="Read the original")
        .get_attribute("href")
        .startswith("https://www.bipm.org/")
    )
    assert page.locator(".sn-date").is_visible()
    assert "BIPM" in page.locator(".sn-lists dd").first.inner_text()
    assert page.locator(".sn-body p").count() >= 3
    visit.screenshot("post", full_page=True)


def test_apply_a_facet(visit):
    visit.goto("/news/posts")
    page = visit.page
    facet = page.locator("#facet-organizations")
    assert facet.is_visible()
    facet.get_by_role("link", name="ITU", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "_organization=ITU" in page.url
    heading = page.locator("h3", has_text="mentions organization 'ITU'")
    assert heading.is_visible()
    count = int(heading.inner_text().split()[0])
    assert page.locator("table.rows-and-columns tbody tr").count() == count
    assert page.locator(".sn-active-filters li", has_text="ITU").is_visible()
    for cell in page.locator("td.col-organizations").all():
        assert "ITU" in cell.inner_text()
    visit.screenshot("facet")


def test_dashboard_draws_its_charts(visit, server):
    visit.goto("/-/dashboards/overview")
    page = visit.page
    for chart in ("posts-per-month", "top-organizations", "top-standards"):
        drawn = page.locator(f"#chart-{chart} canvas, #chart-{chart} svg").first
        drawn.wait_for(state="visible", timeout=15_000)
        box = drawn.bounding_box()
        assert box["width"] > 200
        assert box["height"] > 100
        if drawn.evaluate("e => e.tagName") == "CANVAS":  # some pixels are drawn
            painted = drawn.evaluate("""c => {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")
            assert painted > 2000, chart
    with sqlite3.connect(server.db_path) as db:
        (posts,) = db.execute("select count(*) from posts").fetchone()
    assert page.locator("#chart-posts p").inner_text().strip() == str(posts)
    visit.screenshot("dashboard", full_page=True)


def test_subscribe_to_the_feed_of_a_search(visit):
    visit.goto("/news/search?q=metrology")
    page = visit.page
    link = page.get_by_role("link", name="Atom feed of this search")
    href = link.get_attribute("href")
    assert href.startswith("/news/feed_search.atom?q=metrology")
    response = visit.goto(href)  # what a feed reader fetches when the address is pasted in
    assert response.ok
    assert response.headers["content-type"].startswith("application/xml")
    feed = feedparser.parse(response.body())
    assert not feed.bozo
    assert feed.entries
    matching = visit.goto("/news/posts.json?_search=metrology&_size=max&_shape=array&_col=url")
    urls = {row["url"] for row in matching.json()}
    assert {e.link for e in feed.entries} <= urls  # every entry is a post the search matches
    visit.screenshot("feed")


def test_scraped_scripts_and_markup_show_as_text(visit, server):
    visit.goto("/news/posts?" + "url=" + HOSTILE_URL)
    page = visit.page
    page.locator("td.col-title a").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1.sn-title").inner_text() == HOSTILE_TITLE
    body = page.locator(".sn-body").inner_text()
    assert "<script>alert('body')</script>" in body
    assert "<img src=x onerror=alert(1)>" in body
    assert page.locator(".sn-body img, .sn-body script, .sn-body b").count() == 0
    visit.screenshot("hostile-post")
    # visit.close() checks that no dialog opened: no scraped script ran


def test_a_post_keeps_its_headings_and_lists(visit, server):
    conn = sqlite3.connect(server.db_path)
    (post_id,) = conn.execute(
        "select id from posts where url like '%/understanding-iec-62443'"
    ).fetchone()
    conn.close()
    visit.goto(f"/news/posts/{post_id}")
    page = visit.page
    body = page.locator(".sn-body")
    assert body.locator("h2").first.inner_text() == "A series for every stakeholder"
    assert body.locator("ul > li").count() == 4
    assert body.locator("ul").first.evaluate("e => getComputedStyle(e).listStyleType") == "disc"
    assert "page" not in page.locator(".sn-kicker").inner_text()  # no layout jargon up top
    about = page.locator("details.sn-about")
    assert not about.evaluate("e => e.open")
    assert body.locator("li").first.bounding_box()["x"] > body.bounding_box()["x"]  # indented
    about.locator("summary").click()
    assert "Page layout" in about.inner_text()
    visit.screenshot("post-structure", full_page=True)


def test_the_reading_list_from_the_home_page(visit):
    visit.goto("/")
    page = visit.page
    page.get_by_role("link", name="Reading list").first.click()
    page.wait_for_url("**/news/-/read")
    page.wait_for_load_state("networkidle")
    assert page.locator("article.sn-card").count() == 20
    headings = page.locator(".sn-facets h2").all_inner_texts()
    assert headings[:3] == ["Source", "Language", "Year"]
    first = page.locator("article.sn-card").first
    assert first.locator("time").is_visible()
    assert first.locator(".sn-chip").count() >= 1
    assert page.get_by_role("link", name="Subscribe (Atom feed)").is_visible()
    assert page.locator(".sn-results").bounding_box()["y"] < 400  # the posts start near the top
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # no sideways scroll
    visit.screenshot("reading-list", full_page=True)
    page.get_by_role("link", name="Older →").click()
    page.wait_for_load_state("networkidle")
    assert "page=2" in page.url


def test_a_filtered_reading_list(visit):
    visit.goto("/news/-/read")
    page = visit.page
    page.get_by_label("Source").select_option("iso")
    page.get_by_label("From").fill("2020")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state("networkidle")
    assert "source=iso" in page.url
    assert "date_from=2020" in page.url
    sources = page.locator(".sn-card-source").all_inner_texts()
    assert sources
    assert len(set(sources)) == 1
    years = [
        int(t[:4])
        for t in page.locator(".sn-card time").evaluate_all(
            "ts => ts.map(t => t.getAttribute('datetime'))"
        )
    ]
    assert min(years) >= 2020
    facet = page.locator("#facet-source li.sn-selected")
    assert "iso" in facet.inner_text()
    visit.screenshot("reading-list-filtered", full_page=True)


def test_a_search_with_a_bad_date_says_so(visit):
    visit.goto("/news/-/search?q=kilogram")
    page = visit.page
    assert page.locator(".sn-card-snippet mark").count() >= 2
    assert page.get_by_text("Run SQL").count() == 0
    page.get_by_label("From").fill("2021-13-45")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state("networkidle")
    alert = page.get_by_role("alert")
    assert alert.is_visible()
    assert "“2021-13-45” is not a date" in alert.inner_text()
    assert page.locator("article.sn-card").count() == 0
    assert page.get_by_label("Search words").input_value() == "kilogram"  # the form keeps it
    visit.screenshot("search-bad-date")


def test_a_feed_opened_in_the_browser_reads_as_a_page(visit):
    response = visit.goto("/news/feed_source.atom?source=bipm")
    assert response.headers["content-type"].startswith("application/xml")  # still the feed
    page = visit.page
    title = page.locator("xpath=/*[local-name()='feed']/*[local-name()='title']")
    assert title.text_content() == "BIPM posts"
    assert title.evaluate("e => getComputedStyle(e).display") == "block"  # feed.css applied
    entries = page.locator("xpath=//*[local-name()='entry']")
    assert entries.count() >= 5
    assert page.locator("xpath=//*[local-name()='content']").first.is_hidden()  # no repeat
    first = entries.first
    assert first.locator("xpath=*[local-name()='title']").is_visible()
    assert "BIPM \u00b7 " in first.text_content()  # source and date above the first lines
    links = page.get_by_role("link", name="Read on standards-news")
    assert links.count() == entries.count()
    assert page.get_by_role("link", name="open the list").is_visible()
    visit.screenshot("feed-in-browser")  # (a full-page capture of an XML document hangs)
    headline = first.locator("xpath=*[local-name()='title']").text_content()
    links.first.click()  # a working link to the post page
    page.wait_for_load_state("networkidle")
    assert page.locator("h1.sn-title").inner_text() == headline
