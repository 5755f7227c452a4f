"""The command line: ``python validate_tasks.py ASSESSMENT [options]``.

Parses, dispatches the assessment name to its registry, and maps every outcome
to the exit codes of contract.md. Heavy modules (boto3, moto, rich) are
imported only once they are needed, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import IO, TYPE_CHECKING, Any, NoReturn

from checks import PROG, __version__
from checks.errors import BadInput, GitHubError, NotInstalled

if TYPE_CHECKING:  # the pipeline is imported when a grade needs it: --help stays fast
    from checks.pipeline import Live, Source

EXIT_PASSED, EXIT_BELOW, EXIT_BAD_INPUT, EXIT_CANNOT_GRADE = 0, 1, 2, 3
CLASS_TIMEOUT = 600.0  # seconds an account of a class may take
BUILT_IN_FORMATS = ("table", "json", "junit", "markdown", "gradescope", "text")  # checks.report's own


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2
        if message.endswith("required: assessment"):
            message = f"name the assessment to grade, e.g. {_example()}"
        self.exit(EXIT_BAD_INPUT, f"{PROG}: error: {message} (see --help)\n")


def _example() -> str:
    """An assessment this installation has, for the help's examples (found without loading any)."""
    from checks import assessment_folders

    return next(iter(assessment_folders()), "ASSESSMENT")


def invoked_as(argv0: str | None = None) -> str:
    """The name the user typed: ``python validate_tasks.py`` or ``validate-tasks`` (for --help and usage)."""
    base = os.path.basename(sys.argv[0] if argv0 is None else argv0)
    if base.endswith(".py") and base != "__main__.py":
        return f"python {base}"
    return PROG


