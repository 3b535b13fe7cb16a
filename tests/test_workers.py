"""Normalization in worker processes: same posts as in-process, in order, and a dead worker
never loses a page."""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import replace

import pytest

from pipeline.normalize import workers
from pipeline.normalize.post import normalize
from tests.conftest import snapshot_file

URLS = [
    "https://www.iso.org/contents/news/2021/05/Ref2667.html",
    "https://www.iec.ch/blog/iec-launches-its-first-virtual-general-meeting",
    "https://www.bipm.org/en/news/full-stories/2020-09-oecd-io-meeting.html",
]


def items():
    from pipeline.normalize.extract import decode_html

    found = [{"url": url, "html": decode_html(snapshot_file(url).read_bytes())} for url in URLS]
    return [*found, {"url": "https://www.iso.org/news.html", "html": "<html></html>"}]


@pytest.fixture(autouse=True)
def fresh_pools():
    workers.shutdown()
    yield
    workers.shutdown()


def test_workers_give_the_posts_of_normalize_in_order():
    results = list(workers.normalize_many(items(), workers=2))
    assert [item["url"] for item, _ in results] == [*URLS, "https://www.iso.org/news.html"]
    for item, (post, rejected) in results[:3]:
        assert rejected is None
        assert post == replace(normalize(item), fetched_at=post.fetched_at)
    post, rejected = results[3][1]
    assert post is None
    assert "not an article URL" in rejected


def test_a_dead_worker_loses_no_page():
    item = items()[0]
    post, _ = asyncio.run(workers.normalize_async(item, workers=1))
    assert post.title.startswith("ISO")
    broken = workers.pool(1)
    (pid, *_) = broken._processes  # the worker of the running pool
    os.kill(pid, signal.SIGKILL)
    post, rejected = asyncio.run(workers.normalize_async(item, workers=1))  # done here instead
    assert (post.title, rejected) == (normalize(item).title, None)
    assert 1 not in workers._pools  # the broken pool was let go
    post, _ = asyncio.run(workers.normalize_async(item, workers=1))
    assert post.url == item["url"]
    assert 1 in workers._pools  # a new pool took over
    assert workers._pools[1]._processes
