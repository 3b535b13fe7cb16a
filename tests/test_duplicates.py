"""Duplicates: the same text under two URLs or two sources is recorded against the first."""

from dataclasses import replace

from pipeline import store
from pipeline.normalize import duplicates
from pipeline.normalize.post import normalize
from tests.conftest import snapshot_file

IEC_SEED = "https://www.iec.ch/blog/iec-launches-its-first-virtual-general-meeting"


def post_for(url, source):
    return normalize({"source": source, "url": url, "html": snapshot_file(url).read_text()})


def test_simhash_is_close_for_close_texts_and_far_otherwise():
    body = post_for(IEC_SEED, "iec").text
    a, b = duplicates.simhash(body), duplicates.simhash(body + " A closing remark was added.")
    other = duplicates.simhash(
        post_for("https://www.iec.ch/blog/understanding-iec-62443", "iec").text
    )
    assert duplicates.distance(a, b) <= duplicates.MAX_DISTANCE
    assert duplicates.distance(a, other) > 10
    assert duplicates.simhash("too short to tell") is None


def test_simhash_values_stay_those_already_stored():
    """Stored posts keep their hashes: a new way of computing them must give the same bits
    (this value is the CRC-32 shingle hash's, which every stored hash comes from)."""
    text = " ".join(f"word{i % 37} measurement standard {i}" for i in range(60))
    assert duplicates.simhash(text) == -4034230959014700892


def test_a_joint_statement_under_another_source_is_a_duplicate_of_the_first(db):
    first = post_for(IEC_SEED, "iec")
    store.save_post(db, first, now="2026-01-01T00:00:00+00:00")
    republished = replace(
        first,
        id="republished",
        url="https://www.iso.org/contents/news/2020/11/x.html",
        source="iso",
        story_id="other",
    )
    store.save_post(db, republished, now="2026-01-02T00:00:00+00:00")
    row = db["posts"].get("republished")
    assert (row["duplicate_of"], row["duplicate_similarity"]) == (first.id, 1.0)
    assert db["posts"].get(first.id)["duplicate_of"] is None  # the first stays the original
    store.save_post(db, first, now="2026-01-03T00:00:00+00:00")  # re-crawled: still the first
    assert db["posts"].get(first.id)["duplicate_of"] is None


def test_translations_are_not_duplicates(db):
    for url in (
        "https://www.bipm.org/en/-/2022-12-19-si-prefixes",
        "https://www.bipm.org/fr/-/2022-12-19-si-prefixes",
    ):
        store.save_post(db, post_for(url, "bipm"))
    assert [r["duplicate_of"] for r in db["posts"].rows] == [None, None]


def test_mentioned_dates_are_kept_apart_from_the_publication_date(db):
    post = post_for(IEC_SEED, "iec")
    store.save_post(db, post)
    assert post.published.startswith("2020-11-09")
    mentioned = {r["date"]: r["sentence"] for r in db["post_dates"].rows}
    assert "2020-11-13" in mentioned
    assert mentioned["2020-11-13"].startswith("Given the time constraints inherent to virtual")


def test_updated_date_where_the_page_states_one():
    url = (
        "https://blog.iec.ch/2019/11/international-standards-committee-on-ai-ecosystem-"
        "achieves-milestone-and-launches-new-areas-of-study/"
    )
    post = post_for(url, "iec")
    assert (post.updated, post.updated_source) == ("2019-11-20T16:40:02+01:00", "site")
    assert post.published == "2019-11-20T11:12:33+01:00"  # in Geneva time
    assert post_for(IEC_SEED, "iec").updated is None
