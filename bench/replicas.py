"""Benchmark: the read replicas behind nginx (docs/deploy/nginx.conf), on loopback.

The demo database (the snapshot crawled, as bench/datasette_scale.py makes it) is published with
`stdnews publish`; `stdnews replicas` serves it with 1, then 2 replicas behind a real nginx, and
the load of tests/test_replicas.py (its page mix, from several threads over kept-alive
connections) is timed: requests per second, p50 and p95. Then, with 2 replicas, a new copy is
published once a tenth of the requests are answered and the load goes on until the rollout has
ended: with a connection per request, 0 failed requests is the target; over kept-alive
connections the failures are reported (when nginx reloads, its old workers close their idle
client connections, and this client, unlike a browser, does not send a request again).

Figures depend on the cores: every replica, nginx and this client share them. Only 127.0.0.1
is contacted; every load is bounded in requests and time.

    .venv/bin/python bench/replicas.py [--requests 2000] [--threads 8]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import results  # noqa: E402
from bench.datasette_scale import demo_db  # noqa: E402
from pipeline.store import copies  # noqa: E402
from tests import nginx_support as support  # noqa: E402
from tests.nginx_support import Load, LoadRun  # noqa: E402


def a_post(url: str) -> str:
    with urllib.request.urlopen(f"{url}/news/posts.json?_size=1&_shape=array") as answer:
        return json.load(answer)[0]["id"]


def figures(load: Load) -> dict:
    return {
        "requests": load.sent,
        "requests_per_s": round(load.sent / load.wall, 1),
        "p50_ms": round(load.p(0.5), 1),
        "p95_ms": round(load.p(0.95), 1),
        "failed": len(load.failures),
    }


class Deployment:
    """A copies folder, `stdnews replicas` on `count` ports and nginx in front, in folder."""

    def __init__(self, db_path: Path, folder: Path, count: int):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.db_path, self.copies = db_path, folder / "copies"
        copy = copies.publish(db_path, self.copies)
        upstream = folder / "upstream.conf"
        self.nginx = support.Nginx(folder / "nginx", upstream)
        self.supervisor = support.Supervisor(
            self.copies,
            support.quiet_ports(count, support.OFFSET),
            upstream,
            self.nginx.reload_command,
            folder / "replicas.log",
        )
        self.supervisor.wait_for(f"serving {copy.name}")
        self.nginx.start()
        self.paths = support.mix(a_post(self.nginx.url))

    def steady(self, requests: int, threads: int) -> Load:
        LoadRun(self.nginx.url, self.paths, 50, threads).start().wait()  # warm the caches
        return LoadRun(self.nginx.url, self.paths, requests, threads).start().wait()

    def rollout(self, requests: int, threads: int, keep_alive: bool) -> Load:
        """The load, with a new copy published once a tenth of it is sent, on until the
        rollout ended (the supervisor says it serves the new copy)."""
        done = False
        run = LoadRun(
            self.nginx.url,
            self.paths,
            requests,
            threads,
            keep_going=lambda: not done,
            keep_alive=keep_alive,
        ).start()
        while run.result.sent < requests // 10 and time.monotonic() < run.deadline:
            time.sleep(0.05)
        copy = copies.publish(self.db_path, self.copies)
        self.supervisor.wait_for(f"serving {copy.name}", seconds=120)
        done = True
        return run.wait()

    def stop(self) -> None:
        self.supervisor.stop()
        self.nginx.stop()


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--folder", type=Path, default=Path(tempfile.gettempdir()) / "standards-news-bench"
    )
    args = parser.parse_args(argv)
    if not support.nginx_binary():
        skipped = {"skipped": f"nginx is not installed: {support.INSTALL}"}
        return [results.result("replicas", skipped, "0 failed requests in a rollout", None)]
    db_path = demo_db(args.folder)
    rows, rate = [], {}
    for count in (1, 2):
        deployment = Deployment(db_path, args.folder / f"replicas-{count}", count)
        try:
            load = deployment.steady(args.requests, args.threads)
            rate[count] = load.sent / load.wall
            name = f"replicas/{count} replica{'s' if count > 1 else ''} behind nginx"
            rows.append(results.result(name, figures(load), "reported", None))
            if count == 2:
                rows += rollouts(deployment, args.requests, args.threads)
        finally:
            deployment.stop()
    rows[1]["figures"]["speed-up"] = round(rate[2] / rate[1], 2)
    return rows


def rollouts(deployment: Deployment, requests: int, threads: int) -> list[dict]:
    strict = deployment.rollout(requests, threads, keep_alive=False)
    kept = deployment.rollout(requests, threads, keep_alive=True)
    return [
        results.result(
            "replicas/rollout under load, a connection per request",
            {**figures(strict), "failures": strict.failures[:3]},
            "0 failed requests",
            not strict.failures,
        ),
        results.result(
            "replicas/rollout under load, kept-alive connections",
            {**figures(kept), "failures": kept.failures[:3]},
            "reported (a client that retries, as browsers do, sees none)",
            None,
        ),
    ]


if __name__ == "__main__":
    results.standalone(main())
