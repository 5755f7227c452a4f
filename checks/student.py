"""The student's view of an account: their names, whose resource is whose, near misses, other regions.

Checks never see boto3: they ask a :class:`Student`, which knows the student's resource
names (``<prefix>-<id>``, exactly), and get plain dicts back from the account's readers
(:mod:`checks.aws`), or a :class:`Missing` when the resource they need does not exist,
with the fix that makes it and, when there is one, the student's own near miss: never a
classmate's resource.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from checks.aws import Account, AwsError, NoSuchRole
from checks.fix import Fix, ask, aws, json_word
from checks.model import STUDENT_ID, Diagnosis

Maker = Callable[["Student", str], Fix]  # the fix that makes a missing resource, given its prefix

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@dataclass(frozen=True)
class Missing(Exception):
    """A resource a check needs does not exist; the check fails with this."""

    what: str  # "function layer-consumer-s1"
    fix: Fix | None = None
    did_you_mean: str | None = None
    elsewhere: str | None = None
    prefix: str | None = None  # of a resource the student names <prefix>-<id>
    after: str | None = None  # the check whose fix makes it, when this fix is the next step after that one

    def __str__(self) -> str:
        if self.after:
            return f"{self.what} does not exist yet: {self.after}'s fix makes it; this fix runs after that one"
        return f"{self.what} does not exist"


def _norm(name: str) -> str:
    return name.lower().replace("_", "-")


def plausibly_theirs(prefix: str, student_id: str, candidate: str) -> bool:
    """Could ``candidate`` be this student's attempt at ``<prefix>-<student_id>``?

    A name whose part after the task prefix is a valid student ID other than this one (case
    aside) is someone else's: never this student's near miss. What stays: the ID in another
    case, ``_`` for ``-``, a typo in the fixed prefix (the name still ends in the ID), and a
    suffix that cannot be part of an ID (``task-queue-s1.fifo``).
    """
    sid = _norm(student_id)
    name = _norm(candidate)
    head = _norm(prefix) + "-"
    if name.startswith(head):
        tail = name[len(head) :]
        if STUDENT_ID.fullmatch(tail):
            return tail == sid
        return tail.startswith(sid) and not STUDENT_ID.fullmatch(tail[len(sid) : len(sid) + 1])
    return name.endswith("-" + sid)


def near_miss(wanted: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``wanted`` (other case, ``_`` for ``-``, a typo), or None."""
    pool = [c for c in candidates if c != wanted]
    for c in pool:
        if _norm(c) == _norm(wanted):
            return c
    close = difflib.get_close_matches(wanted, pool, n=1, cutoff=0.8)
    if close:
        return close[0]
    lowered = {_norm(c): c for c in pool}
    close = difflib.get_close_matches(_norm(wanted), list(lowered), n=1, cutoff=0.8)
    return lowered[close[0]] if close else None


