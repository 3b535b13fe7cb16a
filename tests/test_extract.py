"""The three seed posts: correct titles, and bodies free of navigation, footers and sidebars."""

import lxml.html
import pytest

from pipeline.normalize.extract import decode_html, extract
from pipeline.normalize.sources import SOURCES
from tests.conftest import TESTS, snapshot_file

SEEDS = TESTS / "fixtures" / "seeds"

# (source, url, title, first body line in the seed, line after the body in the seed)
CASES = [
    (
        "iec",
        "https://www.iec.ch/blog/iec-launches-its-first-virtual-general-meeting",
        "IEC launches its first virtual General Meeting",
        "Over 400 participants",
        "Recents Posts",
    ),
    (
        "bipm",
        "https://www.bipm.org/en/news/full-stories/2020-09-oecd-io-meeting.html",
        'OECD Webinar: "International Organisations and their Members Facing the Global Crisis '
        'Together"',
        "Dr Martin Milton",
        "Select a topic:",
    ),
    (
        "iso",
        "https://www.iso.org/contents/news/2021/05/Ref2667.html",
        "ISO’s Action Plan for developing countries 2021-2025",
        "Around 75 %",
        "Press contact",
    ),
]
CHROME = [
    "Recents Posts",
    "Blog digest",
    "Sign up to receive",
    "Select a topic:",
    "Search facility",
    "Site map",
    "Press contact",
    "press@iso.org",
    "Journalist, blogger or editor?",
    "Share on",
    "Published on",
    "News & blogs",
    "Cookies",
    "cookies",
    "Copyright",
]


def seed_paragraphs(source: str, first_line: str, end_line: str) -> list[str]:
    lines = [" ".join(line.split()) for line in (SEEDS / f"{source}.txt").read_text().splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith(first_line))
    end = lines.index(end_line)
    return [line for line in lines[start:end] if line]


@pytest.mark.parametrize(
    ("source", "url", "title", "first", "end"), CASES, ids=[c[0] for c in CASES]
)
def test_seed_post_body_is_the_story_only(source, url, title, first, end):
    html = decode_html(snapshot_file(url).read_bytes())
    fields = extract(html, url, SOURCES[source])
    assert fields.title == title
    paragraphs = fields.text.split("\n\n")
    assert paragraphs == seed_paragraphs(source, first, end)
    for chrome in CHROME:
        assert chrome not in fields.text
        assert chrome not in fields.body_html  # the structure comes from the same element
    assert fields.text_source.startswith("site:")
    structure = lxml.html.fragment_fromstring(fields.body_html, create_parent="div")
    assert "".join(structure.text_content().split()) == "".join(fields.text.split())


def test_generic_fallback_when_no_site_selector_matches():
    url = "https://www.iec.ch/blog/iec-launches-its-first-virtual-general-meeting"
    html = snapshot_file(url).read_text().replace("blog-article-description", "renamed-body")
    fields = extract(html, url, SOURCES["iec"])
    assert fields.text_source == "trafilatura"
    assert fields.body_html is None  # the page shows trafilatura's paragraphs
    assert "Over 400 participants" in fields.text
    assert "Sign up to receive" not in fields.text


def test_title_falls_back_to_og_title_without_suffix():
    html = "<html><head><title>Something | IEC</title></head><body><p>x</p></body></html>"
    assert extract(html, "https://www.iec.ch/blog/x", SOURCES["iec"]).title == "Something"


def test_unreadable_page_keeps_discovery_hints():
    fields = extract(
        "",
        "https://www.oecd.org/en/about/news/press-releases/2024/05/x.html",
        SOURCES["oecd"],
        {"title": "A title", "published": "2024-05-03T10:00:00Z", "via": "api", "tags": ["Tax"]},
    )
    assert (fields.title, fields.text) == ("A title", "")
    # The API's instant as OECD's day and time in Paris (see pipeline/normalize/dates.py).
    assert fields.published.value == "2024-05-03T12:00:00+02:00"
    assert fields.published.source == "api"
    assert fields.site_tags == ["Tax"]


