"""A class: rosters in (rows, shards, the order students are counted in), gradebooks and report folders out.

A roster is a CSV file with a ``student_id`` column and, per row, optionally
``profile``, ``role_arn`` (+ ``external_id``) and ``region``. Students whose rows
name the same credentials and region share one account (:mod:`checks.grading.pipeline`
grades them), so the account-wide lists are fetched once for all of them.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks.errors import BadInput
from checks.inputs import REPORT_LIMIT, NotAFile, read_bytes, read_text
from checks.model import STUDENT_ID, STUDENT_ID_SAID, Report, Status, TaskStatus
from checks.text import json_text, printable

if TYPE_CHECKING:
    from checks.aws import Account

COLUMNS = ("student_id", "profile", "role_arn", "external_id", "region")
MAX_LINE = 64 * 1024  # a roster line longer than this is not a roster line
MAX_FILE = 32 * 1024 * 1024
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
PROFILE = re.compile(r"^[\w+=,.@:/-]{1,128}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")


class RosterError(Exception):
    """The roster cannot be read at all: exit 2 with ``file:line: reason``."""


@dataclass(frozen=True)
class RosterRow:
    line: int
    student_id: str
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    region: str | None = None
    extra: tuple[tuple[str, str], ...] = ()  # the roster's other columns (an LMS export's name, email…)

    @property
    def account_key(self) -> tuple[str | None, str | None, str | None, str | None]:
        return (self.profile, self.role_arn, self.external_id, self.region)


@dataclass(frozen=True)
class RosterProblem:
    """A row that is not graded (a malformed value); the others are."""

    line: int
    student_id: str
    reason: str
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Repeat:
    """A line that names a student an earlier line names: the same student, graded once."""

    line: int
    student_id: str
    first: int


@dataclass(frozen=True)
class Outcome:
    """One student's result: a report, or why none could be made."""

    student_id: str
    report: Report | None = None
    error: str | None = None
    region: str = ""
    account_id: str = ""
    account: Account | None = field(default=None, compare=False, repr=False)  # what it was graded on
    bad_row: bool = False  # a roster line that was not graded (malformed): no report file of its own
    extra: tuple[tuple[str, str], ...] = ()  # the roster line's other columns, carried into the gradebook

    def __post_init__(self) -> None:  # what an account or a file said is one printable line in every output
        for name in ("student_id", "error", "region", "account_id"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, printable(value))


def bad_row(roster: str, problem: RosterProblem) -> Outcome:
    """A roster line that names no student rightly, as the gradebook carries it (every output says "not graded")."""
    return Outcome(
        problem.student_id, error=f"{roster}:{problem.line}: {problem.reason}", bad_row=True, extra=problem.extra
    )


def with_roster(
    outcomes: list[Outcome], roster: str, rows: list[RosterRow], problems: list[RosterProblem]
) -> list[Outcome]:
    """Outcomes read back from shards, made whole by the roster they were graded from: each row's own columns,
    its bad lines, and a row for every student no shard holds (``missing from the shards``)."""
    extra = {r.student_id: r.extra for r in rows}
    found = {o.student_id for o in outcomes}
    carried = [replace(o, extra=extra.get(o.student_id, o.extra)) for o in outcomes]
    missing = [
        Outcome(r.student_id, error="missing from the shards", extra=r.extra) for r in rows if r.student_id not in found
    ]
    return in_natural_order([*carried, *missing, *(bad_row(roster, p) for p in problems)])


def natural_key(student_id: str) -> tuple[Any, ...]:
    """Students in the order people count them: ux2 before ux10, case aside; ties broken exactly."""
    parts = re.split(r"(\d+)", student_id)
    return (tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in parts if p), student_id)


def in_natural_order(outcomes: Iterable[Outcome]) -> list[Outcome]:
    return sorted(outcomes, key=lambda o: (natural_key(o.student_id), o.bad_row))


