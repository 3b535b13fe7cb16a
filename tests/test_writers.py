"""Writers that wait and never lose: real crawls of the snapshot beside other processes that take
SQLite's write lock (a checkpoint, a script, `stdnews reprocess`, a refused second crawl), and on
a disk that fills up (docs/operations.md, "Concurrent writers")."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import store
from pipeline.normalize.sources import SOURCES
from pipeline.store import raw
from pipeline.store.lock import CrawlLock
from pipeline.store.migrations import drop_pairs
from tests.conftest import crawl_replay, stdnews

# A process that takes the write lock of the given databases at random moments, as Litestream
# does for its checkpoints (it writes its own table too), until the stop file appears (bounded
# in time). With --once-after N: waits until the first database holds N posts, then holds the
# lock once, for --hold seconds. Prints how many times it took the lock.
COMPETITOR = r"""
import random, sqlite3, sys, time
stop, seconds, once_after, hold, *paths = sys.argv[1:]
seconds, once_after, hold = float(seconds), int(once_after), float(hold)
conns = [sqlite3.connect(p, timeout=60, isolation_level=None) for p in paths]
end = time.monotonic() + seconds
grabs = 0
def take(conn, held, eager=False):
    global grabs
    while eager:  # asks every millisecond: a busy handler's growing sleeps miss the gaps
        try:
            conn.execute("begin immediate")
            break
        except sqlite3.OperationalError:
            time.sleep(0.001)
    else:
        conn.execute("begin immediate")
    conn.execute("create table if not exists _competitor_seq (id integer primary key, at real)")
    conn.execute("insert into _competitor_seq (at) values (?)", [time.time()])
    if eager:
        print("holding", flush=True)
    time.sleep(held)
    conn.execute("commit")
    grabs += 1
print("ready", flush=True)
if once_after:
    while time.monotonic() < end:
        if conns[0].execute("select count(*) from posts").fetchone()[0] >= once_after:
            break
        time.sleep(0.01)
    conns[0].execute("pragma busy_timeout = 0")
    take(conns[0], hold, eager=True)
else:
    import os
    while time.monotonic() < end and not os.path.exists(stop):
        take(random.choice(conns), random.uniform(0.1, 0.2))
        time.sleep(random.uniform(0.02, 0.1))
print(grabs, flush=True)
"""


def competitor(stop: Path, *paths: Path, once_after: int = 0, hold: float = 0.0):
    process = subprocess.Popen(
        [sys.executable, "-c", COMPETITOR, str(stop), "120", str(once_after), str(hold)]
        + [str(path) for path in paths],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "ready"
    return process


def stdnews_popen(*args, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=Path(__file__).parent.parent,
    )


def rows(db_path: Path, sql: str, args=()) -> list[tuple]:
    """Read with plain sqlite3 (read-only): what any reader sees."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def post_urls(db_path: Path) -> set[str]:
    return {url for (url,) in rows(db_path, "select url from posts")}


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    """A plain crawl of the snapshot, alone: the posts every other crawl must end with."""
    db_path = tmp_path_factory.mktemp("plain") / "news.db"
    result = crawl_replay(db_path)
    assert result.returncode == 0, result.stderr
    return db_path


def prepared(tmp_path: Path) -> Path:
    """An existing database and raw store whose start-up has upkeep to do (a dump: no pairs
    index), so that opening it writes while the competitor holds the lock."""
    db_path = tmp_path / "news.db"
    db = store.open_db(db_path)
    drop_pairs(db)
    db.close()
    raw.open_raw(db_path).close()
    return db_path


def test_a_crawl_beside_a_process_grabbing_the_write_lock_stores_every_post(plain, tmp_path):
    db_path = prepared(tmp_path)
    stop = tmp_path / "stop"
    grabber = competitor(stop, db_path, raw.raw_path(db_path))
    started = time.monotonic()
    result = crawl_replay(db_path)
    seconds = time.monotonic() - started
    stop.touch()
    grabs = int(grabber.communicate(timeout=60)[0].split()[-1])
    assert grabs >= 5, f"the competitor took the lock only {grabs} times"
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    assert post_urls(db_path) == post_urls(plain)
    assert rows(db_path, "select * from crawl_errors where reason = 'locked'") == []
    print(
        f"{len(post_urls(db_path))} of {len(post_urls(plain))} posts, {grabs} lock grabs, "
        f"{seconds:.1f} s"
    )


def test_a_refused_second_crawl_costs_the_first_nothing(plain, tmp_path):
    db_path = prepared(tmp_path)
    stop = tmp_path / "stop"
    grabber = competitor(stop, db_path)  # keeps the first crawl going long enough
    first = stdnews_popen("crawl", "--replay", str(snapshot()), "--db", str(db_path))
    wait_for_its_lock(first, db_path)
    second = stdnews("crawl", "--replay", str(snapshot()), "--db", str(db_path))
    out, err = first.communicate(timeout=300)
    stop.touch()
    grabber.communicate(timeout=60)
    assert second.returncode == 4, second.stdout + second.stderr
    assert first.returncode == 0, out + err
    assert "Traceback" not in err, err
    assert post_urls(db_path) == post_urls(plain)


def wait_for_its_lock(crawl: subprocess.Popen, db_path: Path) -> None:
    """Until the crawl holds the database's crawl lock (failing if it ends first)."""
    while not CrawlLock(db_path).held_elsewhere():
        assert crawl.poll() is None, crawl.communicate()
        time.sleep(0.02)


def snapshot() -> Path:
    from pipeline.paths import SNAPSHOT

    return SNAPSHOT


