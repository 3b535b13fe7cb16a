"""Read replicas: `stdnews publish` (an immutable serving copy) and `stdnews replicas` behind a
real nginx (docs/deploy/nginx.conf), a new copy rolled out under load without a failed request.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import sqlite3
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pipeline.normalize.urls import url_id
from pipeline.store import copies, open_db, save_post
from tests.conftest import stdnews
from tests.nginx_support import (
    INSTALL,
    OFFSET,
    LoadRun,
    Nginx,
    Supervisor,
    mix,
    nginx_binary,
    quiet_ports,
)
from tests.site_support import build_site_db, hostile_post

EXTRA_URL = "https://www.iso.org/contents/news/2026/02/replicas-rollout.html"
EXTRA_TITLE = "Replicas rolled out without a failed request"
# At least this many requests, and on until the new copy serves: the rollout takes its time on
# a loaded machine, so the deadline is generous. bench/replicas.py sends 2,000 and reports p95.
LOAD = 1000
LOAD_DEADLINE_S = 300


@pytest.fixture(scope="module")
def site_db(tmp_path_factory) -> Path:
    return build_site_db(tmp_path_factory.mktemp("replicas-site"))


def working_copy(site_db: Path, folder: Path) -> Path:
    """A database of our own to add a post to (the module's stays as built)."""
    target = folder / "news.db"
    with sqlite3.connect(site_db) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    copy.close()
    return target


def add_extra_post(db_path: Path) -> str:
    post_id = url_id(EXTRA_URL)
    post = dataclasses.replace(
        hostile_post(),
        id=post_id,
        story_id=post_id,
        url=EXTRA_URL,
        title=EXTRA_TITLE,
        text="A copy published while the site answered: the replicas switched to it.",
        description=None,
    )
    db = open_db(db_path)
    save_post(db, post)
    db.close()
    return post_id


def immutable(copy: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{copy}?immutable=1", uri=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- publish ----------------------------------------------------------------------------------


def test_publish_writes_an_immutable_copy_with_its_search_index(site_db, tmp_path):
    result = stdnews("publish", "--db", str(site_db), "--to", str(tmp_path / "copies"))
    assert result.returncode == 0, result.stderr
    copy = Path(result.stdout.strip())
    assert copy.parent == tmp_path / "copies"
    assert copy.name.startswith("news-")
    assert (tmp_path / "copies" / "current.db").resolve() == copy
    assert copy.stat().st_mode & 0o777 == 0o444
    assert sorted(p.name for p in copy.parent.iterdir()) == ["current.db", copy.name]
    with immutable(copy) as db:
        assert db.execute("pragma integrity_check").fetchall() == [("ok",)]
        assert db.execute("pragma journal_mode").fetchone() == ("delete",)
        found = db.execute("select count(*) from posts_fts where posts_fts match 'kilogram'")
        assert found.fetchone()[0] > 0  # the search index is kept (a research dump drops pairs)
        assert db.execute("select count(*) from posts_pairs_fts").fetchone()[0] > 0
        segments = db.execute("select count(distinct segid) from posts_fts_idx").fetchone()[0]
        assert segments == 1
        counted = db.execute("select count(*) from posts").fetchone()[0]
    with sqlite3.connect(site_db) as live:
        assert counted == live.execute("select count(*) from posts").fetchone()[0]


def test_pruning_keeps_the_current_copy_and_the_one_before(site_db, tmp_path):
    folder = tmp_path / "copies"
    first, second, third = (copies.publish(site_db, folder, keep=3) for _ in range(3))
    assert copies.copies(folder) == [first, second, third]
    # An operator rolled back by pointing current.db at the first: the next copy spares it, as
    # a replica may still serve it, and the newest before it stays within keep.
    (folder / "current.db").unlink()
    (folder / "current.db").symlink_to(first.name)
    fourth = copies.publish(site_db, folder, keep=2)
    assert copies.copies(folder) == [first, third, fourth]
    assert copies.current_copy(folder) == fourth


def test_publish_into_a_folder_that_cannot_be_made_is_one_line(site_db, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    result = stdnews("publish", "--db", str(site_db), "--to", str(tmp_path / "file" / "copies"))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"stdnews publish: cannot publish into {tmp_path / 'file' / 'copies'}: not a directory"
    ]


# --- the supervisor: a copy that cannot be served, a replica that dies -----------------------


def child_serving(supervisor: Supervisor, port: int) -> int:
    """The pid of the supervisor's replica on port (its child `stdnews serve ... --port P`)."""
    for entry in Path("/proc").iterdir():
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == supervisor.process.pid and b"serve" in argv and str(port).encode() in argv:
            return int(entry.name)
    raise AssertionError(f"no replica of the supervisor on port {port}")


def wait_until(check, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"{check.__doc__ or check} not within {seconds} s"
        time.sleep(0.2)


def test_a_copy_that_cannot_be_served_is_not_rolled_out_and_a_dead_replica_comes_back(
    site_db, tmp_path
):
    folder = tmp_path / "copies"
    good = copies.publish(site_db, folder)
    (port,) = quiet_ports(1, OFFSET)
    supervisor = Supervisor(folder, [port], tmp_path / "up.conf", "true", tmp_path / "log")
    try:
        supervisor.wait_for(f"serving {good.name}")
        broken = folder / "news-29991231T000000.000Z.db"  # a copy damaged on the disk
        broken.write_text("not a database")
        copies.point_current(folder, broken)
        supervisor.wait_for(f"{broken.name} not rolled out: the replica on port {port + OFFSET}")
        assert served_hash(port) == sha256(good)  # the old replica never stopped serving
        assert f"127.0.0.1:{port};" in (tmp_path / "up.conf").read_text()

        os.kill(child_serving(supervisor, port), signal.SIGKILL)
        supervisor.wait_for(f"the replica on port {port} exited with status -9: restarting")
        wait_until(lambda: not refuses(port))
        assert served_hash(port) == sha256(good)

        newer = copies.publish(site_db, folder)  # the next change is tried
        supervisor.wait_for(f"serving {newer.name} on ports {port + OFFSET}")
        assert served_hash(port + OFFSET) == sha256(newer)
        assert refuses(port)
    finally:
        status = supervisor.stop()
    assert status == 0, "\n".join(supervisor.lines())


# --- replicas behind nginx -------------------------------------------------------------------


def get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as answer:
        return answer.status, answer.read()


def served_hash(port: int) -> str:
    """The sha256 of the file the replica on port serves (Datasette's hash of an immutable
    database, in /-/databases.json)."""
    status, body = get(f"http://127.0.0.1:{port}/-/databases.json")
    (database,) = json.loads(body)
    assert database["name"] == "news"
    assert not database["is_mutable"]
    return database["hash"]


def refuses(port: int) -> bool:
    try:
        get(f"http://127.0.0.1:{port}/", timeout=2)
    except (ConnectionError, urllib.error.URLError):
        return True
    return False


@pytest.fixture
def nginx_needed():
    if not nginx_binary():
        pytest.skip(f"nginx is not installed: {INSTALL}")


def test_a_new_copy_is_rolled_out_under_load_without_a_failed_request(
    nginx_needed, site_db, tmp_path
):
    db_path = working_copy(site_db, tmp_path)
    folder, upstream = tmp_path / "copies", tmp_path / "upstream.conf"
    old_copy = copies.publish(db_path, folder)
    ports = quiet_ports(2, OFFSET)
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    nginx = Nginx(prefix, upstream)
    log = tmp_path / "replicas.log"
    supervisor = Supervisor(folder, ports, upstream, nginx.reload_command, log, drain=2)
    try:
        supervisor.wait_for(f"serving {old_copy.name}")  # nginx not running yet: it says so
        nginx.start()
        a_post = json.loads(get(f"{nginx.url}/news/posts.json?_size=1&_shape=array")[1])[0]["id"]
        extra_id = add_extra_post(db_path)
        with pytest.raises(urllib.error.HTTPError):
            get(f"{nginx.url}/news/posts/{extra_id}")
        paths = mix(a_post)
        rolled_out = False
        load = LoadRun(
            nginx.url,
            paths,
            LOAD,
            keep_going=lambda: not rolled_out,
            deadline=LOAD_DEADLINE_S,
            keep_alive=False,
        ).start()
        while load.result.sent < 200 and time.monotonic() < load.deadline:
            time.sleep(0.05)
        new_copy = copies.publish(db_path, folder)
        supervisor.wait_for(f"serving {new_copy.name}", seconds=120)
        rolled_out = True
        result = load.wait()
        print(f"\nrollout under load through nginx, 2 replicas: {result.line()}")
        assert result.failures == [], result.failures[:10]
        assert result.sent >= LOAD
        standby = [port + OFFSET for port in ports]
        assert [served_hash(port) for port in standby] == [sha256(new_copy)] * 2
        assert all(refuses(port) for port in ports)  # the old replicas were stopped
        assert f"127.0.0.1:{standby[0]};" in upstream.read_text()
        for _ in range(6):  # nginx's round robin: each replica answers with the new post
            assert get(f"{nginx.url}/news/posts/{extra_id}")[0] == 200
    finally:
        status = supervisor.stop()
        nginx.stop()
    assert status == 0, "\n".join(supervisor.lines())
    assert supervisor.lines()[-1] == "stdnews replicas: stopped"
    assert all(refuses(port + OFFSET) for port in ports)  # SIGTERM stopped the replicas
