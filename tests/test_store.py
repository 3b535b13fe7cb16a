"""Storage: idempotent writes, updates in place, links replaced, FTS kept in step."""

import json
from dataclasses import replace

from sqlite_utils import Database

from pipeline import store
from pipeline.normalize.types import Post
from pipeline.store import posts
from pipeline.store.migrations import migrations

POST = Post(
    id="abc123",
    source="iso",
    url="https://www.iso.org/contents/news/2021/05/Ref2667.html",
    title="ISO’s Action Plan",
    title_source="site:h1",
    published="2021-05-10",
    published_precision="day",
    published_source="site",
    published_year=2021,
    published_month="2021-05",
    language="en",
    description="Designed with members.",
    text="Around 75 % of ISO members are from developing countries.",
    text_source="site:x",
    word_count=10,
    content_hash="h1",
    http_status=200,
    fetched_at="2026-11-01T00:00:00+00:00",
    organizations=[
        {
            "id": "iso",
            "acronym": "ISO",
            "name": "International Organization for Standardization",
            "role": "publisher",
            "count": 2,
        },
        {"id": "un", "acronym": "UN", "name": "United Nations", "role": "mentioned", "count": 1},
    ],
    tags=[
        {
            "id": "site:capacity-building",
            "name": "Capacity building",
            "origin": "site",
            "matched": [],
        }
    ],
    standards=["ISO 9001:2015"],
    committees=[],
    story_id="story1",
    generation="jahia",
    text_missing=False,
    aliases=[{"url": "https://www.iso.org/news/ref2667.html", "kind": "discovered"}],
)


def test_schema_is_created_by_migrations(db):
    assert [m.name for m in migrations.applied(db)] == [
        m.name for m in migrations.pending(Database(memory=True))
    ]
    assert {
        "posts",
        "sources",
        "organizations",
        "post_organizations",
        "tags",
        "post_tags",
        "crawls",
        "posts_fts",
    } <= set(db.table_names())
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_the_posts_table_is_the_posts_stored_fields_and_the_stores_columns(db):
    """Post's marked fields are the columns a fresh database's `posts` has (the migrations are
    history; types.py states the shape), beside the lists' JSON and the store's bookkeeping.
    tests/test_conventions.py checks that data/metadata.yml describes each of them."""
    stored = {*store.POST_COLUMNS, *posts.LIST_COLUMNS, *posts.BOOKKEEPING_COLUMNS}
    assert set(db["posts"].columns_dict) == stored
    assert set(posts.BODY_COLUMNS) < set(store.POST_COLUMNS)


def test_reopening_applies_nothing_twice(tmp_path):
    store.open_db(tmp_path / "a.db").close()
    db = store.open_db(tmp_path / "a.db")
    assert len(migrations.applied(db)) == len(migrations.pending(Database(memory=True)))
    assert db["sources"].count == 4


def test_saving_twice_updates_in_place(db):
    assert store.save_post(db, POST, now="2026-11-01T00:00:00+00:00") == "new"
    assert store.save_post(db, POST, now="2026-11-02T00:00:00+00:00") == "unchanged"
    (row,) = db["posts"].rows
    assert (row["first_seen"], row["last_seen"]) == (
        "2026-11-01T00:00:00+00:00",
        "2026-11-02T00:00:00+00:00",
    )
    assert json.loads(row["organizations"]) == ["ISO", "UN"]
    assert db["post_organizations"].count == 2
    assert db["post_tags"].count == 1


def test_changed_content_is_an_update_and_links_are_replaced(db):
    store.save_post(db, POST)
    changed = replace(
        POST,
        content_hash="h2",
        text="A rewritten body about metrology.",
        organizations=POST.organizations[:1],
    )
    assert store.save_post(db, changed) == "updated"
    assert db["post_organizations"].count == 1
    hits = db.execute("select rowid from posts_fts where posts_fts match 'metrology'").fetchall()
    assert len(hits) == 1
    assert not db.execute(
        "select rowid from posts_fts where posts_fts match 'developing'"
    ).fetchall()


def test_a_failed_write_leaves_nothing_half_written(db):
    unknown = {"id": "no-such-org", "acronym": "X", "name": "X", "role": "mentioned", "count": 1}
    broken = replace(POST, organizations=[*POST.organizations, unknown])
    try:
        store.save_post(db, broken)
    except Exception:
        pass
    else:
        raise AssertionError("a link to an unknown organization must violate the foreign key")
    assert db["posts"].count == 0
    assert db["post_organizations"].count == 0


def test_crawl_rows(db):
    crawl_id = store.start_crawl(db, "iec", "run-1")
    store.finish_crawl(db, crawl_id, status="ok", new_posts=3, warnings=["a", "b"])
    row = db["crawls"].get(crawl_id)
    assert (row["status"], row["new_posts"], row["warnings"]) == ("ok", 3, "a\nb")
    assert row["finished"] >= row["started"]


