"""Duplicates: the same text under two URLs or two sources is recorded against the first; near
copies (a sentence added, words changed, paragraphs moved, boilerplate around) are found by
MinHash through its bands in SQLite, posts of one template and series are not."""

import json
import random
import subprocess
import sys
from dataclasses import replace

import pytest

from pipeline import store
from pipeline.normalize import duplicates
from pipeline.normalize import evaluate as evaluation
from pipeline.normalize import evaluate_duplicates as near
from pipeline.normalize.post import normalize
from pipeline.paths import GOLD
from pipeline.store import duplicates as store_duplicates
from pipeline.store import raw
from tests.conftest import crawl_replay, snapshot_file, stdnews

IEC_SEED = "https://www.iec.ch/blog/iec-launches-its-first-virtual-general-meeting"
ISO_POST = "https://www.iso.org/contents/news/2021/05/Ref2667.html"


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
    assert row["duplicate_method"] == "minhash"
    assert db["posts"].get(first.id)["duplicate_of"] is None  # the first stays the original
    store.save_post(db, first, now="2026-01-03T00:00:00+00:00")  # re-crawled: still the first
    assert db["posts"].get(first.id)["duplicate_of"] is None


def test_translations_are_not_duplicates(db):
    """Language versions, even the French page that carries the English text word for word."""
    urls = [
        f"https://www.bipm.org/{lang}/-/{name}"
        for name in ("2022-12-19-si-prefixes", "2026-10-05-preparing-for-the-28th-cgpm")
        for lang in ("en", "fr")
    ]
    posts = [post_for(url, "bipm") for url in urls]
    assert posts[2].text == posts[3].text
    for post in posts:
        store.save_post(db, post)
    assert [r["duplicate_of"] for r in db["posts"].rows] == [None] * 4


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


@pytest.fixture(scope="module")
def measured():
    return near.evaluate(GOLD)


def test_near_duplicate_recall_per_kind_of_change_meets_its_floor(measured):
    """Every kind of change of tests/gold/near_duplicates is found at its floor, and every copy
    the simhash alone finds (what the store had) is still found."""
    values = near.figures(measured)
    floors = json.loads((GOLD / "floors.json").read_text())
    pinned = {k: v for k, v in floors.items() if k.startswith("near_duplicates_")}
    assert {f"near_duplicates_recall_{kind}" for kind in ("sentence", "words_5")} <= set(pinned)
    assert evaluation.below_floors(values, pinned) == []
    for (kind, method), score in measured["recall"].items():
        if method == "both":
            missed = {e.split(" missed ")[1] for e in score.errors}
            by_simhash = measured["recall"][kind, "simhash"]
            assert missed <= {e.split(" missed ")[1] for e in by_simhash.errors}, kind
            assert score.right >= by_simhash.right


def test_posts_of_one_template_and_series_are_not_linked(db, measured):
    """Two years' reports of one meeting around the same boilerplate, stored as posts of one
    source: none is recorded a duplicate of the other (the same in the evaluation)."""
    assert measured["apart"]["template"].errors == []
    base = post_for(ISO_POST, "iso")
    nonpairs = near.written_nonpairs(GOLD / "near_duplicates")
    assert len(nonpairs) >= 10
    for n, pair in enumerate(nonpairs):
        for m, body in enumerate(pair):
            store.save_post(db, as_post(base, f"np{n}-{m}", body.text))
    assert [r["id"] for r in db["posts"].rows_where("duplicate_of is not null")] == []
    # They were compared: the closest shares boilerplate for half its words.
    closest = max(duplicates.jaccard(a.signature, b.signature) for a, b in nonpairs)
    assert 0.4 < closest < duplicates.MIN_JACCARD


def as_post(base, pid, text, source="iso"):
    """A post of the source with this text, under an address of its own."""
    url = f"https://www.{source}.org/news/{pid}"
    return replace(
        base,
        id=pid,
        url=url,
        source=source,
        story_id=pid,
        text=text,
        simhash=duplicates.simhash(text),
    )


