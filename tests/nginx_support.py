"""A real nginx on a free loopback port, for the read replicas' tests and benchmark.

It runs docs/deploy/nginx.conf itself (the file an operator installs), with its upstream
include, listen line and access log pointed into a temporary folder, inside a minimal main
configuration (pid, error log, temporary files, events), as the current user (root in CI):
`nginx -p PREFIX -c CONF -g 'daemon off;'`, stopped by stop() or at the end of a `with`. And
a load of GET requests over kept-alive connections (LoadRun), which the test and
bench/replicas.py send through it.
"""

from __future__ import annotations

import http.client
import os
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.paths import ROOT
from pipeline.site.serve import free_port

NGINX_SITE = ROOT / "docs" / "deploy" / "nginx.conf"
INSTALL = "apt-get install nginx"


def nginx_binary() -> str | None:
    """nginx on PATH or in /usr/sbin (Debian's package), or None."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def site_conf(upstream: Path, port: int, access_log: Path) -> str:
    """docs/deploy/nginx.conf with its deployment's paths replaced by these."""
    text = NGINX_SITE.read_text("utf-8")
    replacements = {
        "include /var/lib/standards-news/nginx-upstream.conf;": f"include {upstream};",
        "listen 80;": f"listen 127.0.0.1:{port};",
        "/var/log/nginx/stdnews-access.log": str(access_log),
    }
    for old, new in replacements.items():
        assert old in text, f"{NGINX_SITE} no longer has {old!r}: update tests/nginx_support.py"
        text = text.replace(old, new)
    return text


def main_conf(prefix: Path, site: Path) -> str:
    """The main configuration around the site file: everything nginx writes stays in prefix.
    Run by root, the workers stay root (they write the temporary files in prefix)."""
    temp = prefix / "temp"
    user = "user root;\n" if os.geteuid() == 0 else ""
    paths = "".join(
        f"    {kind}_temp_path {temp / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 2;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n{paths}    include {site};\n}}\n"
    )


