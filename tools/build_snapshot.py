"""Render the bundled offline snapshot (data/snapshot/) from posts and page templates.

The snapshot is a `wget --mirror`-style folder (<host>/<path>[?query]) of the four news sites:
listing pages, API responses and article pages, in markup modelled on what is known of the real
sites (../shared/reference/sites.md). Posts live in tools/snapshot/posts/<source>.yaml, page
markup in tools/snapshot/templates/. Run `make snapshot` after editing either; the output is
committed so that a fresh clone crawls it without this script.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawlers.spiders.oecd import api_url  # noqa: E402  (the spider's own query URL)

HERE = ROOT / "tools" / "snapshot"
OUT = ROOT / "data" / "snapshot"
MONTHS = "January February March April May June July August September October November December"

ROBOTS = {
    "www.iec.ch": "User-agent: *\nCrawl-delay: 1\nDisallow: /core/\nDisallow: /admin/\n"
    "Disallow: /user/\nDisallow: /search/\nDisallow: /node/add/\n",
    "www.bipm.org": "User-agent: *\nDisallow: /c/\nDisallow: /group/\n"
    "Disallow: /web/guest/search\n",
    "www.iso.org": "User-agent: *\nDisallow: /cms/\nDisallow: /sites/\nDisallow: /obp/ui/\n\n"
    "User-agent: GPTBot\nDisallow: /\n",
    "api.oecd.org": "User-agent: *\nAllow: /\n",
    "www.oecd.org": "User-agent: *\nDisallow: /content/dam/oecd/\n"
    "Disallow: /adobe/dynamicmedia/deliver/\n",
}


def load_posts(source: str) -> list[dict]:
    posts = yaml.safe_load((HERE / "posts" / f"{source}.yaml").read_text("utf-8"))
    for post in posts:
        post["published"] = str(post["published"])
        year, month, day = post["published"].split("-")
        post["published_long"] = f"{int(day)} {MONTHS.split()[int(month) - 1]} {year}"
        post["path_tail"] = f"{year}/{month}/{post['slug']}.html"
        post["asset_id"] = int(hashlib.sha1(post["slug"].encode()).hexdigest()[:7], 16)
        post.setdefault("tags", [])
    return sorted(posts, key=lambda p: p["published"], reverse=True)


def pages(posts: list[dict], size: int) -> list[list[dict]]:
    return [posts[i : i + size] for i in range(0, len(posts), size)]


def write(path: str, text: str, encoding: str = "utf-8") -> None:
    target = OUT / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.encode(encoding, errors="xmlcharrefreplace"))


def build_iec(env: Environment) -> None:
    posts = load_posts("iec")
    for post in posts:
        post["url"] = f"https://www.iec.ch/blog/{post['slug']}"
        recent = [p for p in posts if p is not post][:4]
        write(
            f"www.iec.ch/blog/{post['slug']}",
            env.get_template("iec_article.html").render(post=post, recent=recent),
        )
    chunks = pages(posts, 6)
    for number, chunk in enumerate(chunks):
        name = "www.iec.ch/news-blogs" + (f"?page={number}" if number else "")
        write(
            name,
            env.get_template("iec_listing.html").render(
                posts=chunk, page=number, has_next=number + 1 < len(chunks)
            ),
        )


BIPM_CUR = (
    "_com_liferay_asset_publisher_web_portlet_AssetPublisherPortlet_INSTANCE_q2UNnrQxlLyK_cur"
)


def bipm_page_url(number: int) -> str:
    return f"https://www.bipm.org/en/news-detail?{BIPM_CUR}={number}"


def build_bipm(env: Environment) -> None:
    posts = load_posts("bipm")
    current = [p for p in posts if not p.get("legacy")]
    legacy = [p for p in posts if p.get("legacy")]
    for post in current:
        post["url"] = f"https://www.bipm.org/en/-/{post['slug']}"
        recent = [p for p in current if p is not post][:5]
        write(
            f"www.bipm.org/en/-/{post['slug']}",
            env.get_template("bipm_article.html").render(post=post, recent=recent),
        )
    chunks = pages(current, 6)
    for index, chunk in enumerate(chunks):
        number = index + 1  # Liferay's _cur is 1-based
        name = "www.bipm.org/en/news-detail" + (f"?{BIPM_CUR}={number}" if index else "")
        write(
            name,
            env.get_template("bipm_listing.html").render(
                posts=chunk, page=number, has_next=index + 1 < len(chunks), page_url=bipm_page_url
            ),
        )
    # The pre-2021 site served ISO-8859-1 (recorded Content-Type text/html;charset=ISO-8859-1).
    for post in legacy:
        write(
            f"www.bipm.org/en/news/full-stories/{post['slug']}.html",
            env.get_template("bipm_legacy_article.html").render(post=post),
            "iso-8859-1",
        )
    write(
        "www.bipm.org/en/news/index.html",
        env.get_template("bipm_legacy_listing.html").render(posts=legacy),
        "iso-8859-1",
    )


def build_iso(env: Environment) -> None:
    posts = load_posts("iso")
    for post in posts:
        post["url"] = f"https://www.iso.org/contents/news/{post['path_tail']}"
        write(
            f"www.iso.org/contents/news/{post['path_tail']}",
            env.get_template("iso_article.html").render(post=post),
        )
    chunks = pages(posts, 6)
    for index, chunk in enumerate(chunks):
        number = index + 1
        name = "www.iso.org/news.html" + (f"?page={number}" if index else "")
        write(
            name,
            env.get_template("iso_listing.html").render(
                posts=chunk, page=number, has_next=index + 1 < len(chunks)
            ),
        )


OECD_KINDS = {
    "press-releases": "Press release",
    "announcements": "Announcement",
    "media-advisories": "Media advisory",
}


def oecd_record(post: dict) -> dict:
    tags = [{"id": f"oecd-content-types:news/{post['kind']}", "title": post["kind_label"]}]
    tags += [
        {"id": f"oecd-policy-issues:{tag.lower().replace(' ', '-')}", "title": tag}
        for tag in post["tags"]
    ]
    return {
        "title": post["title"],
        "description": post["summary"],
        "url": post["url"].removeprefix("https://www.oecd.org"),
        "publicationDateTime": f"{post['published']}T10:00:00Z",
        "featuredImageUrl": f"/adobe/dynamicmedia/deliver/dm-aid--{post['asset_id']:x}/image.jpg",
        "tags": tags,
        "snippet": post["summary"],
    }


def build_oecd(env: Environment) -> None:
    posts = load_posts("oecd")
    for post in posts:
        post.setdefault("kind", "press-releases")
        post["kind_label"] = OECD_KINDS[post["kind"]]
        post["url"] = f"https://www.oecd.org/en/about/news/{post['kind']}/{post['path_tail']}"
        write(
            post["url"].removeprefix("https://"),
            env.get_template("oecd_article.html").render(post=post),
        )
    size = 10
    chunks = pages(posts, size)
    years = [int(p["published"][:4]) for p in posts]
    for number, chunk in enumerate(chunks):
        body = {
            "results": [oecd_record(post) for post in chunk],
            "facets": [],
            "minPublicationYear": min(years),
            "maxPublicationYear": max(years),
        }
        write(api_url(number, size).removeprefix("https://"), json.dumps(body, indent=1))


def main() -> None:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "xml"]),
        keep_trailing_newline=True,
    )
    if OUT.exists():
        shutil.rmtree(OUT)
    for host, text in ROBOTS.items():
        write(f"{host}/robots.txt", text)
    build_iec(env)
    build_bipm(env)
    build_iso(env)
    build_oecd(env)
    files = sorted(p for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {len(files)} files under {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
