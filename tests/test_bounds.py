"""Memory and time bounded per page, and no process outliving the crawl that started it.

A 12 MB article (under the download limit) is crawled through the real engine and its worker's
peak memory read from /proc; bodies are cut at a documented length and say so; pages that open
with an XML declaration are read; a normalization worker whose parent dies, at any moment of
its start-up included, ends at once; `kill -9` of `stdnews crawl` at 20 moments leaves no
process, an intact database, and (after a normal run) the posts of an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.normalize import bounds
from pipeline.normalize.post import normalize
from pipeline.paths import ROOT, SNAPSHOT

sys.path.insert(0, str(ROOT / "bench"))

import memory  # noqa: E402  (bench/memory.py: the 12 MB mirror and its /proc readings)
import mirror  # noqa: E402  (bench/mirror.py: generated mirrors of the four sites)

BIPM_PAGE = SNAPSHOT / "www.bipm.org" / "en" / "-" / "2022-12-19-si-prefixes"
BIPM_URL = "https://www.bipm.org/en/-/2022-12-19-si-prefixes"
SENTENCE = "The consultative committee compared the national clocks against the time scale. "


def grown_page(body: str, head: str = "", before: str = "") -> str:
    """The snapshot's BIPM article with `body` as its text, `head` in its <head>, and `before`
    ahead of its <html> (an XML declaration)."""
    html = BIPM_PAGE.read_text("utf-8")
    opening = '<div class="news-detail__content">'
    start = html.index(opening) + len(opening)
    end = html.index("</div>", start)
    html = html[:start] + body + html[end:]
    html = html.replace("</head>", head + "</head>", 1)
    return before + html.removeprefix("<!DOCTYPE html>\n")


def paragraphs(chars: int) -> str:
    count = chars // (len(SENTENCE) * 5) + 1
    return "".join(f"<p>{SENTENCE * 5}</p>\n" for _ in range(count))


# -- memory: a 12 MB page crawled -------------------------------------------------------------


def test_a_12_mb_article_keeps_the_crawl_and_its_worker_within_memory(tmp_path):
    memory.huge_mirror(tmp_path / "site", megabytes=12)
    peaks = memory.crawl_peaks(tmp_path / "site", tmp_path / "news.db")
    assert peaks["exit_status"] == 0, peaks["stderr_tail"]
    assert 0 < peaks["worker_mb"] < 300, peaks  # unbounded, the worker alone went far above
    assert peaks["together_mb"] < 400, peaks  # target 300 (bench/memory.py, docs/performance.md)
    db = sqlite3.connect(tmp_path / "news.db")
    text, source, words, missing = db.execute(
        "select text, text_source, word_count, text_missing from posts where url = ?",
        [BIPM_URL],
    ).fetchone()
    assert bounds.MAX_TEXT_CHARS // 2 < len(text) <= bounds.MAX_TEXT_CHARS
    assert source.endswith(bounds.CUT)
    assert (words, missing) == (len(text.split()), 0)
    longest = db.execute("select max(length(text)) from posts").fetchone()[0]
    assert longest <= bounds.MAX_TEXT_CHARS  # what a snippet or the post's page reads


# -- bodies bounded, through normalize() --------------------------------------------------------


def test_a_long_body_is_cut_at_a_paragraph_and_says_so():
    post = normalize({"url": BIPM_URL, "html": grown_page(paragraphs(900_000))})
    assert len(post.text) <= bounds.MAX_TEXT_CHARS
    assert post.text.endswith(SENTENCE.strip())  # a whole paragraph, not a cut word
    assert post.text_source == "site:.journal-content-article .news-detail__content+cut"
    assert post.word_count == len(post.text.split())
    assert not post.text_missing


def test_a_body_under_the_limit_is_whole_and_not_marked():
    post = normalize({"url": BIPM_URL, "html": grown_page(paragraphs(150_000))})
    assert len(post.text) >= 150_000
    assert not post.text_source.endswith(bounds.CUT)


def test_huge_titles_and_descriptions_are_cut():
    head = f'<meta name="description" content="{"metrology " * 50_000}">'
    html = grown_page(paragraphs(2_000), head).replace("<title>", "<title>" + "Clocks " * 50_000, 1)
    post = normalize({"url": BIPM_URL, "html": html})
    assert len(post.title) <= bounds.MAX_FIELD_CHARS
    assert len(post.description) <= bounds.MAX_FIELD_CHARS


def test_a_page_over_the_parse_limit_is_read_without_its_scripts_and_keeps_its_json_ld():
    """Megabytes of inline scripts, styles and comments ahead of the article: dropped before
    the page is cut, so the body and the JSON-LD date are still found."""
    junk = (
        "<script>var state = '"
        + "x" * 1_500_000
        + "';</script>"
        + "<style>p { color: black }"
        + " " * 600_000
        + "</style>"
        + "<!--"
        + "-" * 600_000
        + "-->"
    )
    json_ld = '<script type="application/ld+json">{"datePublished": "2011-03-04"}</script>'
    html = grown_page(paragraphs(4_000), junk + json_ld)
    assert len(html) > bounds.MAX_PARSE_CHARS
    post = normalize({"url": BIPM_URL, "html": html})
    assert len(post.text) >= 4_000
    assert post.published_source == "json-ld"
    assert post.published == "2011-03-04"


def test_a_page_of_unclosed_comments_is_cut_in_one_pass():
    html = "<html><body><p>" + SENTENCE * 3 + "</p>" + "<!--" * 1_000_000
    assert bounds.bounded_html(html, limit=1_000) == html.partition("<!--")[0]


# -- XML declarations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "declaration",
    [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\r\n"
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n',
        '\ufeff<?xml version="1.0" encoding="iso-8859-1"?>\n',
    ],
)
def test_a_page_opening_with_an_xml_declaration_is_read(declaration):
    html = grown_page(paragraphs(4_000), before=declaration)
    for page in (html, html.encode("utf-8")):
        post = normalize({"url": BIPM_URL, "html": page})
        assert len(post.text) >= 4_000
        assert post.title == "Four new SI prefixes adopted by the CGPM"


# -- no orphans -------------------------------------------------------------------------------


def session_processes(session: int) -> list[int]:
    """Live processes (zombies aside) of a session, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def left_behind(session: int, seconds: float = 5) -> list[int]:
    """The processes of a session still alive after `seconds` (as soon as there are none)."""
    deadline = time.monotonic() + seconds
    while (alive := session_processes(session)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def end_session(session: int) -> None:
    """Kill what a failed check left behind (processes this test started, by their pid)."""
    for pid in session_processes(session):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# The parent dies right after starting its worker, which is then still importing: the moment
# at which the orphan watch used to read its parent's pid (init's, by then).
DIES_AT_START_UP = """
import os, signal
from pipeline.normalize import workers
workers.pool(1).submit(os.getpid)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_worker_whose_parent_dies_during_its_start_up_ends():
    for _ in range(3):
        parent = subprocess.Popen(
            [sys.executable, "-c", DIES_AT_START_UP],
            cwd=ROOT,
            start_new_session=True,
            stderr=subprocess.DEVNULL,
        )
        assert parent.wait(timeout=60) == -signal.SIGKILL
        try:
            assert left_behind(parent.pid) == []  # worker and resource tracker included
        finally:
            end_session(parent.pid)


GENERATED_ARTICLES = 50  # plus the snapshot's: about 130 posts, a crawl of a few seconds
KILLS = 20


def crawl(site: Path, db_path: Path, stderr=subprocess.PIPE) -> subprocess.Popen:
    """`stdnews crawl --replay site` in a session of its own (its pid is the session's id)."""
    command = [
        sys.executable,
        "-m",
        "pipeline",
        "crawl",
        "--replay",
        str(site),
        "--db",
        str(db_path),
    ]
    return subprocess.Popen(
        command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=stderr
    )


def finished(process: subprocess.Popen) -> None:
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr.decode(errors="replace")[-2000:]


def posts(db_path: Path) -> set[tuple]:
    with sqlite3.connect(db_path) as db:
        return set(db.execute("select url, title, content_hash, published from posts"))


def intact(folder: Path) -> None:
    for path in folder.glob("*.db"):
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",), path


def worker_started(session: int, timeout: float = 30) -> bool:
    """Wait until the crawl's normalization worker is a process of its own."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in session_processes(session):
            try:
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return True
            except OSError:
                continue
        time.sleep(0.01)
    return False


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, set[tuple], float]:
    """A generated mirror, the posts of an uninterrupted crawl of it, and that crawl's time."""
    folder = tmp_path_factory.mktemp("kills")
    site = folder / "site"
    mirror.build(site, GENERATED_ARTICLES)
    started = time.monotonic()
    finished(crawl(site, folder / "reference.db"))
    return site, posts(folder / "reference.db"), time.monotonic() - started


# Two classes, not one parametrized test: `make test` spreads tests over processes by class
# and module (pytest-xdist's loadscope), and the halves are the suite's two longest tests.
class TestKill9AtRandomMoments:
    def test_leaves_no_process_and_loses_no_post(self, generated, tmp_path):
        kill_trials(generated, "random", tmp_path)


class TestKill9DuringTheWorkersStartUp:
    def test_leaves_no_process_and_loses_no_post(self, generated, tmp_path):
        kill_trials(generated, "worker start-up", tmp_path)


def kill_trials(generated, moment: str, tmp_path: Path) -> None:
    """KILLS / 2 kills at random moments of the crawl, or KILLS / 2 within 0.4 s of its
    worker's start (still importing and warming up); each followed by a normal run on the
    same database."""
    site, expected, whole = generated
    rng = random.Random(f"15 {moment}")
    for trial in range(KILLS // 2):
        db_path = tmp_path / f"trial{trial}" / "news.db"
        db_path.parent.mkdir()
        # No pipe: a process left behind would hold it open, and reading it would never end.
        victim = crawl(site, db_path, stderr=subprocess.DEVNULL)
        if moment == "random":
            time.sleep(rng.uniform(0.1, whole))
        else:
            assert worker_started(victim.pid), f"trial {trial}: no worker seen"
            time.sleep(rng.uniform(0, 0.4))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        try:
            assert left_behind(victim.pid) == [], f"trial {trial}"
        finally:
            end_session(victim.pid)
        intact(db_path.parent)
        finished(crawl(site, db_path))
        intact(db_path.parent)
        assert posts(db_path) == expected, f"trial {trial}"
        with sqlite3.connect(db_path) as db:  # the killed run is marked, not left "running"
            states = {s for (s,) in db.execute("select status from crawls")}
        assert "running" not in states, f"trial {trial}: {states}"
