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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from checks import assessment_folders
from checks.errors import RegistryError
from checks.fix import Busy
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
    module: str = ""  # the task module's name: where the assessment's package is

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
    readers: tuple[type, ...] = ()  # its own readers of services the engine does not read
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

        return account_type({a.split(":", 1)[0] for a in [*self.reads(), *self.teardown_reads]}, self.readers)

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
    return Task(info.number, info.title, info.section, tuple(checks), tuple(notes), module.__name__)


@dataclass(frozen=True)
class IdRule:
    """What a student ID of an assessment may be (``rule``), and that rule in words (``said``), for the one
    line that refuses an ID on the command line, in a roster and in cleanup."""

    rule: re.Pattern[str] = STUDENT_ID
    said: str = STUDENT_ID_SAID


@dataclass(frozen=True)
class Students:
    """What an assessment's students make, and how the grader finds it.

    ``kinds``: their resources by kind (``<prefix>-<id>`` names, how each is read, made by a fix; see the
    kit's ``function_kind`` and ``queue_kind``). ``owners``: the check whose fix makes each resource, by name
    prefix (a check that needs the resource points there). ``view``: the student's view the checks take
    (None: the engine's own). ``ids``: the student ID rule. ``diagnosis_reads``: what telling why every check
    fails may read. ``evidence_variables``: environment variables the checks read, whose values evidence
    keeps.
    """

    kinds: Iterable[Kind] = ()
    owners: Mapping[str, str] = field(default_factory=dict)
    view: type[Student] | None = None
    ids: IdRule = IdRule()
    diagnosis_reads: Iterable[str] = ()
    evidence_variables: Iterable[str] = ()


@dataclass(frozen=True)
class Cleanup:
    """``cleanup``: ``teardown(account, student)`` finds the student's resources and what removes them;
    ``reads``: what finding them reads beyond grading; ``prices_read``: where the monthly figures come from."""

    teardown: Callable[..., Any]
    reads: Iterable[str] = ()
    prices_read: str = ""


@dataclass(frozen=True)
class Tools:
    """What an assessment brings beyond its checks.

    ``busy``: resources AWS keeps busy after a change (the kit's ``FUNCTION_BUSY``): its fix blocks wait for
    them. ``cleanup``: its teardown. ``demo(student_id, region, session)``: deploys the demo account into the
    stand-in. ``readers``: readers of services the engine does not read yet, each a ``Transport`` subclass
    declaring its service (``class DynamoReader(Transport, service="dynamodb", ...)``).
    """

    busy: Iterable[Busy] = ()
    cleanup: Cleanup | None = None
    demo: Callable[[str, str, Any], None] | None = None
    readers: Iterable[type] = ()


def assessment(
    name: str,
    title: str,
    readme: str,
    modules: Iterable[ModuleType],
    students: Students = Students(),
    tools: Tools = Tools(),
) -> Assessment:
    """An assessment: its name, title and student text (``readme``), its task modules in order, what its
    students make (:class:`Students`) and what it brings beyond its checks (:class:`Tools`)."""
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
    owners = dict(students.owners)
    unknown = sorted(set(owners.values()) - set(seen))
    if unknown:
        raise RegistryError(f"{name}: resources owned by unknown checks {unknown}")
    cleanup = tools.cleanup
    return Assessment(
        name,
        title,
        readme,
        tasks,
        kinds=tuple(students.kinds),
        owners=tuple(owners.items()),
        view=students.view,
        id_rule=students.ids.rule,
        id_said=students.ids.said,
        diagnosis_reads=_actions(students.diagnosis_reads),
        teardown=cleanup.teardown if cleanup else None,
        teardown_reads=_actions(cleanup.reads) if cleanup else (),
        prices_read=cleanup.prices_read if cleanup else "",
        demo=tools.demo,
        evidence_variables=tuple(students.evidence_variables),
        busy=tuple(tools.busy),
        readers=tuple(tools.readers),
    )


# Another installed package's assessments: ``[project.entry-points."validate_tasks.assessments"]``,
# ``name = "package.module:ASSESSMENT"`` (or the module whose ASSESSMENT it is).
ENTRY_POINTS = "validate_tasks.assessments"


def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINTS)}


def known_assessments() -> list[str]:
    """Every assessment: a folder under ``checks/assessments``, or another installed package's entry point."""
    return sorted(set(assessment_folders()) | set(_entry_points()))


def is_known(name: str) -> bool:
    """Whether ``name`` is an assessment here (a folder first: no package metadata read for those)."""
    return name in assessment_folders() or name in _entry_points()


def load_assessment(name: str) -> Assessment:
    if name in assessment_folders():
        where = f"checks.assessments.{name}"
        found: Any = importlib.import_module(where)
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