def test_a_post_the_lock_kept_out_is_recorded_and_fetched_by_the_next_run(plain, tmp_path):
    """The lock held longer than the wait (made short): the posts that could not be saved are
    failed requests (reason "locked"), the run is not complete, and the next run fetches them,
    although its discovery pages answer 304."""
    db_path = prepared(tmp_path)
    grabber = competitor(tmp_path / "stop", db_path, once_after=10, hold=3.0)
    first = stdnews_popen(
        "crawl", "--replay", str(snapshot()), "--db", str(db_path), env={"STDNEWS_LOCK_WAIT": "1"}
    )
    wait_for_its_lock(first, db_path)
    # Started as soon as the first crawl holds its lock, not once the grabber holds the write
    # lock: on a loaded machine the first could end while a later second was still starting.
    second = stdnews_popen("crawl", "--replay", str(snapshot()), "--db", str(db_path))
    assert grabber.stdout.readline().strip() == "holding"
    out, err = first.communicate(timeout=300)
    second_out, second_err = second.communicate(timeout=300)
    grabber.communicate(timeout=60)
    assert second.returncode == 4, second_out + second_err  # refused while the first runs
    assert "Traceback" not in err, err
    locked = rows(db_path, "select url, source from crawl_errors where reason = 'locked'")
    assert locked, out + err
    assert not {url for url, _ in locked} & post_urls(db_path)
    sources = {source for _, source in locked}
    incomplete = {s for (s,) in rows(db_path, "select source from crawls where complete = 0")}
    assert incomplete >= sources
    assert first.returncode == 3, out + err  # broken: posts not saved
    assert "not saved" in out
    again = crawl_replay(db_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert post_urls(db_path) == post_urls(plain)


def test_reprocess_beside_a_crawl_both_finish_and_the_crawl_stores_every_post(plain, tmp_path):
    """Reprocess takes no crawl lock: both write post by post, each waiting for the other, and a
    reprocessed older fetch never replaces the crawl's newer one. BIPM's pages are reprocessed
    again and again while the other sources are crawled."""
    db_path = tmp_path / "news.db"
    assert crawl_replay(db_path, snapshot(), "bipm").returncode == 0
    others = [source for source in SOURCES if source != "bipm"]
    crawl = stdnews_popen("crawl", "--replay", str(snapshot()), "--db", str(db_path), *others)
    runs = []
    while crawl.poll() is None and len(runs) < 30:
        runs.append(stdnews("reprocess", "--db", str(db_path), "--source", "bipm"))
    out, err = crawl.communicate(timeout=300)
    assert len(runs) >= 2
    for run in runs:
        assert run.returncode == 0, run.stdout + run.stderr
    assert crawl.returncode == 0, out + err
    assert "Traceback" not in err, err
    stored = "select sum(new_posts + updated_posts + unchanged_posts), sum(errors), min(complete)"
    where = " from crawls where source != 'bipm'"
    assert rows(db_path, stored + where) == rows(plain, stored + where)
    assert post_urls(db_path) == post_urls(plain)


@pytest.fixture
def small_disk(tmp_path):
    """A 5 MB file system of its own (tmpfs), enlarged by remount() later; skipped where this
    process may not mount one (not root, a container without the capability)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=5000k", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_stops_the_crawl_with_one_line_and_closes_its_runs(plain, small_disk):
    db_path = small_disk / "news.db"
    result = crawl_replay(db_path)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode == 1, result.stdout + result.stderr  # failed
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "is full" in lines[0]
    runs = rows(db_path, "select status, complete, finished is not null from crawls")
    assert runs == [("failed", 0, 1)] * 4
    assert rows(db_path, "pragma integrity_check") == [("ok",)]
    assert 0 < len(post_urls(db_path)) < len(post_urls(plain))
    subprocess.run(["mount", "-o", "remount,size=100m", str(small_disk)], check=True)
    again = crawl_replay(db_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert post_urls(db_path) == post_urls(plain)


HOLDER = r"""
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("begin immediate")
print("holding", flush=True)
sys.stdin.readline()
conn.execute("rollback")
"""


def test_reprocess_kept_out_by_the_write_lock_is_one_line_and_exit_4(tmp_path):
    """The write lock held longer than the wait (made short): `stdnews reprocess` says so in one
    line and exits 4 (locked), no traceback."""
    db_path = tmp_path / "news.db"
    assert crawl_replay(db_path, snapshot(), "bipm").returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout.readline().strip() == b"holding"
        run = stdnews_popen("reprocess", "--db", str(db_path), env={"STDNEWS_LOCK_WAIT": "1"})
        out, err = run.communicate(timeout=120)
    finally:
        holder.communicate(b"\n", timeout=30)
    assert "Traceback" not in out + err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("stdnews reprocess: database is locked"), err
    assert run.returncode == 4, err


def test_reprocess_on_a_full_disk_is_one_line_and_exit_1(small_disk):
    """The disk fills while reprocess writes: one line, exit 1 (failed), no traceback, and the
    database intact."""
    db_path = small_disk / "news.db"
    subprocess.run(["mount", "-o", "remount,size=100m", str(small_disk)], check=True)
    assert crawl_replay(db_path, snapshot(), "bipm").returncode == 0
    db = sqlite3.connect(db_path)
    db.execute("delete from posts")  # every post is written again, with its search index
    db.commit()
    db.close()
    filler = small_disk / "filler"
    disk = os.statvfs(small_disk)
    free = disk.f_bavail * disk.f_frsize
    # Room for SQLite's start-up, not for the posts and their search index.
    filler.write_bytes(b"\0" * max(free - 800 * 1024, 0))
    run = stdnews("reprocess", "--db", str(db_path))
    assert "Traceback" not in run.stdout + run.stderr, run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("stdnews reprocess: the disk is full"), run.stderr
    assert run.returncode == 1, run.stderr
    filler.unlink()
    assert rows(db_path, "pragma integrity_check") == [("ok",)]
