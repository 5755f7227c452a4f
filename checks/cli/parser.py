"""The grading command's parser: every flag of ``ASSESSMENT [options]``, with the help that lists the other commands."""

from __future__ import annotations

import argparse

from checks import PROG, __version__
from checks.cli.common import _example, _Parser, invoked_as


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
            f"       {name} show REPORT.json\n"
            f"       {name} contract ASSESSMENT"
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
            "  contract              the tests every assessment holds, on an installed one (course authors)\n"
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
    cls.add_argument(
        "--id-column",
        metavar="NAME",
        help="the roster's column of student IDs (default: student_id, else Student ID, SIS Login ID…)",
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
    out.add_argument("--format", default=None, help="table (default), json, junit, markdown, gradescope, text or html")
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
