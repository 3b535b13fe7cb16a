"""A seeded generator of large mirrors of the four news sites, for the crawl benchmarks.

The snapshot's own builder (tools/build_snapshot.py) renders the pages, so the generated site has
exactly the snapshot's markup, URL shapes, listings, feeds and API answers; it only has many more
posts. Each generated post borrows the shape of a real snapshot post of the same kind (tags,
summary, kind of page, paragraph lengths) and gets a new slug, a date between 2019 and 2026 and a
body of sentences drawn from all the snapshot's posts of its language, so that bodies are
realistic in length and vocabulary (organizations, standards, committees) yet no two are
near-duplicates.

    .venv/bin/python bench/mirror.py OUT --articles 5000
"""

from __future__ import annotations

import argparse
import copy
import random
import re
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import build_snapshot as builder  # noqa: E402

from pipeline.normalize.sources import SOURCES  # noqa: E402

# Generated posts go to the current layout of each site (its posts file), in equal shares.
GROWN = tuple(s for s in SOURCES if (builder.HERE / "posts" / f"{s}.yaml").exists())
FIRST_DAY, DAYS = date(2019, 1, 1), (date(2026, 10, 31) - date(2019, 1, 1)).days


def sentences(posts: list[dict]) -> list[str]:
    pool = []
    for post in posts:
        for block in post["body"]:
            if isinstance(block, str):
                pool += [s for s in re.split(r"(?<=[.!?])\s+", block) if len(s.split()) > 5]
    return pool


def generated(name: str, count: int, rng: random.Random) -> list[dict]:
    """`count` new posts in the shape of the posts of tools/snapshot/posts/<name>.yaml."""
    originals = [p for p in builder.read_posts(name) if not p.get("legacy")]
    pool = sentences(originals)
    posts = []
    for number in range(count):
        post = copy.deepcopy(rng.choice(originals))
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        base = re.sub(r"^\d{4}(-\d\d-\d\d)?-", "", post["slug"])
        post["slug"] = f"{base}-g{number}"
        if name == "bipm":  # BIPM's slugs start with the date: the only date its pages have
            post["slug"] = f"{day.isoformat()}-{post['slug']}"
        post["published"] = day.isoformat()
        post["title"] = f"{post['title']} ({number})"
        # Paragraph for paragraph as long as the post it borrows from, in other sentences.
        post["body"] = [
            " ".join(rng.sample(pool, max(1, len(re.split(r"(?<=[.!?])\s+", block)))))
            if isinstance(block, str)
            else block
            for block in post["body"]
        ]
        posts.append(post)
    return posts


def build(out: Path, articles: int, seed: int = 20261129) -> int:
    """Write a mirror with the snapshot's posts plus `articles` generated ones; returns files."""
    rng = random.Random(seed)
    extra = {name: generated(name, articles // len(GROWN), rng) for name in GROWN}
    read = builder.read_posts

    def load_posts(name: str) -> list[dict]:
        return builder.prepare_posts(read(name) + copy.deepcopy(extra.get(name, [])))

    if out.exists():
        shutil.rmtree(out)
    saved = builder.OUT, builder.load_posts
    builder.OUT, builder.load_posts = out, load_posts
    try:
        builder.build_sites()
    finally:
        builder.OUT, builder.load_posts = saved
    # The snapshot's one Cloudflare refusal stays; nothing else is refused.
    return sum(1 for p in out.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--articles", type=int, default=5000)
    args = parser.parse_args()
    print(f"{build(args.out, args.articles)} files under {args.out}")


if __name__ == "__main__":
    main()