def read_roster(
    path: str, id_rule: re.Pattern[str] = STUDENT_ID, id_said: str = STUDENT_ID_SAID
) -> tuple[list[RosterRow], list[RosterProblem]]:
    """Read and check a roster. Structural faults raise :class:`RosterError`; bad rows are returned apart."""
    rows, problems, _ = read_roster_lines(path, id_rule, id_said)
    return rows, problems


# What LMSs call the column of the ID the students name their resources with, most specific first (compared
# case aside, with '_' and '-' as spaces); --id-column names another.
ID_COLUMNS = ("student id", "sis login id", "login id", "username", "user name")


def _decoded(raw: bytes, path: str) -> str:
    """The roster's text: UTF-16 with its byte-order mark (Excel's "Unicode text"), else UTF-8 (a BOM allowed)."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise RosterError(f"{path}: not UTF-16 text past byte {exc.start}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RosterError(f"{path}:{line}: not UTF-8 text") from exc


def _delimiter(header_line: str) -> str:
    """The separator a spreadsheet wrote: ',' (CSV), ';' (a European locale's CSV) or a tab (Unicode text)."""
    counts = {d: len(next(csv.reader([header_line], delimiter=d), [])) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def _id_column(written: list[str], id_column: str | None, path: str, line: int) -> int:
    """Which column holds the student ID: ``student_id``, else --id-column, else a name LMSs use for it."""

    def plain(name: str) -> str:
        return " ".join(name.lower().replace("_", " ").replace("-", " ").split())

    names = [plain(c) for c in written]
    if id_column is not None:
        if plain(id_column) not in names:
            raise RosterError(f"{path}:{line}: no column {printable(id_column)!r} (--id-column)")
        return names.index(plain(id_column))
    for wanted in ID_COLUMNS:
        if wanted in names:
            return names.index(wanted)
    raise RosterError(
        f"{path}:{line}: no student_id column (header: {printable(', '.join(written))[:200]}); "
        "name the ID's column with --id-column"
    )


def read_roster_lines(
    path: str, id_rule: re.Pattern[str] = STUDENT_ID, id_said: str = STUDENT_ID_SAID, id_column: str | None = None
) -> tuple[list[RosterRow], list[RosterProblem], list[Repeat]]:
    """A roster's students, its bad rows, and its repeated lines (a student named again: graded once).

    Columns other than the grader's (an LMS export's name, email, section…) are kept with each row.
    A student ID follows the assessment's rule (``id_rule``, said as ``id_said``). The ID's column is
    ``student_id``, ``id_column``, or a name LMSs use (``Student ID``, ``SIS Login ID``…); the file may be
    UTF-8 or UTF-16 (Excel's "Unicode text"), separated by ',', ';' or tabs.
    """
    try:
        raw = read_bytes(path, MAX_FILE)
    except NotAFile as exc:
        if "larger than" in str(exc):
            raise RosterError(f"{path}: larger than {MAX_FILE // (1024 * 1024)} MiB; split it") from exc
        raise RosterError(f"{path}: not a file to read (a regular file, please)") from exc
    except OSError as exc:
        raise RosterError(f"{path}: cannot read it ({exc.strerror})") from exc
    text = _decoded(raw, path)
    lines = text.splitlines()
    for number, content in enumerate(lines, start=1):
        if len(content) > MAX_LINE:
            raise RosterError(f"{path}:{number}: line of {len(content):,} characters (at most {MAX_LINE:,})")
    first = next((line for line in lines if line.strip()), "")
    reader = csv.reader(io.StringIO("\n".join(lines)), strict=True, delimiter=_delimiter(first))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise RosterError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from exc
    header_at = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), None)
    if header_at is None:
        raise RosterError(f"{path}: empty roster (want a header line with student_id)")
    written = [c.strip() for c in rows[header_at]]
    header = [c.lower() if c.lower() in COLUMNS else c for c in written]
    if "student_id" not in header or id_column is not None:
        at = _id_column(written, id_column, path, header_at + 1)
        header = ["roster student_id" if c == "student_id" else c for c in header]  # the ID: the column named
        header[at] = "student_id"
    if len({c.lower() for c in header}) != len(header):
        raise RosterError(f"{path}:{header_at + 1}: a column is named twice")
    good: list[RosterRow] = []
    problems: list[RosterProblem] = []
    repeats: list[Repeat] = []
    first_line: dict[str, int] = {}
    for index, cells in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(c.strip() for c in cells):
            continue  # blank lines are allowed
        if len(cells) > len(header):
            problems.append(RosterProblem(index, cells[0].strip(), f"{len(cells)} fields (header has {len(header)})"))
            continue
        values = {name: (cells[i].strip() if i < len(cells) else "") or None for i, name in enumerate(header)}
        known = {k: v for k, v in values.items() if k in COLUMNS and k != "student_id"}
        extra = tuple((k, v or "") for k, v in values.items() if k not in COLUMNS)
        row = RosterRow(index, **known, student_id=values.get("student_id") or "", extra=extra)
        reason = _row_problem(row, id_rule, id_said)
        if reason is None and row.student_id in first_line:
            repeats.append(Repeat(index, row.student_id, first_line[row.student_id]))
            continue
        if reason:
            problems.append(RosterProblem(index, row.student_id, reason, extra))
            continue
        first_line[row.student_id] = index
        good.append(row)
    return good, problems, repeats