def build_parser(name: str | None = None) -> argparse.ArgumentParser:
    name = name or invoked_as()
    example = _example()
    p = _Parser(
        prog=name,
        usage=(
            f"{name} ASSESSMENT [options]\n"
            f"       {name} sandbox [--port PORT]\n"
            f"       {name} merge DIR... --gradebook FILE.csv\n"
            f"       {name} policy ASSESSMENT\n"
            f"       {name} cleanup ASSESSMENT --student-id ID\n"
            f"       {name} ASSESSMENT --submit --repo OWNER/NAME\n"
            f"       {name} collect ASSESSMENT --repo OWNER/NAME --gradebook FILE.csv\n"
            f"       {name} show REPORT.json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Grade a cloud assessment by reading the student's AWS account (read-only).\n\n"
            "commands:\n"
            f"  ASSESSMENT            grade it, e.g. {example} (options below)\n"
            "  sandbox               a local AWS endpoint on 127.0.0.1 to practise on with the AWS CLI\n"
            "  merge                 join the report folders of roster shards into one gradebook\n"
            "  policy                the IAM policy a grading identity needs for ASSESSMENT\n"
            "  cleanup               the commands that delete a student's resources of ASSESSMENT (read-only)\n"
            "  collect               the gradebook of the submissions made with --submit (instructors)\n"
            "  show                  a saved JSON report in any format\n"
            f"  (`{name} COMMAND --help` for each)"
        ),
        epilog=(
            "exit codes: 0 passed (with --task: the graded tasks' score), 1 not, 2 bad input, 3 could not grade;\n"
            "  --submit also: 4 no gh, 5 gh not logged in, 6 no access to the repository, 7 no such workflow,\n"
            "  8 the run failed or was cancelled, 9 the wait timed out\n\n"
            "examples:\n"
            f"  {name} {example} --demo\n"
            f"  {name} {example} --student-id s1 --region us-east-1\n"
            f"  {name} {example} --roster class.csv --gradebook grades.csv"
        ),
    )
    p.add_argument("assessment", help=argparse.SUPPRESS)
    student = p.add_argument_group("student")
    student.add_argument("--student-id", help="your student ID (else $STUDENT_ID, else asked on a terminal)")
    student.add_argument(
        "--task", type=int, action="append", default=[], metavar="N", help="grade only task N (repeatable)"
    )
    student.add_argument(
        "--pass-mark", type=float, default=70.0, metavar="P", help="percent needed to pass (default 70)"
    )
    student.add_argument(
        "--demo", action="store_true", help="grade a built-in demo account: no AWS account or network needed"
    )
    student.add_argument(
        "--watch",
        nargs="?",
        type=float,
        const=10.0,
        metavar="SECONDS",
        help="on a terminal, regrade every SECONDS (default 10) and show what changed; Ctrl-C stops",
    )
    aws = p.add_argument_group("AWS access")
    aws.add_argument("--region", help="AWS region (default: $AWS_REGION, $AWS_DEFAULT_REGION, the profile's)")
    aws.add_argument("--profile", help="AWS CLI profile to use")
    aws.add_argument("--endpoint-url", help="send every AWS call there (also: $AWS_ENDPOINT_URL)")
    aws.add_argument("--workers", type=int, default=64, metavar="N", help="checks run at once (default 64)")
    cls = p.add_argument_group("class")
    cls.add_argument(
        "--roster",
        metavar="FILE.csv",
        help="grade many students: columns student_id and optionally profile, role_arn, external_id, region",
    )
    cls.add_argument("--gradebook", metavar="FILE.csv", help="write one row per student here")
    cls.add_argument("--report-dir", metavar="DIR", help="write DIR/<student_id>.json for every student")
    cls.add_argument("--shard", metavar="K/N", help="grade only the K-th of N stable slices (for CI matrices)")
    cls.add_argument(
        "--account-timeout",
        type=float,
        default=None,
        metavar="S",
        help="give up on an account after S seconds (default 600 for a class, 30 for one student)",
    )
    out = p.add_argument_group("output")
    out.add_argument("--format", default=None, help="table (default), json, junit, markdown, gradescope or text")
    out.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    out.add_argument("--no-hints", action="store_true", help="leave hints and notes out (exam conditions)")
    out.add_argument("--no-color", action="store_true", help="plain table without colours (also: $NO_COLOR)")
    out.add_argument(
        "--evidence", metavar="DIR", help="keep the AWS answers each verdict rested on in DIR (never a credential)"
    )
    out.add_argument(
        "--from-evidence", metavar="DIR", help="regrade from answers kept with --evidence, offline: no AWS call"
    )
    sub = p.add_argument_group("submit for an official grade (the course's GitHub workflow grades)")
    sub.add_argument(
        "--submit", action="store_true", help="have the course's grading workflow grade you and show its report"
    )
    sub.add_argument("--repo", metavar="OWNER/NAME", help="the course's repository (else $GRADER_REPO, course.cfg)")
    sub.add_argument(
        "--submit-timeout", type=float, default=900.0, metavar="S", help="wait at most S seconds (default 900)"
    )
    sub.add_argument("--poll-every", type=float, default=5.0, metavar="S", help=argparse.SUPPRESS)
    sub.add_argument("--submission-id", metavar="ID", help="(the grading workflow) grade as this submission")
    sub.add_argument("--submitted-at", metavar="TIME", help="(the grading workflow) the run's creation time")
    sub.add_argument("--deadline", metavar="TIME", help="(the grading workflow) after it, a submission is late")
    p.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    return p


