"""Normalization in worker processes, beside the process that downloads and writes.

Normalizing a page (parsing, extraction, language, gazetteer and vocabulary matching) is pure
CPU work on one page; Python runs one such thing at a time per process. Handing it to a worker
process lets the crawl keep downloading, and the database keep being written by one process,
while pages are normalized on another core. `stdnews reprocess` spreads its pages over workers
the same way.

STDNEWS_NORMALIZE_WORKERS sets the number of workers (default 1; 0 normalizes in the calling
process). Workers are started with "spawn", never forked from a process that runs threads and
a reactor, and are warmed (vocabularies, language model) before the first page.

A worker never outlives the process it works for (a crawl killed with kill -9 included, during
the worker's start-up as well): see end_with. Use the pools from a thread that lives as long as
the process (the main thread, the reactor's): Linux sends the parent-death signal when the
thread that started a worker ends.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from pipeline.normalize.bounds import bounded_item

if TYPE_CHECKING:  # annotations only: the crawling process never loads the parsers
    from pipeline.normalize.types import Post

_pools: dict[int, Executor] = {}


def count(default: int = 1) -> int:
    return int(os.environ.get("STDNEWS_NORMALIZE_WORKERS", default))


# Linux's prctl option that signals a process when its parent ends.
PR_SET_PDEATHSIG = 1


def orphan_watch(parent: int) -> None:
    """End this worker when the process it works for is gone (a crawl killed with kill -9)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def end_with(parent: int) -> None:
    """End this worker as soon as `parent` is gone, at any moment: `parent` is the pid the
    parent gave (read here, os.getppid() is already init's if the parent died while this process
    started), the kernel sends SIGKILL when the parent ends (Linux), and a thread watches the
    parent's pid wherever prctl is missing."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the watch alone
        pass
    if os.getppid() != parent:  # gone before the signal was asked for
        os._exit(0)
    threading.Thread(target=orphan_watch, args=(parent,), daemon=True).start()


def warm(parent: int) -> None:
    """Tie this worker's life to its parent's first thing, then load what every page needs
    (vocabularies, matchers, the language model) before the first page arrives; trafilatura,
    the fallback for pages no site selector understands, only when such a page comes."""
    end_with(parent)
    # Ctrl-C in a terminal reaches the whole process group: the parent stops the crawl and its
    # workers, which would otherwise each print a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from pipeline.normalize import language, organizations, tags

    organizations.matcher()
    tags.matcher()
    language.detect("International Standards help organizations everywhere to work together.")


def pool(workers: int) -> Executor:
    """The process-wide pool of `workers` normalizers (started on first use)."""
    if workers not in _pools:
        context = multiprocessing.get_context("spawn")
        _pools[workers] = ProcessPoolExecutor(
            workers, mp_context=context, initializer=warm, initargs=(os.getpid(),)
        )
    return _pools[workers]


def attempt(item: dict) -> tuple[Post | None, str | None]:
    """(post, None) or (None, why it is not a post): picklable either way."""
    # Imported here: the crawling process hands pages over and never loads the parsers itself.
    from pipeline.normalize.post import NormalizeError, normalize

    try:
        return normalize(item), None
    except NormalizeError as error:
        return None, str(error)


async def normalize_async(item: dict, workers: int | None = None) -> tuple[Post | None, str | None]:
    """attempt(item) in a worker process, without blocking the event loop."""
    workers = count() if workers is None else workers
    if workers <= 0:
        return attempt(item)
    item = bounded_item(item)  # a huge page is cut here, not pickled whole for the worker
    try:
        return await asyncio.get_running_loop().run_in_executor(pool(workers), attempt, item)
    except BrokenProcessPool:  # a worker died (killed, out of memory): this page goes on here
        _pools.pop(workers, None)  # and the next one starts a new pool
        return attempt(item)


def normalize_many(
    items: Iterable[dict], workers: int | None = None
) -> Iterator[tuple[dict, tuple[Post | None, str | None]]]:
    """(item, attempt(item)) for each item, in order, normalized by `workers` processes."""
    workers = count(os.cpu_count() or 1) if workers is None else workers
    if workers <= 0:
        for item in items:
            yield item, attempt(item)
        return
    executor = pool(workers)
    window: list = []
    for item in items:  # a bounded window of pages in flight: memory stays flat
        window.append((item, executor.submit(attempt, bounded_item(item))))
        if len(window) >= 8 * workers:
            done, future = window.pop(0)
            yield done, future.result()
    for done, future in window:
        yield done, future.result()


def shutdown() -> None:
    for executor in _pools.values():
        executor.shutdown(cancel_futures=True)
    _pools.clear()