def _row_problem(row: RosterRow, id_rule: re.Pattern[str], id_said: str) -> str | None:
    if not id_rule.fullmatch(row.student_id):
        return f"bad student ID {row.student_id[:50]!r}: use {id_said}"
    if row.role_arn and not ROLE_ARN.fullmatch(row.role_arn):
        return f"bad role_arn {row.role_arn[:80]!r}: want arn:aws:iam::<12 digits>:role/<name>"
    if row.external_id and not row.role_arn:
        return "external_id without role_arn"
    if row.external_id and not EXTERNAL_ID.fullmatch(row.external_id):
        return "bad external_id"

    if row.profile and not PROFILE.fullmatch(row.profile):
        return f"bad profile name {row.profile[:40]!r}"
    return None


def parse_shard(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ValueError(f"--shard {text!r}: want K/N with 1 <= K <= N, e.g. 2/5")
    return int(match.group(1)), int(match.group(2))


def in_shard(student_id: str, k: int, n: int) -> bool:
    """A stable split: the same student is always in the same shard, on any machine."""
    digest = hashlib.sha256(student_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % n == k - 1


# -- outputs -------------------------------------------------------------------------
def gradebook_header(assessment_tasks: Iterable[int], extra: Iterable[str] = ()) -> list[str]:
    """The gradebook's columns: the grade, ``error`` (why a line is not graded or not whole), ``note`` (the one
    cause a report gives, such as work in another region), then the roster's own columns (an LMS export's)."""
    return [
        "student_id",
        "account_id",
        "region",
        "earned",
        "possible",
        "percent",
        "passed",
        "complete",
        *[f"task_{n}" for n in assessment_tasks],
        "error",
        "note",
        *extra,
    ]


def gradebook_row(outcome: Outcome, task_numbers: list[int], extra: Iterable[str] = ()) -> list[str]:
    carried = dict(outcome.extra)
    roster = [printable(carried.get(name, "")) for name in extra]
    report = outcome.report
    if report is None:
        return [
            outcome.student_id,
            outcome.account_id,
            outcome.region,
            "",
            "",
            "",
            "false",
            "false",
            *["" for _ in task_numbers],
            outcome.error or "",
            "",
            *roster,
        ]
    earned = {t.number: t.earned for t in report.tasks}
    errors = [c for c in report.checks() if c.status is Status.ERROR]
    incomplete = (
        f"incomplete: {len(errors)} check(s) could not be read, first {errors[0].id}: {errors[0].message}"
        if errors
        else ""
    )
    return [
        report.student_id,
        report.account_id,
        report.region,
        str(report.earned),
        str(report.possible),
        f"{report.percent:.1f}",
        str(report.passed).lower(),
        str(report.complete).lower(),
        *[str(earned[n]) if n in earned else "" for n in task_numbers],
        incomplete,
        report.diagnosis.message if report.diagnosis else "",
        *roster,
    ]


_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once, at import (before any thread): new files get the mode the user's umask gives


def write_atomically(path: str | Path, text: str) -> None:
    """Write ``path`` whole or not at all, through a temporary file of its own.

    The temporary file is created exclusively under an unpredictable name beside the target
    (a file or link planted there is never written through), then renamed over the target,
    which replaces a link rather than writing where it points.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~_UMASK)
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula is prefixed with ``'`` (OWASP)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def write_gradebook(path: str | Path, outcomes: list[Outcome], task_numbers: list[int]) -> None:
    ours = set(gradebook_header(task_numbers))
    extra = list(dict.fromkeys(name for o in outcomes for name, _ in o.extra if name not in ours))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([csv_cell(printable(name)) for name in gradebook_header(task_numbers, extra)])
    for outcome in in_natural_order(outcomes):
        writer.writerow([csv_cell(cell) for cell in gradebook_row(outcome, task_numbers, extra)])
    write_atomically(path, buf.getvalue())


def outcome_json(outcome: Outcome, assessment: str) -> dict[str, Any]:
    if outcome.report is not None:
        return outcome.report.to_dict()
    return {
        "schema_version": 1,
        "assessment": assessment,
        "student_id": outcome.student_id,
        "account_id": outcome.account_id,
        "region": outcome.region,
        "complete": False,
        "passed": False,
        "error": outcome.error,
        "tasks": [],
    }


REPORT_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.~-]{0,99}")  # a file name in the folder, never a path


def report_path(folder: Path, student_id: str, suffix: str = ".json") -> Path:
    """``folder/<student_id><suffix>``, and never anywhere else: an ID that is not a plain file name is refused
    (every source checks IDs first; this holds where one did not)."""
    if not REPORT_NAME.fullmatch(student_id) or ".." in student_id:
        raise BadInput(f"student ID {student_id[:60]!r} cannot name a file in the report folder")
    return folder / f"{student_id}{suffix}"


def case_twins(student_ids: Iterable[str]) -> list[tuple[str, str]]:
    """IDs that differ only by case (``S2``, ``s2``): two students to AWS and to the grader, but probably one
    person typed twice; and one file name on a case-insensitive disk."""
    first: dict[str, str] = {}
    twins = []
    for sid in student_ids:
        seen = first.setdefault(sid.casefold(), sid)
        if seen != sid:
            twins.append((seen, sid))
    return twins


def file_names(student_ids: Iterable[str]) -> dict[str, str]:
    """Each student's report file name in a folder, unique even on a case-insensitive disk: an ID whose case
    twin came first gets ``~2``, ``~3``… (a report says its student inside; the name is only a place)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for sid in student_ids:
        name, n = sid, 1
        while name.casefold() in taken:
            n += 1
            name = f"{sid}~{n}"
        taken.add(name.casefold())
        names[sid] = name
    return names


def write_reports(directory: str | Path, outcomes: list[Outcome], assessment: str) -> None:
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    graded = [o for o in outcomes if not o.bad_row]  # a bad roster line: the gradebook and reports carry it
    names = file_names(o.student_id for o in graded)
    for outcome in graded:
        write_atomically(report_path(folder, names[outcome.student_id]), json_text(outcome_json(outcome, assessment)))


SHARD_FILE = "shard.json"  # in a shard's --report-dir: which shard of how many (merge counts them)


def outcomes_from_reports(directories: Iterable[str]) -> list[Outcome]:
    """Read the JSON reports of shards back (for ``merge``)."""
    seen: dict[str, str] = {}
    outcomes = []
    for directory in directories:
        folder = Path(directory)
        if not folder.is_dir():
            raise RosterError(f"{directory}: not a folder of reports")
        for path in sorted(p for p in folder.glob("*.json") if p.name != SHARD_FILE):
            try:
                data = json.loads(read_text(path, REPORT_LIMIT))
            except NotAFile as exc:
                raise RosterError(str(exc)) from exc
            except (OSError, ValueError, RecursionError) as exc:
                raise RosterError(f"{path}: not a JSON report ({str(exc)[:80]})") from exc
            if not isinstance(data, dict) or data.get("schema_version") != 1 or "student_id" not in data:
                raise RosterError(f"{path}: not a validate-tasks JSON report (schema_version 1)")
            sid = str(data["student_id"])
            if sid in seen:
                raise RosterError(f"{path}: student {printable(sid)} is also in {seen[sid]}")
            seen[sid] = str(path)
            try:
                outcomes.append(_outcome_from_json(data))
            except ValueError as exc:
                raise RosterError(f"{path}: not a validate-tasks JSON report ({exc})") from exc
    return in_natural_order(outcomes)


def _outcome_from_json(data: dict[str, Any]) -> Outcome:
    """A report file read back: the report, or the error row it records."""
    if data.get("error") or not data.get("tasks"):
        return Outcome(
            str(data["student_id"]),
            error=str(data.get("error") or "no tasks graded"),
            region=str(data.get("region", "")),
            account_id=str(data.get("account_id", "")),
        )
    report = Report.from_dict(data)
    return Outcome(report.student_id, report, region=report.region, account_id=report.account_id)


@dataclass(frozen=True)
class TaskSummary:
    number: int
    title: str
    passed: int
    graded: int
    top_failure: tuple[str, int] | None


def summarize(outcomes: list[Outcome]) -> list[TaskSummary]:
    """Per task: how many passed of the students whose task was read (a task with a check that could not be
    read is no one's pass or miss), and the most common check that failed (an error is not a miss)."""
    by_task: dict[int, list[Any]] = {}
    titles: dict[int, str] = {}
    for outcome in outcomes:
        for task in outcome.report.tasks if outcome.report else ():
            titles.setdefault(task.number, task.title)
            if task.status is not TaskStatus.ERROR:
                by_task.setdefault(task.number, []).append(task)
    summary = []
    for number in sorted(titles):
        tasks = by_task.get(number, [])
        misses = Counter(c.id for t in tasks for c in t.checks if c.status is Status.FAIL)
        summary.append(
            TaskSummary(
                number,
                titles[number],
                sum(t.status.value == "pass" for t in tasks),
                len(tasks),
                misses.most_common(1)[0] if misses else None,
            )
        )
    return summary


@dataclass(frozen=True)
class ClassCounts:
    """How much of a class was graded: completely, incompletely (some checks could not be read), or not at all;
    the pass count and the mean score are over the complete reports alone."""

    complete: list[Report]
    incomplete: int
    not_graded: int

    @classmethod
    def of(cls, outcomes: Iterable[Outcome]) -> ClassCounts:
        found = [o for o in outcomes]
        reports = [o.report for o in found if o.report is not None]
        complete = [r for r in reports if r.complete]
        return cls(complete, len(reports) - len(complete), len(found) - len(reports))

    def title(self) -> str:
        """What was graded, never more: ``3 graded``, or ``2 graded completely, 1 incomplete, 1 not graded``."""
        if not self.incomplete and not self.not_graded:
            return f"{len(self.complete)} graded"
        said = [f"{len(self.complete)} graded completely"]
        if self.incomplete:
            said.append(f"{self.incomplete} incomplete")
        if self.not_graded:
            said.append(f"{self.not_graded} not graded")
        return ", ".join(said)

    def passing(self) -> str:
        """``2/3 passed the pass mark; mean score 71.2 %`` over the complete reports (said when some are not)."""
        if not self.complete:
            return "no report was graded completely: no pass count or mean"
        passed = sum(r.passed for r in self.complete)
        mean = sum(r.percent for r in self.complete) / len(self.complete)
        left = f" (of the {len(self.complete)} graded completely)" if self.incomplete or self.not_graded else ""
        return f"{passed}/{len(self.complete)} passed the pass mark; mean score {mean:.1f} %{left}"