def _fail(code: int, message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return code


def resolve_student_id(given: str | None, stdin: IO[str] | None = None, assessment: Any = None) -> str:
    """The student ID from the flag, $STUDENT_ID or the terminal, by the assessment's rule."""
    from checks.model import STUDENT_ID, STUDENT_ID_SAID

    rule = assessment.id_rule if assessment is not None else STUDENT_ID
    said = assessment.id_said if assessment is not None else STUDENT_ID_SAID
    value = given if given is not None else os.environ.get("STUDENT_ID")
    stdin = stdin or sys.stdin
    if value is None:
        if not stdin.isatty():
            raise BadInput("no student ID: pass --student-id or set STUDENT_ID")
        print("Student ID: ", end="", file=sys.stderr, flush=True)
        value = stdin.readline().rstrip("\r\n")  # the Enter that ends the answer, nothing else
    if not rule.fullmatch(value):
        shown = value if len(value) <= 50 else value[:47] + "..."
        raise BadInput(f"bad student ID {shown!r}: use {said}")
    return value


def unknown_region(region: str, where: str) -> str | None:
    """Why AWS has no such region (``where``: the flag or file line naming it), with the nearest real one."""
    import difflib

    from checks.aws.regions import known_regions

    known = known_regions()
    if region in known:
        return None
    close = difflib.get_close_matches(region, sorted(known), n=1, cutoff=0.6)
    return f"unknown region {region!r} ({where})" + (f": did you mean {close[0]}?" if close else "")


def resolve_region(given: str | None) -> str | None:
    """--region, else $AWS_REGION, else None (boto3 goes on to $AWS_DEFAULT_REGION and the profile).

    That is the AWS CLI's order. A region AWS does not have is refused before any call.
    """
    region = given or os.environ.get("AWS_REGION") or None
    if region is None:
        return None
    why = unknown_region(region, "--region" if given else "AWS_REGION")
    if why:
        raise BadInput(why)
    return region


def sandbox_command(argv: Sequence[str]) -> int:
    p = _Parser(
        prog=f"{invoked_as()} sandbox",
        description="A local AWS endpoint on 127.0.0.1 (moto, in memory) to "
        "practise the assessment on with the AWS CLI, then grade with --endpoint-url.",
    )
    p.add_argument("--port", type=int, default=4566, help="port to listen on (default 4566; 0 picks a free one)")
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        raise BadInput(f"--port {args.port} is not a port number")
    from checks.sandbox import serve

    return serve(args.port)


def merge_command(argv: Sequence[str]) -> int:
    p = _Parser(
        prog=f"{invoked_as()} merge",
        description="Join the JSON reports of roster shards (--report-dir) into one gradebook and class summary.",
    )
    p.add_argument("dirs", nargs="+", metavar="DIR", help="folders of JSON reports")
    p.add_argument("--gradebook", metavar="FILE.csv", help="write the joined gradebook here")
    p.add_argument(
        "--format", default="table", help="class summary as table (default), json, junit, markdown, gradescope or text"
    )
    args = p.parse_args(argv)
    from checks.roster import RosterError, outcomes_from_reports, summarize, write_gradebook

    fmt = _choose_format(args.format)
    try:
        outcomes = outcomes_from_reports(args.dirs)
    except RosterError as exc:
        raise BadInput(str(exc)) from exc
    if not outcomes:
        raise BadInput(f"no JSON reports in {', '.join(args.dirs)}")
    missing = _missing_shards(args.dirs)
    numbers = sorted({t.number for o in outcomes if o.report for t in o.report.tasks})
    if args.gradebook:
        write_gradebook(args.gradebook, outcomes, numbers)
        print(f"{PROG}: gradebook of {len(outcomes)} students written to {args.gradebook}", file=sys.stderr)
    assessment = next((o.report.assessment for o in outcomes if o.report), "")
    from checks.sinks import write_class_report

    write_class_report(assessment, outcomes, summarize(outcomes), fmt, None, color=None)
    if missing:
        return _fail(EXIT_CANNOT_GRADE, missing)
    return EXIT_PASSED if all(o.report is not None and o.report.complete for o in outcomes) else EXIT_CANNOT_GRADE


def _missing_shards(dirs: Sequence[str]) -> str | None:
    """Which shards a merge lacks, from what each shard's folder says it holds (``--shard K/N`` writes it)."""
    import json

    from checks.inputs import MARKER_LIMIT, NotAFile, read_text
    from checks.roster import SHARD_FILE

    held: dict[int, str] = {}
    counts: set[int] = set()
    for folder in dirs:
        path = os.path.join(folder, SHARD_FILE)
        if not os.path.exists(path):
            continue
        try:
            marker = json.loads(read_text(path, MARKER_LIMIT))
            k, n = int(marker["shard"]), int(marker["of"])
        except NotAFile as exc:
            raise BadInput(str(exc)) from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BadInput(f"{path}: not a shard marker ({type(exc).__name__})") from exc
        if k in held:
            raise BadInput(f"{folder} and {held[k]} both hold shard {k}")
        held[k] = folder
        counts.add(n)
    if not counts:
        return None
    if len(counts) > 1:
        raise BadInput(f"the folders are shards of different splits: of {', '.join(map(str, sorted(counts)))}")
    total = counts.pop()
    lacking = [str(k) for k in range(1, total + 1) if k not in held]
    if not lacking:
        return None
    return f"incomplete merge: shard{'s' if len(lacking) > 1 else ''} {', '.join(lacking)} of {total} missing"


def policy_command(argv: Sequence[str]) -> int:
    p = _Parser(
        prog=f"{invoked_as()} policy",
        description="Print the IAM policy a grading identity needs for an "
        "assessment: exactly the read actions its checks declare.",
    )
    p.add_argument("assessment", help=f"e.g. {_example()}")
    args = p.parse_args(argv)
    print(policy_json(_assessment(args.assessment).reads()))
    return EXIT_PASSED


def _known(name: str) -> None:
    """One line listing the known assessments (exit 2) when ``name`` is none of them; found without loading."""
    from checks.registry import is_known, known_assessments

    if not is_known(name):
        raise BadInput(f"unknown assessment {name!r}; known: {', '.join(known_assessments())}")


def _assessment(name: str) -> Any:
    """The assessment named (see :func:`_known`)."""
    from checks.registry import load_assessment

    _known(name)
    return load_assessment(name)


def policy_json(actions: Sequence[str]) -> str:
    import json

    statement = {"Sid": "ValidateTasksReadOnly", "Effect": "Allow", "Action": sorted(actions), "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=2)


def cleanup_command(argv: Sequence[str]) -> int:
    """The teardown of a student's resources of an assessment, as a block to paste: read-only itself."""
    p = _Parser(
        prog=f"{invoked_as()} cleanup",
        description="Print the commands that delete exactly a student's resources of an assessment, as found in "
        "the account, in the order AWS requires (a bash block that runs as pasted). Reads only; deletes nothing.",
    )
    p.add_argument("assessment", help=f"e.g. {_example()}")
    p.add_argument("--student-id", help="whose resources (else $STUDENT_ID, else asked on a terminal)")
    p.add_argument("--roster", metavar="FILE.csv", help="one block per student of a roster (an account closed)")
    p.add_argument("--region", help="AWS region (default: $AWS_REGION, $AWS_DEFAULT_REGION, the profile's)")
    p.add_argument("--profile", help="AWS CLI profile to use")
    p.add_argument("--endpoint-url", help="send every AWS call there (also: $AWS_ENDPOINT_URL)")
    p.add_argument("--format", default="text", help="text (the block, default) or json (the resources and commands)")
    p.add_argument("--output", metavar="FILE", help="write it to FILE instead of stdout")
    args = p.parse_args(argv)
    if args.format not in ("text", "json"):
        raise BadInput(f"unknown format {args.format!r}: choose text or json")
    assessment = _assessment(args.assessment)
    if assessment.teardown is None:
        raise BadInput(f"{assessment.name} has no teardown")
    args.region = resolve_region(args.region)
    ids = _cleanup_students(args, assessment)
    _ready_to_write(argparse.Namespace(output=args.output, gradebook=None, report_dir=None, evidence=None))
    return _print_teardowns(args, assessment, ids)


def _cleanup_students(args: argparse.Namespace, assessment: Any) -> list[str]:
    from checks.roster import RosterError, read_roster

    if args.roster:
        try:
            rows, problems = read_roster(args.roster, assessment.id_rule, assessment.id_said)
        except RosterError as exc:
            raise BadInput(str(exc)) from exc
        if problems:
            raise BadInput(f"{args.roster}:{problems[0].line}: {problems[0].reason}")
        return [r.student_id for r in rows]
    return [resolve_student_id(args.student_id, assessment=assessment)]


def _print_teardowns(args: argparse.Namespace, assessment: Any, ids: list[str]) -> int:
    """Each student's teardown, found with the grader's read-only access; any read refused: one line, exit 3."""
    import io
    import shutil

    from checks.aws import AwsError, CannotGrade
    from checks.fix import json_text
    from checks.roster import RosterRow, write_atomically
    from checks.teardown import block, monthly_total

    source = _live(
        argparse.Namespace(profile=args.profile, region=args.region, endpoint_url=args.endpoint_url),
        targeted=True,
        timeout=CLASS_TIMEOUT,
    )
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() and not args.output else 100
    text = io.StringIO()
    found: list[dict[str, Any]] = []
    account = None
    for sid in ids:
        try:
            account = account or source.open(RosterRow(0, sid))
            account.identify()
            student = assessment.student(account, sid, ids)
            removals = assessment.teardown(student)
        except CannotGrade as exc:
            return _fail(EXIT_CANNOT_GRADE, str(exc))
        except AwsError as exc:  # a teardown that cannot see everything is not printed as if it could
            return _fail(EXIT_CANNOT_GRADE, f"cannot read all of {sid}'s resources: {exc}")
        text.write("\n".join(block(sid, removals, width, assessment.prices_read)) + "\n\n")
        found.append(
            {
                "student_id": sid,
                "account_id": account.account_id,
                "region": account.region,
                "resources": [r.to_json() for r in removals],
                "monthly_usd": round(monthly_total(removals), 2),
            }
        )
    body = (
        json_text({"schema_version": 1, "assessment": assessment.name, "students": found})
        if args.format == "json"
        else text.getvalue()
    )
    if args.output:
        write_atomically(args.output, body)
        print(f"{PROG}: teardown written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(body)
    return EXIT_PASSED


def show_command(argv: Sequence[str]) -> int:
    """A saved JSON report (``--format json``, a report folder's, a submission's) in any format."""
    p = _Parser(
        prog=f"{invoked_as()} show",
        description="Show a JSON report saved earlier in any format; exits as its grade did (0, 1 or 3).",
    )
    p.add_argument("report", metavar="REPORT.json", help="a report written with --format json")
    p.add_argument("--format", default=None, help="table (default), json, junit, markdown, gradescope or text")
    p.add_argument("--output", metavar="FILE", help="write it to FILE instead of stdout")
    p.add_argument("--no-hints", action="store_true", help="leave hints and notes out")
    p.add_argument("--no-color", action="store_true", help="plain table without colours (also: $NO_COLOR)")
    args = p.parse_args(argv)
    import json

    from checks import sinks
    from checks.inputs import REPORT_LIMIT, NotAFile, read_text
    from checks.model import Report

    fmt = _choose_format(args.format)
    try:
        report = Report.from_dict(json.loads(read_text(args.report, REPORT_LIMIT)))
    except NotAFile as exc:
        raise BadInput(str(exc)) from exc
    except OSError as exc:
        raise BadInput(f"cannot read {args.report}: {exc.strerror}") from exc
    except (ValueError, RecursionError) as exc:
        raise BadInput(f"{args.report}: not a validate-tasks JSON report ({str(exc)[:80]})") from exc
    if args.no_hints:
        report = report.without_hints()
    _load_rules_of(report)
    sinks.write_report(report, fmt, args.output, color=_color(args))
    return exit_code(report)


def _load_rules_of(report: Any) -> None:
    """The report's assessment, when it is one here: its fix blocks wait as it declares (its busy rules)."""
    from checks.registry import is_known, load_assessment

    if is_known(report.assessment):
        load_assessment(report.assessment)


def collect_command(argv: Sequence[str]) -> int:
    """The gradebook of an assessment's submissions, read from the course's grading workflow runs."""
    from checks.submit import POLICIES

    p = _Parser(
        prog=f"{invoked_as()} collect",
        description="Read the runs of the course's grading workflow and their reports, and write one gradebook row "
        "per student (the roster gradebook's columns plus submitted_at, attempts, late, submitted_by).",
    )
    p.add_argument("assessment", help=f"e.g. {_example()}")
    p.add_argument("--repo", metavar="OWNER/NAME", help="the course's repository (else $GRADER_REPO, course.cfg)")
    p.add_argument("--gradebook", metavar="FILE.csv", required=True, help="write one row per student here")
    p.add_argument("--policy", default="latest", choices=POLICIES, help="which submission counts (default latest)")
    p.add_argument("--deadline", metavar="TIME", help="later submissions are late (default: each report's deadline)")
    p.add_argument("--roster", metavar="FILE.csv", help="every student on it gets a row, submitted or not")
    p.add_argument("--report-dir", metavar="DIR", help="write DIR/<student_id>.json of each counted submission")
    p.add_argument("--format", default=None, help="the class report on stdout: table (default), json, markdown…")
    p.add_argument("--output", metavar="FILE", help="write the class report to FILE instead of stdout")
    p.add_argument("--no-color", action="store_true", help="plain table without colours (also: $NO_COLOR)")
    args = p.parse_args(argv)
    from checks import sinks, submit
    from checks.roster import RosterError, natural_key, read_roster_lines, summarize

    assessment = _assessment(args.assessment)
    fmt = _choose_format(args.format)
    if args.deadline:
        submit.parse_time(args.deadline, "--deadline")
    rows: list[Any] = []
    if args.roster:
        try:
            rows, problems, _ = read_roster_lines(args.roster, assessment.id_rule, assessment.id_said)
        except RosterError as exc:
            raise BadInput(str(exc)) from exc
        for problem in problems:
            print(f"{PROG}: {args.roster}:{problem.line}: {problem.reason}", file=sys.stderr)
    sinks.ready_to_write(
        [("--gradebook", args.gradebook), ("--output", args.output)], [("--report-dir", args.report_dir)]
    )
    repo, workflow = submit.resolve_repo(args.repo)
    gh = submit.Gh(repo)
    try:
        with _progress(f"Reading the submissions in {repo}"):
            found = submit.collect(gh, workflow, assessment.name, id_rule=assessment.id_rule, deadline=args.deadline)
    except KeyboardInterrupt:
        stopped = gh.stop()
        ended = f"; {stopped} gh process(es) ended" if stopped else ""
        raise GitHubError(130, f"interrupted while reading the submissions: nothing written{ended}") from None
    for line in found.left_out:
        print(f"{PROG}: {line}; left out", file=sys.stderr)
    if found.unread:
        for line in found.unread:
            print(f"{PROG}: not read: {line}", file=sys.stderr)
        raise GitHubError(
            EXIT_CANNOT_GRADE,
            f"the list of {repo}'s submissions could not be read whole: no gradebook written (collect again later)",
        )
    outcomes = submit.gradebook(found.attempts, rows, args.policy, args.roster or "", sys.stderr)
    numbers = [t.number for t in assessment.tasks]
    sinks.write_class_files(outcomes, numbers, assessment.name, gradebook=args.gradebook, report_dir=args.report_dir)
    sinks.write_class_report(assessment.name, outcomes, summarize(outcomes), fmt, args.output, color=_color(args))
    graded = [a for a in found.attempts if a.report is not None]
    print(
        f"{PROG}: {len(graded)} submission(s) of {len({a.student_id for a in graded})} student(s) read; "
        f"gradebook written to {args.gradebook}",
        file=sys.stderr,
    )
    in_error = {o.student_id for o in outcomes if o.error}
    unreadable = sorted({a.student_id for a in found.attempts if a.unreadable} & in_error, key=natural_key)
    if unreadable:
        print(f"{PROG}: a submission of {', '.join(unreadable)} could not be read: collect again", file=sys.stderr)
        return EXIT_CANNOT_GRADE
    return EXIT_PASSED


def _submit(args: argparse.Namespace, fmt: str) -> int:
    """``--submit``: the course's workflow grades this student; its report is shown here."""
    from checks import sinks, submit

    for flag in ("demo", "roster", "watch", "evidence", "from_evidence", "endpoint_url", "profile", "submission_id"):
        if getattr(args, flag):
            raise BadInput(f"--submit is graded by the course's workflow: leave out --{flag.replace('_', '-')}")
    if args.task:
        raise BadInput("--submit grades every task: leave out --task")
    for flag, value in (("--submit-timeout", args.submit_timeout), ("--poll-every", args.poll_every)):
        if not (math.isfinite(value) and value > 0):
            raise BadInput(f"{flag} {value:g} is not a number of seconds (a positive, finite number)")
    student_id = resolve_student_id(args.student_id, assessment=_assessment(args.assessment))
    repo, workflow = submit.resolve_repo(args.repo)
    _ready_to_write(args)
    report = submit.submit(
        submit.Gh(repo), workflow, args.assessment, student_id, timeout=args.submit_timeout, poll=args.poll_every
    )
    _load_rules_of(report)
    sinks.write_report(report, fmt, args.output, color=_color(args))
    return exit_code(report)


COMMANDS = {
    "sandbox": sandbox_command,
    "merge": merge_command,
    "policy": policy_command,
    "cleanup": cleanup_command,
    "collect": collect_command,
    "show": show_command,
}


def _terminated(signum: int, frame: Any) -> None:
    """SIGTERM (a CI time-out, ``docker stop``) is taken as Ctrl-C: what is finished is written."""
    raise KeyboardInterrupt


def run() -> NoReturn:
    """The command's entry point: :func:`main`, then exit with its code.

    After Ctrl-C or SIGTERM the finished work is written before :func:`main` returns; the process
    then ends at once rather than waiting for requests that were abandoned by a second one, or for
    the interpreter's own teardown.
    """
    import signal

    signal.signal(signal.SIGTERM, _terminated)
    for stream in (sys.stdout, sys.stderr):  # a console that cannot show a character (cp1252 and a Ł) shows \u0141
        if "utf" not in (getattr(stream, "encoding", "") or "utf").lower() and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    code = main()
    # Everything is written (files whole, before main returns): the process ends at once, without the
    # interpreter's teardown of every module and of idle thread pools, and without waiting for requests
    # a second Ctrl-C abandoned.
    import contextlib

    with contextlib.suppress(BrokenPipeError):  # the reader went away (``| head``): nothing more to say
        sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


REQUIRED = ("boto3", "botocore", "rich", "moto", "werkzeug", "flask")  # what requirements.txt installs


def main(argv: Sequence[str] | None = None) -> int:
    """The command, with every failure it knows as one line: bad input 2, could not grade 3."""
    from checks.errors import RegistryError

    try:
        return _main(argv)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in REQUIRED:
            raise
        return _fail(
            EXIT_CANNOT_GRADE,
            f"{exc.name} is not installed here: run `pip install -r requirements.txt` "
            "(in the virtual environment you made for it)",
        )
    except NotInstalled as exc:
        return _fail(EXIT_CANNOT_GRADE, str(exc))
    except RegistryError as exc:  # an assessment built or installed wrong
        return _fail(EXIT_CANNOT_GRADE, str(exc))


def _main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            return COMMANDS[argv[0]](argv[1:])
        return _grade_one(build_parser().parse_args(argv))
    except BadInput as exc:
        return _fail(EXIT_BAD_INPUT, str(exc))
    except GitHubError as exc:
        return _fail(exc.code, str(exc))
    except KeyboardInterrupt:
        return _fail(130, "interrupted")


def _choose_format(fmt: str | None) -> str:
    """A format a renderer is registered for (built in, or another package's entry point)."""
    chosen = fmt or "table"
    if chosen in BUILT_IN_FORMATS:  # known without loading the reporters (they load when a report is written)
        return chosen
    from checks.report import RENDERERS, renderer_for

    try:
        renderer_for(chosen)
    except ValueError:
        raise BadInput(f"unknown format {chosen!r}: choose one of {', '.join(RENDERERS)}") from None
    return chosen


def _grade_one(args: argparse.Namespace) -> int:
    from checks.registry import load_assessment

    _known(args.assessment)  # before anything else is checked, and before loading anything: the commonest typo
    fmt = _choose_format(args.format)
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
    from checks.submit import check_submission_id, parse_time

    if args.roster or args.watch is not None:
        raise BadInput("--submission-id grades one student once: leave out --roster and --watch")
    check_submission_id(args.submission_id)
    for flag in ("submitted_at", "deadline"):
        if getattr(args, flag):
            parse_time(getattr(args, flag), f"--{flag.replace('_', '-')}")


def _ready_to_write(args: argparse.Namespace) -> None:
    """Every place the run will write, made and tried before any grading (a class is never lost to a path)."""
    from checks import sinks

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
    from checks import pipeline, sinks
    from checks.aws import CannotGrade

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
        with _progress(f"Grading {assessment.name} for {student_id}"):
            report, account = pipeline.grade_student(
                assessment,
                student_id,
                source,
                tasks=args.task,
                pass_mark=args.pass_mark,
                workers=args.workers,
                prepare=evidence.prepare if evidence else None,
                demo=args.demo,
            )
    except CannotGrade as exc:
        return _fail(EXIT_CANNOT_GRADE, str(exc))
    if evidence:
        evidence.save(account, [report])
    if args.submission_id:  # graded for the record by the course's workflow
        from checks.submit import stamp

        report = stamp(report, args.submission_id, args.submitted_at, args.deadline)
    if args.no_hints:
        report = report.without_hints()
    sinks.write_report(report, fmt, args.output, color=_color(args))
    return exit_code(report)


def exit_code(report: Any) -> int:
    """A whole grade: 0 at the pass mark, 1 below it. A grade with any ``error`` check is not whole: 3."""
    if not report.complete:
        return EXIT_CANNOT_GRADE
    return EXIT_PASSED if report.passed else EXIT_BELOW


def _one_timeout(args: argparse.Namespace) -> float:
    from checks.pipeline import ONE_STUDENT_TIMEOUT

    return float(args.account_timeout or ONE_STUDENT_TIMEOUT)


def _live(args: argparse.Namespace, **settings: Any) -> Live:
    """AWS itself, as the options name it: --profile (else each roster row's), --region, --endpoint-url."""
    from checks import pipeline
    from checks.aws import session_for

    def sessions(profile: str | None, region: str | None) -> Any:
        return session_for(profile or args.profile, region)

    return pipeline.Live(region=args.region, endpoint_url=args.endpoint_url or None, sessions=sessions, **settings)


def _watch(args: argparse.Namespace, assessment: Any, student_id: str, fmt: str) -> int:
    """``--watch``: the same grade again and again on the terminal, a new account read each round."""
    from checks import pipeline
    from checks.aws import CannotGrade
    from checks.report import render_table
    from checks.watch import watch

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
        report, _ = pipeline.grade_student(
            assessment, student_id, source, tasks=args.task, pass_mark=args.pass_mark, workers=args.workers
        )
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


def _color(args: argparse.Namespace) -> bool | None:
    """No colour when asked (--no-color, $NO_COLOR); else rich decides from the terminal."""
    return False if (args.no_color or os.environ.get("NO_COLOR")) else None


def _grade_class(args: argparse.Namespace, assessment: Any, fmt: str) -> int:
    """A roster: its lines read, a source, the grader, then the evidence, the gradebook, the reports and the report."""
    import threading

    from checks import pipeline, sinks

    if args.demo or args.student_id:
        raise BadInput("--roster grades the students it lists: leave out --demo and --student-id")
    if args.watch is not None:
        raise BadInput("--watch regrades one student on a terminal: leave out --roster")
    roster = _read_class(args, assessment)
    _ready_to_write(args)  # once the roster is known good: a bad one leaves nothing behind
    source, unevidenced, rows = _class_source(args, roster.rows)
    evidence = sinks.EvidenceFolder(args.evidence, assessment.evidence_variables) if args.evidence else None
    stop = threading.Event()
    with _class_progress(len(rows)) as advance:
        graded = pipeline.grade_roster(
            assessment,
            rows,
            source,
            pass_mark=args.pass_mark,
            tasks=args.task,
            workers=args.workers,
            on_done=lambda _: advance(),
            stop=stop,
            prepare=evidence.prepare if evidence else None,
        )
    outcomes, unfinished = _every_line(args, roster, graded, unevidenced)
    if evidence:
        evidence.save_outcomes(outcomes)
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
    from checks.roster import RosterError, RosterProblem, in_shard, parse_shard, read_roster_lines

    try:
        rows, problems, repeats = read_roster_lines(args.roster, assessment.id_rule, assessment.id_said)
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
    return _Roster(rows, problems)


def _class_source(args: argparse.Namespace, rows: list[Any]) -> tuple[Source, list[Any], list[Any]]:
    """Where the class's accounts come from; the rows a regrade from evidence cannot grade, and those it can."""
    from checks import pipeline
    from checks.aws.budgets import BUDGETS
    from checks.roster import Outcome

    if not args.from_evidence:
        return _live(args, budgets=BUDGETS, timeout=args.account_timeout or CLASS_TIMEOUT), [], rows
    source = pipeline.Replayed(args.from_evidence)
    kept = set(source.students())
    unevidenced = [
        Outcome(
            r.student_id, error=f"not graded: no evidence for {r.student_id} in {args.from_evidence}", extra=r.extra
        )
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
    from checks.roster import Outcome, in_natural_order

    extra = {r.student_id: r.extra for r in roster.rows}
    finished = {o.student_id for o in graded}
    unfinished = [
        Outcome(r.student_id, error="not graded: interrupted", extra=r.extra)
        for r in roster.rows
        if r.student_id not in finished
    ]
    bad = [
        Outcome(p.student_id, error=f"not graded: {args.roster}:{p.line}: {p.reason}", bad_row=True, extra=p.extra)
        for p in roster.problems
    ]
    carried = [replace(o, extra=extra.get(o.student_id, ())) for o in graded]
    return in_natural_order([*carried, *unfinished, *unevidenced, *bad]), len(unfinished)


def _write_class(args: argparse.Namespace, assessment: Any, fmt: str, outcomes: list[Any]) -> None:
    from checks import sinks
    from checks.roster import summarize

    numbers = [t.number for t in assessment.tasks if not args.task or t.number in args.task]
    from checks.roster import parse_shard

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


class _class_progress:
    """A progress bar on stderr (on a terminal) while a class is graded."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.progress: Any = None

    def __enter__(self) -> Any:
        if not sys.stderr.isatty():
            return lambda: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.progress = Progress(
            "grading",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=__import__("rich.console").console.Console(stderr=True),
            transient=True,
        )
        self.progress.__enter__()
        task = self.progress.add_task("grading", total=self.total)
        return lambda: self.progress.advance(task)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)


class _progress:
    """A spinner on stderr while grading, only when stderr is a terminal."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.status: object | None = None

    def __enter__(self) -> _progress:
        if sys.stderr.isatty():
            from rich.console import Console

            self.status = Console(stderr=True).status(self.text + "…")
            self.status.__enter__()  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.__exit__(*exc)  # type: ignore[attr-defined]
