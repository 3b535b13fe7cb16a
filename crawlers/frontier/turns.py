"""Turns and budgets shared by the fetchers of a run, for what does not go through the frontier's
queue: the Internet Archive's lookups (crawlers/archive.py), which each process makes itself.

A turn is the frontier's per-host rule (queue.py) for one request made outside it: the caller
waits until the host's next allowed time, which moves on by the delay, in one Lua script on the
Redis server's clock. A budget is a counter of the run: N fetchers together look up no more than
one process would.
"""

from __future__ import annotations

import asyncio

from crawlers.frontier.connection import server
from crawlers.frontier.keys import RunKeys
from crawlers.frontier.lost import guarded, guarded_async

# KEYS: the run's turns hash. ARGV: name, delay. Returns the seconds to wait before going.
TURN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local at = math.max(now, tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0'))
redis.call('HSET', KEYS[1], ARGV[1], at + tonumber(ARGV[2]))
return tostring(at - now)
"""


class SharedTurns:
    def __init__(self, crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.server = server(settings.get("STDNEWS_FRONTIER"))
        self.keys = RunKeys(settings.get("STDNEWS_RUN_ID"))
        self.script = self.server.register_script(TURN)

    @guarded_async(default=0.0)
    async def wait(self, name: str, delay: float) -> float:
        """Wait for the turn of `name` (a download slot); returns the seconds waited."""
        seconds = float(self.script([f"{self.keys.base}:turns"], [name, delay]))
        if seconds > 0:
            await asyncio.sleep(seconds)
        return seconds

    @guarded(default=0)
    def spend(self, name: str, spider: str) -> int:
        """One more of the run's `name` for the source (all fetchers): the count so far."""
        return int(self.server.incr(f"{self.keys.source(spider)}:spent:{name}"))
