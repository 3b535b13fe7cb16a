"""Bad input, as a new user or an unlucky operator gives it: one line on standard error naming
the problem and the file, the documented exit status (pipeline/verdicts.py), no traceback, and
nothing written. Also: `scrapy crawl` exits with the run's answer, the documented cron line
mails only a run that needs a look, and Ctrl-C or SIGTERM stop a crawl cleanly."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from crawlers.replay.server import MirrorServer
from pipeline import verdicts
from pipeline.normalize.sources import SOURCES
from pipeline.paths import ROOT, SNAPSHOT
from tests.conftest import (
    crawled_snapshot,
    hide_article_links,
    snapshot_file,
    stdnews,
)
from tests.test_operations import documented_cron_line

PAGE = snapshot_file("https://www.iso.org/contents/news/2021/05/Ref2667.html")


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file under folder with its bytes: what a refused command must leave as it was."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def one_line(result: subprocess.CompletedProcess, command: str) -> str:
    """The single line a refused command printed (checked: nothing else, no traceback)."""
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"stdnews {command}: "), lines
    assert result.stdout == ""
    return lines[0]


CORRUPT = {
    "random bytes": lambda: os.urandom(4096),
    "a text file": lambda: b"These are my notes, not a database.\n" * 40,
}


@pytest.fixture(params=sorted(CORRUPT))
def corrupt_db(tmp_path, request) -> Path:
    db_path = tmp_path / "news.db"
    db_path.write_bytes(CORRUPT[request.param]())
    (tmp_path / "news-raw.db").write_bytes(b"")  # so that reprocess gets as far as the database
    return db_path


@pytest.mark.parametrize(
    "command",
    [["status"], ["migrate"], ["dump"], ["reprocess"], ["crawl", "--replay", str(SNAPSHOT)]],
    ids=lambda c: c[0],
)
def test_a_corrupt_database_is_one_line_and_left_as_it_was(corrupt_db, command):
    before = files_under(corrupt_db.parent)
    result = stdnews(*command, "--db", str(corrupt_db))
    line = one_line(result, command[0])
    assert line == f"stdnews {command[0]}: {corrupt_db}: is not a database or is corrupt"
    assert result.returncode == verdicts.UNUSABLE
    # Nothing written: no lock file, no dumps folder or .partial, the bad file byte for byte.
    assert files_under(corrupt_db.parent) == before
    assert sorted(p.name for p in corrupt_db.parent.iterdir()) == ["news-raw.db", "news.db"]


@pytest.mark.parametrize(
    "command",
    [["status"], ["dump"], ["reprocess"], ["serve"], ["dump", "--out", "dumps"]],
    ids=" ".join,
)
def test_a_missing_database_is_a_usage_error(tmp_path, command):
    """Every reader says the same line and exits 2, whatever else it was given."""
    missing = tmp_path / "news.db"
    args = [str(tmp_path / arg) if arg == "dumps" else arg for arg in command]
    result = stdnews(*args, "--db", str(missing))
    name = command[0]
    assert one_line(result, name) == (
        f"stdnews {name}: Invalid value for --db: {missing} does not exist: no crawl has run yet"
        f" (see stdnews {name} --help)"
    )
    assert result.returncode == verdicts.USAGE
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["crawl", "nosuch"],
        ["check", "nosuch"],
        ["extract", "--source", "nosuch", str(PAGE)],
        ["reprocess", "--source", "nosuch"],
        ["crawl", "--since", "2021-13-45"],
        ["crawl", "--replay", "/nonexistent/mirror"],
        ["extract", "/nonexistent/page.html"],
        ["nosuch"],
    ],
    ids=lambda a: " ".join(a[:3]),
)
def test_an_unknown_source_date_or_path_is_one_usage_line(tmp_path, args):
    with_db = args[0] in ("crawl", "reprocess")
    result = stdnews(*args, *(["--db", str(tmp_path / "news.db")] if with_db else []))
    assert result.returncode == verdicts.USAGE, result.stderr
    if args[0] == "nosuch":
        assert result.stderr.splitlines() == [
            "stdnews: No such command 'nosuch'. (see stdnews --help)"
        ]
    else:
        assert re.search(r"nosuch|2021-13-45|/nonexistent", one_line(result, args[0]))
    assert list(tmp_path.iterdir()) == []  # not even the database


# A read-only database: a downloaded dump, a read-only mount. Tests run as root, for whom
# permission bits do not stop a write: `chattr +i` does (the file and its folder immutable).


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Path:
    return crawled_snapshot(tmp_path_factory.mktemp("crawled"))


def immutable(path: Path, on: bool) -> bool:
    if shutil.which("chattr") is None:
        return False
    done = subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def read_only_db(crawled, tmp_path) -> Path:
    folder = tmp_path / "readonly"
    folder.mkdir()
    db_path = folder / "news.db"
    shutil.copyfile(crawled, db_path)
    if not (immutable(db_path, True) and immutable(folder, True)):
        immutable(db_path, False)
        pytest.skip("chattr +i is not available here (a file system or container without it)")
    yield db_path
    immutable(folder, False)
    immutable(db_path, False)


def test_a_read_only_database_is_read_by_status_and_dump(read_only_db, tmp_path):
    before = files_under(read_only_db.parent)
    status = stdnews("status", "--db", str(read_only_db))
    assert status.returncode == 0, status.stderr
    assert re.search(r"^iso\s", status.stdout, re.M)
    out = tmp_path / "dumps"
    dumped = stdnews("dump", "--db", str(read_only_db), "--out", str(out))
    assert dumped.returncode == 0, dumped.stderr
    manifest = json.loads((out / "standards-news-latest.json").read_text("utf-8"))
    # immutable=1: read without a lock file, so the folder stays as it was.
    source = sqlite3.connect(f"file:{read_only_db}?mode=ro&immutable=1", uri=True)
    with closing(source):
        stored = source.execute("select count(*) from posts").fetchone()[0]
    assert manifest["tables"]["posts"] == stored > 0
    assert files_under(read_only_db.parent) == before


WRITERS = [["migrate"], ["crawl", "--replay", str(SNAPSHOT)]]


@pytest.mark.parametrize("command", WRITERS, ids=lambda c: c[0])
def test_a_read_only_database_refuses_writers_in_one_line(read_only_db, command):
    before = files_under(read_only_db.parent)
    result = stdnews(*command, "--db", str(read_only_db))
    line = one_line(result, command[0])
    assert line == f"stdnews {command[0]}: {read_only_db}: is read-only (this command writes to it)"
    assert result.returncode == verdicts.UNUSABLE
    assert files_under(read_only_db.parent) == before


def as_nobody() -> list[str] | None:
    """The command prefix that runs a command as an unprivileged user, if there is one."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        return None
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_an_unreadable_database_is_one_line(crawled, tmp_path_factory):
    prefix = as_nobody()
    if prefix is None:
        pytest.skip("root reads any file, and setpriv is missing to drop that privilege")
    folder = Path(tempfile_dir())
    db_path = folder / "news.db"
    shutil.copyfile(crawled, db_path)
    db_path.chmod(0)
    before = {p.name for p in folder.iterdir()}
    try:
        command = [*prefix, sys.executable, "-m", "pipeline", "status", "--db", str(db_path)]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
        line = one_line(result, "status")
        assert line == f"stdnews status: {db_path}: cannot be read (permission denied)"
        assert result.returncode == verdicts.UNUSABLE
        assert {p.name for p in folder.iterdir()} == before
    finally:
        shutil.rmtree(folder)


