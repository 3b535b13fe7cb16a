"""Bylines (normalize/bylines.py): each markup the extractor knows, the labelled set above its
floors, and the crawl of the snapshot storing post_authors with provenance, recomputed by
`stdnews reprocess`, shown on the post page."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from pipeline.normalize import bylines, evaluate
from pipeline.normalize.extract import decode_html, parse_html
from pipeline.normalize.post import normalize
from pipeline.paths import GOLD
from tests.conftest import crawled_snapshot, stdnews

FIXTURES = Path(__file__).parent / "fixtures" / "bylines"
LABELS = {
    label["name"]: label for label in json.loads((GOLD / "bylines.json").read_text())["pages"]
}


def fixture_authors(name: str, hints: dict | None = None) -> list[tuple[str, str, str]]:
    """(name, kind, provenance) of each author normalize() finds on a fixture page."""
    html = decode_html((FIXTURES / f"{name}.html").read_bytes())
    post = normalize({"url": LABELS[name]["url"], "html": html, "hints": hints or {}})
    return [(a["name"], a["kind"], a["provenance"]) for a in post.authors]


# --- one markup at a time ----------------------------------------------------------------------


def test_a_wordpress_vcard_is_the_author_not_a_commenter_or_a_sidebar_name():
    assert fixture_authors("wordpress-vcard") == [
        ("Magdalena Kowalska", "person", "markup:wordpress-vcard")
    ]


def test_json_ld_people_are_the_authors_not_the_publisher_of_the_meta_tag():
    assert fixture_authors("json-ld-person") == [
        ("Hélène Marchand", "person", "markup:json-ld"),
        ("Kenji Sato", "person", "markup:json-ld"),
    ]


def test_json_ld_authors_are_the_article_objects_not_another_objects():
    graph = [
        {"@type": "CollectionPage", "author": {"@type": "Person", "name": "Paulo Reis"}},
        {"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Ana Lima"}]},
    ]
    html = f'<html><head><script type="application/ld+json">{json.dumps(graph)}</script>'
    found = bylines.authors(html + "</head><body><p>Text.</p></body></html>")
    assert [(a["name"], a["provenance"]) for a in found] == [("Ana Lima", "markup:json-ld")]


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<a rel="author" href="/people/rc">Rui Costa</a>', ("Rui Costa", "markup:rel-author")),
        (
            '<span itemprop="author" itemscope><span itemprop="name">Tomás García</span>'
            "<span itemprop='jobTitle'>Editor</span></span>",
            ("Tomás García", "markup:itemprop-author"),
        ),
        ('<p class="article-author">Written by Aiko Tanaka</p>', ("Aiko Tanaka", "markup:byline")),
    ],
)
def test_rel_itemprop_and_class_bylines(markup, expected):
    found = bylines.authors(f"<html><body><h1>T</h1><p>Text.</p>{markup}</body></html>")
    assert [(a["name"], a["provenance"]) for a in found] == [expected]


def test_a_joint_drupal_credit_is_split_into_a_team_and_a_person():
    assert fixture_authors("drupal-joint-credit") == [
        ("IEC Editor Team", "team", "markup:drupal-field-author"),
        ("Antoinette Price", "person", "markup:drupal-field-author"),
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("signature-en", [("Ann Kowalczyk", "person", "text:signature")]),
        (
            "signature-fr",
            [
                ("Jeanne Moreau-Vidal", "person", "text:signature"),
                ("Luc Bernard", "person", "text:signature"),
            ],
        ),
    ],
)
def test_a_signature_line_of_the_body_in_english_or_french(name, expected):
    """'By Ann Kowalczyk' opens the body; 'By 2030, ...' and 'By contrast, ...' are sentences."""
    assert fixture_authors(name) == expected


def test_a_dated_byline_keeps_the_names_and_a_photo_credit_is_no_author():
    assert fixture_authors("byline-with-date") == [
        ("Grace Okafor", "person", "markup:byline"),
        ("Tomás García", "person", "markup:byline"),
    ]


def test_an_organization_credited_by_a_meta_tag_is_marked_as_one():
    assert fixture_authors("meta-organization") == [
        ("International Organization for Standardization", "organization", "markup:meta-author")
    ]


@pytest.mark.parametrize(
    ("name", "wrong"),
    [("contact-trap", "Pierre Lambert"), ("photo-credit-trap", "Sofia Lindqvist")],
)
def test_trafilaturas_wrong_guess_is_refused(name, wrong):
    """trafilatura takes the press contact or the photographer for the author; we do not."""
    html = (FIXTURES / f"{name}.html").read_text("utf-8")
    assert wrong in (bylines.generic_author(parse_html(html)) or "")
    assert fixture_authors(name) == []


def test_trafilaturas_guess_is_kept_where_it_holds_up():
    html = "<html><body><h1>T</h1><p>x</p><div class='post-author-name'>Ines Duarte</div></body>"
    found = bylines.authors(html)
    assert [(a["name"], a["kind"], a["provenance"]) for a in found] == [
        ("Ines Duarte", "person", "trafilatura")
    ]


def test_the_api_records_authors_when_the_page_has_none():
    found = fixture_authors("contact-trap", {"authors": ["OECD Media Office"]})
    assert found == [("OECD Media Office", "team", "api:authors")]


@pytest.mark.parametrize(
    ("credit", "expected"),
    [
        ("By Jane Doe and John Roe", [("Jane Doe", "person"), ("John Roe", "person")]),
        (
            "Par Jeanne Martin et Luc Bernard",
            [("Jeanne Martin", "person"), ("Luc Bernard", "person")],
        ),
        ("By Clare Naden, ISO", [("Clare Naden", "person")]),
        ("Research and Development Office", [("Research and Development Office", "team")]),
        ("Ursula von der Leyen", [("Ursula von der Leyen", "person")]),
        ("Contact: press office", []),
        ("By contrast, ISO and IEC agreed", []),
        ("Share on Twitter", []),
        ("ISO", [("ISO", "organization")]),
        ("By Dr Jane Smith and Prof. Ian Roe", [("Jane Smith", "person"), ("Ian Roe", "person")]),
        ("Mme Claire Dubois", [("Claire Dubois", "person")]),
        ("Agency XYZ Ltd", []),
    ],
)
def test_credits_split_into_people_teams_and_organizations(credit, expected):
    found = bylines._credits([credit], "x")
    assert [(a["name"], a["kind"]) for a in found] == expected


# --- the labelled set --------------------------------------------------------------------------


def test_the_labelled_bylines_are_above_their_floors():
    score = evaluate.score_bylines(GOLD)
    floors = json.loads((GOLD / "floors.json").read_text())
    values = evaluate.figures({"bylines": score})
    assert score.total >= 90
    assert not evaluate.below_floors(
        values, {k: v for k, v in floors.items() if k.startswith("bylines_")}
    ), score.errors


# --- the crawl, the store, reprocessing, the page ----------------------------------------------


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Path:
    return crawled_snapshot(tmp_path_factory.mktemp("bylines"))


def query(db_path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(db_path)) as conn:
        return conn.execute(sql).fetchall()


def test_the_crawl_stores_each_posts_authors_with_provenance(crawled):
    stored = {
        url: (name, kind, provenance)
        for url, name, kind, provenance in query(
            crawled,
            "select p.url, a.name, a.kind, a.provenance from post_authors a"
            " join posts p on p.id = a.post_id where a.position = 0",
        )
    }
    expected = {
        label["url"]: (label["authors"][0]["name"], label["authors"][0]["kind"])
        for label in LABELS.values()
        if "page" in label and label["authors"]
    }
    assert {url: found[:2] for url, found in stored.items() if url in expected} == expected
    provenances = {found[2] for found in stored.values()}
    assert {"markup:drupal-field-author", "markup:wordpress-vcard", "markup:byline"} <= provenances
    assert "api:authors" in provenances
    # The OECD page refused with a 403 keeps the API record's authors.
    (refused,) = query(
        crawled,
        "select p.byline, a.provenance from posts p join post_authors a on a.post_id = p.id"
        " where p.fetched_via = 'api' and p.source = 'oecd'",
    )
    assert refused == ("OECD Media Office", "api:authors")
    assert query(crawled, "select count(*) from posts where byline = 'Clare Naden'")[0][0] >= 5


def test_reprocess_recomputes_the_authors(crawled, tmp_path):
    db_path = tmp_path / "news.db"
    for suffix in ("", "-raw"):
        source = crawled.with_name(f"news{suffix}.db")
        with (
            closing(sqlite3.connect(source)) as src,
            closing(sqlite3.connect(db_path.with_name(f"news{suffix}.db"))) as dst,
        ):
            src.backup(dst)
    before = query(db_path, "select post_id, position, name, kind, provenance from post_authors")
    with closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("delete from post_authors")
        conn.execute("update posts set byline = null")
    result = stdnews("reprocess", "--db", str(db_path))
    assert result.returncode == 0, result.stdout + result.stderr
    after = query(db_path, "select post_id, position, name, kind, provenance from post_authors")
    assert after
    assert sorted(after) == sorted(before)
    assert query(db_path, "select count(*) from posts where byline is not null")[0][0] == len(
        {row[0] for row in after}
    )


def served(db_path: Path, path: str):
    from pipeline.site.serve import make_datasette

    ds = make_datasette(db_path)

    async def fetch():
        await ds.invoke_startup()
        return await ds.client.get(path)

    return asyncio.run(fetch())


def test_the_post_page_shows_the_byline(crawled):
    (post_id,) = query(
        crawled, "select id from posts where url like '%blog.iec.ch/2019/03/what-it-takes%'"
    )[0]
    page = served(crawled, f"/news/posts/{post_id}").text
    assert (
        'class="sn-byline">By <a href="/news/posts?byline__contains=Catherine%20Bischofberger"'
        in (page)
    )
    assert "read from markup:wordpress-vcard" in page


def test_the_posts_table_facets_by_byline(crawled):
    facets = served(crawled, "/news/posts.json?_size=0").json()["facet_results"]
    counts = {v["value"]: v["count"] for v in facets["byline"]["results"]}
    stored = dict(query(crawled, "select byline, count(*) from posts group by 1"))
    assert counts["Clare Naden"] == stored["Clare Naden"] >= 5
    assert counts["IEC Editor Team"] == stored["IEC Editor Team"]