def changed(text, share, seed=7):
    pool = sorted({w for w in text.split() if w.isalpha()})
    return near.replaced(text, share, random.Random(seed), pool)


def test_a_changed_copy_is_found_through_the_minhash_bands(db):
    first = post_for(ISO_POST, "iso")
    copy = as_post(first, "copy", changed(first.text, 0.05), source="oecd")
    assert duplicates.distance(first.simhash, copy.simhash) > duplicates.MAX_DISTANCE
    store.save_post(db, first, now="2026-01-01T00:00:00+00:00")
    store.save_post(db, copy, now="2026-01-02T00:00:00+00:00")
    row = db["posts"].get("copy")
    estimate = duplicates.jaccard(duplicates.signature(first.text), duplicates.signature(copy.text))
    assert duplicates.MIN_JACCARD <= estimate < 0.9
    assert (row["duplicate_of"], row["duplicate_method"]) == (first.id, "minhash")
    assert row["duplicate_similarity"] == round(estimate, 3)
    assert db["minhash_bands"].count == 2 * duplicates.BANDS
    assert db["minhash_signatures"].count == 2
    # The look-up is an index seek per band, never a scan of the signatures; the posts a post
    # was recorded against are found by index too, after ANALYZE saw nearly all NULL.
    db.execute("analyze")
    stale_plan = db.execute(f"explain query plan {store_duplicates.STALE}", ["x"]).fetchall()
    assert "USING INDEX idx_posts_duplicate_of" in stale_plan[0][3]
    sql, params = store_duplicates.bucket_query(duplicates.signature(copy.text))
    plan = " | ".join(r[3] for r in db.execute(f"explain query plan {sql}", params))
    assert "SEARCH b USING PRIMARY KEY (band=? AND bucket=?)" in plan
    assert "SCAN b" not in plan
    db.execute("delete from minhash_bands where post_id = ?", [first.id])
    store.save_post(db, replace(copy, title="Again"), now="2026-01-03T00:00:00+00:00")
    assert db["posts"].get("copy")["duplicate_of"] is None  # without its bands, not found


def test_links_do_not_depend_on_the_order_posts_are_written(db):
    """A copy written before the post it copies (reprocess's order, one crawl's second) still
    points at the first seen; the first seen stays the original."""
    first = post_for(ISO_POST, "iso")
    copy = as_post(first, "copy", changed(first.text, 0.02), source="bipm")
    store.save_post(db, copy, now="2026-01-02T00:00:00+00:00")
    assert db["posts"].get("copy")["duplicate_of"] is None
    store.save_post(db, first, now="2026-01-01T00:00:00+00:00")
    assert db["posts"].get("copy")["duplicate_of"] == first.id
    assert db["posts"].get(first.id)["duplicate_of"] is None


def test_an_original_whose_body_changes_lets_its_copies_go(db):
    first = post_for(ISO_POST, "iso")
    store.save_post(db, first, now="2026-01-01T00:00:00+00:00")
    store.save_post(
        db, as_post(first, "copy", changed(first.text, 0.01)), now="2026-01-02T00:00:00+00:00"
    )
    assert db["posts"].get("copy")["duplicate_of"] == first.id
    other = post_for(IEC_SEED, "iec").text
    store.save_post(
        db,
        replace(first, text=other, simhash=duplicates.simhash(other)),
        now="2026-01-03T00:00:00+00:00",
    )
    assert db["posts"].get("copy")["duplicate_of"] is None
    assert db["minhash_bands"].count == 2 * duplicates.BANDS  # the old bands are gone


def test_short_texts_are_not_compared(db):
    first = post_for(ISO_POST, "iso")
    short = " ".join(first.text.split()[: duplicates.MIN_WORDS - 1])
    store.save_post(db, first)
    store.save_post(db, as_post(first, "short", short))
    assert duplicates.signature(short) is None
    assert db["posts"].get("short")["duplicate_of"] is None
    assert db["minhash_signatures"].count == 1


