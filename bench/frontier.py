"""The distributed crawl: wall time with 1, 2 and 4 fetchers sharing a Redis frontier, and the
single writer's ceiling.

A generated mirror of many hosts (bench/hosts_mirror.py, one source per host) is served by each
process's replay server with a per-answer latency (crawlers/replay/server.py), as live sites answer
in hundreds of ms, and crawled with a per-host delay held across fetchers (`--delay`: the
frontier's per-host queues). For each fetcher count: a real redis-server on a free loopback port,
the extra `stdnews fetch` processes started and connected first, then the coordinator
(`stdnews crawl --frontier`), timed from its start to its exit; every run must store every post.
The reference is the same crawl by one process without a frontier (Scrapy's own per-host delay).

The writer's ceiling: posts per second the one writer saves when its queue is already full: the
reference crawl's pages and posts pushed to a Redis list as fetchers push them, then drained the
way the coordinator drains them (batches of inbox.BATCH: decode, keep the raw page, save the post,
each write under the write policy) into a new database.

    .venv/bin/python bench/frontier.py [--quick] [--hosts 40 --articles 50 --delay 1 --latency 0.3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import hosts_mirror  # noqa: E402
import results  # noqa: E402

from crawlers.replay.server import LATENCY_ENV  # noqa: E402
from pipeline.normalize.sources import SOURCES_ENV  # noqa: E402

REDIS_SERVER = "/usr/bin/redis-server"
STDNEWS = [sys.executable, "-m", "pipeline"]
RUN_LIMIT_S = 900  # one crawl; past it the run is killed and reported as failed
QUICK = {"hosts": 4, "articles": 5, "delay": 0.5, "latency": 0.1, "fetchers": [1, 2]}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def redis_server(folder: Path):
    """A throwaway redis-server on a free loopback port; yields its URL."""
    import redis

    port = free_port()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        + ["no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", client
    finally:
        process.terminate()
        process.wait(timeout=10)


def posts_in(db: Path) -> int:
    from sqlite_utils import Database

    return Database(db)["posts"].count if db.exists() else 0


def launch(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            STDNEWS + args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def finish(process: subprocess.Popen, log: Path, limit: float = RUN_LIMIT_S) -> int:
    """The exit status; a process past its time is killed (status -9) and its log's tail shown."""
    try:
        status = process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        process.kill()
        status = process.wait()
    if status not in (0,):
        tail = log.read_text(errors="replace").splitlines()[-5:]
        print(f"  {' '.join(process.args[2:4])}: exit {status}; {' / '.join(tail)}", flush=True)
    return status


def cpu_seconds() -> float:
    """CPU time of the children waited for so far (every process a run starts is waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def crawl_args(ids: list[str], site: Path, db: Path, delay: float) -> list[str]:
    return ["crawl", *ids, "--replay", str(site), "--db", str(db), "--delay", str(delay)]


def reference(folder: Path, ids: list[str], env: dict, delay: float) -> dict:
    """One process, no frontier: Scrapy's own per-host delay."""
    db = folder / "reference.db"
    started, cpu = time.perf_counter(), cpu_seconds()
    process = launch(crawl_args(ids, folder / "site", db, delay), env, folder / "reference.log")
    status = finish(process, folder / "reference.log")
    return {
        "wall_s": round(time.perf_counter() - started, 1),
        "cpu_s": round(cpu_seconds() - cpu, 1),
        "posts": posts_in(db),
        "exit": status,
        "load_1m": round(os.getloadavg()[0], 1),  # other work on the machine skews the times
    }


def wait_connected(client, count: int, limit: float = 60) -> None:
    """Until `count` fetchers have connected (each waits for a run with a connection open)."""
    deadline = time.monotonic() + limit
    while len(client.client_list()) - 1 < count and time.monotonic() < deadline:
        time.sleep(0.1)


def distributed(folder: Path, ids: list[str], env: dict, delay: float, fetchers: int) -> dict:
    """The coordinator and fetchers - 1 extra fetchers over one throwaway Redis."""
    work = folder / f"fetchers-{fetchers}"
    work.mkdir()
    db, site = work / "news.db", folder / "site"
    cpu = cpu_seconds()
    with redis_server(work) as (url, client):
        extra = [
            launch(["fetch", "--frontier", url, "--replay", str(site), "--wait", "120"], env, log)
            for log in (work / f"fetch-{n}.log" for n in range(1, fetchers))
        ]
        wait_connected(client, len(extra))
        started = time.perf_counter()
        log = work / "coordinator.log"
        coordinator = launch([*crawl_args(ids, site, db, delay), "--frontier", url], env, log)
        status = finish(coordinator, log)
        wall = time.perf_counter() - started
        statuses = [finish(p, work / f"fetch-{n}.log", 60) for n, p in enumerate(extra, 1)]
    return {
        "fetchers": fetchers,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu_seconds() - cpu, 1),  # of all its processes, Redis included
        "posts": posts_in(db),
        "exit": status,
        "fetcher_exits": statuses,
        "load_1m": round(os.getloadavg()[0], 1),
    }


def pushed_events(db: Path) -> list[str]:
    """The crawl's pages as a fetcher pushes them: the fetched page's fields and its post."""
    from pipeline.normalize.post import normalize
    from pipeline.store import raw

    events = []
    for item in raw.items(raw.open_raw(db)):
        post = normalize(item)
        fields = {**item, "post_url": post.url}
        event = {"event": "item", "fields": fields, "post": post.to_dict(), "rejected": None}
        events.append(json.dumps(event, separators=(",", ":")))
    return events