class Student:
    """One student's view of an account: names resources ``<prefix>-<id>``, exactly."""

    def __init__(
        self,
        account: Account,
        student_id: str,
        classmates: Iterable[str] = (),
        *,
        prefixes: Iterable[str] = (),
        makers: Mapping[str, Maker] | None = None,
        others: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.account = account
        self.id = student_id
        self.classmates = frozenset(classmates) - {student_id}
        self.prefixes = tuple(prefixes)  # every function prefix of the assessment
        self.makers = dict(makers or {})  # how the assessment makes each missing resource, by prefix
        # The assessment's other kinds of resource, by kind ("layer", "queue"): their name prefixes.
        self.others = {kind: tuple(found) for kind, found in (others or {}).items()}

    @property
    def region(self) -> str:
        return self.account.region

    @property
    def account_id(self) -> str:
        return self.account.account_id

    @property
    def partition(self) -> str:
        return self.account.partition

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        """An ARN in the graded region's partition: ``arn:<partition>:<service>:<region>:<account>:<resource>``."""
        where = self.region if region is None else region
        return f"arn:{self.partition}:{service}:{where}:{self.account_id if account is None else account}:{resource}"

    def name(self, prefix: str) -> str:
        return f"{prefix}-{self.id}"

    def _missing(self, kind: str, prefix: str, candidates: Iterable[str], fix: Fix | None) -> Missing:
        name = self.name(prefix)
        theirs = [c for c in candidates if plausibly_theirs(prefix, self.id, c) and c not in self.classmates_names]
        return Missing(f"{kind} {name}", fix, near_miss(name, theirs), self._elsewhere(), prefix)

    @property
    def classmates_names(self) -> frozenset[str]:
        return frozenset(f"{p}-{c}" for p in self.prefixes for c in self.classmates)

    def _has_own_functions(self) -> bool:
        if self.account.targeted:
            return any(self.account.function(self.name(p)) is not None for p in self.prefixes)
        return bool({self.name(p) for p in self.prefixes} & set(self.account.functions()))

    def _elsewhere(self) -> str | None:
        """When none of the student's functions is in this region, where they are."""
        if not self.prefixes or self._has_own_functions():
            return None
        regions = self.regions_holding()
        if not regions:
            return None
        return (
            f"none of your functions is in {self.region}, but some are in {', '.join(regions)}: "
            f"grade there with --region {regions[0]}"
        )

    def diagnose(self) -> Diagnosis | None:
        """The one cause of a grade where nothing passed, when there is one (else None).

        Read from what the checks already read: the region's functions and, when none is the
        student's, the other regions' (see :meth:`_elsewhere`).
        """
        if not self.prefixes or self._has_own_functions():
            return None
        others = sorted(
            {
                name[len(p) + 1 :]
                for name in self.account.functions()
                for p in self.prefixes
                if _norm(name) == _norm(self.name(p)) and name[len(p) + 1 :] != self.id
            }
        )
        if others and STUDENT_ID.fullmatch(others[0]):
            return Diagnosis(
                "other_id",
                f"No resource is named for student ID {self.id}, but some are for {others[0]}: "
                f"did you mean --student-id {others[0]}?",
                f"--student-id {others[0]}",
            )
        regions = self.regions_holding()
        what = "your functions are"
        if not regions:  # no function elsewhere: any other resource of the assessment's (a layer, a queue)
            regions, what = self.regions_holding_anything(), "your work is"
        if regions:
            return Diagnosis(
                "other_region",
                f"Nothing of {self.id}'s is in {self.region}: {what} in {', '.join(regions)}.",
                f"--region {regions[0]}",
            )
        return Diagnosis(
            "nothing_deployed",
            f"Nothing of {self.id}'s is deployed in {self.region} yet: start at Task 1.",
        )

    def regions_holding(self) -> list[str]:
        """The account's other enabled regions where one of the student's functions exists."""
        names = {self.name(p) for p in self.prefixes}
        account = self.account

        def holds(region: str) -> bool:
            try:
                return bool(names & set(account.function_names_in(region)))
            except AwsError:
                return False

        def scan() -> list[str]:
            others = [r for r in account.enabled_regions() if r != account.region]
            found = account.gather(*[partial(holds, r) for r in others])
            return [r for r, yes in zip(others, found, strict=True) if yes]

        return account.once(("regions_holding", self.id, self.prefixes), scan)

    def regions_holding_anything(self) -> list[str]:
        """The account's other enabled regions holding one of the student's resources of any kind the
        assessment names besides functions (its layers, its queues, alarms on its functions)."""
        account = self.account
        names = {kind: {self.name(p) for p in prefixes} for kind, prefixes in self.others.items()}
        readers = {
            "layer": account.layer_names_in,
            "queue": account.queue_names_in,
            "alarm": account.alarmed_functions_in,  # an alarm is theirs when it watches one of their functions
        }

        def holds(region: str) -> bool:
            for kind, wanted in names.items():
                read = readers.get(kind)
                try:
                    if read is not None and wanted & set(read(region)):
                        return True
                except AwsError:
                    continue
            return False

        def scan() -> list[str]:
            others = [r for r in account.enabled_regions() if r != account.region]
            found = account.gather(*[partial(holds, r) for r in others])
            return [r for r, yes in zip(others, found, strict=True) if yes]

        return account.once(("regions_holding_anything", self.id), scan)

    # -- resources -----------------------------------------------------------
    def function(self, prefix: str, fix: Fix | None = None) -> dict[str, Any]:
        name = self.name(prefix)
        found = self.account.function(name)
        if found is None:
            raise self._missing("function", prefix, self.account.functions(), fix or self._make(prefix))
        return found

    def _make(self, prefix: str) -> Fix:
        """The fix that makes a missing function: the assessment's, or a plain create-function."""
        maker = self.makers.get(prefix)
        return maker(self, prefix) if maker is not None else _create_function(self.name(prefix))

    def layer(self, prefix: str, fix: Fix | None = None) -> dict[str, Any]:
        name = self.name(prefix)
        found = self.account.layers().get(name)
        if found is None:
            raise self._missing("layer", prefix, self.account.layers(), fix)
        return found

    def queue(self, prefix: str, fix: Fix | None = None) -> tuple[str, dict[str, str]]:
        """The queue's URL and attributes."""
        name = self.name(prefix)
        url = self.account.queues().get(name)
        attributes = self.account.queue_attributes(url) if url else None
        if url is None or attributes is None:
            raise self._missing(
                "queue", prefix, self.account.queues(), fix or aws("sqs", "create-queue", "--queue-name", name)
            )
        return url, attributes

    def queue_arn(self, prefix: str) -> str:
        return self.queue(prefix)[1]["QueueArn"]

    def mappings(self, queue_arn: str, function_arn: str) -> list[dict[str, Any]]:
        """Event source mappings from a queue to a function (unqualified or any alias)."""
        base = function_arn.split(":function:")[-1].split(":")[0]
        return [
            m
            for m in self.account.event_source_mappings()
            if m.get("EventSourceArn") == queue_arn
            and m.get("FunctionArn", "").split(":function:")[-1].split(":")[0] == base
        ]

    def concurrency_blocked(self, amount: int, already: int = 0) -> str | None:
        """Why taking ``amount`` more concurrency is impossible in this account, or None."""
        limits = self.account.account_settings().get("AccountLimit", {})
        quota = int(limits.get("ConcurrentExecutions", 1000))
        unreserved = int(limits.get("UnreservedConcurrentExecutions", quota))
        floor = min(100, quota)
        after = unreserved + already - amount
        if after >= floor:
            return None
        return (
            f"account concurrency quota is {quota} with {unreserved} unreserved; taking {amount} would leave "
            f"{after}, below the {floor} Lambda keeps unreserved. Ask for more: Service Quotas > AWS Lambda > "
            f"Concurrent executions (aws service-quotas request-service-quota-increase --service-code lambda "
            f"--quota-code L-B99A9384 --desired-value 1000)"
        )

    def role_documents(self, role: str) -> list[dict[str, Any]]:
        """Every policy document of an execution role (inline and attached)."""
        try:
            return self.account.role_policy_documents(role)
        except NoSuchRole as exc:
            raise _no_role(role) from exc

    def role_boundary(self, role: str) -> dict[str, Any] | None:
        """The role's permissions boundary document, or None: what its policies allow must be allowed here too."""
        try:
            return self.account.role_boundary(role)
        except NoSuchRole as exc:
            raise _no_role(role) from exc

    def role_attachments(self, role: str) -> list[dict[str, Any]]:
        """The managed policies attached to an execution role."""
        try:
            return self.account.attached_role_policies(role)
        except NoSuchRole as exc:
            raise _no_role(role) from exc


def _no_role(role: str) -> Missing:
    return Missing(
        f"execution role {role}",
        aws("iam", "create-role", "--role-name", role, "--assume-role-policy-document", json_word(LAMBDA_TRUST)),
    )


def _create_function(name: str) -> Fix:
    return aws(
        "lambda",
        "create-function",
        "--function-name",
        name,
        "--runtime",
        "python3.12",
        "--handler",
        "lambda_function.lambda_handler",
        "--role",
        ask("ROLE_ARN", "the ARN of the execution role for your functions"),
        "--zip-file",
        "fileb://function.zip",
    )
