"""The database schema as a list of migrations: an existing database is upgraded in place.

Apply with `stdnews migrate` or `sqlite-utils migrate data/news.db pipeline/store/migrations.py`.
Never edit a migration that has shipped; add a new one.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from pipeline.store import search

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
    db["posts"].enable_fts(
        ["title", "text"], create_triggers=True, tokenize=search.POSTS_FTS_TOKENIZE
    )


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
        {
            "url": str,
            "source": str,
            "kind": str,
            "etag": str,
            "last_modified": str,
            "status": int,
            "checked_at": str,
        },
        pk="url",
    )
    db["http_validators"].create_index(["source", "kind"])
    db["post_versions"].create(
        {
            "id": int,
            "post_id": str,
            "title": str,
            "text": str,
            "content_hash": str,
            "fetched_at": str,
            "replaced_at": str,
        },
        pk="id",
        foreign_keys=[("post_id", "posts", "id")],
    )
    db["post_versions"].create_index(["post_id"])
    columns = {
        "articles_requested": int,
        "not_modified": int,
        "gone_posts": int,
        "responses_by_status": str,
        "complete": int,
        "mode": str,
    }
    for column, kind in columns.items():
        db["crawls"].add_column(column, kind)
    db["crawl_errors"].create(
        {
            "id": int,
            "crawl_id": int,
            "source": str,
            "url": str,
            "kind": str,
            "status": int,
            "error": str,
            "at": str,
        },
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id")],
    )
    db["crawl_errors"].create_index(["crawl_id"])
    db["crawl_errors"].create_index(["url"])


@migrations()
def m006_channels_and_failure_kinds(db: Database) -> None:
    """How each post was fetched (live page, official API, the Internet Archive's copy), how each
    crawl discovered its articles, and why each failed request failed (blocked, unreachable,
    gone, changed), so that the operator can tell a block from an outage from a layout change."""
    db["posts"].add_column("fetched_via", str)
    db["posts"].add_column("archived_at", str)
    for column in ("discovery_paths", "failure_kinds", "diagnosis"):
        db["crawls"].add_column(column, str)
    db["crawl_errors"].add_column("reason", str)


# m100 and later: the Datasette side (issue 6). Numbered apart from the crawl side's m005...
# so that the two series never clash; sqlite-utils applies them in definition order, so keep
# these at the end of the file.


@migrations()
def m100_datasette_indexes_and_views(db: Database) -> None:
    """Indexes that keep Datasette's facets, filters and charts fast on a large corpus, and views
    that show a post with its lists, so that analysts need no joins."""
    # Facets, filters and sorts read these instead of the wide posts rows (a body each):
    # every index holds all the facet columns, the date and the id, and each is led by what a
    # filter, a sort or a facet's grouping seeks on. They supersede m001's single-column ones.
    covered = ["source", "published", "id", "language", "published_year", "published_month"]
    for lead in ("source", "published", "id", "language", "published_year", "published_month"):
        columns = [lead, *(c for c in covered if c != lead)]
        db["posts"].create_index(columns, index_name=f"idx_posts_by_{lead}")
    for superseded in ("source_published", "published", "published_year", "language"):
        db.execute(f"drop index if exists idx_posts_{superseded}")
    db["tags"].create_index(["name"])
    db["organizations"].create_index(["acronym"])
    # An organization's posts by role (the organization filters; the dashboard's chart of all
    # posts reads m104's smaller index).
    db["post_organizations"].create_index(["organization_id", "role", "post_id"])
    db.create_view(
        "post_details",
        """select p.id, p.published, p.published_precision, p.published_source, p.source,
  p.language, p.title,
  (select json_group_array(label) from (
     select coalesce(o.acronym || ' - ', '') || o.name || ' (' || po.role || ', '
       || po.count || ')' as label
     from post_organizations po join organizations o on o.id = po.organization_id
     where po.post_id = p.id order by po.role = 'publisher' desc, po.count desc, o.id)
  ) as organizations,
  (select json_group_array(label) from (
     select t.name || ' (' || t.origin || ')' as label from post_tags pt
     join tags t on t.id = pt.tag_id where pt.post_id = p.id order by t.origin, t.name)
  ) as tags,
  (select json_group_array(label) from (
     select ps.standard_id || case when ps.origin = 'related' then ' (related)' else '' end
       as label from post_standards ps where ps.post_id = p.id order by ps.origin desc, 1)
  ) as standards,
  (select json_group_array(committee_id) from (
     select committee_id from post_committees where post_id = p.id order by 1)
  ) as committees,
  p.word_count, p.url
from posts p""",
    )
    db.create_view(
        "organization_mentions",
        """select po.organization_id, coalesce(o.acronym, o.name) as organization, o.name,
  o.kind, po.role, po.count, p.id as post_id, p.published, p.source, p.language, p.title, p.url
from post_organizations po
join organizations o on o.id = po.organization_id
join posts p on p.id = po.post_id""",
    )
    db.create_view(
        "standard_references",
        """select ps.standard_id,
  case when instr(base, '-') then substr(base, 1, instr(base, '-') - 1) else base end
    as family,
  ps.origin, p.id as post_id, p.published, p.source, p.language, p.title, p.url
from (select *, case when instr(standard_id, ':')
        then substr(standard_id, 1, instr(standard_id, ':') - 1) else standard_id end as base
      from post_standards) ps
join posts p on p.id = ps.post_id""",
    )
    # `order by rank` in analysts' own SQL weighs a word in the title five times one in the body,
    # as the search query of data/metadata.yml does (it calls bm25() itself: faster).
    db.execute("insert into posts_fts(posts_fts, rank) values('rank', 'bm25(5.0, 1.0)')")
    # Posts as Atom entries (datasette-atom's columns) for the feed queries of data/metadata.yml.
    db.create_view(
        "post_feed",
        """select p.id, p.rowid as post_rowid, p.source, p.language, p.published,
  p.url as atom_id, p.title as atom_title,
  case when p.published is null then p.first_seen
    when length(p.published) = 4 then p.published || '-01-01T00:00:00Z'
    when length(p.published) = 7 then p.published || '-01T00:00:00Z'
    when length(p.published) = 10 then p.published || 'T00:00:00Z'
    else p.published end as atom_updated,
  p.url as atom_link, s.name as atom_author_name, s.homepage as atom_author_uri,
  coalesce(nullif(p.description, ''), substr(p.text, 1, 500), '') || char(10) || char(10)
    || 'Organizations: ' || coalesce((select group_concat(value, ', ')
      from json_each(p.organizations)), '') as atom_content
from posts p join sources s on s.id = p.source""",
    )


@migrations()
def m101_link_indexes_for_filters(db: Database) -> None:
    """The list filters' posts straight from an index (a broad tag's posts in one range read,
    not a table lookup each): links by value, then post; standards also without
    regard to case, so that `_standard=iec 62443` reads a range of the index, not all of it."""
    db.execute(
        "create index if not exists idx_post_tags_tag_id_post_id on post_tags(tag_id, post_id)"
    )
    db.execute(
        "create index if not exists idx_post_committees_committee_id_post_id"
        " on post_committees(committee_id, post_id)"
    )
    db.execute(
        "create index if not exists idx_post_standards_standard_id_nocase"
        " on post_standards(standard_id collate nocase, post_id)"
    )
    for superseded in ("post_tags_tag_id", "post_committees_committee_id"):
        db.execute(f"drop index if exists idx_{superseded}")


@migrations()
def m102_date_quality_index(db: Database) -> None:
    """The dashboard's share of weak dates read from an index, not from every post's row (over
    the SQL time limit on a large corpus): the month and source it is filtered by, and the date's
    value, precision and signal."""
    db.execute(
        "create index if not exists idx_posts_date_quality on posts(published_month,"
        " source, published, published_precision, published_source)"
    )


@migrations()
def m103_phrase_pairs_index(db: Database) -> None:
    """Phrases of the ranked search from an index of word pairs (pipeline/store/search.py): a
    phrase of two common words compared both words' positions in most posts to match and score.

    Built by store.open_db, right after the migrations, whenever its triggers are missing (a new
    database, a dump, triggers dropped): there in one immediate transaction, so that two
    processes never both build it. This step only marks when the index came in."""


@migrations()
def m104_mentions_by_role_index(db: Database) -> None:
    """The dashboard's most-mentioned organizations from an index of (role, organization) alone:
    half the size of the covering one it read, so that the chart stays within the SQL time
    limit on a large corpus, cold cache included (docs/performance.md)."""
    db.execute(
        "create index if not exists idx_post_organizations_role_organization_id"
        " on post_organizations(role, organization_id)"
    )


@migrations()
def m105_post_body_structure(db: Database) -> None:
    """The body's headings, paragraphs, lists and quotes (posts.body_html, HTML of a short
    allowlist built by normalize/structure.py), for the post page; existing posts get NULL (the
    page shows their paragraphs) until `stdnews reprocess` reads their raw pages again."""
    db["posts"].add_column("body_html", str)


@migrations()
def m106_post_authors(db: Database) -> None:
    """Bylines: each post's authors (people, teams, organizations) with where each was read,
    and the names as one line on posts (byline) for display and facets; existing posts get none
    until `stdnews reprocess` reads their raw pages again."""
    db["posts"].add_column("byline", str)
    db["post_authors"].create(
        {"post_id": str, "position": int, "name": str, "kind": str, "provenance": str},
        pk=("post_id", "position"),
        foreign_keys=[("post_id", "posts", "id")],
    )
    db["post_authors"].create_index(["name"])


@migrations()
def m107_minhash_near_duplicates(db: Database) -> None:
    """Near-duplicates by MinHash beside the simhash (pipeline/store/duplicates.py): each
    body's signature, its LSH bands as (band, bucket) -> post (WITHOUT ROWID: the primary key
    is the look-up's index), and which hash found a post's duplicate_of. Existing posts get
    their signatures, bands and links again from `stdnews reprocess` (hashing every stored body
    here would hold the first command after an upgrade for minutes on a large corpus)."""
    db["posts"].add_column("duplicate_method", str)
    db["minhash_signatures"].create(
        {"post_id": str, "signature": bytes},
        pk="post_id",
        foreign_keys=[("post_id", "posts", "id")],
        not_null={"signature"},
    )
    db.execute(
        """create table minhash_bands (
  band integer not null, bucket integer not null, post_id text not null references posts(id),
  primary key (band, bucket, post_id)) without rowid"""
    )


@migrations()
def m108_story_clusters(db: Database) -> None:
    """Stories across publishers (pipeline/store/stories.py): clusters of posts of different
    sources that tell one event, their posts with confidence and evidence, and the keys of each
    post's long sentences that find the candidates. Not the `stories` view (language versions
    of one post). Existing posts are clustered by `stdnews reprocess`."""
    db.execute(
        """create table story_clusters (
  id integer primary key, title text, first_published text, publishers text,
  post_count integer, confidence real, created_at text, updated_at text)"""
    )
    db.execute("create index idx_story_clusters_created_at on story_clusters(created_at)")
    db.execute(
        """create table story_cluster_posts (
  post_id text primary key references posts(id),
  cluster_id integer not null references story_clusters(id), confidence real, evidence text)"""
    )
    db.execute("create index idx_story_cluster_posts_cluster_id on story_cluster_posts(cluster_id)")
    db.execute(
        """create table story_sentences (
  key integer not null, post_id text not null references posts(id),
  primary key (key, post_id)) without rowid"""
    )
    db.execute("create index idx_story_sentences_post_id on story_sentences(post_id)")


@migrations()
def m109_people(db: Database) -> None:
    """People with roles (pipeline/store/people.py): each post's mentions (person, role, body,
    the sentence as evidence) in post_people, and one row per person in people (the current
    role and body, first and last seen, posts). Existing posts get theirs from `stdnews
    reprocess`."""
    db["people"].create(
        {
            "id": str,
            "name": str,
            "role": str,
            "role_text": str,
            "organization": str,
            "committee": str,
            "first_seen": str,
            "last_seen": str,
            "posts": int,
            "mentions": int,
        },
        pk="id",
    )
    db["people"].create_index(["name"])
    db["post_people"].create(
        {
            "post_id": str,
            "person_id": str,
            "name": str,
            "honorific": str,
            "role": str,
            "role_text": str,
            "organization": str,
            "committee": str,
            "sentence": str,
            "language": str,
        },
        foreign_keys=[("post_id", "posts", "id"), ("person_id", "people", "id")],
    )
    db["post_people"].create_index(["post_id"])
    db["post_people"].create_index(["person_id", "post_id"])


# Every pair of adjacent tokens of posts_fts, as one token (pipeline/store/search.py's pairs_text).
# Contentless: the pairs are never read back, and would double the text's size. FTS5 removes
# a contentless row given the values it indexed, which fts_pairs() of the old row recomputes.
JOINER = search.PAIR_JOINER
PAIRS_TABLE = f"""create virtual table if not exists posts_pairs_fts using fts5(
  title, text, content='', tokenize="unicode61 remove_diacritics 0 tokenchars '{JOINER}'")"""
# The posts whose title or text changed since posts_pairs_fts was brought up to date, with the
# values it holds for them (indexed = 1; 0: none yet). Plain SQL, so that any tool may write
# posts; index_pairs_pending() (below; store.save_post calls it) catches up in the writer's
# transaction. The first change since then is kept (`where not exists`: an upsert's conflict
# policy would override an `insert or ignore` in a trigger).
PAIRS_PENDING = """create table if not exists posts_pairs_pending (
  post_rowid integer primary key, indexed integer not null, old_title text, old_text text)"""
PAIRS_TRIGGERS = {
    "posts_pairs_ai": """create trigger posts_pairs_ai after insert on posts begin
  insert into posts_pairs_pending (post_rowid, indexed) select new.rowid, 0
  where not exists (select 1 from posts_pairs_pending where post_rowid = new.rowid);
