"""Read replicas of the published copy behind nginx: the supervisor `stdnews replicas` runs.

One process (one systemd unit) runs a `stdnews serve --immutable COPY` per port, writes the
nginx include file that names them (`upstream stdnews_replicas { server HOST:PORT; ... }`),
and looks at the copies folder's current.db (`stdnews publish`) every second. When it points
at a new copy, the copy is rolled out blue/green, so that no request fails:

1. new replicas start on the standby ports (each port plus --standby-offset; the next rollout
   goes back to the ports), while the old ones go on serving;
2. each must answer 200 on a real page (PROBE) within --start-timeout; if one does not, the
   new ones are stopped, the old copy stays served, and the next change of current.db is
   tried;
3. the upstream file is replaced atomically and the reload command run (`nginx -s reload`:
   nginx's new workers send to the new replicas, the old workers finish the requests they
   hold); a failed reload puts the old file back and stops the new replicas;
4. after --drain seconds the old replicas are stopped (SIGTERM, then SIGKILL after a bound).

Each replica is given the copy's own file, not current.db: it serves that copy from start to
end whatever the link does, and the supervisor knows which copy each serves. A replica that
dies is started again on its port (nginx sends to the others meanwhile: proxy_next_upstream);
one that keeps dying is started less and less often. SIGTERM or SIGINT stops the replicas,
then the supervisor (exit status 0). One line on stderr per action.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.paths import ROOT

# A real page: the posts table through the site's templates, plugins and database.
PROBE = "/news/posts?_size=5"
CURRENT = "current.db"  # pipeline/store/copies.py's link to the newest copy
UPSTREAM = "stdnews_replicas"
UPSTREAM_KEEPALIVE = 16  # idle connections each nginx worker keeps to the replicas
# nginx lets an idle one go before uvicorn would (its timeout is 5 s): a request never meets a
# connection the replica is closing.
UPSTREAM_IDLE = "4s"
# A replica that lived less than STEADY seconds waits before its next start, twice as long
# each time (up to MAX_RESTART_DELAY): a copy that cannot be served does not spin the machine.
STEADY, MAX_RESTART_DELAY = 30.0, 60.0
RETRY = 30.0  # nothing served yet (the first start failed): try the same copy again after this
STOP_TIMEOUT = 10.0  # SIGTERM, then SIGKILL after this many seconds
TICK = 0.1


def say(text: str) -> None:
    print(f"stdnews replicas: {text}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Plan:
    """What `stdnews replicas` was asked to run."""

    folder: Path
    ports: tuple[int, ...]
    upstream: Path
    reload_command: str = "nginx -s reload"
    standby_offset: int = 100
    drain: float = 10.0
    start_timeout: float = 60.0
    host: str = "127.0.0.1"
    interval: float = 1.0  # how often current.db and the replicas are looked at

    def problem(self) -> str | None:
        """Why these ports cannot work (one line), or None."""
        standby = self.ports_of(1)
        if len(set(self.ports)) != len(self.ports):
            return "a port is given twice"
        if max(standby) > 65535:
            return f"{max(self.ports)} plus --standby-offset {self.standby_offset} is past 65535"
        if set(self.ports) & set(standby):
            return "the standby ports (each port plus --standby-offset) overlap the ports"
        return None

    def ports_of(self, side: int) -> tuple[int, ...]:
        """Side 0: the ports; side 1: the standby ports."""
        return tuple(port + side * self.standby_offset for port in self.ports)


class Replica:
    """One `stdnews serve --immutable COPY` on host:port, its stderr the supervisor's."""

    def __init__(self, copy: Path, host: str, port: int):
        self.copy, self.host, self.port = copy, host, port
        self.started = time.monotonic()
        self.restart_at: float | None = None  # set when found dead
        command = [sys.executable, "-m", "pipeline", "serve", "--immutable", str(copy)]
        self.process = subprocess.Popen(
            [*command, "--host", host, "--port", str(port)],
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
        )

    def answers(self) -> bool:
        """Does the replica answer 200 on a real page? (Straight to it: no proxy.)"""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        try:
            with opener.open(f"http://{host}:{self.port}{PROBE}", timeout=5) as answer:
                return answer.status == 200
        except OSError:
            return False

    def exited(self) -> int | None:
        return self.process.poll()

    def stop(self) -> None:
        """SIGTERM (uvicorn finishes the answers under way), SIGKILL after STOP_TIMEOUT."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Group:
    """The replicas serving one copy on one side's ports."""

    copy: Path
    side: int
    replicas: list[Replica] = field(default_factory=list)

    @property
    def ports(self) -> str:
        return ", ".join(str(r.port) for r in self.replicas)


def published(folder: Path) -> Path | None:
    """The copy folder/current.db points at now, or None (no copy published yet)."""
    link = folder / CURRENT
    copy = Path(os.path.realpath(link))
    return copy if copy.is_file() else None


def upstream_text(plan: Plan, group: Group) -> str:
    servers = "".join(f"    server {plan.host}:{r.port};\n" for r in group.replicas)
    return (
        f"# Written by `stdnews replicas` ({group.copy.name}); rewritten at each rollout.\n"
        f"upstream {UPSTREAM} {{\n{servers}    keepalive {UPSTREAM_KEEPALIVE};\n"
        f"    keepalive_timeout {UPSTREAM_IDLE};\n}}\n"
    )


def write_atomic(path: Path, text: str | None) -> None:
    """path's text replaced at once (synced first), or path removed for None: nginx never
    reads half a file."""
    if text is None:
        path.unlink(missing_ok=True)
        return
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)


