"""The incremental plan of a source, shared: the coordinator reads it from the database and puts
it in Redis; fetchers, which never open the database, read it from there."""

from __future__ import annotations

import asyncio
import json
import time

import redis

from crawlers.frontier.connection import server
from crawlers.frontier.keys import RunKeys
from crawlers.frontier.lost import frontier_lost
from pipeline.store import state

# A fetcher that joins waits this long for the coordinator to publish a source's plan.
PLAN_WAIT = 120.0


def publish(server, keys: RunKeys, spider: str, plan: state.Plan) -> None:
    data = {
        "incremental": plan.incremental,
        "known": sorted(plan.known),
        "validators": plan.validators,
        "checked": plan.checked,
    }
    server.set(keys.plan(spider), json.dumps(data))


async def fetch(server, keys: RunKeys, spider: str, wait: float = PLAN_WAIT) -> state.Plan:
    """The published plan (revisits are the coordinator's: they are start requests)."""
    deadline = time.monotonic() + wait
    while (data := server.get(keys.plan(spider))) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no plan for {spider} in run {keys.run_id} after {wait:.0f} s")
        await asyncio.sleep(0.2)
    given = json.loads(data)
    validators = {url: tuple(pair) for url, pair in given["validators"].items()}
    return state.Plan(
        incremental=given["incremental"],
        known=set(given["known"]),
        validators=validators,
        checked=given["checked"],
    )


def publish_for(crawler, plan: state.Plan) -> bool:
    """The coordinator's plan published; False when the frontier is lost (lost.py)."""
    settings = crawler.settings
    keys = RunKeys(settings.get("STDNEWS_RUN_ID"))
    try:
        publish(server(settings.get("STDNEWS_FRONTIER")), keys, crawler.spider.name, plan)
    except redis.RedisError as error:
        frontier_lost(crawler, error)
        return False
    return True


async def fetch_for(crawler) -> state.Plan | None:
    """The coordinator's plan, or None when the frontier is lost (lost.py)."""
    settings = crawler.settings
    keys = RunKeys(settings.get("STDNEWS_RUN_ID"))
    try:
        return await fetch(server(settings.get("STDNEWS_FRONTIER")), keys, crawler.spider.name)
    except redis.RedisError as error:
        frontier_lost(crawler, error)
        return None