def tempfile_dir() -> str:
    """A folder an unprivileged user may enter (pytest's own are private to root)."""
    import tempfile

    folder = tempfile.mkdtemp(prefix="stdnews-bad-input-")
    os.chmod(folder, 0o755)
    return folder


# `scrapy crawl` exits with the run's answer.


@pytest.fixture(scope="module")
def iso_without_links(tmp_path_factory) -> Path:
    """The snapshot, whose ISO discovery pages no longer link their articles (changed: 3)."""
    mirror = tmp_path_factory.mktemp("mirror") / "snapshot"
    shutil.copytree(SNAPSHOT, mirror)
    hide_article_links(mirror / "www.iso.org", "/contents/news/")
    return mirror


def test_scrapy_crawl_exits_with_the_runs_answer(iso_without_links, tmp_path):
    db_path = tmp_path / "news.db"
    handler = "crawlers.replay.handler.ReplayDownloadHandler"
    server = MirrorServer(iso_without_links).start()
    settings = {
        "NEWS_DB_PATH": db_path,
        "REPLAY_ADDRESS": server.address,
        "DOWNLOAD_HANDLERS": json.dumps({"http": handler, "https": handler}),
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "STDNEWS_ARCHIVE_FALLBACK": False,
        "LOG_LEVEL": "WARNING",
    }
    options = [part for name, value in settings.items() for part in ("-s", f"{name}={value}")]
    try:
        command = [sys.executable, "-m", "scrapy", "crawl", "iso", *options]
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    finally:
        server.stop()
    assert result.returncode == verdicts.BROKEN, result.stdout + result.stderr
    assert re.search(r"^iso: changed - ", result.stdout, re.M), result.stdout