class Nginx:
    """nginx serving docs/deploy/nginx.conf on http://127.0.0.1:<port>/, its files in prefix."""

    def __init__(self, prefix: Path, upstream: Path):
        """Write the configuration (the upstream file may come later); start() runs nginx."""
        self.binary = nginx_binary()
        assert self.binary, f"nginx is not installed: {INSTALL}"
        self.prefix = prefix
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = prefix / "access.log"
        (prefix / "temp").mkdir(parents=True, exist_ok=True)
        site = prefix / "stdnews.conf"
        site.write_text(site_conf(upstream, self.port, self.access_log), "utf-8")
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(main_conf(prefix, site), "utf-8")
        self.process: subprocess.Popen | None = None

    def start(self, seconds: float = 20) -> Nginx:
        self.stderr = (self.prefix / "stderr.log").open("wb")
        self.process = subprocess.Popen(
            [*self.command(), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )
        try:
            self._wait(seconds)
        except BaseException:
            self.stop()
            raise
        return self

    def command(self) -> list[str]:
        """nginx with this instance's prefix and configuration (add `-s reload`, `-t`)."""
        error_log = str(self.prefix / "error.log")  # from the start: not /var/log/nginx
        return [self.binary, "-p", str(self.prefix), "-e", error_log, "-c", str(self.conf)]

    @property
    def reload_command(self) -> str:
        """What `stdnews replicas --reload` runs for this nginx."""
        return shlex.join([*self.command(), "-s", "reload"])

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.errors()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not listen within {seconds} s: {self.errors()}")

    def errors(self) -> str:
        log = self.prefix / "error.log"
        return (log.read_text("utf-8", errors="replace") if log.exists() else "")[-2000:]

    def stop(self) -> None:
        """SIGQUIT (graceful), SIGKILL after a bound."""
        if self.process is not None:
            stop_process(self.process, signal.SIGQUIT, 10)
            self.stderr.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def stop_process(process: subprocess.Popen, sig: int, seconds: float) -> int:
    """Send sig to a process still running, SIGKILL it after seconds; its exit status."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


# --- the replicas' supervisor --------------------------------------------------------------

OFFSET = 100  # --standby-offset


class Supervisor:
    """`stdnews replicas` in the background, its stderr (and its replicas') in a file."""

    def __init__(
        self,
        folder: Path,
        ports: list[int],
        upstream: Path,
        reload: str,
        log: Path,
        drain: float = 2,
    ):
        self.log = log
        self.file = log.open("wb")
        ports_args = [arg for port in ports for arg in ("--port", str(port))]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "replicas", "--copies", str(folder), *ports_args]
            + ["--standby-offset", str(OFFSET), "--upstream", str(upstream), "--reload", reload]
            + ["--drain", str(drain), "--start-timeout", "60"],
            stdout=subprocess.DEVNULL,
            stderr=self.file,
            cwd=ROOT,
        )

    def lines(self) -> list[str]:
        text = self.log.read_text("utf-8", errors="replace")
        return [line for line in text.splitlines() if line.startswith("stdnews replicas:")]

    def wait_for(self, text: str, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while not any(text in line for line in self.lines()):
            assert self.process.poll() is None, "\n".join(self.lines())
            assert time.monotonic() < deadline, f"no {text!r} in:\n" + "\n".join(self.lines())
            time.sleep(0.2)

    def stop(self) -> int:
        status = stop_process(self.process, signal.SIGTERM, 40)
        self.file.close()
        return status


# --- load through nginx ---------------------------------------------------------------------


@dataclass
class Load:
    """What a load run saw: every request's time (s) and every failure (non-200, error)."""

    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    sent: int = 0
    wall: float = 0.0

    def p(self, share: float) -> float:
        """The share's percentile of the requests' times, in milliseconds."""
        ordered = sorted(self.seconds)
        return 1000 * ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    def line(self) -> str:
        rate = self.sent / self.wall if self.wall else 0
        return (
            f"{self.sent} requests in {self.wall:.1f} s ({rate:.0f}/s), "
            f"p50 {self.p(0.5):.0f} ms, p95 {self.p(0.95):.0f} ms, {len(self.failures)} failed"
        )


def mix(post_id: str) -> list[str]:
    """The load's pages, each in turn: a post page twelve times (what most visits are, from
    search engines and feeds; the lightest page), the home page, the posts table (facets) and
    two searches."""
    searches = ["/news/-/search?q=standard", "/news/-/search?q=kilogram+OR+metrology"]
    return [*[f"/news/posts/{post_id}"] * 12, "/", "/news/posts", *searches]


class LoadRun:
    """GET requests to a mix of paths from `threads` threads, at least `total` of them and on
    while keep_going() says so, bounded by `deadline` seconds (past it, the rest counts as
    failed). start() returns at once; wait() joins the threads.

    keep_alive: each thread keeps its connection, as a browser does; but when nginx reloads,
    its old workers close their idle kept-alive connections, and a request sent on one at
    that instant meets a closed connection (a browser sends it again: RFC 9112, 9.3.1; this
    client counts it as failed). keep_alive=False: a connection per request, so that any
    failure is the servers' (what the rollout test asks)."""

    def __init__(
        self,
        url: str,
        paths: list[str],
        total: int,
        threads: int = 8,
        keep_going=lambda: False,
        deadline: float = 120,
        keep_alive: bool = True,
    ):
        self.keep_alive = keep_alive
        self.address = url.removeprefix("http://")
        self.paths, self.total, self.keep_going = paths, total, keep_going
        self.result = Load()
        self.lock = threading.Lock()
        self.deadline = time.monotonic() + deadline
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(threads)]

    def start(self) -> LoadRun:
        self.started = time.perf_counter()
        for thread in self.threads:
            thread.start()
        return self

    def wait(self) -> Load:
        for thread in self.threads:
            thread.join(max(self.deadline - time.monotonic(), 0) + 30)
        self.result.wall = time.perf_counter() - self.started
        return self.result

    def _next(self) -> str | None:
        with self.lock:
            n = self.result.sent
            if n >= self.total and not self.keep_going():
                return None
            if time.monotonic() > self.deadline:
                self.result.failures.append(f"deadline passed after {n} requests")
                return None
            self.result.sent += 1
            return self.paths[n % len(self.paths)]

    def _work(self) -> None:
        connection = http.client.HTTPConnection(self.address, timeout=30)
        headers = {} if self.keep_alive else {"Connection": "close"}
        while (path := self._next()) is not None:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                answer = connection.getresponse()
                answer.read()
                if not self.keep_alive:
                    connection.close()  # the next request opens a new connection
                problem = None if answer.status == 200 else f"{answer.status} {path}"
            except (OSError, http.client.HTTPException) as error:
                problem = f"{type(error).__name__}: {error} ({path})"
                connection.close()
                connection = http.client.HTTPConnection(self.address, timeout=30)
            took = time.perf_counter() - started
            with self.lock:
                self.result.seconds.append(took)
                if problem:
                    self.result.failures.append(problem)
        connection.close()


def quiet_ports(count: int, offset: int) -> list[int]:
    """count loopback ports, free now and so are their standby ports (each plus offset), below
    Linux's ephemeral range (32768 up), where the load's own connections never land."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 32768 - offset - count)
        ports = list(range(base, base + count))
        if all(port_free(p) and port_free(p + offset) for p in ports):
            return ports
    raise RuntimeError("no free loopback ports below 32768")


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
