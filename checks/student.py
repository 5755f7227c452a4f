"""The student's view of an account: their names, whose resource is whose, near misses, other regions.

Checks never see boto3: they ask a :class:`Student`, which knows the student's resource
names (``<prefix>-<id>``, exactly), and get plain dicts back from the account's readers
(:mod:`checks.aws`), or a :class:`Missing` when the resource they need does not exist,
with the fix that makes it and, when there is one, the student's own near miss: never a
classmate's resource.

It knows no service: an assessment declares its :class:`Kind`\\ s of resource (a name
prefix for each, the reader that lists them here and in another region, how a missing one
is made), and the view names, finds, misses and diagnoses from those declarations. An
assessment may add look-ups of its own in a subclass (its ``view``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from checks import aws
from checks.fix import Fix
from checks.model import STUDENT_ID, Diagnosis

if TYPE_CHECKING:
    from checks.aws import Account

# The fix that makes a missing resource, given the student's view (the assessment's own) and its prefix.
Maker = Callable[[Any, str], Fix]


@dataclass(frozen=True)
class Kind:
    """A kind of resource an assessment's students name ``<prefix>-<id>``, and how the account shows it.

    ``listed``: this region's, by name (the account's list, read once for a class). ``by_name``: one
    by name, where the reader asks for it alone for one student's grade (``targeted``) and takes it
    from the list otherwise.
    ``elsewhere``: the names in another region of the account (for "your work is in another
    region"). ``make``: the fix that makes a missing one. ``marks_work``: the student's work is
    where one of these is (a function, a bucket): the kind a region is judged by first.
    ``global_names``: names are unique across regions (S3 buckets): no other region to look in.
    """

    name: str
    prefixes: tuple[str, ...]
    listed: Callable[[Any], Mapping[str, Any]]
    by_name: Callable[[Any, str], Any] | None = None
    elsewhere: Callable[[Any, str], Iterable[str]] | None = None
    make: Maker | None = None
    marks_work: bool = False
    global_names: bool = False


@dataclass(frozen=True)
class Missing(Exception):
    """A resource a check needs does not exist; the check fails with this."""

    what: str  # "queue orders-s1": its kind and name
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


def plausibly_theirs(prefix: str, student_id: str, candidate: str, id_rule: re.Pattern[str] = STUDENT_ID) -> bool:
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
        if id_rule.fullmatch(tail):
            return tail == sid
        return tail.startswith(sid) and not id_rule.fullmatch(tail[len(sid) : len(sid) + 1])
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
    """One student's view of an account: names resources ``<prefix>-<id>``, exactly, of the kinds given."""

    def __init__(
        self,
        account: Account,
        student_id: str,
        classmates: Iterable[str] = (),
        *,
        kinds: Iterable[Kind] = (),
        id_rule: re.Pattern[str] = STUDENT_ID,
    ) -> None:
        self.account = account
        self.id = student_id
        self.classmates = frozenset(classmates) - {student_id}
        self.kinds = {k.name: k for k in kinds}
        self.id_rule = id_rule

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

    # -- resources -----------------------------------------------------------
    def resource(self, kind: str, prefix: str, fix: Fix | None = None) -> Any:
        """The student's ``<prefix>-<id>`` of this kind, or :class:`Missing` with the fix that makes it."""
        declared = self.kinds[kind]
        name = self.name(prefix)
        found = declared.by_name(self.account, name) if declared.by_name else declared.listed(self.account).get(name)
        if found is None:
            made = fix if fix is not None else (declared.make(self, prefix) if declared.make else None)
            raise self.missing(kind, prefix, declared.listed(self.account), made)
        return found

    def missing(self, kind: str, prefix: str, candidates: Iterable[str], fix: Fix | None) -> Missing:
        """A resource that is not there, with the student's own near miss (never a classmate's)."""
        name = self.name(prefix)
        theirs = [
            c
            for c in candidates
            if plausibly_theirs(prefix, self.id, c, self.id_rule) and c not in self.classmates_names
        ]
        return Missing(f"{kind} {name}", fix, near_miss(name, theirs), self._elsewhere(), prefix)

    @cached_property
    def classmates_names(self) -> frozenset[str]:
        """Every name a classmate's resource of these kinds would have (made once, asked for each candidate)."""
        prefixes = {p for k in self.kinds.values() for p in k.prefixes}
        return frozenset(f"{p}-{c}" for p in prefixes for c in self.classmates)

    # -- where the work is ----------------------------------------------------
    def _work_kinds(self) -> list[Kind]:
        return [k for k in self.kinds.values() if k.marks_work]

    def _has_own_work(self) -> bool:
        for kind in self._work_kinds():
            names = [self.name(p) for p in kind.prefixes]
            if kind.by_name is not None:  # one student: asked by name, unless the list is read anyway
                if any(kind.by_name(self.account, n) is not None for n in names):
                    return True
            elif set(names) & set(kind.listed(self.account)):
                return True
        return False

    def _elsewhere(self) -> str | None:
        """When none of the student's work is in this region, where it is."""
        kinds = self._work_kinds()
        if not kinds or self._has_own_work():
            return None
        regions = self.regions_holding()
        if not regions:
            return None
        what = " or ".join(f"{k.name}s" for k in kinds)
        return (
            f"none of your {what} is in {self.region}, but some are in {', '.join(regions)}: "
            f"grade there with --region {regions[0]}"
        )

    def diagnose(self) -> Diagnosis | None:
        """The one cause of a grade where nothing passed, when there is one (else None).

        Read from what the checks already read: the region's resources of the kinds that mark the
        student's work and, when none is the student's, the other regions' (see :meth:`_elsewhere`).
        """
        kinds = self._work_kinds()
        if not kinds or self._has_own_work():
            return None
        others = sorted(
            {
                name[len(p) + 1 :]
                for kind in kinds
                for name in kind.listed(self.account)
                for p in kind.prefixes
                if _norm(name) == _norm(self.name(p)) and name[len(p) + 1 :] != self.id
            }
        )
        if others and self.id_rule.fullmatch(others[0]):
            return Diagnosis(
                "other_id",
                f"No resource is named for student ID {self.id}, but some are for {others[0]}: "
                f"did you mean --student-id {others[0]}?",
                f"--student-id {others[0]}",
            )
        if self._near_misses():  # misnamed, not missing: each check says "did you mean" for its own
            return None
        regions = self.regions_holding()
        what = f"your {' and '.join(k.name + 's' for k in kinds)} are"
        if not regions:  # none of those elsewhere: any other resource of the assessment's
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

    def _near_misses(self) -> bool:
        """Whether this region holds a resource of the student's named nearly right (``_`` for ``-``, a typo,
        another case of the prefix), of any kind: then nothing is missing that a "did you mean" cannot say."""
        for kind in self.kinds.values():
            listed = kind.listed(self.account)
            for prefix in kind.prefixes:
                wanted = self.name(prefix)
                theirs = [
                    c
                    for c in listed
                    if c != wanted
                    and plausibly_theirs(prefix, self.id, c, self.id_rule)
                    and c not in self.classmates_names
                ]
                if near_miss(wanted, theirs):
                    return True
        return False

    def regions_holding(self) -> list[str]:
        """The account's other enabled regions holding one of the student's resources of a kind that marks work."""
        return self._regions_with(self._work_kinds(), "regions_holding")

    def regions_holding_anything(self) -> list[str]:
        """The account's other enabled regions holding one of the student's resources of any other kind."""
        return self._regions_with([k for k in self.kinds.values() if not k.marks_work], "regions_holding_anything")

    def _regions_with(self, kinds: list[Kind], key: str) -> list[str]:
        account = self.account
        looked = [(k, {self.name(p) for p in k.prefixes}) for k in kinds if k.elsewhere and not k.global_names]
        if not looked:
            return []

        def holds(region: str) -> bool:
            for kind, wanted in looked:
                assert kind.elsewhere is not None
                try:
                    if wanted & set(kind.elsewhere(account, region)):
                        return True
                except aws.AwsError:  # loaded by now: a request was sent
                    continue
            return False

        def scan() -> list[str]:
            others = [r for r in account.enabled_regions() if r != account.region]
            found = account.gather(*[partial(holds, r) for r in others])
            return [r for r, yes in zip(others, found, strict=True) if yes]

        return account.once((key, self.id, tuple(k.name for k, _ in looked)), scan)
