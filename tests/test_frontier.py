"""A crawl shared through Redis (crawlers/frontier/): fetchers on a real redis-server, the real
Scrapy engine in every process, the snapshot replayed over loopback, one writer.

The same posts as a single-process crawl with 1, 2 and 3 fetchers; a fetcher killed with
SIGKILL mid-run loses nothing (its in-flight requests go back to the frontier) and the run says
so; a second run is incremental (the run's keys are its own: revisits are not filtered as seen);
the per-host delay and concurrency hold across fetchers.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest
import redis
from sqlite_utils import Database

from pipeline.paths import ROOT, SNAPSHOT
from tests.conftest import crawled_snapshot, stdnews
from tests.servers import redis_server


@pytest.fixture(scope="module")
def frontier(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """A single-process crawl of the snapshot."""
    return crawled_snapshot(tmp_path_factory.mktemp("single"))


@pytest.fixture(scope="module")
def reference(single):
    return posts_of(single)


def requests_of(db_path) -> set[tuple]:
    """What each source asked the hosts for and how they answered, by the crawls rows."""
    columns = "source, requests, responses, articles_requested, responses_by_status"
    return {tuple(row) for row in Database(db_path).execute(f"select {columns} from crawls")}


def posts_of(db_path) -> set[tuple]:
    db = Database(db_path)
    return {tuple(row) for row in db.execute("select url, title, published, source from posts")}


def start_fetchers(url: str, count: int, **env) -> list[subprocess.Popen]:
    environment = {**os.environ, **{k: str(v) for k, v in env.items()}}
    command = [sys.executable, "-m", "pipeline", "fetch", "--frontier", url]
    fetchers = [
        subprocess.Popen(
            [*command, "--replay", str(SNAPSHOT), "--wait", "60"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(count)
    ]
    STARTED.extend(fetchers)
    return fetchers


def coordinator(url: str, db_path, *args, **env) -> subprocess.Popen:
    environment = {**os.environ, **{k: str(v) for k, v in env.items()}}
    command = [sys.executable, "-m", "pipeline", "crawl", "--frontier", url, "--db", str(db_path)]
    process = subprocess.Popen(
        [*command, "--replay", str(SNAPSHOT), *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    STARTED.append(process)
    return process


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"still running after {timeout} s:\n{output}") from None
    return process.returncode, output


STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def no_process_left():
    """A test that fails half-way leaves no coordinator or fetcher behind."""
    yield
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.parametrize("fetchers", [1, 2, 3])
def test_same_posts_as_one_process(frontier, single, reference, tmp_path, fetchers):
    """The coordinator fetches too: N fetchers are it and N-1 `stdnews fetch`. The hosts are
    asked exactly what one process asks them: robots.txt once per host (frontier/robots.py),
    each article once whichever fetcher found it (the shared duplicate filter)."""
    extra = start_fetchers(frontier, fetchers - 1)
    status, output = finish(coordinator(frontier, tmp_path / "news.db"))
    ended = [finish(process) for process in extra]
    assert status == 0, output
    assert posts_of(tmp_path / "news.db") == reference
    for code, said in ended:
        assert code == 0, said
        assert "over (bipm, iec, iso, oecd)" in said
    db = Database(tmp_path / "news.db")
    rows = list(db.query("select source, status, complete from crawls"))
    assert {(r["status"], r["complete"]) for r in rows} == {("ok", 1)}, rows
    assert requests_of(tmp_path / "news.db") == requests_of(single)


def test_killed_fetcher_loses_nothing(frontier, reference, tmp_path):
    """SIGKILL a fetcher holding requests: they go back to the frontier, the run ends complete
    with every post and says which fetcher stopped; the next run has nothing to catch up."""
    server = redis.Redis.from_url(frontier)
    slow = {"STDNEWS_REPLAY_LATENCY": 0.4, "STDNEWS_FRONTIER_HEARTBEAT": 2}
    (victim, survivor) = start_fetchers(frontier, 2, **slow)
    crawl = coordinator(frontier, tmp_path / "news.db", **slow)
    held = wait_until_holding(server, victim.pid)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    status, output = finish(crawl)
    finish(survivor)
    assert held > 0
    assert status == 0, output
    assert posts_of(tmp_path / "news.db") == reference  # nothing lost
    db = Database(tmp_path / "news.db")
    warnings = " ".join(r["warnings"] or "" for r in db.query("select warnings from crawls"))
    assert f":{victim.pid}:" in warnings
    assert "put back in the frontier" in warnings
    assert {r["complete"] for r in db.query("select complete from crawls")} == {1}
    again, output = finish(coordinator(frontier, tmp_path / "news.db"))
    assert again == 0, output
    assert posts_of(tmp_path / "news.db") == reference


def wait_until_holding(server: redis.Redis, pid: int, timeout: float = 60) -> int:
    """How many requests the fetcher of that pid has in flight, once it has some."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for key in server.scan_iter(f"stdnews:*:inflight:*:{pid}:*"):
            held = server.hlen(key)
            if held:
                return held
        time.sleep(0.02)
    raise AssertionError(f"fetcher {pid} never took a request")


def test_second_run_is_incremental(frontier, tmp_path):
    """The run's keys are its own: the second run revisits recent posts (conditional requests,
    answered 304) instead of finding them all seen, and fetches no known article again."""
    db_path = tmp_path / "news.db"
    for _ in range(2):
        extra = start_fetchers(frontier, 1)
        status, output = finish(coordinator(frontier, db_path))
        [finish(process) for process in extra]
        assert status == 0, output
    second = list(Database(db_path).query("select * from crawls where id > 4"))
    assert sum(r["new_posts"] for r in second) == 0
    assert sum(r["not_modified"] for r in second) > 0
    assert {r["mode"] for r in second} == {"incremental"}


