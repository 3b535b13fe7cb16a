"""The site under test: the snapshot crawled into a database, a hostile post, a dumps folder.

Shared by test_site.py (Datasette in-process) and test_browser.py (a real `stdnews serve`).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.normalize.types import Post
from pipeline.normalize.urls import url_id
from pipeline.store import open_db, save_post
from pipeline.store.dumps import dump
from tests.conftest import crawled_snapshot

HOSTILE_TITLE = "Alert <script>alert('title')</script> & <b>bold</b> news"
HOSTILE_TEXT = (
    "First paragraph <script>alert('body')</script> with <img src=x onerror=alert(1)> markup.\n\n"
    'Second paragraph names ISO and IEC 62443-3-3, and <a href="javascript:alert(2)">a link</a>.'
)
HOSTILE_URL = "https://www.iso.org/contents/news/2026/01/hostile-markup.html"
DUMP_DAY = "2026-11-29"


def build_site_db(folder: Path) -> Path:
    """The snapshot crawled with the real spiders into folder/news.db (once per folder), plus a
    post whose title and body carry HTML and scripts, as a hostile page could."""
    db_path = folder / "news.db"
    if db_path.exists():
        return db_path
    crawled_snapshot(folder)
    db = open_db(db_path)
    save_post(db, hostile_post())
    db.close()
    return db_path


def hostile_post() -> Post:
    post_id = url_id(HOSTILE_URL)
    return Post(
        id=post_id,
        source="iso",
        url=HOSTILE_URL,
        story_id=post_id,
        generation="jahia",
        title=HOSTILE_TITLE,
        title_source="og:title",
        published="2026-01-15",
        published_precision="day",
        published_source="site",
        published_year=2026,
        published_month="2026-01",
        language="en",
        description="A <i>description</i> with <script>alert('description')</script>",
        text=HOSTILE_TEXT,
        text_source="site:article",
        word_count=len(HOSTILE_TEXT.split()),
        content_hash="0" * 64,
        http_status=200,
        fetched_at="2026-01-15T10:00:00+00:00",
        organizations=[
            {
                "id": "iso",
                "acronym": "ISO",
                "name": "International Organization for Standardization",
                "role": "publisher",
                "count": 1,
            }
        ],
        tags=[
            {
                "id": "topic:cybersecurity",
                "name": "Cybersecurity and privacy",
                "origin": "topic",
                "matched": ["<script>"],
            }
        ],
        standards=["IEC 62443-3-3"],
    )


def write_dumps(folder: Path, db_path: Path, day: str = DUMP_DAY) -> dict:
    """The dumps folder of `stdnews dump` (pipeline/store/dumps.py itself); returns its manifest."""
    return dump(db_path, folder, day=day, progress=lambda *_: None).manifest
