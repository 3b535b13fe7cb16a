"""A seeded generator of a mirror of many small news hosts, for the distributed-crawl benchmark.

bench/mirror.py grows the four sites; a crawl past one machine is about many sources instead (the
standards world has hundreds of bodies), each a host with its own politeness. This writes H hosts
of A articles each, one source per host, defined as data only: a listing paginated with
rel=next, article pages with a title, a `<time datetime>` and paragraphs drawn from the snapshot's
English sentences (bench/mirror.py's pool, so bodies read like the real posts and no two are
near-duplicates), a robots.txt allowing all, and the STDNEWS_SOURCES file that registers them
(crawlers/spiders/generic.py makes their spiders).

    .venv/bin/python bench/hosts_mirror.py OUT [--hosts 40] [--articles 50]
    STDNEWS_SOURCES=OUT/sources.toml stdnews crawl $(cat OUT/sources.txt) --replay OUT/site ...
"""

from __future__ import annotations

import argparse
import html
import random
import re
import shutil
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import mirror  # noqa: E402

ENGLISH = ("iec", "iso", "oecd", "bipm")  # snapshot post files whose sentences are English
LAST_DAY = date(2026, 10, 31)
DAYS = (LAST_DAY - mirror.FIRST_DAY).days
ROBOTS = "User-agent: *\nAllow: /\n"
PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title} | {body}</title></head>
<body>
<header><a href="/">{body}</a> <a href="/news/">News</a> <a href="/about/">About</a></header>
<main>
{main}
</main>
<footer><a href="/contact/">Contact</a> <a href="/legal/">Legal notice</a></footer>
</body>
</html>
"""
ARTICLE = """<article>
  <h1>{title}</h1>
  <p class="meta">Published <time datetime="{day}">{long_day}</time></p>
  <div class="story">
{paragraphs}
  </div>
  <p class="topics">{topics}</p>
</article>"""
TOPICS = ("Energy", "Metrology", "Health", "Digital", "Climate", "Transport", "Safety", "Trade")


@dataclass(frozen=True)
class Host:
    """One generated source: its id, publisher and host."""

    number: int
    organization: str

    @property
    def id(self) -> str:
        return f"body{self.number:03d}"

    @property
    def name(self) -> str:
        return f"Standards body {self.number} news"

    @property
    def host(self) -> str:
        return f"news.{self.id}.example.org"


def organizations() -> list[str]:
    """Publisher ids of data/organizations.yaml (every source needs one that exists)."""
    entries = yaml.safe_load((HERE.parent / "data" / "organizations.yaml").read_text("utf-8"))
    return [entry["id"] for entry in entries]


def sentence_pool() -> list[str]:
    """bench/mirror.py's sentences, from the snapshot's English posts."""
    return mirror.sentences([p for name in ENGLISH for p in mirror.builder.read_posts(name)])


def article(pool: list[str], rng: random.Random, number: int) -> dict:
    """A post: a title from a sentence's first words, a day, three to six paragraphs."""
    words = re.sub(r"[^A-Za-z0-9\s]", "", rng.choice(pool)).split()[: rng.randint(5, 9)]
    title = " ".join(words).capitalize()
    day = mirror.FIRST_DAY + timedelta(days=rng.randrange(DAYS))
    slug = "-".join(w.lower() for w in words[:6]) + f"-{number}"
    paragraphs = [" ".join(rng.sample(pool, rng.randint(2, 5))) for _ in range(rng.randint(3, 6))]
    return {
        "title": title,
        "day": day,
        "path": f"/news/{day:%Y/%m}/{slug}.html",
        "paragraphs": paragraphs,
        "topics": rng.sample(TOPICS, 2),
    }


def article_page(host: Host, post: dict) -> str:
    main = ARTICLE.format(
        title=html.escape(post["title"]),
        day=post["day"].isoformat(),
        long_day=f"{post['day'].day} {post['day']:%B %Y}",
        paragraphs="\n".join(f"    <p>{html.escape(p)}</p>" for p in post["paragraphs"]),
        topics=" ".join(f'<a href="/topics/{t.lower()}/">{t}</a>' for t in post["topics"]),
    )
    return PAGE.format(title=html.escape(post["title"]), body=host.name, main=main)


def listing_path(page: int) -> str:
    return "/news/" if page == 1 else f"/news/page/{page}/"


def listing_page(host: Host, posts: list[dict], page: int, last: int) -> str:
    items = "\n".join(
        f'  <li><a href="{p["path"]}">{html.escape(p["title"])}</a>'
        f' <span class="when">{p["day"]:%d %B %Y}</span></li>'
        for p in posts
    )
    main = f'<h1>News</h1>\n<ul class="news-list">\n{items}\n</ul>'
    if page < last:
        main += f'\n<a rel="next" href="{listing_path(page + 1)}">Next</a>'
    head = "" if page == last else f'<link rel="next" href="{listing_path(page + 1)}">'
    return PAGE.format(title="News", body=host.name, main=main).replace("</head>", head + "</head>")


def write(root: Path, host: Host, path: str, text: str) -> None:
    target = root / host.host / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, "utf-8")


def build_host(root: Path, host: Host, posts: list[dict], per_page: int) -> None:
    write(root, host, "/robots.txt", ROBOTS)
    posts = sorted(posts, key=lambda p: p["day"], reverse=True)
    last = -(-len(posts) // per_page)
    for page in range(1, last + 1):
        shown = posts[(page - 1) * per_page : page * per_page]
        write(root, host, listing_path(page), listing_page(host, shown, page, last))
    for post in posts:
        write(root, host, post["path"], article_page(host, post))


def source_entry(host: Host) -> str:
    """The host's STDNEWS_SOURCES entry (docs/adding-a-source.md)."""
    pattern = re.escape(host.host).replace("\\-", "-")
    return f"""[[sources]]
id = "{host.id}"
name = "{host.name}"
organization = "{host.organization}"
homepage = "https://{host.host}"
news_url = "https://{host.host}/news/"
hosts = ["{host.host}"]
title_suffixes = [" | {host.name}"]

[[sources.generations]]
name = "plain"
url_re = '^https://{pattern}/news/\\d{{4}}/\\d{{2}}/[^/?#]+\\.html$'
title_css = ["article h1"]
body_css = ["article .story"]
date_css = [["article time[datetime]", "datetime"]]
tags_css = ["article .topics a"]
"""


def build(out: Path, hosts: int = 40, articles: int = 50, per_page: int = 15, seed: int = 18):
    """Write OUT/site (the mirror), OUT/sources.toml and OUT/sources.txt (the source ids, one a
    line); returns the source ids."""
    rng, pool, publishers = random.Random(seed), sentence_pool(), organizations()
    if out.exists():
        shutil.rmtree(out)
    made = [Host(number, publishers[number % len(publishers)]) for number in range(1, hosts + 1)]
    for host in made:
        posts = [article(pool, rng, number) for number in range(articles)]
        build_host(out / "site", host, posts, per_page)
    header = "# Generated by bench/hosts_mirror.py: one source per host of site/.\n"
    (out / "sources.toml").write_text(header + "\n".join(map(source_entry, made)), "utf-8")
    ids = [host.id for host in made]
    (out / "sources.txt").write_text("\n".join(ids) + "\n", "utf-8")
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--articles", type=int, default=50, help="articles per host")
    parser.add_argument("--per-page", type=int, default=15, help="links per listing page")
    args = parser.parse_args()
    ids = build(args.out, args.hosts, args.articles, args.per_page)
    print(f"{len(ids)} hosts x {args.articles} articles under {args.out}")


if __name__ == "__main__":
    main()
