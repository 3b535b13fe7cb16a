"""A person's page (the `people` row page, data/templates/row-news-people.html): their roles
over time, each with its body and the span of posts that say it, and their posts, each with the
role it gives them and the sentence that says so; and the people of a post, for its page."""

from __future__ import annotations

from datasette.utils import urlsafe_components

# The body of a mention: the organization's acronym (else its name), or the committee.
BODY = "coalesce(o.acronym, o.name, pp.organization, pp.committee)"
ROLES = f"""select pp.role, {BODY} as body, pp.organization, pp.committee,
  min(coalesce(p.published, p.first_seen)) as first, max(coalesce(p.published, p.first_seen))
  as last, count(distinct pp.post_id) as posts
from post_people pp join posts p on p.id = pp.post_id
left join organizations o on o.id = pp.organization
where pp.person_id = ? group by pp.role, pp.organization, pp.committee order by first, last"""
POSTS = f"""select p.id, p.title, p.source, p.language, p.published, p.published_precision,
  pp.role, pp.role_text, {BODY} as body, pp.sentence
from post_people pp join posts p on p.id = pp.post_id
left join organizations o on o.id = pp.organization
where pp.person_id = ? order by coalesce(p.published, p.first_seen) desc, p.id"""
# The people of one post, in the order of the post's mentions.
OF_POST = f"""select pp.person_id, pe.name, pp.role, {BODY} as body, pp.sentence
from post_people pp join people pe on pe.id = pp.person_id
left join organizations o on o.id = pp.organization
where pp.post_id = ? order by pp.rowid"""


def person_page_vars(datasette, database, request):
    """The template's `person_page`: roles over time and posts of the person the row is."""

    async def inner():
        (person_id,) = urlsafe_components(request.url_vars["pks"])[:1]
        db = datasette.get_database(database)

        async def rows(sql):
            return [dict(r) for r in (await db.execute(sql, [person_id])).rows]

        return {"person_page": {"roles": await rows(ROLES), "posts": await rows(POSTS)}}

    return inner


async def post_people(db, post_id: str) -> list[dict]:
    """The people a post names, with role, body and the sentence, for the post page."""
    return [dict(r) for r in (await db.execute(OF_POST, [post_id])).rows]
