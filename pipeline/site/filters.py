"""The posts a filter value selects, as SQL written once: the posts table's filters (the
Datasette plugin's `_organization=`, `_tag=`, `_standard=`, `_committee=`, `_person=`, `_from=`,
`_to=`), the ranked search and its feed, and the canned queries built from them
(pipeline/site/queries.py) answer the same question with the same text.
"""

from __future__ import annotations

# What a value names, on a table alias {t}; the value is the parameter :{p}.
ORGANIZATION_IS = "({t}.id = lower(:{p}) or {t}.acronym = :{p} or {t}.name = :{p} collate nocase)"
# The standard, or any part (-) or edition (:) of it: the range of the index that starts with
# it (standard ids are ASCII, below '~'), then the exact test.
STANDARD_IS = """{t}.standard_id collate nocase >= :{p}
  and {t}.standard_id collate nocase < :{p} || '~'
  and ({t}.standard_id = :{p} collate nocase
    or substr({t}.standard_id, 1, length(:{p}) + 1) collate nocase in (:{p} || '-', :{p} || ':'))"""
# A post dated to a month or a year counts when its period overlaps the range. The first
# comparison of each is implied by the second; it lets SQLite read a range of the date index.
# An empty value selects every dated post.
PUBLISHED_FROM = "{t}.published >= substr(:{p}, 1, 4) and {t}.published || '-99' >= :{p}"
PUBLISHED_TO = "{t}.published <= :{p} || '~' and substr({t}.published, 1, length(:{p})) <= :{p}"

# Each selects post ids; the value is the parameter :{p}.
POSTS_OF = {
    "organization": "select po.post_id from post_organizations po\n"
    "  join organizations o on o.id = po.organization_id\n"
    "  where " + ORGANIZATION_IS.format(t="o", p="{p}"),
    "tag": """select pt.post_id from post_tags pt join tags t on t.id = pt.tag_id
  where t.name = :{p} collate nocase or t.id = :{p}""",
    "standard": "select ps.post_id from post_standards ps\n"
    "  where " + STANDARD_IS.format(t="ps", p="{p}"),
    "committee": """select pc.post_id from post_committees pc
  where pc.committee_id = :{p} or pc.committee_id like :{p} || '/%'""",
    # A person by key ("martin-milton") or name as the people table has it.
    "person": """select pp.post_id from post_people pp join people pe on pe.id = pp.person_id
  where pe.id = :{p} or pe.name = :{p} collate nocase""",
}

# The ranked search's filters (pipeline/site/queries.py), on the rowid of the post a match is. A
# filter of few posts is a set of rowids tested per match (the unary + keeps SQLite from driving
# the full-text index by rowid, which re-runs the MATCH per row). Building the set costs time
# for every post it holds (docs/performance.md); so a filter on the posts' own
# columns that selects a fifth of them or more (and 50,000 at least) is tested on each match's
# row instead, and the scan stops at 10,000 matches that pass. BROAD is that size (a cheap
# subquery, written where each filter tests it).
BROAD = "max(50000, (select max(rowid) from posts) / 5)"
POST_FILTERS = {  # the test on a table alias {t}, and when it is not asked for
    "source": ("{t}.source = :source", ":source = ''"),
    "language": ("{t}.language = :language", ":language = ''"),
    "dates": (
        PUBLISHED_FROM.format(t="{t}", p="date_from")
        + " and "
        + PUBLISHED_TO.format(t="{t}", p="date_to"),
        ":date_from || :date_to = ''",
    ),
}
LINK_FILTERS = ("organization", "tag", "standard")


def post_filter(test: str, unset: str, rowid: str, broad: str) -> str:
    """One filter on the posts' columns: unset, or a set of rowids, or a test of each row."""
    test = test.format(t="posts")
    return f"""
  and ({unset} or case
    when (select count(*) >= {broad} from (select 1 from posts where {test} limit {broad}))
    then (select {test} from posts where rowid = {rowid})
    else +{rowid} in (select rowid from posts where {test}) end)"""


def link_filter(kind: str, rowid: str) -> str:
    return f"""
  and (:{kind} = '' or +{rowid} in (
    select p.rowid from posts p where p.id in ({posts_of(kind, kind)})))"""


def search_filters(rowid: str = "f.rowid", broad: str = BROAD) -> str:
    """The ranked search's filters for the post of rowid (broad: the size from which a filter
    on the posts' columns is tested per row; tests compare both ways with other sizes)."""
    own = "".join(post_filter(test, unset, rowid, broad) for test, unset in POST_FILTERS.values())
    return own + "".join(link_filter(kind, rowid) for kind in LINK_FILTERS)


def feed_filters(table: str = "post_feed", rowid: str = "post_rowid") -> str:
    """The same filters for the search feed, whose rows carry the posts' columns: it reads
    newest first and stops at 50, so a column is tested on the row it already has."""
    own = "".join(
        f"\n  and ({unset} or {test.format(t=table)})" for test, unset in POST_FILTERS.values()
    )
    return own + "".join(link_filter(kind, rowid) for kind in LINK_FILTERS)


def posts_of(kind: str, param: str) -> str:
    """The SQL selecting the ids of the posts of that organization, tag, standard or committee
    (the value in the parameter `param`)."""
    return POSTS_OF[kind].format(p=param)


# A filter form's parameter -> the posts table's filter that answers it (the plugin's `_tag=`...):
# the reading list's download links and the post_feed table's feed title read it.
TABLE_FILTERS = {
    "source": "source",
    "language": "language",
    "organization": "_organization",
    "tag": "_tag",
    "standard": "_standard",
    "date_from": "_from",
    "date_to": "_to",
}
