"""The Redis keys of a shared frontier: everything a run writes is under `stdnews:<run id>:`."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "stdnews"
CURRENT = f"{PREFIX}:current"  # the announced run (announce.py), for fetchers to join


@dataclass(frozen=True)
class RunKeys:
    """The keys of one run; the per-source ones take the spider's name."""

    run_id: str

    @property
    def base(self) -> str:
        return f"{PREFIX}:{self.run_id}"

    @property
    def fetchers(self) -> str:
        return f"{self.base}:fetchers"  # every fetcher that joined (a set)

    def alive(self, fetcher: str) -> str:
        return f"{self.base}:alive:{fetcher}"  # a heartbeat that expires

    def robots(self, host: str) -> str:
        """A host's robots.txt answer as one fetcher got it (robots.py), read by the others."""
        return f"{self.base}:robots:{host}"

    def source(self, spider: str) -> str:
        return f"{self.base}:{spider}"

    def queue(self, spider: str) -> str:
        """scrapy-redis' queue key: the prefix of the per-host lists and sets (queue.py)."""
        return f"{self.source(spider)}:queue"

    def seen(self, spider: str) -> str:
        return f"{self.source(spider)}:seen"  # scrapy-redis' duplicate filter

    def inflight(self, spider: str, fetcher: str) -> str:
        return f"{self.source(spider)}:inflight:{fetcher}"

    def left(self, spider: str) -> str:
        """Fetchers done with the source: closed cleanly, or given up as dead (a set)."""
        return f"{self.source(spider)}:left"

    def events(self, spider: str) -> str:
        return f"{self.source(spider)}:events"  # what fetchers push for the writer (a list)

    def plan(self, spider: str) -> str:
        return f"{self.source(spider)}:plan"

    def stats(self, spider: str) -> str:
        return f"{self.source(spider)}:stats"  # fetcher -> its stats as JSON (a hash)

    def done(self, spider: str) -> str:
        return f"{self.source(spider)}:done"  # set by the coordinator: fetchers may close