def test_fetch_without_a_run_or_a_frontier(frontier):
    quiet = stdnews("fetch", "--frontier", frontier, "--wait", "0.5", timeout=60)
    assert quiet.returncode == 4
    assert quiet.stderr.strip().splitlines() == [
        f"stdnews fetch: no run announced on {frontier} within 0.5 s"
    ]
    down = stdnews("fetch", "--frontier", "redis://127.0.0.1:9/0", "--wait", "1", timeout=60)
    assert down.returncode == 1
    assert "does not answer" in down.stderr
    assert "Traceback" not in down.stderr


def test_crawl_refuses_an_unreachable_frontier(tmp_path):
    db_path = tmp_path / "news.db"
    down = stdnews(
        "crawl",
        "--frontier",
        "redis://127.0.0.1:9/0",
        "--replay",
        str(SNAPSHOT),
        "--db",
        str(db_path),
        timeout=60,
    )
    assert down.returncode == 1
    assert "does not answer" in down.stderr
    assert "Traceback" not in down.stderr


def host_queues(url: str, delay: float, per_host: int, count: int):
    """`count` fetchers' views of one source's frontier queue (queue.HostQueue)."""
    from scrapy.utils.test import get_crawler

    from crawlers.frontier import codec
    from crawlers.frontier.queue import HostQueue
    from crawlers.spiders.bipm import BipmSpider

    server = redis.Redis.from_url(url)
    spider = BipmSpider.from_crawler(get_crawler(BipmSpider))
    key = f"stdnews:test-{time.monotonic_ns()}:bipm:queue"
    return [
        HostQueue(
            server,
            spider,
            key,
            codec,
            inflight=f"{key}:inflight:f{n}",
            politeness=(delay, per_host),
        )
        for n in range(count)
    ]


def test_politeness_holds_across_fetchers(frontier):
    """A host's turn is the frontier's: once one fetcher took a request for a host, no other
    may take one for it before the delay is over, while another host's request is free."""
    from scrapy import Request

    first, second = host_queues(frontier, delay=30, per_host=2, count=2)
    for n in range(3):
        first.push(Request(f"https://www.bipm.org/en/news/{n}"))
    first.push(Request("https://www.oecd.org/en/about/news/1"))
    taken = first.pop()
    assert taken.url == "https://www.bipm.org/en/news/0"
    other = second.pop()  # bipm waits 30 s, for every fetcher: the other host's turn
    assert other.url == "https://www.oecd.org/en/about/news/1"
    assert second.pop() is None
    assert 29 < second.wait <= 30
    assert len(second) == 2


def test_concurrency_per_host_holds_across_fetchers(frontier):
    """At most per_host requests of a host at once, whoever took them; a download over gives
    its turn back."""
    from scrapy import Request

    from crawlers.frontier.queue import LEASE

    first, second = host_queues(frontier, delay=0, per_host=1, count=2)
    for n in range(2):
        first.push(Request(f"https://www.bipm.org/en/news/{n}"))
    taken = first.pop()
    assert second.pop() is None  # the host's one slot is taken
    first.release(*taken.meta[LEASE])
    assert second.pop().url == "https://www.bipm.org/en/news/1"


def test_a_dead_fetchers_requests_go_back(frontier):
    from scrapy import Request

    first, second = host_queues(frontier, delay=0, per_host=4, count=2)
    first.push(Request("https://www.bipm.org/en/news/a"))
    assert first.pop() is not None
    assert second.pop() is None
    assert len(second) == 0
    assert second.requeue(first.inflight) == 1  # first died holding it
    assert second.pop().url == "https://www.bipm.org/en/news/a"


def test_archive_turns_and_budget_are_the_runs(frontier):
    """The Internet Archive's lookups, made by each fetcher itself: one turn at a time across
    fetchers (the second waits the delay the first left), one budget for the run."""
    from scrapy.utils.test import get_crawler

    from crawlers.frontier.turns import SharedTurns

    settings = {"STDNEWS_FRONTIER": frontier, "STDNEWS_RUN_ID": f"turns-{time.monotonic_ns()}"}
    first, second = (SharedTurns(get_crawler(settings_dict=settings)) for _ in range(2))
    assert asyncio.run(first.wait("archive", 0.5)) == 0
    assert 0.3 < asyncio.run(second.wait("archive", 0.5)) <= 0.5
    assert [first.spend("lookups", "oecd"), second.spend("lookups", "oecd")] == [1, 2]
    assert second.spend("lookups", "iso") == 1


def test_redis_lost_mid_run_fails_in_one_line_and_the_next_run_catches_up(reference, tmp_path):
    """Redis gone mid-run: coordinator and fetcher stop with one line each (no traceback), the
    crawls rows say failed and why, and a run on a new Redis stores every post."""
    db_path = tmp_path / "news.db"
    slow = {"STDNEWS_REPLAY_LATENCY": 0.4}
    with redis_server(tmp_path / "first") as url:
        (fetcher,) = start_fetchers(url, 1, **slow)
        crawl = coordinator(url, db_path, **slow)
        wait_until_holding(redis.Redis.from_url(url), fetcher.pid)
    status, output = finish(crawl)
    code, said = finish(fetcher)
    assert (status, code) == (1, 1), output + said
    for text in (output, said):
        assert "Traceback" not in text
        assert f"the frontier {url} stopped answering" in text
    rows = list(Database(db_path).query("select status, complete, warnings from crawls"))
    assert {(r["status"], r["complete"]) for r in rows} == {("failed", 0)}
    assert all("stopped answering" in r["warnings"] for r in rows)
    with redis_server(tmp_path / "second") as url:
        again, output = finish(coordinator(url, db_path))
    assert again == 0, output
    assert posts_of(db_path) == reference
