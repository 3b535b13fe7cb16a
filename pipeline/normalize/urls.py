"""URLs as keys: the canonical form of an article's address, the story it belongs to, ids.

Light on purpose (no parsing libraries): the crawling process needs these for every link it
finds, while the heavy normalization runs in worker processes (normalize/workers.py).
"""

from __future__ import annotations

import functools
import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipeline.normalize.sources import SOURCES, Source, source_for_url

TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")
# Hosts a source serves under www. too ("iso.org" and "www.iso.org"): the www. form is the key.
BARE_HOSTS = tuple(sorted(h for s in SOURCES.values() for h in s.hosts if f"www.{h}" in s.hosts))


@functools.lru_cache(maxsize=8192)
def canonical_url(url: str) -> str:
    """The key form of a URL: https, lowercase host, no trailing dot, fragment or trackers, and
    the source's other addresses of a page (mirrors, internal paths) rewritten to its own."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").rstrip(".").lower()
    if host in BARE_HOSTS:
        host = "www." + host
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(TRACKING_PARAMS)
    ]
    canonical = urlunsplit(("https", host, parts.path or "/", urlencode(query), ""))
    source = source_for_url(canonical)
    for pattern, replacement in source.url_rewrites if source else ():
        canonical = re.sub(pattern, replacement, canonical)
    return canonical


def story_url(url: str, source: Source | None, alternates: dict[str, str] | None = None) -> str:
    """The URL naming the story that all language versions of a post share: the default (or
    English) version the page declares with hreflang, else the URL without its language."""
    declared = (alternates or {}).get("x") or (alternates or {}).get("en")  # "x-default" -> "x"
    if declared:
        url = canonical_url(declared)
    if source is None or source.language_path is None:
        return url
    parts = urlsplit(url)
    pattern, replacement = source.language_path
    return urlunsplit(parts._replace(path=re.sub(pattern, replacement, parts.path)))


def url_id(url: str) -> str:
    """Stable id of a post (or story): a hash of its canonical URL."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]