class Supervisor:
    """The loop of `stdnews replicas`: start, watch, roll out, revive, stop."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.serving: Group | None = None
        self.refused: Path | None = None  # a copy whose rollout failed: not tried again
        self.refused_at = 0.0
        self.delays: dict[int, float] = {}  # port -> its next restart's delay
        self.stopping = False
        self.waiting = False  # no copy published yet, said once

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        say(f"watching {self.plan.folder / CURRENT}; upstream file {self.plan.upstream}")
        try:
            while not self.stopping:
                self.step()
                self.pause(self.plan.interval)
        finally:
            if self.serving:
                self.stop_group(self.serving, "stopping")
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        say("stopped")
        return 0

    def stop(self, signum, frame) -> None:
        self.stopping = True

    def pause(self, seconds: float) -> None:
        """Sleep, but end at once when asked to stop."""
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(TICK)

    def step(self) -> None:
        copy = published(self.plan.folder)
        if copy is None and not self.waiting:
            say(f"no copy in {self.plan.folder} yet (stdnews publish): waiting for one")
        self.waiting = copy is None
        if copy is not None and self.due(copy):
            self.roll_out(copy)
        if self.serving:
            self.revive(self.serving)

    def due(self, copy: Path) -> bool:
        """A copy not served yet, and not refused already (unless nothing is served: then
        the same copy is tried again every RETRY seconds)."""
        if self.serving and copy == self.serving.copy:
            return False
        again = self.serving is None and time.monotonic() - self.refused_at >= RETRY
        return copy != self.refused or again

    def roll_out(self, copy: Path) -> None:
        old = self.serving
        side = 1 - old.side if old else 0
        new = Group(copy, side)
        say(f"starting {copy.name} on ports {', '.join(map(str, self.plan.ports_of(side)))}")
        for port in self.plan.ports_of(side):
            new.replicas.append(Replica(copy, self.plan.host, port))
        why = self.wait_until_answering(new)
        if why is None:
            why = self.switch(old, new)
        if why is not None:
            kept = f"{old.copy.name} stays served" if old else "nothing served"
            say(f"{copy.name} not rolled out: {why}; {kept}; next try at the next publish")
            self.stop_group(new, "stopping the new")
            self.refused, self.refused_at = copy, time.monotonic()
            return
        self.serving, self.refused = new, None
        if old:
            say(f"nginx sends to {copy.name} (ports {new.ports}); old replicas drain")
            self.pause(self.plan.drain)
            self.stop_group(old, "stopping the old")
        say(f"serving {copy.name} on ports {new.ports}")

    def wait_until_answering(self, group: Group) -> str | None:
        """None once every replica answers 200 on PROBE, or why not (bounded)."""
        waiting = list(group.replicas)
        deadline = time.monotonic() + self.plan.start_timeout
        while waiting:
            for replica in list(waiting):
                status = replica.exited()
                if status is not None:
                    return f"the replica on port {replica.port} exited with status {status}"
                if replica.answers():
                    waiting.remove(replica)
            if self.stopping:
                return "asked to stop"
            if waiting and time.monotonic() > deadline:
                late = ", ".join(str(r.port) for r in waiting)
                return f"no answer on port {late} within {self.plan.start_timeout:g} s"
            if waiting:
                time.sleep(TICK * 2)
        return None

    def switch(self, old: Group | None, new: Group) -> str | None:
        """nginx to the new replicas: upstream file, then reload. None, or why not (the old
        file put back). The first start keeps its file whatever the reload says: nginx, not
        running yet, reads it when it starts."""
        upstream = self.plan.upstream
        before = upstream.read_text("utf-8") if upstream.is_file() else None
        try:
            write_atomic(upstream, upstream_text(self.plan, new))
        except OSError as error:
            return f"cannot write {upstream}: {error.strerror or error}"
        why = self.reload()
        if why and old:
            with contextlib.suppress(OSError):
                write_atomic(upstream, before)
            return why
        if why:
            say(f"{why} (nginx reads {upstream} when it starts)")
        return None

    def reload(self) -> str | None:
        """Run the reload command; None when it succeeded, else why (one line)."""
        command = self.plan.reload_command
        try:
            done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=60)
        except (OSError, ValueError, subprocess.TimeoutExpired) as error:
            return f"`{command}` could not run: {error}"
        if done.returncode:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
            return f"`{command}` failed with status {done.returncode}: {last[0]}"
        return None

    def revive(self, group: Group) -> None:
        """Start again, on its port, each replica that died: at once after a steady life,
        else after a delay that doubles each time (a copy that cannot be served, a port taken
        by another program: no busy loop)."""
        now = time.monotonic()
        for index, replica in enumerate(group.replicas):
            status = replica.exited()
            if status is None:
                continue
            if replica.restart_at is None:
                steady = now - replica.started >= STEADY
                delay = 0.0 if steady else self.delays.get(replica.port, 1.0)
                self.delays[replica.port] = 1.0 if steady else min(delay * 2, MAX_RESTART_DELAY)
                replica.restart_at = now + delay
                say(
                    f"the replica on port {replica.port} exited with status {status}: "
                    f"restarting it in {delay:g} s"
                )
            if now >= replica.restart_at:
                group.replicas[index] = Replica(group.copy, self.plan.host, replica.port)

    def stop_group(self, group: Group, what: str) -> None:
        say(f"{what} replicas of {group.copy.name} (ports {group.ports})")
        for replica in group.replicas:
            if replica.exited() is None:
                replica.process.terminate()  # all at once, then waited for one by one
        for replica in group.replicas:
            replica.stop()


def run(plan: Plan) -> int:
    """`stdnews replicas`: supervise until SIGTERM or SIGINT; exit status 0."""
    return Supervisor(plan).run()