def test_reprocess_recomputes_the_index_and_the_links(tmp_path):
    """A crawl of the snapshot links no post (language versions never); a database from before
    the MinHash index gets it from `stdnews reprocess`, which finds a copy the simhash missed,
    read before its original (by URL)."""
    db_path = tmp_path / "news.db"
    assert crawl_replay(db_path).returncode == 0
    db = store.open_db(db_path)
    hashed = db["posts"].count_where("simhash is not null")
    assert db["minhash_signatures"].count == hashed > 60
    assert db["minhash_bands"].count == hashed * duplicates.BANDS
    assert db["posts"].count_where("duplicate_of is not null") == 0
    pages = raw.open_raw(db_path)
    (item,) = [i for i in raw.items(pages, "iso") if i["url"] == ISO_POST]
    original = normalize(item)
    start = item["html"].index(" ".join(original.text.split()[20:23]))
    html = item["html"]
    for old, new in ((" the ", " this "), (" of ", " for "), (" to ", " into ")):
        html = html[:start] + html[start:].replace(old, new, 3)
    copy_url = "https://www.iso.org/contents/news/2021/01/Ref0001.html"  # read first
    raw.save_page(pages, copy_url, {**item, "url": copy_url, "final_url": copy_url, "html": html})
    pages.close()
    with db.conn:  # as m107 leaves a database of before it
        db.execute("delete from minhash_bands")
        db.execute("delete from minhash_signatures")
    db.close()
    result = stdnews("reprocess", "--db", str(db_path), timeout=120)
    assert result.returncode == 0, result.stderr
    db = store.open_db(db_path)
    assert db["minhash_signatures"].count == hashed + 1
    assert db["minhash_bands"].count == (hashed + 1) * duplicates.BANDS
    linked = db.execute(
        "select url, duplicate_of, duplicate_method from posts where duplicate_of is not null"
    ).fetchall()
    assert linked == [(copy_url, original.id, "minhash")]


def test_a_post_stored_before_its_signature_is_still_found_by_its_simhash(db):
    """Posts of a database upgraded but not yet reprocessed have no signature: the simhash
    (put together from its four bands' rows) still finds their copies, as it did."""
    first = post_for(ISO_POST, "iso")
    store.save_post(db, first, now="2026-01-01T00:00:00+00:00")
    with db.conn:  # as m107 leaves a post of before it
        db.execute("delete from minhash_bands")
        db.execute("delete from minhash_signatures")
    store.save_post(db, as_post(first, "copy", first.text), now="2026-01-02T00:00:00+00:00")
    row = db["posts"].get("copy")
    assert (row["duplicate_of"], row["duplicate_method"]) == (first.id, "simhash")
    assert row["duplicate_similarity"] == 1.0


def test_the_signature_is_datasketchs_minhash_without_loading_scipy():
    """The writer loads datasketch's MinHash alone (its package imports SciPy for classes we do
    not use); the signature is the one the whole package computes, and the package still
    imports whole afterwards."""
    program = f"""
import sys, zlib
from pipeline.normalize import duplicates
text = {post_for(IEC_SEED, "iec").text!r}
ours = duplicates.signature(text)
assert "scipy" not in sys.modules, "scipy loaded"
import datasketch
theirs = datasketch.MinHash(num_perm=duplicates.NUM_PERM, seed=duplicates.SEED,
                            scheme="affine32", hashfunc=zlib.crc32)
theirs.update_batch(duplicates.shingles(text))
assert ours == theirs.hashvalues.astype("<u4").tobytes(), "another signature"
assert datasketch.MinHashLSH and datasketch.MinHash is duplicates._minhash_class()
print("same")
"""
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "same", done.stderr
