"""The benchmark's own arithmetic (its figures are printed by `python -m checks.bench`, not asserted)."""

from __future__ import annotations

from checks.bench import Delayed


def test_the_chain_counts_requests_that_ran_one_after_another() -> None:
    proxy = Delayed(lambda environ, start_response: [], 0.0)  # serves nothing: only its timing is used here
    proxy.spans.extend([(0.0, 1.0), (0.1, 1.1), (0.2, 0.9), (1.0, 2.0), (1.2, 1.8), (2.0, 3.0)])
    assert proxy.chain() == 3  # 0-0.9 then 1.0-2.0 then 2.0-3.0
    proxy.reset()
    assert proxy.chain() == 0
