"""The result model: what a grade is, independent of how it is fetched or shown.

Checks return a :class:`Verdict`; the runner turns verdicts into
:class:`CheckResult` rows, groups them into :class:`TaskResult` and a
:class:`Report`. Reporters only ever read these frozen objects.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from typing import Any

from checks.fix import Busy, Fix
from checks.text import printable

# A student ID where an assessment declares no rule of its own (its ``id_rule``, with ``id_said``).
STUDENT_ID = re.compile(r"[A-Za-z0-9_-]{1,42}")
STUDENT_ID_SAID = "1 to 42 letters, digits, '-' or '_'"


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
    """What one check decided. ``fix``: the commands that would make it pass; ``advice``: what to do
    when no command can (a sentence, never run)."""

    status: Status
    message: str
    fix: Fix | None = None
    advice: str | None = None

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS


def passed(message: str) -> Verdict:
    return Verdict(Status.PASS, message)


def failed(message: str, fix: Fix | str | None = None) -> Verdict:
    """A miss, with the fix that makes it pass, or a sentence of advice where no command can."""
    if isinstance(fix, str):
        return Verdict(Status.FAIL, message, advice=fix)
    return Verdict(Status.FAIL, message, fix)


def lines(text: str | None) -> str | None:
    """Text of several lines the grader composed: each line made printable, the line breaks kept."""
    return None if text is None else "\n".join(printable(line) for line in text.split("\n"))


def _clean(obj: Any, **fields: str) -> None:
    """Make a frozen dataclass's text fields printable (``one`` line or several ``lines``)."""
    for name, kind in fields.items():
        value = getattr(obj, name)
        if isinstance(value, str):
            object.__setattr__(obj, name, printable(value) if kind == "one" else lines(value))


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
    remedy: Fix | None = None  # the commands of its fix, as data (the hint's ``Fix:`` line renders them)
    needs: str | None = None  # the check whose fix makes what this one needs (its hint points there)
    # The hint's parts, as the grader composed it (nothing reads the hint's text back):
    lead: str | None = None  # a first line other than the finding (the grader could not read this …)
    said: tuple[str, ...] = ()  # what it says besides the finding and the command (did you mean …)
    see: str | None = None  # the section of the assessment's text: ``See README…, "Task N: …".``

    def __post_init__(self) -> None:
        _clean(self, id="one", title="one", message="one", hint="lines", lead="one", see="one")
        object.__setattr__(self, "said", tuple(printable(str(line)) for line in self.said))

    def hint_lines(self) -> list[str]:
        """The hint its parts make, line by line: the finding, what else it says, the command, the section."""
        command = [f"Fix: {self.fix}"] if self.remedy is not None else []
        return [self.finding, *self.said, *command, *([self.see] if self.see else [])]

    @property
    def advice(self) -> list[str]:
        """The hint's lines after the found-against-wanted sentence that the message already says."""
        lines = self.hint_lines()
        return lines if self.lead else lines[1:]

    @property
    def finding(self) -> str:
        """The hint's first line: what was found against what was wanted (or why it could not be read)."""
        return self.lead or self.message + "."

    @property
    def fix(self) -> str | None:
        """The command of its fix, rendered for bash, or None."""
        return self.remedy.render() if self.remedy is not None else None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "points": self.points,
            "earned": self.earned,
            "status": self.status.value,
            "message": self.message,
            "hint": self.hint,
            "fix": self.remedy.to_json() if self.remedy is not None else None,
            "needs": self.needs,
            **({"hint_parts": self._parts()} if self.lead or self.said or self.see else {}),
        }

    def _parts(self) -> dict[str, object]:
        return {"lead": self.lead, "said": list(self.said), "see": self.see}


@dataclass(frozen=True)
class TaskResult:
    number: int
    title: str
    section: str
    checks: tuple[CheckResult, ...]
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _clean(self, title="one", section="one")
        object.__setattr__(self, "notes", tuple(printable(str(n)) for n in self.notes))

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
            "section": self.section,
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

    def __post_init__(self) -> None:
        _clean(self, kind="one", message="one", rerun="one")

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "message": self.message, "rerun": self.rerun}


