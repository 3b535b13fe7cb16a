"""Normalization in worker processes, beside the process that downloads and writes.

Normalizing a page (parsing, extraction, language, gazetteer and vocabulary matching) is pure
CPU work on one page; Python runs one such thing at a time per process. Handing it to a worker
process lets the crawl keep downloading, and the database keep being written by one process,
while pages are normalized on another core. `stdnews reprocess` spreads its pages over workers
the same way.

STDNEWS_NORMALIZE_WORKERS sets the number of workers (default 1; 0 normalizes in the calling
process). Workers are started with "spawn", never forked from a process that runs threads and
a reactor, and are warmed (vocabularies, language model) before the first page.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

_pools: dict[int, Executor] = {}


def count(default: int = 1) -> int:
    return int(os.environ.get("STDNEWS_NORMALIZE_WORKERS", default))


def orphan_watch(parent: int) -> None:
    """End this worker when the process it works for is gone (a crawl killed with kill -9)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def warm() -> None:
    """Load what every page needs (vocabularies, matchers, the language model) before the first
    page arrives; trafilatura, the fallback for pages no site selector understands, only when
    such a page comes."""
    threading.Thread(target=orphan_watch, args=(os.getppid(),), daemon=True).start()
    from pipeline import language, organizations, tags

    organizations.matcher()
    tags.matcher()
    language.detect("International Standards help organizations everywhere to work together.")


def pool(workers: int) -> Executor:
    """The process-wide pool of `workers` normalizers (started on first use)."""
    if workers not in _pools:
        context = multiprocessing.get_context("spawn")
        _pools[workers] = ProcessPoolExecutor(workers, mp_context=context, initializer=warm)
    return _pools[workers]


def attempt(item: dict) -> tuple[dict | None, str | None]:
    """(post, None) or (None, why it is not a post): picklable either way."""
    # Imported here: the crawling process hands pages over and never loads the parsers itself.
    from pipeline.normalize import NormalizeError, normalize

    try:
        return normalize(item), None
    except NormalizeError as error:
        return None, str(error)


async def normalize_async(item: dict, workers: int | None = None) -> tuple[dict | None, str | None]:
    """attempt(item) in a worker process, without blocking the event loop."""
    workers = count() if workers is None else workers
    if workers <= 0:
        return attempt(item)
    try:
        return await asyncio.get_running_loop().run_in_executor(pool(workers), attempt, item)
    except BrokenProcessPool:  # a worker died (killed, out of memory): this page goes on here
        _pools.pop(workers, None)  # and the next one starts a new pool
        return attempt(item)


def normalize_many(items: Iterable[dict], workers: int | None = None
                   ) -> Iterator[tuple[dict, tuple[dict | None, str | None]]]:  # fmt: skip
    """(item, attempt(item)) for each item, in order, normalized by `workers` processes."""
    workers = count(os.cpu_count() or 1) if workers is None else workers
    if workers <= 0:
        for item in items:
            yield item, attempt(item)
        return
    executor = pool(workers)
    window: list = []
    for item in items:  # a bounded window of pages in flight: memory stays flat
        window.append((item, executor.submit(attempt, item)))
        if len(window) >= 8 * workers:
            done, future = window.pop(0)
            yield done, future.result()
    for done, future in window:
        yield done, future.result()


def shutdown() -> None:
    for executor in _pools.values():
        executor.shutdown(cancel_futures=True)
    _pools.clear()