end""",
    "posts_pairs_ad": """create trigger posts_pairs_ad after delete on posts begin
  insert into posts_pairs_pending (post_rowid, indexed, old_title, old_text)
  select old.rowid, 1, old.title, old.text
  where not exists (select 1 from posts_pairs_pending where post_rowid = old.rowid);
end""",
    "posts_pairs_au": """create trigger posts_pairs_au after update on posts
when old.title is not new.title or old.text is not new.text or old.rowid is not new.rowid begin
  insert into posts_pairs_pending (post_rowid, indexed, old_title, old_text)
  select old.rowid, 1, old.title, old.text
  where not exists (select 1 from posts_pairs_pending where post_rowid = old.rowid);
  insert into posts_pairs_pending (post_rowid, indexed) select new.rowid, 0
  where not exists (select 1 from posts_pairs_pending where post_rowid = new.rowid);
end""",
}


def index_pairs(db: Database) -> None:
    """(Re)build posts_pairs_fts from the posts, and the triggers that keep it in step."""
    search.register(db.conn)
    db.execute(PAIRS_TABLE)
    db.execute(PAIRS_PENDING)
    db.execute("insert into posts_pairs_fts(posts_pairs_fts) values('delete-all')")
    db.execute("delete from posts_pairs_pending")
    for name, sql in PAIRS_TRIGGERS.items():
        db.execute(f"drop trigger if exists {name}")
        db.execute(sql)
    db.execute(
        "insert into posts_pairs_fts (rowid, title, text) "
        "select rowid, fts_pairs(title), fts_pairs(text) from posts"
    )


def index_pairs_pending(conn) -> int:
    """Bring posts_pairs_fts up to date with the posts written since it was; returns how many
    posts that took. Inside the writer's transaction, so that no reader sees them apart."""
    pending = conn.execute("select count(*) from posts_pairs_pending").fetchone()[0]
    if pending:
        conn.execute(
            "insert into posts_pairs_fts (posts_pairs_fts, rowid, title, text) "
            "select 'delete', post_rowid, fts_pairs(old_title), fts_pairs(old_text) "
            "from posts_pairs_pending where indexed"
        )
        conn.execute(
            "insert into posts_pairs_fts (rowid, title, text) "
            "select p.rowid, fts_pairs(p.title), fts_pairs(p.text) "
            "from posts_pairs_pending q join posts p on p.rowid = q.post_rowid"
        )
        conn.execute("delete from posts_pairs_pending")
    return pending


def pairs_indexed(db: Database) -> bool:
    """Whether the posts' writes reach posts_pairs_fts (the triggers exist)."""
    names = list(PAIRS_TRIGGERS)
    found = db.execute(
        "select count(*) from sqlite_master where type = 'trigger' and name in "
        f"({', '.join('?' * len(names))})",
        names,
    ).fetchone()[0]
    return found == len(names)


def drop_pairs(db: Database) -> None:
    """posts_pairs_fts, its queue and its triggers gone (a dump: stdnews rebuilds them)."""
    for name in PAIRS_TRIGGERS:  # before their tables
        db.execute(f"drop trigger if exists {name}")
    for table in ("posts_pairs_fts", "posts_pairs_pending"):
        db.execute(f"drop table if exists {table}")
