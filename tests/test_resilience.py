"""A crawl that meets a changed or hostile site: loud when broken, keeps what it can.

Each test replays a modified copy of the snapshot through the real crawl (`stdnews crawl
--replay`, in a subprocess) and reads the database it leaves.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from sqlite_utils import Database

from pipeline.paths import SNAPSHOT
from tests.conftest import crawl_into as crawl
from tests.conftest import hide_article_links, stdnews
from tests.conftest import mirror_of as mirror
from tests.test_operations import snapshot_posts

# The posts of www.iec.ch in the snapshot (its blog and the old releases' index; blog.iec.ch is
# another host).
IEC_SITE_POSTS = snapshot_posts("iec") + snapshot_posts("iec_newslog")

REFUSED = (
    "https://www.oecd.org/en/about/news/press-releases/2023/07/urgent-policy-action-needed-to-"
    "ensure-artificial-intelligence-benefits-workers-says-oecd.html"
)


def iec_listing(root):
    """The pages of IEC's blog listing in a mirror (/blog is a folder: its index.html)."""
    return [root / "www.iec.ch" / "blog" / "index.html", *(root / "www.iec.ch").glob("blog?page=*")]


def edit(files, pattern, replacement):
    for file in files:
        file.write_text(re.sub(pattern, replacement, file.read_text("utf-8")), "utf-8")


def test_a_listing_whose_selectors_went_stale_still_gives_every_article(tmp_path):
    """A re-templated listing: the site's selectors read nothing, the page's links still name
    the articles. The run is healthy, says which selectors are stale and stores every post."""
    root = mirror(tmp_path, "www.iec.ch")
    edit(iec_listing(root), "blog-article-div-content", "teaser-body")
    result, db = crawl(tmp_path, root, "iec")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "iec: ok - " in result.stdout
    assert "selector stale: the site's selectors read nothing on https://www.iec.ch/blog" in (
        result.stdout
    )
    (row,) = db["crawls"].rows
    assert (row["status"], row["diagnosis"]) == ("ok", "ok")
    paths = json.loads(row["discovery_paths"])
    assert paths["links"] > paths.get("selector", 0) > 0  # the old releases' index still reads
    assert db["posts"].count == IEC_SITE_POSTS


def test_a_listing_whose_layout_changed_breaks_the_source_loudly(tmp_path):
    root = mirror(tmp_path, "www.iec.ch")
    hide_article_links(root / "www.iec.ch", "/blog/")
    result, db = crawl(tmp_path, root, "iec")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "iec: changed - 3 articles discovered" in result.stdout  # only the old releases left
    assert "https://www.iec.ch/blog answered but gave no article links" in result.stdout
    (row,) = db["crawls"].rows
    assert (row["status"], row["diagnosis"]) == ("broken", "changed")


def test_zero_articles_is_broken_with_a_warning(tmp_path):
    root = mirror(tmp_path, "www.iec.ch")
    shutil.rmtree(root / "www.iec.ch" / "newslog")
    hide_article_links(root / "www.iec.ch", "/blog/")
    result, db = crawl(tmp_path, root, "iec")
    assert result.returncode == 3
    (row,) = db["crawls"].rows
    assert row["articles_discovered"] == 0
    assert "discovery found zero articles: listing, feed or API layout changed?" in row["warnings"]
    assert "warning: discovery found zero articles" in result.stdout
    assert db["posts"].count == 0


def test_articles_without_dates_break_the_source(tmp_path):
    root = mirror(tmp_path, "www.iec.ch")
    pages = list((root / "www.iec.ch" / "blog").iterdir())
    edit(pages, r'<meta property="article:published_time"[^>]*>', "")
    edit(pages, r"<time [^>]*>[^<]*</time>", "")
    # The listing's dates would stand in for the pages' (as hints): gone too.
    edit(iec_listing(root), r'<div class="blog-article-date-author">[^<]*</div>', "")
    result, db = crawl(tmp_path, root, "iec")
    assert result.returncode == 3
    (row,) = db["crawls"].rows
    assert "have a publication date" in row["warnings"]
    assert db["posts"].count == IEC_SITE_POSTS  # stored all the same, with what could be found


def test_since_walks_back_to_the_date_and_stops(tmp_path):
    result, db = crawl(tmp_path, SNAPSHOT, "bipm", "--since", "2024-01-01")
    assert result.returncode == 0, result.stderr
    published = [r["published"] for r in db["posts"].rows]
    assert published
    assert min(published) >= "2024-01-01"
    assert len(published) == 8  # 6 English and 2 French posts since 2024
    (row,) = db["crawls"].rows
    assert row["requests"] < 16  # no article older than 2024 was fetched (11 others asked)


