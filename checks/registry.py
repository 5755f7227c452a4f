"""The check registry: a decorator for check functions and the assessments they form.

A check is one function in its task's module, decorated with :func:`check`.
A task module names its task with ``TASK = TaskInfo(...)``. An assessment is a
package whose ``__init__`` builds ``ASSESSMENT`` from its task modules with
:func:`assessment`: a sub-package of ``checks``, or another installed package's,
named by an entry point (:data:`ENTRY_POINTS`). Importing any of it makes no AWS call.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from checks import assessment_folders
from checks.errors import RegistryError
from checks.fix import Busy, declare_busy
from checks.model import STUDENT_ID, STUDENT_ID_SAID, Verdict

if TYPE_CHECKING:
    from checks.aws import Account
    from checks.student import Kind, Student

CheckFunc = Callable[["Student"], Verdict]
NoteFunc = Callable[["Student"], "str | None"]
F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True)
class CheckSpec:
    id: str
    points: int
    title: str
    reads: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    id: str
    points: int
    title: str
    func: CheckFunc
    reads: tuple[str, ...] = ()  # the IAM read actions it may need, e.g. "sqs:ListQueues"


@dataclass(frozen=True)
class Note:
    func: NoteFunc
    reads: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"note:{self.func.__module__}.{self.func.__name__}"


@dataclass(frozen=True)
class TaskInfo:
    number: int
    title: str
    section: str  # the heading of the task in the assessment's README


@dataclass(frozen=True)
class Task:
    number: int
    title: str
    section: str
    checks: tuple[Check, ...]
    notes: tuple[Note, ...]

    @property
    def points(self) -> int:
        return sum(c.points for c in self.checks)


@dataclass(frozen=True)
class Assessment:
    name: str
    title: str
    readme: str
    tasks: tuple[Task, ...]
    # The student's resources by kind: name prefixes, how each is read here and elsewhere, and made.
    kinds: tuple[Kind, ...] = ()
    # The check whose fix makes each named resource (by name prefix): a check that needs the resource
    # points there instead of repeating that fix.
    owners: tuple[tuple[str, str], ...] = ()
    view: type[Student] | None = None  # the student's view its checks take (None: the engine's own)
    id_rule: re.Pattern[str] = STUDENT_ID  # what a student ID of this assessment may be
    id_said: str = STUDENT_ID_SAID  # that rule in words, for the one line that refuses an ID
    diagnosis_reads: tuple[str, ...] = ()  # what telling why every check fails may read
    teardown: Callable[..., Any] | None = None  # the student's resources and what removes them (cleanup)
    teardown_reads: tuple[str, ...] = ()  # what finding them reads, beyond grading
    # --demo: deploys the demo account into the stand-in, given (student ID, region, session).
    demo: Callable[[str, str, Any], None] | None = None
    evidence_variables: tuple[str, ...] = ()  # environment variables its checks read: their values are kept
    busy: tuple[Busy, ...] = ()  # resources AWS keeps busy after a change: a fix block waits for them
    prices_read: str = ""  # where the teardown's monthly figures come from, and when they were read

    def owner(self, prefix: str | None) -> str | None:
        return dict(self.owners).get(prefix) if prefix else None

    def student(self, account: Account, student_id: str, classmates: Iterable[str] = ()) -> Student:
        """One student's view of an account, naming and making resources as this assessment does."""
        from checks.student import Student

        return (self.view or Student)(account, student_id, classmates, kinds=self.kinds, id_rule=self.id_rule)

    @property
    def points(self) -> int:
        return sum(t.points for t in self.tasks)

    def checks(self) -> list[Check]:
        return [c for t in self.tasks for c in t.checks]

    def check_ids(self) -> list[str]:
        return [c.id for c in self.checks()]

    def account_type(self) -> type[Account]:
        """The account its grades and its cleanup read: the readers of the services their actions name."""
        from checks.aws import account_type

        return account_type({a.split(":", 1)[0] for a in [*self.reads(), *self.teardown_reads]})

    def reads(self) -> list[str]:
        """Every IAM action its checks and notes declare: what a grading role needs."""
        checks = {a for c in self.checks() for a in c.reads}
        notes = {a for t in self.tasks for n in t.notes for a in n.reads}
        return sorted(checks | notes | set(self.diagnosis_reads))


def check(check_id: str, points: int, title: str, *, reads: Iterable[str]) -> Callable[[F], F]:
    """Mark a function as the check ``check_id`` worth ``points``, declaring the AWS actions it reads."""

    def mark(func: F) -> F:
        func.__check__ = CheckSpec(check_id, points, title, _actions(reads))  # type: ignore[attr-defined]
        return func

    return mark


