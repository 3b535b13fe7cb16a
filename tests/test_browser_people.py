"""People with roles in a real browser (headless Chromium, the OS package, as test_browser.py):
open a post, follow a person it names, see their role and their posts; facet the posts by a
person. Skips where Chromium or Playwright is not installed (test_browser.py says how)."""

from __future__ import annotations

import re

import pytest

from pipeline.site.serve import ServedSite
from tests.site_support import build_site_db
from tests.test_browser import CHROMIUM, LAUNCH_ARGS, Visit, sync_api

# A BIPM post naming two people, each with a role (data/snapshot).
POST_URL = "https://www.bipm.org/en/news/full-stories/2020-05-wmd-2020.html"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "site-people"
    folder.mkdir(exist_ok=True)
    served = ServedSite(build_site_db(folder))
    yield served
    served.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def visit(browser, server):
    opened = Visit(browser, server)
    yield opened
    opened.close()


def test_open_a_post_follow_a_person_see_their_role_and_posts(visit):
    visit.goto(f"/news/posts?url={POST_URL}")
    page = visit.page
    page.locator("td.col-title a").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1.sn-title").inner_text() == "World Metrology Day 2020"
    people = page.locator(".sn-people")
    assert re.search(r"Martin Milton\s*\(Director, BIPM\)", people.inner_text())
    assert re.search(r"Anthony Donnellan\s*\(Director, BIML\)", people.inner_text())
    visit.screenshot("post-people")

    people.get_by_role("link", name="Martin Milton").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1.sn-title").inner_text() == "Martin Milton"
    assert page.locator(".sn-current-role").inner_text().startswith("Director, BIPM")
    roles = page.locator("table.sn-roles tbody tr")
    assert roles.count() == 1
    assert roles.first.locator("td").nth(0).inner_text() == "Director"
    posts = page.locator("ol.sn-person-posts > li")
    assert posts.count() == 2  # the World Metrology Day post and the OECD webinar
    titles = [posts.nth(i).locator("a").first.inner_text() for i in range(posts.count())]
    assert "World Metrology Day 2020" in titles
    evidence = posts.locator(".sn-evidence")
    assert all("Martin Milton" in evidence.nth(i).inner_text() for i in range(evidence.count()))
    visit.screenshot("person", full_page=True)

    posts.get_by_role("link", name="World Metrology Day 2020").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1.sn-title").inner_text() == "World Metrology Day 2020"


def test_facet_the_posts_by_a_person(visit):
    visit.goto("/news/posts")
    page = visit.page
    facet = page.locator(".facet-info[data-column='people']")
    link = facet.get_by_role("link", name="Mathias Cormann")
    count = int(link.locator("xpath=..").inner_text().split()[-1])
    assert count >= 4
    link.click()
    page.wait_for_load_state("networkidle")
    assert "_person=Mathias+Cormann" in page.url
    assert page.locator("table.rows-and-columns tbody tr").count() == count
    assert "names person 'Mathias Cormann'" in page.content()