def writer_ceiling(crawled: Path, env: dict) -> dict:
    """In a process of its own: the generated sources are registered when the registry is read,
    at import (pipeline/normalize/sources.py), from the environment that names them."""
    out = subprocess.run(
        [sys.executable, __file__, "--writer", str(crawled)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.splitlines()[-1])


def drain(crawled: Path) -> dict:
    """Posts per second the one writer saves from a full queue (see the module's docstring):
    the pages of the crawled database, into a new one beside it."""
    from crawlers.frontier.inbox import BATCH
    from pipeline import store
    from pipeline.normalize.types import Post
    from pipeline.store import raw

    events = pushed_events(crawled)
    folder = crawled.parent
    target = folder / "writer.db"
    db, pages = store.open_db(target), raw.open_raw(target)
    with redis_server(folder) as (_, client):
        client.rpush("events", *events)
        started = time.perf_counter()
        while batch := client.lpop("events", BATCH):
            for data in batch:
                event = json.loads(data)
                post = Post.from_dict(event["post"])
                raw.save_page(pages, post.url, event["fields"])
                store.write(db, lambda post=post: store.save_post(db, post))
        seconds = time.perf_counter() - started
    saved = db["posts"].count
    db.close()
    pages.close()
    return {"posts": saved, "seconds": round(seconds, 2), "posts_per_s": round(saved / seconds)}


def parameters(args) -> dict:
    return {
        "hosts": args.hosts,
        "articles_per_host": args.articles,
        "links_per_listing_page": args.per_page,
        "delay_s": args.delay,
        "latency_s": args.latency,
        "requests_at_once_per_source_and_process": args.per_fetcher or 8,
        "cores": os.cpu_count(),
    }


def rows_for(runs: list[dict], single: dict | None, ceiling: dict, args) -> list[dict]:
    expected = args.hosts * args.articles
    figures = {
        **parameters(args),
        "expected_posts": expected,
        "single_process": single,
        "runs": runs,
    }
    crawls = runs + ([single] if single else [])
    complete = all(r["posts"] == expected and r["exit"] == 0 for r in crawls)
    target = "every run stores H*A posts; speed-up reported"
    return [
        results.result("frontier/fetchers", figures, target, complete),
        results.result("frontier/writer", ceiling, "reported (no target)", None),
    ]


def add_speedups(runs: list[dict]) -> None:
    """Each run's speed-up over the run of one fetcher (the coordinator alone)."""
    one = next((r["wall_s"] for r in runs if r["fetchers"] == 1), None)
    for run in runs:
        run["speedup"] = round(one / run["wall_s"], 2) if one else None


def table(runs: list[dict], single: dict | None, ceiling: dict) -> str:
    lines = ["crawl                     wall s  posts  speed-up"]
    if single:
        lines.append(f"one process, no frontier  {single['wall_s']:>6}  {single['posts']:>5}  -")
    for run in runs:
        name = f"frontier, {run['fetchers']} fetcher" + ("s" if run["fetchers"] > 1 else "")
        lines.append(f"{name:<25} {run['wall_s']:>6}  {run['posts']:>5}  {run['speedup']}")
    lines.append(f"writer ceiling: {ceiling['posts_per_s']} posts/s ({ceiling['posts']} posts)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 hosts x 5 articles, 1-2 fetchers")
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--articles", type=int, default=50, help="articles per host")
    parser.add_argument("--per-page", type=int, default=15, help="links per listing page")
    parser.add_argument("--delay", type=float, default=1.0, help="seconds between two requests")
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per answer")
    parser.add_argument("--fetchers", type=int, action="append", help="default: 1, 2 and 4")
    parser.add_argument("--no-reference", action="store_true", help="no single-process crawl")
    parser.add_argument(
        "--per-fetcher",
        type=int,
        help="requests at once per source in each process (STDNEWS_CONCURRENT_REQUESTS): "
        "fetchers of limited capacity, so that their number, not politeness, bounds the crawl",
    )
    args = parser.parse_args(argv)
    if args.quick:
        vars(args).update({k: v for k, v in QUICK.items() if k != "fetchers"}, no_reference=True)
        args.fetchers = args.fetchers or QUICK["fetchers"]
    args.fetchers = args.fetchers or [1, 2, 4]
    if not Path(REDIS_SERVER).exists():
        print(f"frontier: skipped, {REDIS_SERVER} not installed (apt-get install redis-server)")
        return []
    with tempfile.TemporaryDirectory(prefix="stdnews-bench-frontier-") as tmp:
        folder = Path(tmp)
        ids = hosts_mirror.build(folder, args.hosts, args.articles, args.per_page)
        env = {**os.environ, SOURCES_ENV: str(folder / "sources.toml")}
        env[LATENCY_ENV] = str(args.latency)
        if args.per_fetcher:
            env["STDNEWS_CONCURRENT_REQUESTS"] = str(args.per_fetcher)
        single = None if args.no_reference else reference(folder, ids, env, args.delay)
        print(f"  one process: {single}", flush=True)
        runs = []
        for count in args.fetchers:
            runs.append(distributed(folder, ids, env, args.delay, count))
            print(f"  {runs[-1]}", flush=True)
        first = f"fetchers-{args.fetchers[0]}/news.db"
        crawled = folder / (first if single is None else "reference.db")
        ceiling = writer_ceiling(crawled, env)
        add_speedups(runs)
        print(table(runs, single, ceiling))
        if os.environ.get("STDNEWS_BENCH_KEEP"):
            shutil.copytree(folder, os.environ["STDNEWS_BENCH_KEEP"], dirs_exist_ok=True)
    return rows_for(runs, single, ceiling, args)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--writer"]:  # writer_ceiling's process
        print(json.dumps(drain(Path(sys.argv[2]))))
    else:
        results.standalone(main())
