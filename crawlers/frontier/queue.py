"""The frontier's queue: one list per host, handed out no faster than the host's politeness.

scrapy-redis' own queues are one list or sorted set for all hosts, and each process applies
DOWNLOAD_DELAY to its own requests only: N fetchers would ask a host N times as often. Here the
delay and the concurrency per host are the frontier's, so they hold across fetchers:

- `<queue>:q:<host>`: the host's requests, first in first out;
- `<queue>:ready`: the hosts that have requests, scored by the time each may next be asked;
- `<queue>:next`: every host's next allowed time (kept while its list is empty);
- `<queue>:leases:<host>`: the requests to that host being downloaded now, each expiring after
  the download timeout (a fetcher that died gives its leases back that way);
- `<queue>:pending`: how many requests wait in all the lists (scrapy-redis' len()).

Taking a request is one Lua script, so two fetchers never take the same request nor both take a
host's turn; time is the Redis server's (TIME), so the fetchers' clocks do not matter. The request
taken is kept in the fetcher's in-flight hash (by lease id) until the fetcher is done with it
(scheduler.py), so that the coordinator can put it back if the fetcher dies (membership.py).
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from scrapy_redis.queue import Base

# KEYS: ready, next, pending, inflight. ARGV: queue prefix, host, data.
PUSH = """
redis.call('LPUSH', ARGV[1] .. ':q:' .. ARGV[2], ARGV[3])
redis.call('INCR', KEYS[3])
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  local at = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
  redis.call('ZADD', KEYS[1], at, ARGV[2])
end
return 1
"""

# KEYS: ready, next, pending, inflight. ARGV: queue prefix, delay, per-host concurrency, lease
# seconds, lease id. Returns {host, data}, or {"", seconds until a host may be asked}, or nil.
POP = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit = tonumber(ARGV[3])
for _, host in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  local leases = ARGV[1] .. ':leases:' .. host
  redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
  if redis.call('ZCARD', leases) < limit then
    local list = ARGV[1] .. ':q:' .. host
    local data = redis.call('RPOP', list)
    if data then
      local at = now + tonumber(ARGV[2])
      redis.call('DECR', KEYS[3])
      redis.call('HSET', KEYS[2], host, at)
      redis.call('ZADD', leases, now + tonumber(ARGV[4]), ARGV[5])
      if redis.call('LLEN', list) > 0 then
        redis.call('ZADD', KEYS[1], at, host)
      else
        redis.call('ZREM', KEYS[1], host)
      end
      redis.call('HSET', KEYS[4], ARGV[5], host .. '\\n' .. data)
      return {host, data}
    end
    redis.call('ZREM', KEYS[1], host)
  end
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if first[2] then
  return {'', tostring(math.max(tonumber(first[2]) - now, 0.05))}
end
return nil
"""

# KEYS: ready, next, pending, inflight (a dead fetcher's). ARGV: queue prefix.
# Every request of the in-flight hash back in its host's list; returns how many.
REQUEUE = """
local entries = redis.call('HGETALL', KEYS[4])
local count = 0
for i = 1, #entries, 2 do
  local value = entries[i + 1]
  local cut = string.find(value, '\\n', 1, true)
  local host = string.sub(value, 1, cut - 1)
  redis.call('RPUSH', ARGV[1] .. ':q:' .. host, string.sub(value, cut + 1))
  redis.call('ZREM', ARGV[1] .. ':leases:' .. host, entries[i])
  redis.call('INCR', KEYS[3])
  if not redis.call('ZSCORE', KEYS[1], host) then
    redis.call('ZADD', KEYS[1], tonumber(redis.call('HGET', KEYS[2], host) or '0'), host)
  end
  count = count + 1
end
redis.call('DEL', KEYS[4])
return count
"""


class HostQueue(Base):
    """scrapy-redis' queue interface over per-host lists (see the module's docstring)."""

    def __init__(self, server, spider, key, serializer=None, *, inflight="", politeness=(0, 1)):
        super().__init__(server, spider, key, serializer)
        self.inflight = inflight  # this fetcher's in-flight hash (keys.RunKeys.inflight)
        self.delay, self.concurrency = politeness
        self.lease_seconds = max(60.0, spider.crawler.settings.getfloat("DOWNLOAD_TIMEOUT") * 3)
        self.wait: float | None = None  # after a pop that found nothing ready: seconds to wait
        self.scripts = {name: server.register_script(src) for name, src in SCRIPTS.items()}

    @property
    def keys(self) -> list[str]:
        return [f"{self.key}:ready", f"{self.key}:next", f"{self.key}:pending", self.inflight]

    def __len__(self) -> int:
        return int(self.server.get(f"{self.key}:pending") or 0)

    def push(self, request) -> None:
        host = host_of(request.url)
        self.scripts["push"](self.keys, [self.key, host, self._encode_request(request)])

    def pop(self, timeout=0):
        """The next request some host may be asked for now (leased to this fetcher), or None."""
        lease = uuid.uuid4().hex
        args = [self.key, self.delay, self.concurrency, self.lease_seconds, lease]
        found = self.scripts["pop"](self.keys, args)
        self.wait = None
        if not found:
            return None
        host, data = (part.decode() if isinstance(part, bytes) else part for part in found)
        if not host:
            self.wait = float(data)
            return None
        request = self._decode_request(data)
        request.meta[LEASE] = (lease, host)
        return request

    def release(self, lease: str, host: str) -> None:
        """The download is over: the host's concurrency has room again."""
        self.server.zrem(f"{self.key}:leases:{host}", lease)

    def finished(self, lease: str) -> None:
        """The fetcher is done with the request: nothing to put back if it dies now."""
        self.server.hdel(self.inflight, lease)

    def requeue(self, inflight: str) -> int:
        """Put back every request of a (dead) fetcher's in-flight hash; returns how many."""
        keys = [*self.keys[:3], inflight]
        return int(self.scripts["requeue"](keys, [self.key]))

    def clear(self) -> None:
        for key in self.server.scan_iter(f"{self.key}:*"):
            self.server.delete(key)


SCRIPTS = {"push": PUSH, "pop": POP, "requeue": REQUEUE}
# The request's lease, in its meta while this fetcher works on it; never sent back to Redis
# (scheduler.py strips it from any request derived from it: a retry, a redirect).
LEASE = "frontier_lease"


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
