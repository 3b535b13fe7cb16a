"""`Post`, what normalization makes of a fetched page, and the small records it lists.

The shape of a post is stated here once. Each field says whether it is a column of the `posts`
table (`column`) and whether it belongs to the body a refused fetch must not erase (`body`); the
store derives its column lists from these marks. Lists (organizations, tags, standards, dates,
other addresses) go to link tables; the store writes them too.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypedDict

from pipeline.normalize.dates import Mention


class Alias(TypedDict):
    """Another address that led to the post, and how (discovered, redirect, requested, final)."""

    url: str
    kind: str


class Organization(TypedDict):
    """An organization of the gazetteer the post names: its publisher or one it mentions."""

    id: str
    acronym: str | None
    name: str
    role: str
    count: int


class Tag(TypedDict):
    """A site's own tag or a topic of the vocabulary, with the words that matched (topics)."""

    id: str
    name: str
    origin: str
    matched: list[str]


class Author(TypedDict):
    """Someone a post credits: a person, a team or an organization (kind), and where the name
    was read (provenance: markup:<kind>, api:authors, text:signature, trafilatura)."""

    name: str
    kind: str
    provenance: str


class PersonMention(TypedDict):
    """A person the post names with a role (normalize/people.py): the name as written without
    titles, the key that is the same for every post naming them, the role (named in English),
    the body (an organization's id or a committee), and the sentence as evidence."""

    name: str
    key: str
    honorific: str | None
    role: str
    role_text: str
    organization: str | None
    committee: str | None
    sentence: str
    language: str | None


# The default of a field every post must be given.
REQUIRED: Any = dataclasses.MISSING


def column(default: Any = None, body: bool = False) -> Any:
    """A field stored as a column of `posts`; `body` when a refused fetch keeps the stored one."""
    return field(default=default, metadata={"column": True, "body": body})


def listed() -> Any:
    """A list the store writes to link tables (and, for some, a JSON column of its own)."""
    return field(default_factory=list)


# The field order is the order `stdnews extract` prints a post in.
@dataclass(frozen=True, kw_only=True, slots=True)
class Post:
    """One news post as normalization reads it; frozen (dataclasses.replace for a variant)."""

    id: str = column(REQUIRED)
    source: str = column(REQUIRED)
    url: str = column(REQUIRED)
    story_id: str | None = column()
    generation: str | None = column()
    # Other addresses that led to this post (as discovered, redirects), for the record.
    aliases: list[Alias] = listed()
    title: str = column(REQUIRED)
    title_source: str | None = column()
    published: str | None = column()
    published_precision: str | None = column()
    published_source: str | None = column()
    published_year: int | None = column()
    updated: str | None = column()
    updated_source: str | None = column()
    # The authors' names as one line; each author with its kind and provenance: `authors`.
    byline: str | None = column()
    # Dates the text mentions (events, deadlines): never the publication date.
    mentioned_dates: list[Mention] = listed()
    simhash: int | None = column(body=True)
    published_month: str | None = column()
    language: str | None = column()
    description: str | None = column()
    text: str = column("", body=True)
    text_source: str | None = column(body=True)
    # The body's headings, paragraphs, lists and quotes as HTML of a short allowlist, built tag by
    # tag (normalize/structure.py); None when the body came from trafilatura or before it was kept.
    body_html: str | None = column(body=True)
    # The page was refused or empty (OECD's 403s): the post stands on its discovery record.
    text_missing: bool = column(False, body=True)
    word_count: int = column(0, body=True)
    content_hash: str | None = column(body=True)
    http_status: int | None = column()
    # The site's page, the Internet Archive's copy of it, or only its discovery record.
    fetched_via: str | None = column(body=True)
    archived_at: str | None = column(body=True)
    fetched_at: str | None = column()
    organizations: list[Organization] = listed()
    tags: list[Tag] = listed()
    standards: list[str] = listed()
    # Standards the page lists beside the story (ISO's "Related standards" aside).
    related_standards: list[str] = listed()
    committees: list[str] = listed()
    # Who the post credits, in the page's order (normalize/bylines.py).
    authors: list[Author] = listed()
    # People named with their role and body (normalize/people.py).
    people: list[PersonMention] = listed()

    def to_dict(self) -> dict[str, Any]:
        """The post as plain JSON-ready data, fields in order."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Post:
        """The post to_dict gave (a fetcher's post, sent to the writer as JSON)."""
        mentions = [Mention(**m) for m in data.get("mentioned_dates") or []]
        return cls(**{**data, "mentioned_dates": mentions})


def stored(mark: str = "column") -> tuple[str, ...]:
    """The names of Post's fields with the given mark ("column" or "body"), in field order."""
    return tuple(f.name for f in dataclasses.fields(Post) if f.metadata.get(mark))
