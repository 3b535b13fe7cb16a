"""One fetched page (a plain dict, see crawlers/items.py) -> one normalized `Post`.

Stages run in order: extract (title, body, date and where each came from), language, standards and
committees, organizations, tags, bylines, people. Each stage is a module of its own; this one
only wires them.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import urlsplit

from pipeline.normalize import (
    bylines,
    dates,
    duplicates,
    extract,
    language,
    organizations,
    people,
    phrases,
    standards,
    tags,
)
from pipeline.normalize.sources import SOURCES, source_for_url
from pipeline.normalize.types import Alias, Post
from pipeline.normalize.urls import canonical_url, story_url, url_id


class NormalizeError(ValueError):
    """A page that cannot become a post (no title, not an article)."""


def content_hash(title: str, text: str) -> str:
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()


def aliases(item: dict, url: str) -> list[Alias]:
    seen = {url}
    found: list[Alias] = []
    hints = item.get("hints") or {}
    for kind, addresses in (
        ("discovered", [hints.get("discovered_as")]),
        ("redirect", item.get("redirect_urls") or []),
        ("requested", [item.get("url")]),
        ("final", [item.get("final_url")]),
    ):
        for address in addresses:
            if address and address not in seen:
                seen.add(address)
                found.append(Alias(url=address, kind=kind))
    return found


def normalize(item: dict, now: datetime | None = None) -> Post:
    """A post from a fetched page; raises NormalizeError for pages that are not posts."""
    # The crawl made the address canonical once (post_url); a page read from a file or the raw
    # store is made canonical here.
    url = item.get("post_url") or canonical_url(item.get("final_url") or item["url"])
    source = SOURCES.get(item.get("source", "")) or source_for_url(url)
    if source and not source.is_article(url):
        raise NormalizeError(f"not an article URL of {source.id}: {url}")
    hints = item.get("hints") or {}
    fields = extract.extract(item.get("html") or "", url, source, hints, now)
    if not fields.title:
        raise NormalizeError(f"no title found: {url}")
    text = fields.text
    published = fields.published
    # Title and text as the organizations read them, so that each pattern runs once.
    whole = phrases.post_text(fields.title, text)
    found_standards = standards.standards(whole)
    related = [
        s for s in standards.standards("\n".join(fields.related)) if s not in found_standards
    ]
    found_committees = standards.committees(whole)
    credited = bylines.authors(item.get("html"), text, hints)
    post_tags = tags.site_tags(fields.site_tags) + tags.topics(fields.title, text)
    lang = language.detect(text or fields.title, fields.html_lang or hints.get("language"))
    return Post(
        id=url_id(url),
        source=source.id if source else urlsplit(url).hostname,
        url=url,
        story_id=url_id(story_url(url, source, fields.alternates)),
        generation=fields.generation,
        aliases=aliases(item, url),
        title=fields.title,
        title_source=fields.title_source,
        published=published.value if published else None,
        published_precision=published.precision if published else None,
        published_source=published.source if published else None,
        published_year=published.year if published else None,
        updated=fields.updated.value if fields.updated else None,
        updated_source=fields.updated.source if fields.updated else None,
        byline=bylines.byline(credited),
        mentioned_dates=dates.mentions(text),
        simhash=duplicates.simhash(text),
        published_month=published.value[:7]
        if published and published.precision != "year"
        else None,
        language=lang,
        description=fields.description,
        text=text,
        text_source=fields.text_source,
        body_html=fields.body_html,
        text_missing=not text,
        word_count=len(text.split()),
        content_hash=content_hash(fields.title, text),
        http_status=item.get("status"),
        # The site's page, the Internet Archive's copy of it, or only its discovery record (an
        # item without fetched_via, e.g. from an older raw store: live when it has a page).
        fetched_via=item.get("fetched_via") or ("live" if item.get("html") else "api"),
        archived_at=item.get("archived_at"),
        fetched_at=item.get("fetched_at")
        or (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        organizations=organizations.find(
            fields.title, text, source.organization if source else None
        ),
        tags=post_tags,
        standards=found_standards,
        related_standards=related,
        committees=found_committees,
        authors=credited,
        people=people.find(fields.title, text, lang),
    )