def test_an_old_database_is_upgraded_in_place(tmp_path):
    path = tmp_path / "v1.db"
    old = Database(path)
    migrations.apply(old, stop_before="m002_generations_stories_aliases")
    store.save_reference_data(old)
    row = {c: getattr(POST, c) for c in store.POST_COLUMNS if c in old["posts"].columns_dict}
    old["posts"].insert(row)
    old.close()
    db = store.open_db(path)
    assert "generation" in db["posts"].columns_dict
    assert db["posts"].get("abc123")["title"] == "ISO’s Action Plan"
    assert store.save_post(db, POST) == "unchanged"


def test_aliases_point_to_the_post(db):
    store.save_post(db, POST)
    kinds = {r["url"]: r["kind"] for r in db["post_urls"].rows}
    assert kinds == {
        POST.url: "canonical",
        "https://www.iso.org/news/ref2667.html": "discovered",
    }


def test_a_refused_fetch_keeps_the_stored_body(db):
    store.save_post(db, POST)
    refused = replace(
        POST, text="", word_count=0, content_hash="empty", text_missing=True, http_status=403
    )
    assert store.save_post(db, refused) == "unchanged"
    row = db["posts"].get(POST.id)
    assert (row["text"], row["text_missing"], row["http_status"]) == (POST.text, 0, 403)


def test_an_archived_copy_leaves_a_live_post_as_it_is(db):
    store.save_post(db, POST, now="2026-11-01T00:00:00+00:00")
    copy = replace(POST, text="An older text.", content_hash="h0", fetched_via="archive")
    assert store.save_post(db, copy, now="2026-11-02T00:00:00+00:00") == "unchanged"
    row = db["posts"].get(POST.id)
    assert (row["text"], row["fetched_via"]) == (POST.text, None)  # None: live
    assert row["last_seen"] == "2026-11-02T00:00:00+00:00"  # seen again, through the archive


def test_a_body_arriving_later_fills_the_post(db):
    refused = replace(POST, text="", word_count=0, content_hash="empty", text_missing=True)
    store.save_post(db, refused)
    assert store.save_post(db, POST) == "updated"
    assert db["posts"].get(POST.id)["text_missing"] == 0


def test_a_changed_body_keeps_the_old_version(db):
    store.save_post(db, POST, now="2026-11-01T00:00:00+00:00")
    changed = replace(
        POST, text="Around 80 % of ISO members are from developing countries.", content_hash="h2"
    )
    assert store.save_post(db, changed, now="2026-11-02T00:00:00+00:00") == "updated"
    (version,) = db["post_versions"].rows
    assert (version["text"], version["content_hash"]) == (POST.text, "h1")
    assert version["replaced_at"] == "2026-11-02T00:00:00+00:00"
    assert db["posts"].get(POST.id)["text"].startswith("Around 80 %")
    again = replace(changed, content_hash="h3")  # our reading changed, not the page: no version
    assert store.save_post(db, again, keep_version=False) == "updated"
    assert db["post_versions"].count == 1


def test_gone_posts_are_marked_then_revived(db):
    store.save_post(db, POST)
    assert store.mark_gone(db, POST.url, 410, now="2026-11-03T00:00:00+00:00")
    row = db["posts"].get(POST.id)
    assert (row["gone_at"], row["http_status"]) == ("2026-11-03T00:00:00+00:00", 410)
    assert db["posts"].count == 1
    assert store.confirm_post(db, POST.url)  # a 304 later: online again
    assert db["posts"].get(POST.id)["gone_at"] is None
    assert not store.mark_gone(db, "https://www.iso.org/unknown.html", 404)


def test_validators_change_only_with_a_200(db):
    url = "https://www.iso.org/news.html"
    first = {
        "url": url,
        "source": "iso",
        "kind": "discovery",
        "status": 200,
        "etag": 'W/"abc"',
        "last_modified": "Sun, 29 Nov 2026 10:00:00 GMT",
    }
    store.save_validators(db, [first], now="t1")
    store.save_validators(
        db, [{**first, "status": 304, "etag": None, "last_modified": None}], now="t2"
    )
    row = db["http_validators"].get(url)
    assert (row["etag"], row["last_modified"]) == ('W/"abc"', "Sun, 29 Nov 2026 10:00:00 GMT")
    assert (row["status"], row["checked_at"]) == (304, "t2")
    store.save_validators(db, [{**first, "etag": '"def"', "last_modified": None}], now="t3")
    row = db["http_validators"].get(url)
    assert (row["etag"], row["last_modified"], row["status"]) == ('"def"', None, 200)


def test_search_index_is_merged_into_one_segment(tmp_path):
    """Each write leaves a segment in the full-text index; optimize_search merges them (only
    when there are more than it is told to allow) and the search finds every post after."""
    db = store.open_db(tmp_path / "news.db")
    for number in range(6):
        post = replace(
            POST, id=f"p{number}", url=f"{POST.url}?n={number}", content_hash=f"h{number}"
        )
        store.save_post(db, post)

    def segments():
        return max(
            db.execute(f"select count(distinct segid) from {table}_idx").fetchone()[0]
            for table in store.SEARCH_TABLES
        )

    before = segments()
    assert before > 1
    assert not store.optimize_search(db, max_segments=before)
    assert segments() == before
    assert store.optimize_search(db)
    assert segments() == 1  # both indexes: the words and their pairs
    found = db.execute("select count(*) from posts_fts where posts_fts match 'developing'")
    assert found.fetchone()[0] == 6
