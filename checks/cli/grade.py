"""Grading: one student, a class, ``--watch``, ``--submit``; a source wired to the grader and the sinks."""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass, replace
from typing import IO, TYPE_CHECKING, Any

from checks import PROG
from checks.cli.common import (
    BUILT_IN_FORMATS,
    CLASS_TIMEOUT,
    EXIT_BAD_INPUT,
    EXIT_BELOW,
    EXIT_CANNOT_GRADE,
    EXIT_PASSED,
    _assessment,
    _choose_format,
    _color,
    _fail,
    _known,
    exit_code,
    resolve_region,
    resolve_student_id,
    unknown_region,
    with_rules_of,
)
from checks.cli.progress import _class_progress, _progress
from checks.errors import BadInput

if TYPE_CHECKING:  # the pipeline is imported when a grade needs it: --help stays fast
    from checks.grading.pipeline import Live, Source


def _submit(args: argparse.Namespace, fmt: str) -> int:
    """``--submit``: the course's workflow grades this student; its report is shown here."""
    from checks.github import gh, submit
    from checks.outputs import sinks

    for flag in ("demo", "roster", "watch", "evidence", "from_evidence", "endpoint_url", "profile", "submission_id"):
        if getattr(args, flag):
            raise BadInput(f"--submit is graded by the course's workflow: leave out --{flag.replace('_', '-')}")
    if args.task:
        raise BadInput("--submit grades every task: leave out --task")
    for flag, value in (("--submit-timeout", args.submit_timeout), ("--poll-every", args.poll_every)):
        if not (math.isfinite(value) and value > 0):
            raise BadInput(f"{flag} {value:g} is not a number of seconds (a positive, finite number)")
    student_id = resolve_student_id(args.student_id, assessment=_assessment(args.assessment))
    repo, workflow = gh.resolve_repo(args.repo)
    _ready_to_write(args)
    report = submit.submit(
        gh.Gh(repo), workflow, args.assessment, student_id, submit.Pace(args.submit_timeout, args.poll_every)
    )
    report = with_rules_of(report)
    sinks.write_report(report, fmt, args.output, color=_color(args))
    return exit_code(report)


