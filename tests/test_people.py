"""People with their roles: the extractor on the labelled set (tests/gold/people/), the hard
cases one by one, one person across posts with roles over time in a real SQLite file, the
snapshot crawled by the real Scrapy engine, and `stdnews reprocess` recomputing both tables."""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3

import pytest

from pipeline.normalize import evaluate, people
from pipeline.normalize.types import Post
from pipeline.paths import GOLD
from pipeline.store import save_post
from tests.conftest import crawled_snapshot, stdnews


def found(text: str, language: str = "en") -> set[tuple]:
    return {
        (m["name"], m["role"], m["organization"] or m["committee"])
        for m in people.find("", text, language)
    }


def test_the_labelled_set_is_above_its_floors():
    floors = json.loads((GOLD / "floors.json").read_text("utf-8"))
    score = evaluate.score_people(GOLD)
    assert score.tp + score.fn >= 60, "at least 60 labelled mentions"
    assert score.precision >= floors["people_precision"] >= 0.95, score.errors
    assert score.recall >= floors["people_recall"], score.errors


def test_the_labelled_set_covers_the_four_sources_in_english_and_french():
    covered = {
        (passage["source"], passage["language"])
        for _, passage, _ in evaluate.people_found(GOLD)
        if passage["people"]
    }
    assert {(s, lang) for s in ("iec", "bipm", "iso", "oecd") for lang in ("en", "fr")} <= covered


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (
            "The message from Dr Martin Milton, Director of the BIPM, and Anthony Donnellan, "
            "Director of the BIML, is online.",
            "en",
            {("Martin Milton", "Director", "bipm"), ("Anthony Donnellan", "Director", "biml")},
        ),
        (
            "“Standards help,” said ISO Secretary-General Sergio Mujica.",
            "en",
            {("Sergio Mujica", "Secretary-General", "iso")},
        ),
        (
            "According to IEC President Dr Yinbiao Shu, the IEC is strong.",
            "en",
            {("Yinbiao Shu", "President", "iec")},
        ),
        (
            "“It works,” said Gary Sullivan, Chair of ISO/IEC JTC 1/SC 29.",
            "en",
            {("Gary Sullivan", "Chair", "ISO/IEC JTC 1/SC 29")},
        ),
        (
            "« Voilà », a déclaré le Secrétaire général de l’OCDE, Mathias Cormann.",
            "fr",
            {("Mathias Cormann", "Secretary-General", "oecd")},
        ),
        (
            "La présidente de l’IEC, Mme Ulla Berg, a ouvert la réunion.",
            "fr",
            {("Ulla Berg", "President", "iec")},
        ),
        (
            "M. Jean Dupuis, président de l’ISO/TC 176, a présenté la révision.",
            "fr",
            {("Jean Dupuis", "Chair", "ISO/TC 176")},
        ),
        (  # a headline in Title Case: where the name ends
            "ISO Secretary-General Sergio Mujica Bids Farewell to Geneva\n\nHe leaves in May.",
            "en",
            {("Sergio Mujica", "Secretary-General", "iso")},
        ),
    ],
)
def test_the_constructions_it_reads(text, language, expected):
    assert found(text, language) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The Chair of ISO/TC 207 said the revision was on track.",  # a role without a name
        "The OECD Secretary-General welcomed ministers to Paris.",
        "Sergio Mujica and Eddy Njoroge met the delegates.",  # names without a role
        "World Metrology Day is celebrated on 20 May, the International Organization of Legal "
        "Metrology said.",
        "The play “Dr Jane Grey, Director of the BIPM” opens in Sèvres.",  # a quoted title
        # The Director: "Opening Ceremony" or Anna Keller? Neither, rather than a wrong one.
        "After the Opening Ceremony, the Director of the BIPM, Anna Keller, said it went well.",
        "Former ISO President Eddy Njoroge chaired the session.",  # a past role
        "Selon Yinbiao Shu, ancien président de l’IEC, la coopération compte.",
        "In New York, Chair of the ISO Council Hans Berg spoke.",  # a place, a council
        "Viet Nam, Chair of ASEAN in 2027, hosted the meeting.",  # a country chairs
        "ISO/TC 207, Environmental Management, Chair of ISO/TC 207/SC 1, met in Paris.",
        "Dr Elena Kovač is the Chair of IEC SyC SM.",  # a committee the references do not read
        "ISO President Eddy Njoroge Farewell\n\nThe dinner was held in May.",  # a title
    ],
)
def test_what_it_does_not_take_for_a_person_with_a_role(text):
    assert found(text) == set()


def test_each_role_has_a_word_that_makes_its_sentence_read():
    for role in people.ROLES:
        assert not people.ROLE_WORDS.isdisjoint(re.findall(r"\w+", role)), role


