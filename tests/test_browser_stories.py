"""Stories across publishers as an analyst meets them, in a real browser (headless Chromium, the
OS package, driven by Playwright) against `stdnews serve` of the crawled snapshot: from the
home page to the stories page, from a story to one publisher's post, and from there to the other
publisher's version; the feed of new joint stories. Skips where Chromium is not installed."""

from __future__ import annotations

import json
from urllib.request import urlopen

import feedparser
import pytest

from pipeline.paths import GOLD
from pipeline.site.serve import ServedSite
from tests import test_browser
from tests.site_support import build_site_db

# The browser and a visit of one page, as the site's own browser tests have them (over the
# server fixture below); Chromium missing skips this module as it skips those.
browser, visit = test_browser.browser, test_browser.visit

STORIES = json.loads((GOLD / "stories.json").read_text("utf-8"))["clusters"]
QUANTUM_IEC = "IEC and ISO establish a joint technical committee for quantum technologies"
QUANTUM_ISO = "Quantum leap: ISO and IEC create joint committee on quantum technologies"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stories-site")
    served = ServedSite(build_site_db(folder))
    yield served
    served.stop()


def test_from_the_stories_page_to_a_post_and_the_other_publishers_version(visit):
    visit.goto("/")
    page = visit.page
    page.get_by_role("link", name="Stories across publishers", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/news/-/stories")
    stories = page.locator("section.sn-story")
    assert stories.count() == len(STORIES)
    quantum = stories.filter(has_text=QUANTUM_IEC)
    assert "told by IEC, ISO" in quantum.locator(".sn-meta").inner_text()
    visit.screenshot("stories")
    quantum.locator("a.sn-story-post", has_text=QUANTUM_IEC).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1.sn-title").inner_text() == QUANTUM_IEC
    other = page.locator("dd.sn-joint").get_by_role("link", name=f"ISO: {QUANTUM_ISO}")
    assert other.is_visible()
    assert "confidence" in page.locator("dd.sn-joint").inner_text()
    visit.screenshot("story-post")
    other.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1.sn-title").inner_text() == QUANTUM_ISO
    assert page.locator("dd.sn-joint").get_by_role("link", name=f"IEC: {QUANTUM_IEC}").is_visible()


def test_a_story_in_two_languages_lists_every_version(visit):
    visit.goto("/news/-/stories")
    guide = visit.page.locator("section.sn-story").filter(has_text="standards in regulation")
    languages = guide.locator("a.sn-story-post").evaluate_all("links => links.map(a => a.lang)")
    assert sorted(languages) == ["en", "en", "fr", "fr"]


def test_the_feed_of_new_joint_stories(server):
    with urlopen(server.url + "/news/feed_joint_stories.atom", timeout=30) as answer:
        feed = feedparser.parse(answer.read())
    assert feed.feed.title == "standards-news - new stories across publishers"
    assert len(feed.entries) == len(STORIES)
    quantum = next(e for e in feed.entries if e.title == QUANTUM_IEC)
    assert "Told by IEC, ISO" in quantum.content[0].value
    assert {link.rel for link in quantum.links} == {"alternate", "related"}
