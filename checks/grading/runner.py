"""The runner: runs an assessment's checks concurrently and scores them.

It owns concurrency and failure. Every check runs in a thread pool; a
:class:`~checks.student.Missing` prerequisite becomes a ``fail``, an AWS error an
``error`` naming the action and code, anything unexpected an ``error`` too:
no check ever stops another.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import partial

from checks import threads
from checks.aws import AwsError, asking, is_not_found
from checks.fix import Fix, settled
from checks.model import CheckResult, Diagnosis, Report, Status, TaskResult, Verdict
from checks.registry import Assessment, Check, Note, Task
from checks.student import Missing, Student
from checks.text import printable

DEFAULT_WORKERS = 64  # checks wait on AWS round trips, not on the processor


@dataclass(frozen=True)
class HintParts:
    """A hint as the grader composes it: the lines of its text, each kept apart."""

    lead: str | None  # a first line other than the finding
    said: tuple[str, ...]
    see: str


def hint_for(
    verdict: Verdict, task: Task, readme: str, missing: Missing | None = None, owner: str | None = None
) -> HintParts | None:
    """What to do about a check that did not pass, naming the README section.

    ``owner`` is the check whose fix makes the missing resource, when it is another: the hint
    names it instead of repeating its fix (one fix per missing resource).
    """
    if verdict.status is Status.PASS:
        return None
    see = f'See {readme}, "{task.section}".'
    if verdict.status is Status.BLOCKED:
        return HintParts(None, (), see)
    if verdict.status is Status.ERROR:
        refused = any(
            code in verdict.message for code in ("AccessDenied", "UnauthorizedOperation", "AuthorizationError")
        )
        then = (
            "Grant that permission or retry" if refused else "Grade again; if it recurs, check the network or endpoint"
        )
        return HintParts(f"The grader could not read this: {printable(verdict.message)}. {then}.", (), see)
    # Each line is made printable on its own: what the account said never starts a line of its own.
    said = []
    if missing is not None and missing.did_you_mean:
        said.append(f"Did you mean `{printable(missing.did_you_mean)}`?")
    if missing is not None and missing.elsewhere:
        said.append(printable(missing.elsewhere[0].upper() + missing.elsewhere[1:]) + ".")
    if owner is not None and missing is not None:
        said.append(f"Fix {owner} first: its fix makes {printable(missing.what)}.")
    elif verdict.fix is None and verdict.advice:
        said.append(printable(verdict.advice[0].upper() + verdict.advice[1:]) + ".")
    return HintParts(None, tuple(said), see)


def result_of(
    assessment: Assessment, task: Task, check: Check, verdict: Verdict, missing: Missing | None
) -> CheckResult:
    """One check's row: its verdict, hint and fix; a missing resource that another check makes points to that check."""
    owner = assessment.owner(missing.prefix) if missing is not None else None
    needs = owner if owner != check.id and missing is not None else None
    parts = hint_for(verdict, task, assessment.readme, missing, needs)
    remedy = verdict.fix if verdict.status is not Status.PASS and needs is None else None
    if isinstance(remedy, Fix):  # its waits, as the assessment's busy rules say: the same text everywhere
        remedy = settled([remedy], assessment.busy)[0]
    earned = check.points if verdict.status is Status.PASS else 0
    result = CheckResult(
        check.id, check.title, check.points, earned, verdict.status, verdict.message, None, remedy, needs
    )
    if parts is None:
        return result
    result = replace(result, lead=parts.lead, said=parts.said, see=parts.see)
    return replace(result, hint="\n".join(result.hint_lines()))  # its text, from the parts it keeps


def judge(check: Check, student: Student) -> tuple[Verdict, Missing | None]:
    with asking(check.id):
        return _judge(check, student)


def _judge(check: Check, student: Student) -> tuple[Verdict, Missing | None]:
    try:
        return check.func(student), None
    except Missing as missing:
        return Verdict(Status.FAIL, str(missing), missing.fix), missing
    except AwsError as exc:
        if is_not_found(
            exc.action.split(":")[0], exc.code
        ):  # AWS's definite "no such thing" is a verdict, not a failure to see
            return Verdict(Status.FAIL, f"not found: {exc.detail or exc.code} (AWS answered {exc.action})"), None
        return Verdict(Status.ERROR, str(exc)), None
    except Exception as exc:  # a malformed answer must not stop the other checks
        return Verdict(Status.ERROR, f"unexpected answer: {type(exc).__name__}: {exc}"), None


def run_note(note: Note, student: Student) -> str | None:
    """A note that cannot be worked out (a missing resource, an AWS error) is simply not shown."""
    with asking(note.name):
        try:
            return note.func(student)
        except Exception:
            return None


def grade(
    assessment: Assessment,
    student: Student,
    *,
    tasks: Iterable[int] = (),
    pass_mark: float = 70.0,
    workers: int = DEFAULT_WORKERS,
    pool: ThreadPoolExecutor | None = None,
    demo: bool = False,
) -> Report:
    """Grade one student. The account must already be identified (``Account.identify``)."""
    started = time.monotonic()
    graded_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    wanted = set(tasks)
    chosen = [t for t in assessment.tasks if not wanted or t.number in wanted]
    executor = pool or threads.shared("check", workers)
    verdicts = {c.id: executor.submit(judge, c, student) for t in chosen for c in t.checks}
    notes = {t.number: [(n, executor.submit(run_note, n, student)) for n in t.notes] for t in chosen}
    results = []
    for task in chosen:
        rows = []
        for c in task.checks:
            verdict, missing = threads.result(verdicts[c.id], partial(judge, c, student))
            rows.append(result_of(assessment, task, c, verdict, missing))
        shown = tuple(text for n, f in notes[task.number] if (text := threads.result(f, partial(run_note, n, student))))
        results.append(TaskResult(task.number, task.title, task.section, tuple(rows), shown))
    return Report(
        assessment=assessment.name,
        student_id=student.id,
        account_id=student.account_id,
        region=student.region,
        graded_at=graded_at,
        duration_s=round(time.monotonic() - started, 2),
        pass_mark=pass_mark,
        tasks=tuple(results),
        demo=demo,
        missing_actions=tuple(sorted(student.account.denied)),
        diagnosis=diagnose(student, results),
        partial=len(chosen) < len(assessment.tasks),
        busy=assessment.busy,
    )


def diagnose(student: Student, results: list[TaskResult]) -> Diagnosis | None:
    """One cause for a grade in which every check failed (none passed, none could not be read)."""
    if not all(c.status is Status.FAIL for t in results for c in t.checks):
        return None
    try:
        with asking("diagnosis"):  # its reads are the assessment's diagnosis_reads
            return student.diagnose()
    except AwsError:
        return None


def check_hint(
    assessment: Assessment, task: Task, check: Check, verdict: Verdict, missing: Missing | None
) -> str | None:
    """The hint of one check's verdict (its row's, see :func:`result_of`)."""
    return result_of(assessment, task, check, verdict, missing).hint
