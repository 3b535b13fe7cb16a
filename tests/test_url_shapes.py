"""Every URL shape ISO's pages have used for one post canonicalizes to that post's one URL; hubs,
listings and ajax fragments are never articles."""

import pytest

from pipeline.normalize.sources import SOURCES
from pipeline.normalize.urls import canonical_url

ISO = SOURCES["iso"]
CANONICAL = "https://www.iso.org/contents/news/2025/11/ISO22372.html"


@pytest.mark.parametrize(
    "url",
    [
        CANONICAL,
        "https://www.iso.org/news/2025/11/ISO22372",  # the vanity form, no .html
        "https://www.iso.org/news/2025/11/ISO22372.html",
        "https://www.iso.org/cms/live/live/en/sites/isoorg/contents/news/2025/11/ISO22372.html",
        "https://www.iso.org/cms/render/live/en/sites/isoorg/contents/news/2025/11/ISO22372.html",
        "https://www.iso.org/cms/live/live/en/sites/isoorg/news/2025/11/ISO22372",
        "https://dgn.isolutions.iso.org/es/sites/isoorg/contents/news/2025/11/ISO22372.html",
        "http://iso.org/news/2025/11/ISO22372?utm_source=newsletter#share",
        "https://WWW.ISO.ORG./contents/news/2025/11/ISO22372.html",
    ],
)
def test_every_english_shape_is_one_post(url):
    assert canonical_url(url) == CANONICAL
    assert ISO.is_article(canonical_url(url))


@pytest.mark.parametrize("language", ["fr", "ru", "es"])
def test_every_translated_shape_is_one_post(language):
    expected = f"https://www.iso.org/{language}/contents/news/2025/11/ISO22372.html"
    shapes = [
        expected,
        f"https://www.iso.org/{language}/news/2025/11/ISO22372",
        f"https://www.iso.org/cms/live/live/{language}/sites/isoorg/contents/news/2025/11/ISO22372.html",
        f"https://www.iso.org/cms/render/live/{language}/sites/isoorg/contents/news/2025/11/ISO22372.html",
    ]
    assert {canonical_url(url) for url in shapes} == {expected}
    assert ISO.is_article(expected)


def test_slugs_keep_their_case_and_underscores():
    url = "https://www.iso.org/news/2024/10/2025-international-AI-Standards_Summit"
    assert canonical_url(url) == (
        "https://www.iso.org/contents/news/2024/10/2025-international-AI-Standards_Summit.html"
    )


def test_older_shapes_still_work():
    assert canonical_url("https://www.iso.org/news/2016/04/Ref2072.html") == (
        "https://www.iso.org/contents/news/2016/04/Ref2072.html"
    )
    assert ISO.is_article(canonical_url("https://www.iso.org/news/ref2616.html"))
    assert ISO.is_article(canonical_url("https://www.iso.org/fr/news/2007/09/Ref1070.html"))


@pytest.mark.parametrize(
    "url",
    [
        "https://www.iso.org/insights/standards-world",
        "https://www.iso.org/fr/home/insights-news/news/standards-world.html",
        "https://www.iso.org/cms/live/live/es/sites/isoorg/home/insights-news/news/standards-world.html",
        "https://www.iso.org/news.html",
        "https://www.iso.org/ru/news.html",
        "https://www.iso.org/contents/news.rss",
        "https://www.iso.org/cms/render/live/en/sites/isoorg/home/insights-news/news/standards-world/"
        "pagecontent/section-latest-news/section-latest-news/latest-news.html.ajax?nb-x=8&offset-x=3",
        "https://www.iso.org/news/2025/11/",
    ],
)
def test_hubs_listings_and_fragments_are_not_articles(url):
    assert not ISO.is_article(canonical_url(url))


def test_a_url_month_is_never_a_day():
    """ISO's URL month is the node's, not the publication's: a URL gives a month at most."""
    from pipeline.normalize import dates

    found = dates.from_url(CANONICAL)
    assert (found.value, found.precision) == ("2025-11", "month")
    assert dates.from_url("https://www.iso.org/news/2025/11/ISO22372").precision == "month"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.iso.org/news/ClimateGuides",  # undated vanity URLs the hub linked in 2024
        "https://www.iso.org/news/am23/closing-session-highlights",  # campaign folders
        "https://www.iso.org/news/cop28/standards-for-climate-action",
        "https://www.iso.org/news/awards/Standards_Leadership_2023",
        "https://www.iso.org/ref2770.html",  # root-level Ref page
        "https://www.iso.org/news/ref2616.html",
        "https://www.iso.org/fr/news/ObjectifsDD",
    ],
)
def test_undated_vanity_urls_are_articles_under_their_own_address(url):
    """The site redirects them to the node (the post takes the final address); they are not
    rewritten, so one that answers without redirecting still becomes a post."""
    assert canonical_url(url) == url
    assert ISO.is_article(url)
    assert ISO.generation(url).name == "jahia"


def test_committee_site_links_are_the_www_node():
    url = (
        "https://committee.iso.org/cms/live/live/en/sites/isoorg/contents/news/2024/05/Ref2770.html"
    )
    assert canonical_url(url) == "https://www.iso.org/contents/news/2024/05/Ref2770.html"
    french = url.replace("/live/en/", "/live/fr/")
    assert canonical_url(french) == "https://www.iso.org/fr/contents/news/2024/05/Ref2770.html"


@pytest.mark.parametrize(
    "url",
    [
        # A news node's related-standard child, also under committee.iso.org.
        "https://www.iso.org/contents/news/2024/05/Ref2770/metadataStore/standard-reference-1@/"
        "12345.html",
        "https://committee.iso.org/cms/live/live/en/sites/isoorg/contents/news/2024/05/Ref2770/"
        "metadataStore/standard-reference-1@/12345.html",
        "https://www.iso.org/news/am23/",  # a campaign folder's index
    ],
)
def test_children_and_folders_are_not_articles(url):
    assert not ISO.is_article(canonical_url(url))