def note(*, reads: Iterable[str]) -> Callable[[F], F]:
    """Mark a function as an informational note: 0 points, shown, never scored."""

    def mark(func: F) -> F:
        func.__note__ = _actions(reads)  # type: ignore[attr-defined]
        return func

    return mark


def _actions(reads: Iterable[str]) -> tuple[str, ...]:
    found = tuple(sorted(set(reads)))
    bad = [a for a in found if ":" not in a or not a.split(":", 1)[1][:1].isupper()]
    if bad:
        raise RegistryError(f"not an IAM action: {bad[0]!r} (want service:Operation)")
    return found


def task_from_module(module: ModuleType) -> Task:
    info = getattr(module, "TASK", None)
    if not isinstance(info, TaskInfo):
        raise RegistryError(f"{module.__name__} has no TASK = TaskInfo(...)")
    checks: list[Check] = []
    notes: list[Note] = []
    for value in vars(module).values():  # definition order
        spec = getattr(value, "__check__", None)
        if isinstance(spec, CheckSpec) and callable(value):
            checks.append(Check(spec.id, spec.points, spec.title, value, spec.reads))
        elif isinstance(getattr(value, "__note__", None), tuple) and callable(value):
            notes.append(Note(value, value.__note__))
    if not checks:
        raise RegistryError(f"{module.__name__} defines no checks")
    return Task(info.number, info.title, info.section, tuple(checks), tuple(notes))


def assessment(
    name: str,
    title: str,
    readme: str,
    modules: Iterable[ModuleType],
    kinds: Iterable[Kind] = (),
    owners: dict[str, str] | None = None,
    view: type[Student] | None = None,
    id_rule: re.Pattern[str] = STUDENT_ID,
    id_said: str = STUDENT_ID_SAID,
    diagnosis_reads: Iterable[str] = (),
    teardown: Callable[..., Any] | None = None,
    teardown_reads: Iterable[str] = (),
    prices_read: str = "",
    demo: Callable[[str, str, Any], None] | None = None,
    evidence_variables: Iterable[str] = (),
    busy: Iterable[Busy] = (),
) -> Assessment:
    tasks = tuple(task_from_module(m) for m in modules)
    seen: dict[str, str] = {}
    for task in tasks:
        for c in task.checks:
            if c.id in seen:
                raise RegistryError(f"duplicate check id {c.id!r} in task {task.number} and {seen[c.id]}")
            seen[c.id] = f"task {task.number}"
    numbers = [t.number for t in tasks]
    if len(set(numbers)) != len(numbers):
        raise RegistryError(f"{name}: duplicate task numbers {numbers}")
    unknown = sorted(set((owners or {}).values()) - set(seen))
    if unknown:
        raise RegistryError(f"{name}: resources owned by unknown checks {unknown}")
    declare_busy(*busy)  # its fix blocks, wherever they are printed in this process, wait as it says
    return Assessment(
        name,
        title,
        readme,
        tasks,
        kinds=tuple(kinds),
        owners=tuple((owners or {}).items()),
        view=view,
        id_rule=id_rule,
        id_said=id_said,
        diagnosis_reads=_actions(diagnosis_reads),
        teardown=teardown,
        teardown_reads=_actions(teardown_reads),
        prices_read=prices_read,
        demo=demo,
        evidence_variables=tuple(evidence_variables),
        busy=tuple(busy),
    )


# Another installed package's assessments: ``[project.entry-points."validate_tasks.assessments"]``,
# ``name = "package.module:ASSESSMENT"`` (or the module whose ASSESSMENT it is).
ENTRY_POINTS = "validate_tasks.assessments"


def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINTS)}


def known_assessments() -> list[str]:
    """Every assessment: a folder under ``checks``, or another installed package's entry point."""
    return sorted(set(assessment_folders()) | set(_entry_points()))


def is_known(name: str) -> bool:
    """Whether ``name`` is an assessment here (a folder first: no package metadata read for those)."""
    return name in assessment_folders() or name in _entry_points()


def load_assessment(name: str) -> Assessment:
    if name in assessment_folders():
        found: Any = importlib.import_module(f"checks.{name}")
        where = f"checks.{name}"
    else:
        point = _entry_points().get(name)
        if point is None:
            raise KeyError(name)
        where = point.value
        try:
            found = point.load()
        except Exception as exc:  # another package's: said in one line, never a traceback
            said = f"{type(exc).__name__}: {exc}"
            raise RegistryError(f"the assessment {name} ({where}) cannot be loaded: {said}") from exc
    if isinstance(found, ModuleType):
        found = getattr(found, "ASSESSMENT", None)
    if not isinstance(found, Assessment):
        raise RegistryError(f"{where} has no ASSESSMENT")
    if found.name != name:
        raise RegistryError(f"{where} is the assessment {found.name!r}, not {name!r}")
    return found
