"""The threads a grade waits on AWS with: a few pools per process, kept from one grade to the next.

Checks and their look-ups spend their time waiting for AWS, so they run on threads. Starting a
thread is cheap on an idle interpreter but not on a busy one: the new thread must win the
interpreter lock from the threads already running before ``Thread.start`` returns. A grade that
started its own sixty threads paid that sixty times; a class, a watch loop or a test suite paid
it for every grade. The pools here start their threads once and keep them.

A caller that waits for work it handed to a pool runs that work itself when no thread has taken
it yet (:func:`result`), so a full pool, or look-ups nested inside look-ups, never wait on each
other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_pools: dict[str, ThreadPoolExecutor] = {}


def shared(name: str, workers: int) -> ThreadPoolExecutor:
    """The process's pool called ``name`` (made on first use with ``workers`` threads at most)."""
    with _lock:
        pool = _pools.get(name)
        if pool is None:
            pool = _pools[name] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        return pool


def result(future: Future[T], work: Callable[[], T]) -> T:
    """``future``'s result; when no thread has started it yet, ``work`` (what it would run) runs here."""
    if future.cancel():
        return work()
    return future.result()


def run_all(pool: ThreadPoolExecutor, works: list[Callable[[], Any]]) -> list[Any]:
    """Run ``works`` at once, the first in this thread; their results in order (the first error raised)."""
    if not works:
        return []
    futures = [pool.submit(w) for w in works[1:]]
    first = works[0]()
    return [first, *(result(f, w) for f, w in zip(futures, works[1:], strict=True))]
