"""Request budgets: the grader's pace held under AWS's published rate quotas, counted as AWS counts them.

AWS meters control-plane calls per account and per region, and per quota (a service's own, which
its reader declares: some operations apart, the rest together, or each action apart). A budget is kept for each (AWS
account, region, quota), process-wide, so that a class reaching one account through several
roles or profiles still shares one budget. The grader uses most of each quota (:data:`USE`),
leaving the rest to whatever else runs in the account; a shard of N takes 1/N of it, so that N
shards at once stay within it. A throttled answer is the signal that something else is using
the quota too: that budget halves its pace, and recovers it as answers come back.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

USE = 0.9  # of each quota: the rest is left to the account's other users
THROTTLED = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown"}
)


# Services metered per account, whatever the region (IAM): each service's reader declares it.
GLOBAL: set[str] = set()


@dataclass(frozen=True)
class Quota:
    """A published rate quota: ``per_second`` requests of ``operations`` (all of the service's when None)."""

    service: str
    operations: frozenset[str] | None
    per_second: float
    per_action: bool = False  # each operation is metered apart (EC2)


# Every quota a grade's requests are paced under: each service's reader declares its own, from the
# quotas AWS publishes (see :mod:`checks.aws.readers`), in the order they are matched.
QUOTAS: list[Quota] = []


def register(quotas: tuple[Quota, ...], *, global_service: str | None = None) -> None:
    """A reader's quotas (and whether its service is metered per account alone)."""
    QUOTAS.extend(q for q in quotas if q not in QUOTAS)
    if global_service:
        GLOBAL.add(global_service)


def quota_for(service: str, operation: str, quotas: tuple[Quota, ...] | None = None) -> tuple[str, Quota] | None:
    """The quota that meters ``service:operation``, with its key, or None when none does."""
    for quota in QUOTAS if quotas is None else quotas:
        if quota.service != service:
            continue
        if quota.operations is None or operation in quota.operations:
            name = operation if quota.per_action or quota.operations else "*"
            return f"{service}:{name}", quota
    return None


class Budget:
    """A token bucket at ``rate`` requests a second (bursts of one second's worth), slowed by throttling."""

    def __init__(self, rate: float) -> None:
        self.base = rate
        self.rate = rate
        self.tokens = max(1.0, rate)
        self.stamp = time.monotonic()
        self.lock = threading.Lock()
        self.throttled = 0  # answers that said the quota was exceeded
        self.taken = 0  # requests paced by it

    def take(self) -> None:
        with self.lock:
            self.taken += 1
            now = time.monotonic()
            self.tokens = min(max(1.0, self.rate), self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            self.tokens -= 1
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if wait:
            time.sleep(wait)

    def slow_down(self) -> None:
        """AWS throttled a request of this budget: halve the pace (to an eighth of it at most)."""
        with self.lock:
            self.throttled += 1
            self.rate = max(self.base / 8, self.rate / 2)

    def answered(self) -> None:
        """A request went through: win back a little of the pace."""
        if self.rate < self.base:
            with self.lock:
                self.rate = min(self.base, self.rate + self.base / 50)


class Budgets:
    """Every budget of a process, by (AWS account, region, quota). ``share``: the part of each quota used."""

    def __init__(self, quotas: tuple[Quota, ...] | None = None, use: float = USE, share: float = 1.0) -> None:
        self.quotas = quotas
        self.use = use
        self.share = share
        self._budgets: dict[tuple[str, str, str, float], Budget] = {}
        self._lock = threading.Lock()

    def for_request(self, account: str, region: str, service: str, operation: str) -> Budget | None:
        found = quota_for(service, operation, self.quotas)
        if found is None:
            return None
        key, quota = found
        if quota.service in GLOBAL:
            region = "global"
        with self._lock:
            budget = self._budgets.get((account, region, key, self.share))
            if budget is None:
                budget = Budget(quota.per_second * self.use * self.share)
                self._budgets[(account, region, key, self.share)] = budget
            return budget

    def throttled(self) -> int:
        """Throttled answers so far, over every budget."""
        with self._lock:
            return sum(b.throttled for b in self._budgets.values())


BUDGETS = Budgets()  # the process's: every Account of one AWS account and region shares them