def test_decode_html_uses_declared_charset():
    body = '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><p>Sèvres'
    assert decode_html(body.encode("iso-8859-1")).endswith("Sèvres")
    assert decode_html("<p>Sèvres".encode()).endswith("Sèvres")
    # As browsers read it: ISO-8859-1 is windows-1252, whose quotes old pages are full of.
    quoted = body.encode("iso-8859-1") + b" \x93BIPM\x92s\x94 \x96 \x80\x85 \x81"
    assert decode_html(quoted).endswith("Sèvres “BIPM’s” – €… \x81")


def test_control_characters_in_a_body_read_as_windows_1252():
    paragraph = "The BIPM\x92s Director \x93quoted\x94 \x96 said\x85 " + "and more. " * 15
    html = f"""<html><body><article><h1 class="entry-title">A post</h1>
      <div class="entry-content"><p>{paragraph}</p></div></article></body></html>"""
    fields = extract(html, "https://blog.iec.ch/2019/05/a-post/", SOURCES["iec"])
    assert fields.text.startswith("The BIPM’s Director “quoted” – said… and more.")
    assert fields.body_html.startswith("<p>The BIPM’s Director “quoted” – said… and more.")


def test_iso_related_standards_aside_is_kept():
    from pipeline.normalize.post import normalize

    url = "https://www.iso.org/contents/news/2021/05/Ref2667.html"
    post = normalize({"source": "iso", "url": url, "html": snapshot_file(url).read_text()})
    assert post.related_standards == ["ISO 9001:2015", "ISO 14001:2015"]
    assert "ISO 9001" not in post.text  # only in the aside


def test_generic_signals_fill_in_and_say_so():
    html = (
        """<html lang="en"><head><meta property="og:title" content="A new body | IEC">
    <script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
     "datePublished": "2023-04-05T09:30:00+02:00"}</script></head>
    <body><div class="redesigned"><p>"""
        + "The IEC met. " * 30
        + """</p></div></body></html>"""
    )
    fields = extract(html, "https://www.iec.ch/blog/a-new-body", SOURCES["iec"])
    assert (fields.title, fields.title_source) == ("A new body", "og:title")
    assert (fields.published.value, fields.published.source) == (
        "2023-04-05T09:30:00+02:00",
        "json-ld",
    )
    assert fields.text_source == "trafilatura"
    assert fields.generation == "drupal"  # by its URL, although its markup changed


def test_body_reads_around_unwanted_elements_keeping_the_text_after_them():
    html = """<html><body><article><h1 class="entry-title">A post</h1><div class="entry-content">
      <p>First <script>var x = 1;</script>paragraph, <span class="sharedaddy">Share</span>still
      first.</p><nav><a href="/">Home</a></nav>Text after the menu.
      <div class="jp-relatedposts"><p>Related</p></div><p>Last paragraph of the story, long enough
      to count as a body rather than a selector that missed its target.</p>
    </div></article></body></html>"""
    fields = extract(html, "https://blog.iec.ch/2019/05/a-post/", SOURCES["iec"])
    assert fields.text_source == "site:article .entry-content"
    assert fields.text.split("\n\n") == [
        "First paragraph, still first.",
        "Text after the menu.",
        "Last paragraph of the story, long enough to count as a body rather than a selector that "
        "missed its target.",
    ]


@pytest.mark.parametrize(
    "css",
    [
        ".a p",
        "#main .b",
        "p.b:not(.c)",
        "p:not(.missing)",
        ".missing, p.b",
        "#missing p",
        ".a .missing",
        "div.a > p + p",
        "p.c",
        "[id=main] p",
    ],
)
def test_select_skips_only_selectors_that_cannot_match(css):
    from lxml.cssselect import CSSSelector

    from pipeline.normalize.extract import Page, parse_html

    tree = parse_html('<div id="main" class="a x"><p class="b">1</p><p class="b c">2</p></div>')
    page, inner = Page(tree), tree[0]
    for within in (None, inner):
        expected = CSSSelector(css)(tree if within is None else within)
        assert [el.text for el in page.select(css, within)] == [el.text for el in expected]


def test_a_selector_needs_the_classes_and_ids_it_names_outside_not():
    from pipeline.normalize.extract import Page, _needs, parse_html

    assert _needs(".a .b > p.c, #main :not(.d)") == (
        (frozenset({"a", "b", "c"}), frozenset()),
        (frozenset(), frozenset({"main"})),
    )
    page = Page(parse_html('<div id="main" class="a b"><p class="c">1</p></div>'))
    assert page.names == (frozenset({"a", "b", "c"}), frozenset({"main"}))
