"""Every layout generation of every source: a saved page and what normalization must find in it.

Pages and expectations live in tests/fixtures/<source>/<generation>/<case>.{html,expected.json};
`make snapshot` writes them from the snapshot's posts (tools/snapshot/), independently of the
extraction code under test.
"""

import json

import pytest

from pipeline.normalize.extract import decode_html
from pipeline.normalize.post import normalize
from pipeline.normalize.sources import SOURCES
from tests.conftest import TESTS

FIXTURES = TESTS / "fixtures"
CASES = sorted(FIXTURES.glob("*/*/*.expected.json"))


def case_id(path):
    return "/".join(path.relative_to(FIXTURES).parts).removesuffix(".expected.json")


@pytest.mark.parametrize(
    ("source", "generation"),
    [(s.id, g.name) for s in SOURCES.values() for g in s.generations],
)
def test_every_generation_has_fixtures(source, generation):
    assert list((FIXTURES / source / generation).glob("*.expected.json")), (
        f"no fixture page for the {generation} generation of {source}"
    )


@pytest.mark.parametrize("expected_file", CASES, ids=[case_id(p) for p in CASES])
def test_generation_page_normalizes_as_expected(expected_file):
    expected = json.loads(expected_file.read_text("utf-8"))
    source, generation = expected_file.parent.parent.name, expected_file.parent.name
    page = expected_file.with_name(expected_file.name.replace(".expected.json", ".html"))
    post = normalize(
        {"source": source, "url": expected["url"], "html": decode_html(page.read_bytes())}
    )
    assert post.generation == generation
    assert post.title == expected["title"]
    assert post.published[: len(expected["published"])] == expected["published"]
    assert post.published_precision == expected["published_precision"]
    assert post.language == expected["language"]
    site_tags = [t["name"] for t in post.tags if t["origin"] == "site"]
    assert site_tags == expected["site_tags"]
    paragraphs = post.text.split("\n\n")
    assert paragraphs[0].startswith(expected["body_starts"])
    assert paragraphs[-1].endswith(expected["body_ends"])
