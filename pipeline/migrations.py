"""The database schema as a list of migrations: an existing database is upgraded in place.

Apply with `stdnews migrate` or `sqlite-utils migrate data/news.db pipeline/migrations.py`.
Never edit a migration that has shipped; add a new one.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("standards-news")


@migrations()
def m001_initial(db: Database) -> None:
    db["sources"].create(
        {"id": str, "name": str, "organization": str, "homepage": str, "news_url": str}, pk="id"
    )
    db["organizations"].create(
        {"id": str, "acronym": str, "name": str, "kind": str, "country": str, "homepage": str},
        pk="id",
    )
    db["posts"].create(
        {
            "id": str,
            "source": str,
            "url": str,
            "title": str,
            "title_source": str,
            "published": str,
            "published_precision": str,
            "published_source": str,
            "published_year": int,
            "published_month": str,
            "language": str,
            "description": str,
            "text": str,
            "text_source": str,
            "word_count": int,
            "content_hash": str,
            "http_status": int,
            "fetched_at": str,
            "first_seen": str,
            "last_seen": str,
            # Denormalized lists (JSON arrays) so that Datasette can facet without joins.
            "organizations": str,
            "tags": str,
            "standards": str,
            "committees": str,
        },
        pk="id",
        foreign_keys=[("source", "sources", "id")],
        not_null={"url", "source", "title"},
    )
    db["posts"].create_index(["url"], unique=True)
    db["posts"].create_index(["published"])
    db["posts"].create_index(["source", "published"])
    db["posts"].create_index(["published_year"])
    db["posts"].create_index(["language"])
    db["post_organizations"].create(
        {"post_id": str, "organization_id": str, "role": str, "count": int},
        pk=("post_id", "organization_id"),
        foreign_keys=[("post_id", "posts", "id"), ("organization_id", "organizations", "id")],
    )
    db["post_organizations"].create_index(["organization_id"])
    db["tags"].create({"id": str, "name": str, "origin": str}, pk="id")
    db["post_tags"].create(
        {"post_id": str, "tag_id": str, "matched": str},
        pk=("post_id", "tag_id"),
        foreign_keys=[("post_id", "posts", "id"), ("tag_id", "tags", "id")],
    )
    db["post_tags"].create_index(["tag_id"])
    for kind in ("standards", "committees"):
        singular = {"standards": "standard", "committees": "committee"}[kind]
        db[kind].create({"id": str}, pk="id")
        db[f"post_{kind}"].create(
            {"post_id": str, f"{singular}_id": str},
            pk=("post_id", f"{singular}_id"),
            foreign_keys=[("post_id", "posts", "id"), (f"{singular}_id", kind, "id")],
        )
        db[f"post_{kind}"].create_index([f"{singular}_id"])
    db["crawls"].create(
        {
            "id": int,
            "run_id": str,
            "source": str,
            "started": str,
            "finished": str,
            "status": str,
            "requests": int,
            "responses": int,
            "articles_discovered": int,
            "items": int,
            "new_posts": int,
            "updated_posts": int,
            "unchanged_posts": int,
            "errors": int,
            "warnings": str,
            "replay": str,
        },
        pk="id",
        foreign_keys=[("source", "sources", "id")],
    )
    db["crawls"].create_index(["source", "started"])
    db["posts"].enable_fts(["title", "text"], create_triggers=True, tokenize="porter")


@migrations()
def m002_generations_stories_aliases(db: Database) -> None:
    """Which layout generation a page had, language versions as one story, URL aliases."""
    db["posts"].add_column("generation", str)
    db["posts"].add_column("story_id", str)
    db["posts"].add_column("text_missing", int)
    db["posts"].create_index(["story_id"])
    db["post_urls"].create(
        {"url": str, "post_id": str, "kind": str, "first_seen": str},
        pk="url",
        foreign_keys=[("post_id", "posts", "id")],
    )
    db["post_urls"].create_index(["post_id"])
    db.create_view(
        "stories",
        """select story_id, source, min(published) as published, count(*) as versions,
  group_concat(language, ' ') as languages, group_concat(url, ' ') as urls,
  (select p.title from posts p where p.story_id = posts.story_id
   order by p.language = 'en' desc, p.published limit 1) as title
from posts group by story_id, source""",
    )


@migrations()
def m003_standard_origin(db: Database) -> None:
    """Whether a standard is named in the story (text) or listed beside it (related)."""
    db["post_standards"].add_column("origin", str)
    db.execute("update post_standards set origin = 'text'")


@migrations()
def m004_updated_mentions_duplicates(db: Database) -> None:
    """Updated dates, dates mentioned in the text, and (near-)duplicate detection."""
    db["posts"].add_column("updated", str)
    db["posts"].add_column("updated_source", str)
    db["posts"].add_column("simhash", int)
    db["posts"].add_column("duplicate_of", str)
    db["posts"].add_column("duplicate_similarity", float)
    db["posts"].create_index(["duplicate_of"])
    db["post_dates"].create(
        {"post_id": str, "date": str, "precision": str, "text": str, "sentence": str},
        foreign_keys=[("post_id", "posts", "id")],
    )
    db["post_dates"].create_index(["post_id"])
    db["post_dates"].create_index(["date"])
    # Four 16-bit bands of each post's simhash: near-duplicates share at least one band.
    db["simhash_bands"].create(
        {"post_id": str, "band": int, "value": int},
        pk=("post_id", "band"),
        foreign_keys=[("post_id", "posts", "id")],
    )
    db["simhash_bands"].create_index(["band", "value"])


@migrations()
def m005_incremental_crawls(db: Database) -> None:
    """Incremental, observable crawls: HTTP validators, versions, gone posts, crawl errors."""
    db["posts"].add_column("gone_at", str)
    # ETag and Last-Modified exactly as received (updated only on a 200), and the last check.
    db["http_validators"].create(
        {"url": str, "source": str, "kind": str, "etag": str, "last_modified": str,
         "status": int, "checked_at": str},
        pk="url",
    )  # fmt: skip
    db["http_validators"].create_index(["source", "kind"])
    db["post_versions"].create(
        {"id": int, "post_id": str, "title": str, "text": str, "content_hash": str,
         "fetched_at": str, "replaced_at": str},
        pk="id",
        foreign_keys=[("post_id", "posts", "id")],
    )  # fmt: skip
    db["post_versions"].create_index(["post_id"])
    columns = {"articles_requested": int, "not_modified": int, "gone_posts": int,
               "responses_by_status": str, "complete": int, "mode": str}  # fmt: skip
    for column, kind in columns.items():
        db["crawls"].add_column(column, kind)
    db["crawl_errors"].create(
        {"id": int, "crawl_id": int, "source": str, "url": str, "kind": str, "status": int,
         "error": str, "at": str},
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id")],
    )  # fmt: skip
    db["crawl_errors"].create_index(["crawl_id"])
    db["crawl_errors"].create_index(["url"])
