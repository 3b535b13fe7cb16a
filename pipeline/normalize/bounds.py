"""What one page may cost: how much of it is parsed, how long its stored fields may be.

A parsed tree and the texts taken from it cost many times the page's size, and a stored body is
read whole by every search snippet and by its post's page. Pages under the download limit may
still be tens of megabytes (a site's mistake, or a hostile answer), so each is bounded here: the
crawling process cuts a page before handing it to a normalization worker (normalize/workers.py),
and extraction cuts again, whoever calls it (normalize/extract.py). Light on purpose: the
crawling process imports it, and never the parsers.
"""

from __future__ import annotations

import re

# A page longer than this (in characters) is read in part: its scripts, styles, templates, SVG
# and comments are dropped, then what is left past this length. No article needs more: the
# stored body is cut at MAX_TEXT_CHARS anyway.
MAX_PARSE_CHARS = 2_000_000
# The stored body's length, in characters (about 30,000 words, a long report): no single post
# can slow search snippets or its own page. A cut body's text_source ends with CUT, and its
# word_count counts the words stored.
MAX_TEXT_CHARS = 200_000
CUT = "+cut"
# The stored body structure's length in characters of HTML (posts.body_html): its text is bounded
# like the body's, and its markup (links' addresses) by this, cut at a block's end.
MAX_HTML_CHARS = 2 * MAX_TEXT_CHARS
# Titles and descriptions past this length are markup gone wrong, not prose: cut as well.
MAX_FIELD_CHARS = 2_000

# Scripts (but JSON-LD, where the publication date often stands), styles, templates, SVG,
# comments: dropped from a long page.
_NOT_TEXT = re.compile(r"<(script(?![^>]*ld\+json)|style|template|svg)\b|<!--", re.IGNORECASE)
_CLOSERS = {
    name: re.compile(closer, re.IGNORECASE)
    for name, closer in (
        ("script", r"</script\s*>"),
        ("style", r"</style\s*>"),
        ("template", r"</template\s*>"),
        ("svg", r"</svg\s*>"),
        (None, r"-->"),
    )
}


def bounded_html(html: str, limit: int = MAX_PARSE_CHARS) -> str:
    """The page, or for a page over `limit` characters its first `limit` characters of markup
    and text, scripts, styles, templates, SVG and comments left out. One pass from the start
    that stops once `limit` characters are kept: what it takes is bounded by `limit`, and an
    element never closed ends the page rather than being searched for again (no quadratic
    time on a page of unclosed comments)."""
    if len(html) <= limit:
        return html
    kept, size, at = [], 0, 0
    while size < limit:
        found = _NOT_TEXT.search(html, at, at + limit - size)
        end = found.start() if found else min(len(html), at + limit - size)
        kept.append(html[at:end])
        size += end - at
        if not found:
            break
        closer = _CLOSERS[found.group(1) and found.group(1).lower()].search(html, found.end())
        if closer is None:
            break
        at = closer.end()
    return "".join(kept)


def bounded_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """The text, or its first `limit` characters ending at a paragraph's end (else a word's)."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    for separator in ("\n\n", " "):
        end = head.rfind(separator)
        if end > limit // 2:
            return head[:end].rstrip()
    return head


def bounded_field(value: str | None) -> str | None:
    """A title or description, at most MAX_FIELD_CHARS long."""
    return value[:MAX_FIELD_CHARS] if value else value


def bounded_item(item: dict) -> dict:
    """A fetched item whose page is bounded (the same item when it was short enough)."""
    html = item.get("html")
    if isinstance(html, str) and len(html) > MAX_PARSE_CHARS:
        return {**item, "html": bounded_html(html)}
    return item
