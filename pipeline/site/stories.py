"""Stories across publishers on the site: the stories page (/<database>/-/stories, the clusters
with more than one publisher, each with its posts, confidence and evidence) and, for the post
page, the other publishers' versions of the post's story. The clusters are the store's
(pipeline/store/stories.py); their feed is the canned query feed_joint_stories."""

from __future__ import annotations

import json

from datasette.utils.asgi import NotFound, Response

# Clusters on one page, newest story first.
PAGE_SIZE = 100

CLUSTERS = """select id, title, first_published, publishers, post_count, confidence, created_at
from story_clusters where json_array_length(publishers) > 1
order by first_published desc, id desc limit :limit offset :offset"""
MEMBERS = """select c.cluster_id, c.confidence, c.evidence, p.id, p.source, p.language,
  p.title, p.published, p.url
from story_cluster_posts c join posts p on p.id = c.post_id
where c.cluster_id in (select value from json_each(:ids))
order by p.published, p.source, p.language"""
# The post page: the other publishers' posts of the post's story (its own source's other
# languages are the page's "Other languages").
OTHER_VERSIONS = """select p.id, p.source, p.language, p.title, p.published, c.confidence,
  c.cluster_id
from story_cluster_posts mine
join story_cluster_posts c on c.cluster_id = mine.cluster_id and c.post_id != mine.post_id
join posts p on p.id = c.post_id
where mine.post_id = :post_id and p.source != (select source from posts where id = :post_id)
order by p.published, p.source, p.language"""


def routes() -> list[tuple[str, object]]:
    return [(r"^/(?P<database>[^/]+)/-/stories$", stories_page)]


async def has_clusters(db) -> bool:
    return await db.table_exists("story_clusters")


async def stories_page(request, datasette):
    name = request.url_vars["database"]
    if name not in datasette.databases or name.startswith("_"):
        raise NotFound("No such database")
    db = datasette.get_database(name)
    if not await has_clusters(db):
        raise NotFound("This database has no stories across publishers (stdnews migrate)")
    page = page_number(request)
    clusters = await listed(db, page)
    context = {
        "database": name,
        "clusters": clusters,
        "page": page,
        "next_page": page + 1 if len(clusters) == PAGE_SIZE else None,
        "feed": datasette.urls.database(name) + "/feed_joint_stories.atom",
    }
    html = await datasette.render_template(
        "stories.html", context, request=request, view_name="stories"
    )
    return Response.html(html)


def page_number(request) -> int:
    value = request.args.get("page") or "1"
    return int(value) if value.isdigit() and int(value) > 0 else 1


async def listed(db, page: int) -> list[dict]:
    """One page of clusters, each with its posts (and what put each there)."""
    params = {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}
    clusters = [dict(r) for r in (await db.execute(CLUSTERS, params)).rows]
    ids = json.dumps([c["id"] for c in clusters])
    members: dict[int, list[dict]] = {}
    for row in (await db.execute(MEMBERS, {"ids": ids})).rows:
        member = dict(row)
        member["evidence"] = describe(json.loads(member["evidence"] or "{}"))
        members.setdefault(member["cluster_id"], []).append(member)
    for cluster in clusters:
        cluster["publishers"] = json.loads(cluster["publishers"] or "[]")
        cluster["posts"] = members.get(cluster["id"], [])
    return clusters


def describe(evidence: dict) -> str:
    """The evidence of one post, in a line a reader takes in at a glance."""
    if "language_version_of" in evidence:
        return "a language version of a post of the story"
    parts = []
    if evidence.get("shared_sentences"):
        count = evidence["shared_sentences"]
        parts.append(f"{count} shared sentence{'s' if count > 1 else ''}")
    if evidence.get("shared_phrases"):
        parts.append(f"{evidence['shared_phrases']:.0%} of phrases shared")
    if evidence.get("near_duplicate"):
        parts.append("near-duplicate text")
    if evidence.get("title_similarity") is not None:
        parts.append(f"title similarity {evidence['title_similarity']:.2f}")
    if evidence.get("days_apart") is not None:
        parts.append(
            "same day" if not evidence["days_apart"] else f"{evidence['days_apart']} d apart"
        )
    named = evidence.get("standards", []) + evidence.get("committees", [])
    named += [o.upper() for o in evidence.get("organizations", [])]
    if named:
        parts.append("both name " + ", ".join(named[:6]))
    return "; ".join(parts)


async def other_versions(db, post_id: str) -> list[dict]:
    """The post page's list: the story's posts by other publishers, with their confidence."""
    if not await has_clusters(db):
        return []
    return [dict(r) for r in (await db.execute(OTHER_VERSIONS, {"post_id": post_id})).rows]
