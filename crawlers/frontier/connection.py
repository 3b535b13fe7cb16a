"""The frontier's Redis connection, from `redis://HOST:PORT/N` (the --frontier URL)."""

from __future__ import annotations

from functools import cache

import redis


class FrontierUnreachable(Exception):
    """The Redis server of --frontier does not answer (one line for the operator)."""


@cache
def server(url: str) -> redis.Redis:
    """One client per URL and process (a connection pool); checked with a PING."""
    client = redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
    try:
        client.ping()
    except redis.RedisError as error:
        raise FrontierUnreachable(f"the frontier {url} does not answer: {error}") from None
    return client