# The documented cron line: silent when all is well (tests/test_operations.py), the summary
# lines in cron's mail when a source needs a look, everything in the log.


def test_the_documented_cron_line_mails_a_broken_run(iso_without_links, tmp_path):
    command = documented_cron_line().split(None, 5)[5]
    command = (
        command.replace("/opt/standards-news", str(ROOT))
        .replace("/var/lib/standards-news", str(tmp_path / "lib"))
        .replace("/var/log/standards-news", str(tmp_path / "log"))
        .replace(" crawl ", f" crawl --replay {iso_without_links} ", 1)
    )
    (tmp_path / "log").mkdir()
    shell = ["env", "-i", "/bin/sh", "-c", command]
    result = subprocess.run(shell, cwd="/", timeout=300, capture_output=True, text=True)
    log = (tmp_path / "log" / "crawl.log").read_text("utf-8")
    assert result.returncode == verdicts.BROKEN, log
    assert result.stderr == ""
    mail = result.stdout.splitlines()
    # What cron mails: each source's line (and warnings), then where the rest is.
    assert re.match(r"iso: changed - ", next(line for line in mail if line.startswith("iso:")))
    sources = {line.split(":")[0] for line in mail if not line.startswith(" ")}
    assert sources >= set(SOURCES)
    assert mail[-1] == (
        f"stdnews crawl: exit status 3; the whole output is in {tmp_path / 'log' / 'crawl.log'}"
    )
    assert re.search(r"^iso: changed - ", log, re.M)


# Ctrl-C and SIGTERM: the crawls rows closed as interrupted (never complete), one line, 130.


@pytest.fixture(scope="module")
def big_mirror(tmp_path_factory) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    import mirror

    out = tmp_path_factory.mktemp("big") / "mirror"
    mirror.build(out, 2000)
    return out


def crawl_rows(db_path: Path) -> list[dict]:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("select * from crawls")]
    except sqlite3.Error:
        return []


def posts_stored(db_path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
            return db.execute("select count(*) from posts").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_stops_the_crawl_cleanly(big_mirror, tmp_path, signum):
    db_path = tmp_path / "news.db"
    command = [sys.executable, "-m", "pipeline", "crawl", "--replay", str(big_mirror)]
    # Its own process group, signalled whole as a terminal's Ctrl-C is (workers included).
    crawl = subprocess.Popen(
        [*command, "--db", str(db_path)],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while posts_stored(db_path) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(crawl_rows(db_path)) == 4, "the crawl never started"
        os.killpg(crawl.pid, signum)
        stdout, stderr = crawl.communicate(timeout=120)
    finally:
        if crawl.poll() is None:  # hung: no process may outlive the test
            os.killpg(crawl.pid, signal.SIGKILL)
            crawl.wait()
    assert "Traceback" not in stdout + stderr, stderr
    assert stderr.splitlines() == ["stdnews crawl: interrupted; the next run catches up"]
    assert crawl.returncode == verdicts.INTERRUPTED
    rows = crawl_rows(db_path)
    assert [(r["status"], r["complete"]) for r in rows] == [("interrupted", 0)] * 4
    assert all(r["finished"] for r in rows)
    assert len(re.findall(r"^\w+: interrupted - ", stdout, re.M)) == 4, stdout