@dataclass(frozen=True)
class Submission:
    """A grade made for the record by the course's grading workflow (``--submit``).

    ``submitted_at`` is when the workflow run's attempt that graded it started (UTC, ISO 8601), from
    GitHub, never the student's claim; ``late`` says it came after ``deadline``; ``run_url`` is the run
    that graded it and ``attempt`` which attempt of it (a re-run is a submission of its own).
    """

    id: str
    submitted_at: str
    deadline: str | None = None
    late: bool = False
    run_url: str | None = None
    attempt: int | None = None

    def __post_init__(self) -> None:
        _clean(self, id="one", submitted_at="one", deadline="one", run_url="one")

    def said(self) -> str:
        """One line for every format: which submission, when, and whether it was late."""
        late = (f" LATE (deadline {self.deadline})" if self.deadline else " LATE") if self.late else ""
        again = f" (attempt {self.attempt})" if self.attempt and self.attempt > 1 else ""
        return f"submission {self.id}{again}, submitted {self.submitted_at}{late}"

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "submitted_at": self.submitted_at,
            "deadline": self.deadline,
            "late": self.late,
            "run_url": self.run_url,
            **({"attempt": self.attempt} if self.attempt is not None else {}),
        }


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
    submission: Submission | None = None  # graded for the record by the course's workflow
    # The assessment's busy rules, which its fix block waits by (not in the JSON: the assessment's own).
    busy: tuple[Busy, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        _clean(self, assessment="one", student_id="one", account_id="one", region="one", graded_at="one")
        object.__setattr__(self, "missing_actions", tuple(printable(str(a)) for a in self.missing_actions))

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

        def bare(c: CheckResult) -> CheckResult:  # the command of its fix too: a hint in another form
            return replace(c, hint=None, remedy=None, lead=None, said=(), see=None)

        tasks = tuple(replace(t, checks=tuple(bare(c) for c in t.checks), notes=()) for t in self.tasks)
        return replace(self, tasks=tasks)

    @staticmethod
    def from_dict(data: Any) -> Report:
        """The report its JSON (:meth:`to_dict`) describes; a ValueError says what is wrong with anything else."""
        try:
            return report_from_dict(data)
        except (KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise ValueError(f"not a report ({type(exc).__name__})") from exc

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
            **({"submission": self.submission.to_dict()} if self.submission else {}),
        }


def _field(data: Any, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"want an object where {key} is")
    if key not in data or data[key] is None:
        if default is ...:
            raise ValueError(f"{key} is missing")
        return default
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float, (int, float))):
        raise ValueError(f"{key} is of the wrong type")
    return value


def check_from_dict(data: Any) -> CheckResult:
    remedy = _field(data, "fix", dict, None)
    parts = _field(data, "hint_parts", dict, {})
    return CheckResult(
        _field(data, "id", str),
        _field(data, "title", str),
        _field(data, "points", int),
        _field(data, "earned", int),
        Status(_field(data, "status", str)),
        _field(data, "message", str, ""),
        _field(data, "hint", str, None),
        Fix.from_json(remedy) if remedy is not None else None,
        _field(data, "needs", str, None),
        _field(parts, "lead", str, None) if parts else None,
        tuple(str(line) for line in _field(parts, "said", list, [])) if parts else (),
        _field(parts, "see", str, None) if parts else None,
    )


def task_from_dict(data: Any) -> TaskResult:
    return TaskResult(
        _field(data, "number", int),
        _field(data, "title", str),
        _field(data, "section", str, ""),
        tuple(check_from_dict(c) for c in _field(data, "checks", list)),
        tuple(str(n) for n in _field(data, "notes", list, [])),
    )


def _diagnosis_from_dict(data: Any) -> Diagnosis:
    return Diagnosis(_field(data, "kind", str), _field(data, "message", str), _field(data, "rerun", str, None))


def _submission_from_dict(data: Any) -> Submission:
    return Submission(
        _field(data, "id", str),
        _field(data, "submitted_at", str),
        _field(data, "deadline", str, None),
        bool(_field(data, "late", bool, False)),
        _field(data, "run_url", str, None),
        _field(data, "attempt", int, None),
    )


def report_from_dict(data: Any) -> Report:
    """A report read back from its JSON (``Report.to_dict``); anything else is a ValueError saying what."""
    if _field(data, "schema_version", int) != 1:
        raise ValueError("not schema_version 1")
    diagnosis = _field(data, "diagnosis", dict, None)
    submission = _field(data, "submission", dict, None)
    tasks = tuple(task_from_dict(t) for t in _field(data, "tasks", list))
    return Report(
        assessment=_field(data, "assessment", str),
        student_id=_field(data, "student_id", str),
        account_id=_field(data, "account_id", str),
        region=_field(data, "region", str),
        graded_at=_field(data, "graded_at", str),
        duration_s=float(_field(data, "duration_s", (int, float))),
        pass_mark=float(_field(data, "pass_mark", (int, float))),
        tasks=tasks,
        demo=bool(_field(data, "demo", bool, False)),
        missing_actions=tuple(str(a) for a in _field(data, "missing_actions", list, [])),
        diagnosis=_diagnosis_from_dict(diagnosis) if diagnosis is not None else None,
        partial=_field(data, "tasks_graded", list, None) is not None,
        submission=_submission_from_dict(submission) if submission is not None else None,
    )