def test_limit_caps_articles_per_source(tmp_path):
    result, db = crawl(tmp_path, SNAPSHOT, "iso", "oecd", "--limit", "3")
    assert result.returncode == 0, result.stderr
    counts = {
        r["source"]: r["n"]
        for r in db.query("select source, count(*) n from posts group by source")
    }
    assert counts == {"iso": 3, "oecd": 3}


@pytest.fixture(scope="module")
def oecd_db(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("oecd")
    result, db = crawl(tmp_path, SNAPSHOT, "oecd")
    assert result.returncode == 0, result.stderr
    return db


def test_a_refused_article_is_kept_from_its_api_record(oecd_db):
    post = next(oecd_db["posts"].rows_where("url = ?", [REFUSED]))
    assert post["http_status"] == 403
    assert post["text_missing"] == 1
    assert post["text"] == ""
    assert post["title"].startswith("Urgent policy action needed")
    assert (post["published"], post["published_source"]) == ("2023-07-11T12:00:00+02:00", "api")
    assert "Artificial intelligence" in post["tags"]


def test_a_refused_article_gets_its_body_on_a_later_run(tmp_path, oecd_db):
    root = mirror(tmp_path, "api.oecd.org", "www.oecd.org")
    (root / "www.oecd.org" / ".responses").unlink()  # Cloudflare lets us through this time
    db_path = tmp_path / "news.db"
    oecd_db.conn.backup(Database(db_path).conn)
    result, db = crawl(tmp_path, root, "oecd")
    assert result.returncode == 0, result.stderr
    assert " 0 updated" in result.stdout  # refused minutes ago: not asked for again yet
    # Seven hours later (refused articles are retried at most every 6 hours):
    db.execute("update http_validators set checked_at = '2020-01-01T00:00:00+00:00'")
    db.conn.commit()
    result, db = crawl(tmp_path, root, "oecd")
    assert result.returncode == 0, result.stderr
    assert "1 updated" in result.stdout
    post = next(db["posts"].rows_where("url = ?", [REFUSED]))
    assert (post["text_missing"], post["http_status"]) == (0, 200)
    assert post["text"].startswith("11/07/2023")


def test_the_rss_twin_replaces_a_failing_search_api(tmp_path):
    root = mirror(tmp_path, "api.oecd.org", "www.oecd.org")
    for page in (root / "api.oecd.org" / "webcms" / "search").glob("faceted-search*"):
        page.unlink()
    result, db = crawl(tmp_path, root, "oecd")
    assert result.returncode == 0, result.stderr
    via_feed = list(db["posts"].rows_where("published_source = 'feed'"))
    refused = next(db["posts"].rows_where("url = ?", [REFUSED]))
    assert refused["published_source"] == "feed"  # the only one whose page gives no date
    aem = snapshot_posts("oecd") + snapshot_posts("oecd_fr")  # English and French
    assert len(list(db["posts"].rows_where("generation = 'aem'"))) == aem
    assert via_feed


def check(root, *args):
    return stdnews("check", "--replay", str(root), *args)


def test_check_reports_health_and_generations_per_source():
    result = check(SNAPSHOT, "iec", "oecd", "--articles", "2")
    assert result.returncode == 0, result.stderr
    iec = next(line for line in result.stdout.splitlines() if line.startswith("iec: "))
    assert iec.startswith("iec: ok - ")
    for generation in ("drupal", "wordpress", "newslog"):
        assert generation in iec.split("generations: ")[1]
    assert re.search(r"title (\d+)/\1, date (\d+)/\2", iec)
    oecd = next(line for line in result.stdout.splitlines() if line.startswith("oecd: "))
    assert "aem" in oecd
    assert "newsroom" in oecd


def test_check_fails_on_a_broken_source(tmp_path):
    root = mirror(tmp_path, "www.iso.org")
    hide_article_links(root / "www.iso.org", '/[^"]*news/20')
    (root / "www.iso.org" / "contents" / "news.rss").unlink()
    result = check(root, "iso")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "iso: changed - 0 articles discovered" in result.stdout


def test_reprocess_brings_stored_posts_up_to_date_without_network(tmp_path):
    from click.testing import CliRunner

    from pipeline.cli import cli

    result, db = crawl(tmp_path, SNAPSHOT, "bipm")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "news-raw.db").exists()
    seed = "https://www.bipm.org/en/news/full-stories/2020-09-oecd-io-meeting.html"
    db.execute("update posts set title = 'stale', organizations = '[]' where url = ?", [seed])
    db.execute("delete from post_organizations")
    db.conn.commit()
    result = CliRunner().invoke(cli, ["reprocess", "--db", str(tmp_path / "news.db")])
    assert result.exit_code == 0, result.output
    assert f"{snapshot_posts('bipm*')} pages reprocessed" in result.output
    assert "0 rejected" in result.output
    post = next(db["posts"].rows_where("url = ?", [seed]))
    assert post["title"].startswith("OECD Webinar")
    assert db["post_organizations"].count >= 15
