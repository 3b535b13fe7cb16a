"""The body's structure (headings, paragraphs, lists, quotes) as HTML built here, tag by tag.

Nothing scraped is ever markup: the builder reads the page's elements and emits its own, from
a short allowlist (ALLOWED), with the page's text nodes as text (lxml escapes them when
serializing) and, as the only attribute, the href of a link whose address is http(s). The post
page renders the stored HTML after passing it through the builder again (sanitized()), so that a
database written by anything else still shows only these tags.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from pipeline.normalize import bounds

# Every tag the builder emits; nothing else reaches the post page.
ALLOWED = frozenset({"h2", "h3", "h4", "p", "ul", "ol", "li", "blockquote", "em", "strong", "a"})
HEADINGS = {"h1": "h2", "h2": "h2", "h3": "h3", "h4": "h4", "h5": "h4", "h6": "h4"}
INLINE = {"em": "em", "i": "em", "strong": "strong", "b": "strong", "a": "a"}
# Elements whose content is never shown (their tail still is).
NEVER = {"script", "style", "noscript", "template", "iframe", "svg", "object", "embed", "head"}
# Block elements of a page: text on either side of one is separate (the extractor's paragraphs).
BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "table",
    "tr",
    "td",
    "th",
    "dd",
    "dt",
    "dl",
    "figure",
    "figcaption",
    "br",
    "hr",
}
# Blocks read through, not emitted: a paragraph break before and after.
BREAKS = BLOCK_TAGS - set(HEADINGS) - {"li", "ul", "ol", "blockquote"}
# Boxes whose inline content goes in a paragraph of their own; other boxes take it directly.
BLOCK_BOXES = {"div", "blockquote"}
_SPACES = re.compile(r"\s+")
C1 = re.compile("[\x80-\x9f]")  # control characters: mis-decoded text


class _Builder:
    """Walks a page's element and appends what it reads to a <div> of allowed elements."""

    def __init__(self, skip, base_url: str, fix_c1: dict | None = None):
        self.root = etree.Element("div")
        self.skip = skip
        self.base_url = base_url
        self.fix_c1 = fix_c1
        self.open: dict = {}  # block box -> its open paragraph

    def walk(self, node, box) -> None:
        if isinstance(node.tag, str) and node not in self.skip and node.tag not in NEVER:
            self.element(node, box)
        self.text(box, node.tail)

    def children(self, node, box) -> None:
        self.text(box, node.text)
        for child in node:
            self.walk(child, box)

    def element(self, node, box) -> None:
        tag = node.tag.lower()
        if tag in HEADINGS and box.tag in BLOCK_BOXES | {"li"}:
            self.new_block(box, HEADINGS[tag], node)
        elif tag in ("ul", "ol") and box.tag in BLOCK_BOXES | {"li"}:
            self.close(box)
            listing = etree.SubElement(box, tag)
            for child in node:
                self.walk(child, listing if child.tag == "li" else box)
            self.close(box)
        elif tag == "li" and box.tag in ("ul", "ol"):
            self.children(node, etree.SubElement(box, "li"))
        elif tag == "blockquote" and box.tag in BLOCK_BOXES:
            self.new_block(box, "blockquote", node)
        elif tag in INLINE:
            self.inline(node, box, INLINE[tag])
        elif tag in BREAKS:
            self.pause(box)
            self.children(node, box)
            self.pause(box)
        else:
            self.children(node, box)

    def new_block(self, box, tag: str, node) -> None:
        self.close(box)
        self.children(node, etree.SubElement(box, tag))
        self.close(box)

    def inline(self, node, box, tag: str) -> None:
        href = None
        if tag == "a":
            href = self.address(node.get("href"))
            if href is None:
                return self.children(node, box)  # a javascript: or mailto: link: its text only
        element = etree.SubElement(self.target(box), tag)
        if href:
            element.set("href", href)
        self.children(node, element)

    def address(self, href: str | None) -> str | None:
        """The link's absolute http(s) address, or None (javascript:, mailto:, data:...)."""
        href = (href or "").strip()
        if not href.lower().startswith(("http://", "https://")):
            href = urljoin(self.base_url, href) if href else ""
        return href if urlsplit(href).scheme in ("http", "https") else None

    def target(self, box):
        """Where inline content of the box goes: its open paragraph, for a block box."""
        if box.tag not in BLOCK_BOXES:
            return box
        if self.open.get(box) is None:
            self.open[box] = etree.SubElement(box, "p")
        return self.open[box]

    def close(self, box) -> None:
        self.open[box] = None

    def pause(self, box) -> None:
        """A block of the page ends or starts: a new paragraph, or a space in a heading or item."""
        if box.tag in BLOCK_BOXES:
            self.close(box)
        else:
            self.text(box, " ")

    def text(self, box, text: str | None) -> None:
        if not text:
            return
        if self.fix_c1 and C1.search(text):
            text = text.translate(self.fix_c1)
        text = _SPACES.sub(" ", text)
        if box.tag in BLOCK_BOXES and self.open.get(box) is None and not text.strip():
            return
        if box.tag in ("ul", "ol"):
            return  # text between a list's items (whitespace, mostly)
        target = self.target(box)
        before = (target[-1].tail if len(target) else target.text) or ""
        if before.endswith(" ") and text.startswith(" "):
            text = text[1:]
        if len(target):
            target[-1].tail = before + text
        else:
            target.text = before + text


def build(container, skip=frozenset(), base_url: str = "", fix_c1: dict | None = None) -> str:
    """The container's structure as HTML of allowed elements ("" when it holds no text)."""
    builder = _Builder(skip, base_url, fix_c1)
    try:
        builder.children(container, builder.root)
    except RecursionError:
        # Markup nested past what the builder recurses through (the parser keeps 256 levels, a
        # level costs a few frames): a hostile page, shown as its paragraphs.
        return ""
    _tidy(builder.root)
    return _bounded(builder.root)


def _tidy(root) -> None:
    """Empty elements dropped, and the spaces at the start and end of each block."""
    for element in reversed(list(root.iter())):
        if element is root:
            continue
        if not "".join(element.itertext()).strip():
            _drop(element)
        elif element.tag not in INLINE:
            element.text = (element.text or "").lstrip() or None
            last = element[-1] if len(element) else None
            if last is None:
                element.text = (element.text or "").rstrip() or None
            else:
                last.tail = (last.tail or "").rstrip() or None


def _drop(element) -> None:
    """The element removed, its tail kept."""
    parent = element.getparent()
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _bounded(root) -> str:
    """The blocks' HTML, stopping before the block past the stored text's bound
    (bounds.MAX_TEXT_CHARS of text, bounds.MAX_HTML_CHARS of markup)."""
    parts, text_size, size = [], 0, 0
    for block in root:
        html = etree.tostring(block, method="html", encoding=str, with_tail=False)
        text_size += len("".join(block.itertext()))
        size += len(html)
        if text_size > bounds.MAX_TEXT_CHARS or size > bounds.MAX_HTML_CHARS:
            break
        parts.append(html)
    return "\n".join(parts)


def sanitized(html: str | None) -> str:
    """Stored body HTML rebuilt through the builder: only allowed tags and http(s) links."""
    if not html or not html.strip():
        return ""
    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    return build(fragment)
