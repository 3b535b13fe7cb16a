"""The posts a filter value selects, as SQL written once: the posts table's filters (the
Datasette plugin's `_organization=`, `_tag=`, `_standard=`, `_committee=`) and the canned queries
of data/metadata.yml (`{{posts_of_organization}}` there, expanded by pipeline/site.py) answer the
same question with the same text.
"""

from __future__ import annotations

import re

# Each selects post ids; the value is the parameter :{p}.
POSTS_OF = {
    "organization": """select po.post_id from post_organizations po
  join organizations o on o.id = po.organization_id
  where o.id = lower(:{p}) or o.acronym = :{p} or o.name = :{p} collate nocase""",
    "tag": """select pt.post_id from post_tags pt join tags t on t.id = pt.tag_id
  where t.name = :{p} collate nocase or t.id = :{p}""",
    # The standard, or any part (-) or edition (:) of it: the range of the index that starts
    # with it (standard ids are ASCII, below '~'), then the exact test.
    "standard": """select ps.post_id from post_standards ps
  where ps.standard_id collate nocase >= :{p} and ps.standard_id collate nocase < :{p} || '~'
  and (ps.standard_id = :{p} collate nocase
    or substr(ps.standard_id, 1, length(:{p}) + 1) collate nocase in (:{p} || '-', :{p} || ':'))""",
    "committee": """select pc.post_id from post_committees pc
  where pc.committee_id = :{p} or pc.committee_id like :{p} || '/%'""",
}  # fmt: skip
TOKEN = re.compile(r"\{\{posts_of_(\w+)\}\}")
# The ranked search's filters (data/metadata.yml), on the full-text table aliased f. A filter
# of few posts is a set of rowids tested per match (the unary + keeps SQLite from driving the
# full-text index by rowid, which re-runs the MATCH per row). Building the set costs about 1 us
# a post, 0.7 s for the posts since 2015 at 1,000,000; so a filter on the posts' own columns
# that selects a fifth of them or more (and 50,000 at least) is tested on each match's row
# instead, and the scan stops at 10,000 matches that pass. BROAD is that size, counted once.
BROAD = "max(50000, (select max(rowid) from posts) / 5)"
POST_FILTERS = {
    "source": ("source = :source", ":source = ''"),
    "language": ("language = :language", ":language = ''"),
    "dates": (
        """published between substr(:date_from, 1, 4)
        and coalesce(nullif(:date_to, ''), '~') || '~'
      and published || '-99' >= :date_from
      and (:date_to = '' or substr(published, 1, length(:date_to)) <= :date_to)""",
        ":date_from || :date_to = ''",
    ),
}
LINK_FILTERS = """
  and (:organization = '' or +f.rowid in (
    select p.rowid from posts p where p.id in ({{posts_of_organization}})))
  and (:tag = '' or +f.rowid in (
    select p.rowid from posts p where p.id in ({{posts_of_tag}})))
  and (:standard = '' or +f.rowid in (
    select p.rowid from posts p where p.id in ({{posts_of_standard}})))"""


def post_filter(test: str, unset: str, broad: str = BROAD) -> str:
    """One filter on the posts' columns: unset, or a set of rowids, or a test of each row."""
    return f"""
  and ({unset} or case
    when (select count(*) >= {broad} from (select 1 from posts where {test} limit {broad}))
    then (select {test} from posts where rowid = f.rowid)
    else +f.rowid in (select rowid from posts where {test}) end)"""


def search_filters(broad: str = BROAD) -> str:
    """The ranked search's {{search_filters}} (broad: the size from which a filter on the
    posts' columns is tested per row; tests compare both ways with other sizes)."""
    own = "".join(post_filter(test, unset, broad) for test, unset in POST_FILTERS.values())
    return own + LINK_FILTERS


def posts_of(kind: str, param: str) -> str:
    """The SQL selecting the ids of the posts of that organization, tag, standard or committee
    (the value in the parameter `param`)."""
    return POSTS_OF[kind].format(p=param)


def expand(sql: str) -> str:
    """A canned query with its {{search_filters}} and {{posts_of_<kind>}} written out, the
    value in :<kind>."""
    sql = sql.replace("{{search_filters}}", search_filters())
    return TOKEN.sub(lambda m: posts_of(m.group(1), m.group(1)), sql)
