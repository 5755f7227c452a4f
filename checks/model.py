"""The result model: what a grade is, independent of how it is fetched or shown.

Checks return a :class:`Verdict`; the runner turns verdicts into
:class:`CheckResult` rows, groups them into :class:`TaskResult` and a
:class:`Report`. Reporters only ever read these frozen objects.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace

# The rubric's student ID: 1 to 42 of these characters (64, Lambda's name limit, less the longest prefix).
STUDENT_ID = re.compile(r"[A-Za-z0-9_-]{1,42}")


class Status(str, enum.Enum):
    """The four statuses of a check (see the rubric, "Statuses and scoring")."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    BLOCKED = "blocked"


class TaskStatus(str, enum.Enum):
    PASS = "pass"
    PARTIAL = "partial"
    FAIL = "fail"
    ERROR = "error"


@dataclass(frozen=True)
class Verdict:
    """What one check decided. ``fix`` is a command that would make it pass."""

    status: Status
    message: str
    fix: str | None = None

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS


def passed(message: str) -> Verdict:
    return Verdict(Status.PASS, message)


def failed(message: str, fix: str | None = None) -> Verdict:
    return Verdict(Status.FAIL, message, fix)


def blocked(message: str) -> Verdict:
    return Verdict(Status.BLOCKED, message)


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    points: int
    earned: int
    status: Status
    message: str
    hint: str | None

    @property
    def advice(self) -> list[str]:
        """The hint's lines after the found-against-wanted sentence that the message already says."""
        lines = (self.hint or "").splitlines()
        if lines and lines[0].rstrip(".") == self.message.rstrip("."):
            lines = lines[1:]
        return lines

    @property
    def fix(self) -> str | None:
        """The command its hint gives (the line after ``Fix: ``), or None."""
        for line in (self.hint or "").splitlines():
            if line.startswith("Fix: "):
                return line[len("Fix: ") :]
        return None

    @property
    def needs(self) -> str | None:
        """The check whose fix makes what this one needs, when its hint points there instead of repeating it."""
        found = re.search(r"^Fix (t\d+\.\w+) first: ", self.hint or "", re.M)
        return found.group(1) if found else None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "points": self.points,
            "earned": self.earned,
            "status": self.status.value,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class TaskResult:
    number: int
    title: str
    section: str
    checks: tuple[CheckResult, ...]
    notes: tuple[str, ...] = ()

    @property
    def earned(self) -> int:
        return sum(c.earned for c in self.checks)

    @property
    def possible(self) -> int:
        return sum(c.points for c in self.checks if c.status is not Status.BLOCKED)

    @property
    def status(self) -> TaskStatus:
        if any(c.status is Status.ERROR for c in self.checks):
            return TaskStatus.ERROR
        graded = [c for c in self.checks if c.status is not Status.BLOCKED]
        if all(c.status is Status.PASS for c in graded):
            return TaskStatus.PASS
        return TaskStatus.PARTIAL if self.earned > 0 else TaskStatus.FAIL

    def to_dict(self) -> dict[str, object]:
        return {
            "number": self.number,
            "title": self.title,
            "status": self.status.value,
            "earned": self.earned,
            "possible": self.possible,
            "checks": [c.to_dict() for c in self.checks],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Diagnosis:
    """One cause behind every miss, said once instead of beside each check.

    ``kind``: ``other_region`` (the student's work is in another region), ``other_id`` (it is
    named with another form of the student ID, such as another case), ``nothing_deployed``.
    ``rerun``: the options to grade again with, when the cause is in how the grader was asked.
    """

    kind: str
    message: str
    rerun: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "message": self.message, "rerun": self.rerun}


@dataclass(frozen=True)
class Report:
    """One student's grade. ``to_dict`` is the JSON report of contract.md."""

    assessment: str
    student_id: str
    account_id: str
    region: str
    graded_at: str
    duration_s: float
    pass_mark: float
    tasks: tuple[TaskResult, ...]
    demo: bool = False
    missing_actions: tuple[str, ...] = field(default=())
    diagnosis: Diagnosis | None = None
    partial: bool = False  # only some tasks were graded (--task): no verdict on the assessment

    @property
    def done(self) -> bool:
        """Every graded task passes in full: what a grade of some tasks (``--task``) is judged by."""
        return all(t.status is TaskStatus.PASS for t in self.tasks)

    def next_step(self) -> tuple[TaskResult, CheckResult | None] | None:
        """The first unfinished task and the first of its checks with a fix, or None when all is done."""
        for task in self.tasks:
            if task.status is TaskStatus.PASS:
                continue
            misses = [c for c in task.checks if c.status is not Status.PASS]
            return task, next((c for c in misses if c.fix), misses[0] if misses else None)
        return None

    @property
    def earned(self) -> int:
        return sum(t.earned for t in self.tasks)

    @property
    def possible(self) -> int:
        return sum(t.possible for t in self.tasks)

    @property
    def percent(self) -> float:
        return round(100.0 * self.earned / self.possible, 1) if self.possible else 0.0

    @property
    def passed(self) -> bool:
        return self.percent >= self.pass_mark

    @property
    def complete(self) -> bool:
        return not any(c.status is Status.ERROR for t in self.tasks for c in t.checks)

    def grant(self) -> str | None:
        """The policy statement that would grant the actions refused while grading, as JSON."""
        import json

        if not self.missing_actions:
            return None
        return json.dumps({"Effect": "Allow", "Action": sorted(self.missing_actions), "Resource": "*"})

    def checks(self) -> list[CheckResult]:
        return [c for t in self.tasks for c in t.checks]

    def without_hints(self) -> Report:
        """The same report with every hint and note left out (exam conditions)."""
        tasks = tuple(replace(t, checks=tuple(replace(c, hint=None) for c in t.checks), notes=()) for t in self.tasks)
        return replace(self, tasks=tasks)

    def to_dict(self) -> dict[str, object]:
        pass_mark: float | int = int(self.pass_mark) if float(self.pass_mark).is_integer() else self.pass_mark
        return {
            "schema_version": 1,
            "assessment": self.assessment,
            "student_id": self.student_id,
            "account_id": self.account_id,
            "region": self.region,
            "graded_at": self.graded_at,
            "duration_s": self.duration_s,
            "score": {"earned": self.earned, "possible": self.possible, "percent": self.percent},
            "pass_mark": pass_mark,
            "passed": self.passed,
            "complete": self.complete,
            "demo": self.demo,
            "missing_actions": list(self.missing_actions),
            "diagnosis": self.diagnosis.to_dict() if self.diagnosis else None,
            "tasks_graded": [t.number for t in self.tasks] if self.partial else None,
            "tasks_done": self.done if self.partial else None,
            "tasks": [t.to_dict() for t in self.tasks],
        }
