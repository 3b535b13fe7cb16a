"""The run a coordinator announces (`stdnews:current`), for `stdnews fetch` to join."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field

from crawlers.frontier.keys import CURRENT

# The announcement outlives a coordinator that died without taking it back, for this long after
# its last refresh (the coordinator refreshes it with its heartbeat).
TTL = 30


@dataclass
class Run:
    run_id: str
    sources: list[str]
    spider_args: dict = field(default_factory=dict)
    delay: float = 1.0  # seconds between two requests to one host, across fetchers
    per_host: int = 2  # requests to one host at once, across fetchers
    replay: bool = False  # the coordinator replays a mirror: so must the fetchers
    coordinator: str = ""  # its fetcher id: fetchers stop waiting when its heartbeat stops

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def publish(server, run: Run) -> None:
    server.set(CURRENT, run.to_json(), ex=TTL)


def refresh(server, run_id: str) -> None:
    """Keep the announcement while the run goes on (only if it is still this run's)."""
    current = server.get(CURRENT)
    if current and json.loads(current)["run_id"] == run_id:
        server.expire(CURRENT, TTL)


def withdraw(server, run_id: str) -> None:
    current = server.get(CURRENT)
    if current and json.loads(current)["run_id"] == run_id:
        server.delete(CURRENT)


def wait_for_run(server, wait: float | None, poll: float = 0.5) -> Run | None:
    """The announced run, waiting up to `wait` seconds (None: for ever) for one."""
    deadline = None if wait is None else time.monotonic() + wait
    while True:
        current = server.get(CURRENT)
        if current:
            return Run(**json.loads(current))
        if deadline is not None and time.monotonic() >= deadline:
            return None
        time.sleep(poll)
