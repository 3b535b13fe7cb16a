"""One fetched page (a plain dict, see crawlers/items.py) -> one normalized post.

Stages run in order: extract (title, body, date and where each came from), language, standards and
committees, organizations, tags. Each stage is a module of its own; this one only wires them.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipeline import extract, language, organizations, standards, tags
from pipeline.sources import SOURCES, source_for_url

TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")


class NormalizeError(ValueError):
    """A page that cannot become a post (no title, not an article)."""


def canonical_url(url: str) -> str:
    """The key form of a URL: https, lowercase host, no trailing dot, fragment or trackers."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").rstrip(".").lower()
    if host in ("bipm.org", "iec.ch", "iso.org", "oecd.org"):
        host = "www." + host
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(TRACKING_PARAMS)
    ]
    path = parts.path or "/"
    if host == "www.bipm.org":  # Liferay serves every page under /web/guest too
        path = path.replace("/web/guest/", "/", 1)
    return urlunsplit(("https", host, path, urlencode(query), ""))


def post_id(url: str) -> str:
    """Stable id of a post: a hash of its canonical URL."""
    return hashlib.sha256(canonical_url(url).encode()).hexdigest()[:16]


def content_hash(title: str, text: str) -> str:
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()


def normalize(item: dict, now: datetime | None = None) -> dict:
    """A post from a fetched page; raises NormalizeError for pages that are not posts."""
    url = canonical_url(item.get("final_url") or item["url"])
    source = SOURCES.get(item.get("source", "")) or source_for_url(url)
    fields = extract.extract(item.get("html") or "", url, source, item.get("hints"), now)
    if not fields.title:
        raise NormalizeError(f"no title found: {url}")
    text = fields.text
    published = fields.published
    found_standards = standards.standards(f"{fields.title}\n{text}")
    found_committees = standards.committees(f"{fields.title}\n{text}")
    post_tags = tags.site_tags(fields.site_tags) + tags.topics(fields.title, text)
    return {
        "id": post_id(url),
        "source": source.id if source else urlsplit(url).hostname,
        "url": url,
        "title": fields.title,
        "title_source": fields.title_source,
        "published": published.value if published else None,
        "published_precision": published.precision if published else None,
        "published_source": published.source if published else None,
        "published_year": published.year if published else None,
        "published_month": published.value[:7]
        if published and published.precision != "year"
        else None,
        "language": language.detect(text or fields.title, fields.html_lang),
        "description": fields.description,
        "text": text,
        "text_source": fields.text_source,
        "word_count": len(text.split()),
        "content_hash": content_hash(fields.title, text),
        "http_status": item.get("status"),
        "fetched_at": item.get("fetched_at")
        or (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "organizations": organizations.find(
            fields.title, text, source.organization if source else None
        ),
        "tags": post_tags,
        "standards": found_standards,
        "committees": found_committees,
    }
