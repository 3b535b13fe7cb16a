"""Render data/variants/: every discovery page of the snapshot again, in another theme of its CMS.

The live sites change their listing markup within months (../shared/reference/sites.md, section
00), so the crawl must not rest on the one selector a spider knows. Each page written here lists
exactly the articles of the snapshot page at the same address, in markup that the site's own
selectors (`article_links_css`, the spider's `article_links`) and its pagination rule
(`next_page_css`) do not match, with links in other shapes the source accepts (relative, http://,
bare host, trailing-dot host, tracking parameters, fragments, Jahia's and Liferay's internal
paths). Only the crawler's generic paths (links to article URLs, rel=next, next-labelled links,
numbered pages) can find them; tests/test_variants.py crawls the snapshot with these pages laid
over it and expects the same posts.

The snapshot's own builder (tools/build_snapshot.py) renders the pages, with the templates of
tools/variants/ in front of its own (same names): same posts, same chunking, same page addresses.
Feeds are rewritten as Atom (the snapshot's are RSS 2.0). OECD's search API answers JSON, not
markup: it has no variant.

Themes (template -> pages):
* iec_listing.html: Drupal 10 view rows with a Bootstrap pager of page numbers only
  (www.iec.ch/blog, ?page=1).
* iec_wp_listing.html: WordPress block theme, query loop, "Older posts" link without the
  classic classes (blog.iec.ch/, /page/2/).
* iec_newslog_index.html: a plain HTML table with relative links (www.iec.ch/newslog/).
* bipm_listing.html: Liferay 7.4 Clay cards, numbered `page-link`s (www.bipm.org/{en,fr}/news-detail
  and its second page).
* bipm_legacy_listing.html: the old site as a two-column table, ISO-8859-1 (www.bipm.org/en/news/).
* iso_listing.html: Bootstrap card grid in Jahia, `<link rel=next>` in the head and a "Load more"
  button without a URL (www.iso.org/news.html, ?page=2, /fr/ and /ru/ listings).
* iso_hub.html and _iso_teaser.html: the 2025-26 hub (www.iso.org/insights/standards-world and
  its fr/ru/es versions) as Bootstrap cards; each section's "Load more" is a plain link to its
  first ajax fragment (the first one also as `<link rel=next>`), no button or script. The
  fragments keep their addresses and hold the same cards; past the first fragment, paging is
  the URL's offset (the site's rule, which markup cannot change).
* oecd_legacy_listing.html: another old OECD layout, `<a rel=next>` with an arrow only
  (www.oecd.org/newsroom/publicationsdocuments/bydate/, /2/).
* rss.xml: Atom 1.0 in place of RSS 2.0 (blog.iec.ch/feed/, www.iso.org/contents/news.rss,
  api.oecd.org's RSS twins).

Run `make variants` after changing the snapshot's posts or pages; the output is committed.
"""

from __future__ import annotations

import email.utils
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from jinja2 import ChoiceLoader, Environment, FileSystemLoader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import build_snapshot as builder  # noqa: E402  (the snapshot's posts, chunking and addresses)

from pipeline.normalize.sources import source_for_url  # noqa: E402
from pipeline.normalize.urls import BARE_HOSTS, canonical_url  # noqa: E402

OUT = ROOT / "data" / "variants"
TEMPLATES = ROOT / "tools" / "variants"  # one per snapshot template it replaces
SNAPSHOT = builder.OUT
TRACKING = "utm_source=newsletter&utm_medium=email"


def vary(url: str, index: int) -> str:
    """One of the shapes a page's links take for the same article, by the item's position."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    shape = index % 6
    if shape == 0:
        return urlunsplit(("", "", parts.path, parts.query, ""))  # site-relative
    if shape == 1:
        return url
    if shape == 2:
        return urlunsplit(("http", host, parts.path, parts.query, ""))
    if shape == 3:
        return url + ("&" if parts.query else "?") + TRACKING
    if shape == 4:
        return url + "#main-content"
    bare = host.removeprefix("www.")
    other = bare if bare in BARE_HOSTS else host + "."  # bare host, else a trailing-dot host
    return urlunsplit(("https", other, parts.path, parts.query, ""))


def site_vary(href: str, site: str, index: int) -> str:
    """vary() for a site-relative or absolute link."""
    return vary(href if "://" in href else site + href, index)


def iso_shape(path: str, index: int) -> str:
    """ISO's shapes of /[fr/|ru/]contents/news/YYYY/MM/<slug>.html (sites.md 3.2 and 00)."""
    match = re.match(r"^/((?:fr|ru)/)?contents/news/(.+)$", path)
    language, tail = match.group(1) or "", match.group(2)
    shapes = (
        f"/{language}news/{tail}",  # the dated short form
        f"/cms/render/live/{language or 'en/'}sites/isoorg/contents/news/{tail}",
        f"https://iso.org/{language}contents/news/{tail}",
        f"http://www.iso.org/{language}contents/news/{tail}?{TRACKING}",
        f"{path}#content",
    )
    return shapes[index % len(shapes)]


def atom_date(rfc822: str) -> str:
    return email.utils.parsedate_to_datetime(rfc822).isoformat()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


FILTERS = {
    "vary": vary,
    "site_vary": site_vary,
    "iso_shape": iso_shape,
    "atom_date": atom_date,
    "slug": slug,
    "long_date": builder.long_date,
}


class VariantEnvironment(Environment):
    """The builder's Jinja environment with the variant templates in front of its own."""

    def __init__(self, **kwargs):
        kwargs["loader"] = ChoiceLoader([FileSystemLoader(TEMPLATES), kwargs["loader"]])
        super().__init__(**kwargs)
        self.filters.update(FILTERS)


def page_url(path: str) -> str:
    """The URL a mirror file answers (wget layout: a folder's page is its index.html)."""
    return "https://" + path.removesuffix("index.html")


def is_discovery(path: str, body: bytes) -> bool:
    """A listing, feed or index page of the mirror: not an article, robots.txt, a replay rule
    or an API's JSON answer (an API has no theme: it stays as it is)."""
    name = path.rsplit("/", 1)[-1]
    if name.startswith(".") or name == "robots.txt" or body.lstrip()[:1] in (b"{", b"["):
        return False
    url = canonical_url(page_url(path))
    source = source_for_url(url)
    return source is not None and not source.is_article(url)


def render() -> dict[str, bytes]:
    """Every page the snapshot builder writes, rendered with the variant templates."""
    written: dict[str, bytes] = {}

    def capture(path: str, text: str, encoding: str = "utf-8") -> None:
        written[path] = text.encode(encoding, errors="xmlcharrefreplace")

    saved = builder.write, builder.Environment
    builder.write, builder.Environment = capture, VariantEnvironment
    try:
        builder.build_sites()
    finally:
        builder.write, builder.Environment = saved
    return written


def variants() -> dict[str, bytes]:
    """The discovery pages, each checked to differ from the snapshot page it replaces."""
    pages = {path: body for path, body in render().items() if is_discovery(path, body)}
    same = [path for path, body in pages.items() if (SNAPSHOT / path).read_bytes() == body]
    if same:
        sys.exit("no variant template for: " + ", ".join(sorted(same)))
    return pages


def main() -> None:
    pages = variants()
    if OUT.exists():
        shutil.rmtree(OUT)
    for path, body in sorted(pages.items()):
        target = OUT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    print(f"wrote {len(pages)} discovery pages under {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
