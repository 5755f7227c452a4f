"""The late policy and the gradebook of submissions: which submission counts for each student
(``latest``, ``best``, ``latest-on-time``), and the row it makes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import IO

from checks import PROG
from checks.github.collect import Attempt
from checks.grading.roster import Outcome, RosterRow, in_natural_order

POLICIES = ("latest", "best", "latest-on-time")


def choose(attempts: Sequence[Attempt], policy: str) -> Attempt:
    """The submission a policy grades: ``latest``; ``best`` (the earliest of the best); ``latest-on-time``
    (the latest before the deadline, else the latest, which is then late)."""
    ordered = sorted(attempts, key=lambda a: a.submission.submitted_at)
    if policy == "best":
        return max(ordered, key=lambda a: a.report.earned if a.report else 0)  # max keeps the earliest of equals
    if policy == "latest-on-time":
        on_time = [a for a in ordered if not a.submission.late]
        return (on_time or ordered)[-1]
    return ordered[-1]


# The gradebook's columns after a roster gradebook's: when, how often, late or not, by whom, which attempt of
# which run, and who re-ran it when that was someone else.
COLUMNS = ("submitted_at", "attempts", "late", "submitted_by", "run_attempt", "rerun_by", "run_url")


def gradebook(
    attempts: Iterable[Attempt], roster: Sequence[RosterRow], policy: str, roster_name: str, err: IO[str]
) -> list[Outcome]:
    """One row per student: the submission the policy counts, with its columns; with a roster, a row for every
    student on it ("no submission" when none counts), and a ``github`` column naming the only login whose
    runs count for that student (the others are said on ``err`` and left out).

    A student any of whose submissions could not be read is an error row: an older submission never
    stands in for one that was made. A student whose only runs failed is "run failed", with the run.
    """
    rows = {r.student_id: r for r in roster}
    outcomes = []
    for sid, mine in _by_student(attempts).items():
        expected = dict(rows[sid].extra).get("github", "") if sid in rows else ""
        if expected:
            for a in [a for a in mine if a.submitted_by.lower() != expected.lower()]:
                print(f"{PROG}: {sid}: a submission by {a.submitted_by or '?'}, not {expected}: left out", file=err)
            mine = [a for a in mine if a.submitted_by.lower() == expected.lower()]
            if not mine:
                continue
        if rows and sid not in rows:
            print(f"{PROG}: {sid} submitted but is not on {roster_name}", file=err)
        carried = rows[sid].extra if sid in rows else ()
        graded = [a for a in mine if a.report is not None]
        unreadable = [a for a in mine if a.unreadable]
        if unreadable:
            a = unreadable[-1]
            why = f"submission {a.submission_id} could not be read ({a.unreadable}): {a.url}"
            outcomes.append(Outcome(sid, error=why, extra=(*_columns(None, len(graded)), *carried)))
            continue
        if not graded:
            a = mine[-1]
            outcomes.append(Outcome(sid, error=f"run failed ({a.failed}): {a.url}", extra=(*_columns(a, 0), *carried)))
            continue
        chosen = choose(graded, policy)
        report = chosen.report
        assert report is not None
        extra = (*_columns(chosen, len(graded)), *carried)
        outcomes.append(Outcome(sid, report, region=report.region, account_id=report.account_id, extra=extra))
    counted = {o.student_id for o in outcomes}
    for sid, row in rows.items():
        if sid not in counted:
            outcomes.append(Outcome(sid, error="no submission", extra=(*_columns(None, 0), *row.extra)))
    return in_natural_order(outcomes)


def _columns(a: Attempt | None, graded: int) -> tuple[tuple[str, str], ...]:
    if a is None:
        values: tuple[str, ...] = ("", str(graded), "", "", "", "", "")
    else:
        late = str(a.report.submission.late).lower() if a.report and a.report.submission else ""
        values = (a.started_at, str(graded), late, a.submitted_by, str(a.number), a.rerun_by, a.url)
    return tuple(zip(COLUMNS, values, strict=True))


def _by_student(attempts: Iterable[Attempt]) -> dict[str, list[Attempt]]:
    grouped: dict[str, list[Attempt]] = {}
    for a in sorted(attempts, key=lambda a: (a.started_at, a.number)):
        grouped.setdefault(a.student_id, []).append(a)
    return grouped
