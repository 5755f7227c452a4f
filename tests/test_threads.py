"""The shared pools: a full pool, or work nested in work, never waits on itself."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from checks import threads


def test_nested_work_on_a_full_pool_finishes() -> None:
    pool = ThreadPoolExecutor(max_workers=1)
    inner = threading.Event()

    def outer() -> list[int]:  # holds the pool's one thread while it waits for two more
        return threads.run_all(pool, [lambda: 1, lambda: 2, lambda: (inner.set(), 3)[1]])

    assert pool.submit(outer).result(timeout=10) == [1, 2, 3] and inner.is_set()
    pool.shutdown()


def test_results_keep_their_order_and_the_first_error_is_raised() -> None:
    pool = threads.shared("test", 4)
    assert threads.run_all(pool, [lambda n=n: n * n for n in range(6)]) == [0, 1, 4, 9, 16, 25]
    assert threads.run_all(pool, []) == []

    def boom() -> int:
        raise ValueError("second")

    try:
        threads.run_all(pool, [lambda: 1, boom, lambda: 3])
    except ValueError as exc:
        assert str(exc) == "second"
    else:
        raise AssertionError("the error was lost")


def test_a_pool_is_made_once_per_name() -> None:
    assert threads.shared("test-once", 2) is threads.shared("test-once", 8)
    assert threads.shared("test-once", 2) is not threads.shared("test-other", 2)
