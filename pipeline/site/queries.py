"""The SQL of the canned queries that data/metadata.yml declares without it: those built from
the filters of pipeline/site/filters.py (the ranked search and its feed, the queries and feeds
by organization, tag or standard), so that the posts table's filters, the search and these
queries answer the same question with the same text.

data/metadata.yml stays plain Datasette metadata: each of these queries is declared there with
its title, description, parameters and feed, in the order the site lists them, and no `sql`;
the plugin's `canned_queries` hook (pipeline/site/plugin.py) hands Datasette the declaration
with the SQL below. A `sql` written in the metadata wins.
"""

from __future__ import annotations

from pipeline.site import filters

ORGANIZATION_IS = filters.ORGANIZATION_IS.format(t="o", p="organization")
STANDARD_IS = filters.STANDARD_IS.format(t="ps", p="standard")
# The columns the feeds read (the post_feed view's: pipeline/site/feeds.py).
ATOM_COLUMNS = """select atom_id, atom_title, atom_updated, atom_link, atom_author_name,
  atom_author_uri, atom_content, id, source, language, published
from post_feed"""


def search(broad: str = filters.BROAD) -> str:
    """The ranked search (broad: the size from which a filter on the posts' columns is tested
    per row, filters.search_filters).

    Two tables answer: posts_fts, and the index of word pairs when the search is only phrases
    (search_words() and search_pairs() give the other one a query matching nothing): a phrase
    of two common words is one token there, scored alike. A search matching more than 10,000
    posts ranks the 10,000 stored last (the index is read newest rowid first and stops there):
    ranking every match of a common word is too slow at a million posts. Only the 50 best get a
    snippet, each found by rowid, or for a prefix search all in one pass over their range
    (scanned: FTS5 merges the prefix's words again for each search by rowid). Equal scores go
    newest stored first, so that the order never depends on the plan."""
    where = filters.search_filters(broad=broad)
    return f"""with words as (
  select f.rowid as hit, bm25(posts_fts, 5.0, 1.0) as score
  from posts_fts f
  where posts_fts match search_words(:q) {where}
  order by f.rowid desc
  limit 10000
),
phrases as (
  select f.rowid as hit, bm25(posts_pairs_fts, 5.0, 1.0) as score
  from posts_pairs_fts f
  where posts_pairs_fts match search_pairs(:q) {where}
  order by f.rowid desc
  limit 10000
),
hits as (
  select hit, score from (select * from words union all select * from phrases)
  order by score, hit desc limit 50
),
scanned as materialized (
  select f.rowid as hit, snippet(posts_fts, 1, '【', '】', ' … ', 30) as snippet
  from posts_fts f
  where posts_fts match search_prefixed(:q)
    and f.rowid between (select min(hit) from hits) and (select max(hit) from hits)
    and +f.rowid in (select hit from hits)
)
select p.id, p.published, p.source, p.language, p.title,
  case when scanned.hit is not null then scanned.snippet
    else (select snippet(posts_fts, 1, '【', '】', ' … ', 30) from posts_fts
          where posts_fts match fts_query(:q) and rowid = hits.hit) end as snippet,
  round(-hits.score, 2) as relevance, p.url
from hits
join posts p on p.rowid = hits.hit
left join scanned on scanned.hit = hits.hit
order by hits.score, hits.hit desc"""


POSTS_MENTIONING_ORGANIZATION = f"""select p.published, p.source, p.title, po.role,
  po.count as mentions, p.language, p.id, p.url
from organizations o
join post_organizations po on po.organization_id = o.id
join posts p on p.id = po.post_id
where {ORGANIZATION_IS}
  and (:role = '' or po.role = :role)
order by p.published desc
limit 1000"""

POSTS_REFERENCING_STANDARD = f"""select p.published, p.source, p.title,
  group_concat(ps.standard_id, ', ') as matched, p.language, p.id, p.url
from post_standards ps join posts p on p.id = ps.post_id
where {STANDARD_IS}
group by p.id
order by p.published desc
limit 1000"""

# From the facet index (indexed_co_mentions, kept in memory once built); the co_mentions
# aggregate over every post's list while there is none.
ORGANIZATIONS_MENTIONED_TOGETHER = f"""with focus as (
  select coalesce((select coalesce(o.acronym, o.name) from organizations o
    where {ORGANIZATION_IS} limit 1), '') as label
),
indexed as (
  select case when :organization != '' and (select label from focus) = '' then '[]'
    else indexed_co_mentions(:source, (select label from focus)) end as pairs
),
pairs as (
  select pairs from indexed where pairs is not null
  union all
  select co_mentions(p.organizations, (select label from focus)) as pairs
  from indexed cross join posts p  -- in this order: no index, no scan of the posts
  where indexed.pairs is null
    and (:source = '' or p.source = :source)
    and (:organization = '' or p.id in (
      {filters.posts_of("organization", "organization")}))
)
select json_extract(j.value, '$[0]') as organization,
  json_extract(j.value, '$[1]') as mentioned_with,
  json_extract(j.value, '$[2]') as posts
from pairs, json_each(pairs.pairs) j
order by posts desc, organization, mentioned_with
limit 100"""


def feed_of(kind: str) -> str:
    """The 50 newest posts of an organization or a tag (the value in :<kind>). The + reads the
    posts newest first and stops at 50: otherwise SQLite reads every post of a common tag or
    a publisher (a fifth of the posts) before sorting them."""
    return f"""{ATOM_COLUMNS}
where +id in (
  {filters.posts_of(kind, kind)})
order by published desc
limit 50"""


# As feed_of: newest first, stopping at 50 (a word in a tenth of the posts would otherwise
# have them all read before sorting).
FEED_SEARCH = f"""{ATOM_COLUMNS}
where +post_rowid in (select rowid from posts_fts where posts_fts match fts_query(:q))
  {filters.feed_filters()}
order by published desc
limit 50"""

SQL = {
    "search": search(),
    "posts_mentioning_organization": POSTS_MENTIONING_ORGANIZATION,
    "posts_referencing_standard": POSTS_REFERENCING_STANDARD,
    "organizations_mentioned_together": ORGANIZATIONS_MENTIONED_TOGETHER,
    "feed_organization": feed_of("organization"),
    "feed_tag": feed_of("tag"),
    "feed_search": FEED_SEARCH,
}


def completed(declared: dict) -> dict:
    """The queries of `declared` (a database's canned queries in the metadata) that have no
    SQL there, with theirs; the others as they are declared are Datasette's."""
    return {
        name: {**query, "sql": SQL[name]}
        for name, query in declared.items()
        if isinstance(query, dict) and "sql" not in query and name in SQL
    }