def _grade_one(args: argparse.Namespace) -> int:
    from checks.registry import load_assessment

    _known(args.assessment)  # before anything else is checked, and before loading anything: the commonest typo
    fmt = _choose_format(args.format, args.output)
    if not 0 <= args.pass_mark <= 100:  # nan and inf too
        raise BadInput(f"--pass-mark {args.pass_mark:g} is not a percentage (0 to 100)")
    for flag, value in (("--account-timeout", args.account_timeout), ("--watch", args.watch)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise BadInput(f"{flag} {value:g} is not a number of seconds (a positive, finite number)")
    _refuse_overwriting(args)
    if args.submit:
        return _submit(args, fmt)
    _submission_flags(args)
    endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint and not endpoint.startswith(("http://", "https://")):
        source = "--endpoint-url" if args.endpoint_url else "AWS_ENDPOINT_URL"
        raise BadInput(f"{source} {endpoint!r} has no scheme: did you mean http://{endpoint}?")
    if args.output and args.format is None and args.output.lower() in (*BUILT_IN_FORMATS, "csv", "yaml"):
        raise BadInput(  # the AWS CLI's habit: --output is its format
            f"--output {args.output} names the file to write (a table, into ./{args.output}): "
            f"for that format write --format {args.output.lower()}"
        )
    if args.roster and fmt == "gradescope" and not args.report_dir:
        raise BadInput("--format gradescope for a class writes one results.json per student: add --report-dir DIR")

    if args.workers < 1:
        raise BadInput("--workers must be at least 1")
    args.region = resolve_region(args.region)
    assessment = load_assessment(args.assessment)
    unknown = sorted(set(args.task) - {t.number for t in assessment.tasks})
    if unknown:
        raise BadInput(f"no task {unknown[0]} in {assessment.name}: tasks are 1 to {len(assessment.tasks)}")
    if args.evidence and args.from_evidence:
        raise BadInput("--evidence and --from-evidence do not go together")
    if args.roster:
        return _grade_class(args, assessment, fmt)
    _ready_to_write(args)
    for flag in ("gradebook", "report_dir", "shard"):
        if getattr(args, flag):
            raise BadInput(f"--{flag.replace('_', '-')} goes with --roster")
    # Every input is checked: the identity question leaves now, its round trip beside botocore's loading.
    return _grade_student(args, assessment, fmt, _ask_identity_early(args))


def _options(args: argparse.Namespace) -> Any:
    """How each student is graded, as the command line says."""
    from checks.grading.pipeline import Options

    return Options(tuple(args.task), args.pass_mark, args.workers, bool(getattr(args, "demo", False)))


def _ask_identity_early(args: argparse.Namespace) -> Any:
    """One student graded live, plainly configured: the identity question leaves now (checks.aws.early).

    Not when botocore is loaded already (a test, a long-lived process): there is no loading to overlap.
    """
    if args.roster or args.demo or args.from_evidence or args.profile or args.watch is not None:
        return None
    if "botocore" in sys.modules:
        return None
    from checks.aws.early import start

    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return start(region, args.endpoint_url)


def _submission_flags(args: argparse.Namespace) -> None:
    """--submission-id and its times (the grading workflow's) are right before anything is graded."""
    if not args.submission_id:
        for flag in ("submitted_at", "deadline"):
            if getattr(args, flag):
                raise BadInput(f"--{flag.replace('_', '-')} goes with --submission-id")
        return
    from checks.github.runs import parse_time
    from checks.github.submit import check_submission_id

    if args.roster or args.watch is not None:
        raise BadInput("--submission-id grades one student once: leave out --roster and --watch")
    check_submission_id(args.submission_id)
    for flag in ("submitted_at", "deadline"):
        if getattr(args, flag):
            parse_time(getattr(args, flag), f"--{flag.replace('_', '-')}")


def _ready_to_write(args: argparse.Namespace) -> None:
    """Every place the run will write, made and tried before any grading (a class is never lost to a path)."""
    from checks.outputs import sinks

    sinks.ready_to_write(
        [("--output", args.output), ("--gradebook", args.gradebook)],
        [("--report-dir", args.report_dir), ("--evidence", args.evidence)],
    )


def _refuse_overwriting(args: argparse.Namespace) -> None:
    """No output may be written over an input or over another output (the roster, the evidence regraded)."""
    inputs = [("--roster", args.roster)]
    outputs = [("--output", args.output), ("--gradebook", args.gradebook)]
    seen: dict[str, str] = {}
    for flag, path in [*inputs, *outputs]:
        if not path:
            continue
        real = os.path.realpath(path)
        if real in seen:
            raise BadInput(f"{flag} {path} is the file {seen[real]} names: name another file")
        seen[real] = flag


def _grade_student(args: argparse.Namespace, assessment: Any, fmt: str, early: Any = None) -> int:
    """One student: a source, the grader (a roster of one), the report and the evidence folder."""
    from checks.aws import CannotGrade
    from checks.grading import pipeline
    from checks.outputs import sinks

    source: Source
    if args.from_evidence:
        source = pipeline.Replayed(args.from_evidence)
        if args.student_id is None and "STUDENT_ID" not in os.environ:
            found = source.students()
            if len(found) != 1:
                raise BadInput(f"{args.from_evidence} holds {len(found)} students: pass --student-id")
            args.student_id = found[0]
    student_id = (
        "demo" if args.demo and args.student_id is None else resolve_student_id(args.student_id, assessment=assessment)
    )
    if args.watch is not None:
        return _watch(args, assessment, student_id, fmt)
    if not args.from_evidence:
        if args.demo:
            source = pipeline.Demo(assessment)
        else:
            source = _live(args, targeted=True, timeout=_one_timeout(args), early=early)
    evidence = sinks.EvidenceFolder(args.evidence, assessment.evidence_variables) if args.evidence else None
    try:
        with _progress(f"Grading {assessment.name} for {student_id}", _color(args)):
            report, account = pipeline.grade_student(
                assessment, student_id, source, _options(args), evidence.prepare if evidence else None
            )
    except CannotGrade as exc:
        return _fail(EXIT_CANNOT_GRADE, str(exc))
    if evidence:
        evidence.save(account, [report])
    if args.submission_id:  # graded for the record by the course's workflow
        from checks.github.submit import stamp

        report = stamp(report, args.submission_id, args.submitted_at, args.deadline)
    if args.no_hints:
        report = report.without_hints()
    sinks.write_report(report, fmt, args.output, color=_color(args))
    return exit_code(report)


def _one_timeout(args: argparse.Namespace) -> float:
    from checks.grading.pipeline import ONE_STUDENT_TIMEOUT

    return float(args.account_timeout or ONE_STUDENT_TIMEOUT)


def _live(args: argparse.Namespace, **settings: Any) -> Live:
    """AWS itself, as the options name it: --profile (else each roster row's), --region, --endpoint-url."""
    from checks.aws import session_for
    from checks.grading import pipeline

    def sessions(profile: str | None, region: str | None) -> Any:
        return session_for(profile or args.profile, region)

    return pipeline.Live(region=args.region, endpoint_url=args.endpoint_url or None, sessions=sessions, **settings)


def _watch(args: argparse.Namespace, assessment: Any, student_id: str, fmt: str) -> int:
    """``--watch``: the same grade again and again on the terminal, a new account read each round."""
    from checks.aws import CannotGrade
    from checks.grading import pipeline
    from checks.outputs.report import render_table
    from checks.outputs.watch import watch

    if args.watch < 2:
        raise BadInput("--watch SECONDS must be at least 2")
    for flag in ("output", "evidence", "from_evidence", "demo"):
        if getattr(args, flag):
            raise BadInput(f"--watch regrades your account on the terminal: leave out --{flag.replace('_', '-')}")
    if fmt != "table":
        raise BadInput("--watch shows the table: leave out --format")
    if not sys.stdout.isatty():
        raise BadInput("--watch regrades in place on a terminal; stdout is not one (grade once instead)")
    from checks.aws import session_for

    try:  # one session for every round: its credentials (an SSO login, an MFA code) are found once
        session = session_for(args.profile, args.region)
    except CannotGrade as exc:
        return _fail(EXIT_CANNOT_GRADE, str(exc))
    source = _live(args, targeted=True, timeout=_one_timeout(args))
    source.sessions = lambda profile, region: session

    def once() -> Any:
        report, _ = pipeline.grade_student(assessment, student_id, source, _options(args))
        return report.without_hints() if args.no_hints else report

    import shutil

    color = _color(args)
    colored = True if color is None else color  # --watch runs on a terminal: its colours, drawn into each frame

    def frame(report: Any, out: IO[str]) -> None:
        render_table(report, out, color=colored, width=shutil.get_terminal_size().columns)

    try:
        last = watch(once, frame, sys.stdout, args.watch, height=lambda: shutil.get_terminal_size().lines)
    except CannotGrade as exc:
        return _fail(EXIT_CANNOT_GRADE, str(exc))
    return exit_code(last) if last is not None else EXIT_BELOW


def _grade_class(args: argparse.Namespace, assessment: Any, fmt: str) -> int:
    """A roster: its lines read, a source, the grader, then the evidence, the gradebook, the reports and the report."""
    import threading

    from checks.grading import pipeline
    from checks.outputs import sinks

    if args.demo or args.student_id:
        raise BadInput("--roster grades the students it lists: leave out --demo and --student-id")
    if args.watch is not None:
        raise BadInput("--watch regrades one student on a terminal: leave out --roster")
    roster = _read_class(args, assessment)
    _ready_to_write(args)  # once the roster is known good: a bad one leaves nothing behind
    source, unevidenced, rows = _class_source(args, roster.rows)
    evidence = sinks.EvidenceFolder(args.evidence, assessment.evidence_variables) if args.evidence else None
    stop = threading.Event()
    with _class_progress(len(rows), _color(args)) as advance:
        hooks = pipeline.Hooks(
            on_done=lambda _: advance(),
            stop=stop,
            prepare=evidence.prepare if evidence else None,
            account_done=evidence.save_account if evidence else None,  # saved, then the account let go
        )
        graded = pipeline.grade_roster(assessment, rows, source, _options(args), hooks)
    outcomes, unfinished = _every_line(args, roster, graded, unevidenced)
    if args.no_hints:
        outcomes = [replace(o, report=o.report.without_hints()) if o.report else o for o in outcomes]
    _write_class(args, assessment, fmt, outcomes)
    if stop.is_set():
        done = len(rows) - unfinished
        return _fail(130, f"interrupted: {done} of {len(rows)} students graded, {unfinished} not graded; all written")
    if roster.problems:
        return EXIT_BAD_INPUT
    whole = all(o.report is not None and o.report.complete for o in outcomes)
    return EXIT_PASSED if whole else EXIT_CANNOT_GRADE


@dataclass
class _Roster:
    rows: list[Any]
    problems: list[Any]


def _read_class(args: argparse.Namespace, assessment: Any) -> _Roster:
    """The roster's students (this shard's), its bad lines and its repeats, said on stderr with their file:line."""
    from checks.aws.budgets import BUDGETS
    from checks.grading.roster import (
        RosterError,
        RosterProblem,
        case_twins,
        in_shard,
        parse_shard,
        read_roster_lines,
    )
    from checks.text import printable

    try:
        rows, problems, repeats = read_roster_lines(args.roster, assessment.id_rule, assessment.id_said, args.id_column)
        shard = parse_shard(args.shard) if args.shard else None
    except (RosterError, ValueError) as exc:
        raise BadInput(str(exc)) from exc
    for row in list(rows):
        why = unknown_region(str(row.region), "region column") if row.region else None
        if why:  # a region AWS does not have: a bad line, with the nearest real one
            rows.remove(row)
            problems.append(RosterProblem(row.line, row.student_id, why, row.extra))
    if shard:
        rows = [r for r in rows if in_shard(r.student_id, *shard)]
        problems = [p for p in problems if in_shard(p.student_id, *shard)]
        repeats = [r for r in repeats if in_shard(r.student_id, *shard)]
    BUDGETS.share = 1 / shard[1] if shard else 1.0  # N shards at once take 1/N of each quota each
    for problem in sorted(problems, key=lambda p: p.line):
        print(f"{PROG}: {args.roster}:{problem.line}: {problem.reason}", file=sys.stderr)
    for repeat in repeats:
        print(
            f"{PROG}: {args.roster}:{repeat.line}: {repeat.student_id} again (first on line {repeat.first}): "
            "one student, graded once",
            file=sys.stderr,
        )
    lines = {r.student_id: r.line for r in rows}
    for first, twin in case_twins(r.student_id for r in rows):
        print(
            f"{PROG}: {args.roster}:{lines[twin]}: {printable(twin)} and {printable(first)} (line {lines[first]}) "
            "differ only by case: probably one student typed twice (both are graded)",
            file=sys.stderr,
        )
    return _Roster(rows, problems)


def _class_source(args: argparse.Namespace, rows: list[Any]) -> tuple[Source, list[Any], list[Any]]:
    """Where the class's accounts come from; the rows a regrade from evidence cannot grade, and those it can."""
    from checks.aws.budgets import BUDGETS
    from checks.grading import pipeline
    from checks.grading.roster import Outcome

    if not args.from_evidence:
        return _live(args, budgets=BUDGETS, timeout=args.account_timeout or CLASS_TIMEOUT), [], rows
    source = pipeline.Replayed(args.from_evidence)
    kept = set(source.students())
    unevidenced = [
        Outcome(r.student_id, error=f"no evidence for {r.student_id} in {args.from_evidence}", extra=r.extra)
        for r in rows
        if r.student_id not in kept
    ]
    rows = [r for r in rows if r.student_id in kept]
    for row in rows:
        source.open(row)  # the evidence it has is readable, before any grading
    return source, unevidenced, rows


def _every_line(
    args: argparse.Namespace, roster: _Roster, graded: list[Any], unevidenced: list[Any]
) -> tuple[list[Any], int]:
    """Every line of the roster, in every output: the graded, and the lines not graded saying why."""
    from checks.grading.roster import Outcome, bad_row, in_natural_order

    extra = {r.student_id: r.extra for r in roster.rows}
    finished = {o.student_id for o in graded}
    unfinished = [
        Outcome(r.student_id, error="interrupted", extra=r.extra) for r in roster.rows if r.student_id not in finished
    ]
    bad = [bad_row(args.roster, p) for p in roster.problems]
    carried = [replace(o, extra=extra.get(o.student_id, ())) for o in graded]
    return in_natural_order([*carried, *unfinished, *unevidenced, *bad]), len(unfinished)


def _write_class(args: argparse.Namespace, assessment: Any, fmt: str, outcomes: list[Any]) -> None:
    from checks.grading.roster import summarize
    from checks.outputs import sinks

    numbers = [t.number for t in assessment.tasks if not args.task or t.number in args.task]
    from checks.grading.roster import parse_shard

    sinks.write_class_files(
        outcomes,
        numbers,
        assessment.name,
        gradebook=args.gradebook,
        report_dir=args.report_dir,
        fmt=fmt,
        shard=parse_shard(args.shard) if args.shard else None,
    )
    sinks.write_class_report(assessment.name, outcomes, summarize(outcomes), fmt, args.output, color=_color(args))
