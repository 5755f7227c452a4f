"""``collect``: the gradebook of the submissions made with ``--submit``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from checks import PROG
from checks.cli.common import (
    EXIT_CANNOT_GRADE,
    EXIT_PASSED,
    _assessment,
    _choose_format,
    _color,
    _example,
    _Parser,
    invoked_as,
)
from checks.cli.progress import _progress
from checks.errors import BadInput, GitHubError


def collect_command(argv: Sequence[str]) -> int:
    """The gradebook of an assessment's submissions, read from the course's grading workflow runs."""
    from checks.github.policy import POLICIES

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
    from checks.github import collect, gh, policy, runs
    from checks.grading.roster import RosterError, natural_key, read_roster_lines, summarize
    from checks.outputs import sinks

    assessment = _assessment(args.assessment)
    fmt = _choose_format(args.format, args.output)
    if args.deadline:
        runs.parse_time(args.deadline, "--deadline")
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
    repo, workflow = gh.resolve_repo(args.repo)
    github = gh.Gh(repo)
    try:
        with _progress(f"Reading the submissions in {repo}", _color(args)):
            found = collect.collect(
                github, workflow, assessment.name, id_rule=assessment.id_rule, deadline=args.deadline
            )
    except KeyboardInterrupt:
        stopped = github.stop()
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
    outcomes = policy.gradebook(found.attempts, rows, args.policy, args.roster or "", sys.stderr)
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