def test_titles_case_and_accents_aside_one_person_has_one_key():
    keys = {
        m["key"]
        for text in (
            "Dr Martin Milton, Director of the BIPM, spoke.",
            "M. Martin Milton, directeur du BIPM, a parlé.",
            "Martin Milton, Director of the BIPM, spoke.",
        )
        for m in people.find("", text)
    }
    assert keys == {"martin-milton"}
    assert people.key("Angel Gurría") == people.key("ANGEL GURRIA") == "angel-gurria"


def post(number: int, published: str, text: str) -> Post:
    url = f"https://www.iso.org/contents/news/2027/0{number}/people-{number}.html"
    return Post(
        id=f"people{number:010d}",
        source="iso",
        url=url,
        story_id=f"people{number:010d}",
        title=f"Post {number}",
        published=published,
        published_precision="day",
        language="en",
        text=text,
        word_count=len(text.split()),
        people=people.find("", text, "en"),
    )


def test_one_person_across_posts_with_their_roles_over_time(db):
    save_post(db, post(2, "2027-02-01", "“Yes,” said Dr Ana Ruiz, Chair of ISO/TC 207."))
    save_post(db, post(1, "2027-01-01", "“No,” said Ana Ruiz, Chair of ISO/TC 207."))
    save_post(db, post(3, "2027-03-01", "ISO President Ana Ruiz opened the meeting."))
    person = db["people"].get("ana-ruiz")
    assert (person["name"], person["role"], person["organization"]) == (
        "Ana Ruiz",
        "President",
        "iso",
    )
    assert (person["first_seen"], person["last_seen"], person["posts"]) == (
        "2027-01-01",
        "2027-03-01",
        3,
    )
    roles = db.execute(
        "select p.published, pp.role, coalesce(pp.organization, pp.committee), pp.sentence"
        " from post_people pp join posts p on p.id = pp.post_id"
        " where pp.person_id = 'ana-ruiz' order by p.published"
    ).fetchall()
    assert [r[1:3] for r in roles] == [
        ("Chair", "ISO/TC 207"),
        ("Chair", "ISO/TC 207"),
        ("President", "iso"),
    ]
    assert roles[2][3] == "ISO President Ana Ruiz opened the meeting."


def test_a_post_rewritten_without_the_person_takes_them_off(db):
    first = post(1, "2027-01-01", "ISO President Ana Ruiz opened the meeting.")
    save_post(db, first)
    save_post(
        db, dataclasses.replace(first, text="The meeting opened.", people=[]), keep_version=False
    )
    assert db["post_people"].count == 0
    assert db["people"].count == 0


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    return crawled_snapshot(tmp_path_factory.mktemp("people"))


def test_the_crawl_of_the_snapshot_stores_the_people(crawled):
    conn = sqlite3.connect(crawled)
    person = conn.execute(
        "select name, role, organization, posts from people where id = 'mathias-cormann'"
    ).fetchone()
    assert person[:3] == ("Mathias Cormann", "Secretary-General", "oecd")
    assert person[3] >= 4  # English and French posts
    languages = {
        row[0]
        for row in conn.execute(
            "select language from post_people where person_id = 'mathias-cormann'"
        )
    }
    assert languages == {"en", "fr"}
    for name, sentence in conn.execute("select name, sentence from post_people"):
        assert name in sentence
    people_posts = conn.execute("select count(distinct post_id) from post_people").fetchone()[0]
    assert people_posts >= 25


def test_reprocess_recomputes_the_people(crawled, tmp_path):
    db_path = tmp_path / "news.db"
    for suffix in ("", "-raw"):  # the database and its raw pages (news-raw.db)
        source = crawled.with_name(f"news{suffix}.db")
        (tmp_path / source.name).write_bytes(source.read_bytes())
    conn = sqlite3.connect(db_path)
    before = conn.execute("select * from people order by id").fetchall()
    (post_id,) = conn.execute("select post_id from post_people limit 1").fetchone()
    conn.execute("insert into people (id, name) values ('nobody-known', 'Nobody Known')")
    conn.execute(
        "insert into post_people (post_id, person_id, name, role) values"
        " (?, 'nobody-known', 'Nobody Known', 'Director')",
        [post_id],
    )
    conn.execute("delete from post_people where person_id = 'mathias-cormann'")
    conn.execute("update people set role = 'Chair' where id = 'martin-milton'")
    conn.commit()
    result = stdnews("reprocess", "--db", str(db_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert conn.execute("select * from people order by id").fetchall() == before
    conn.close()


def test_people_counted_in_post_by_post_are_those_recomputed_from_all_mentions(crawled, tmp_path):
    """The crawl writes people one post at a time (a new post's person counted into their row);
    recomputing every row from all the mentions gives the same rows."""
    from pipeline.store.people import recompute_all

    db_path = tmp_path / "news.db"
    db_path.write_bytes(crawled.read_bytes())
    conn = sqlite3.connect(db_path)
    written = conn.execute("select * from people order by id").fetchall()
    conn.execute("update people set role = null, posts = 0, first_seen = null")
    recompute_all(conn)
    assert conn.execute("select * from people order by id").fetchall() == written
    conn.close()
