"""``cleanup``: the commands that delete a student's resources of an assessment (it only reads)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from checks import PROG
from checks.cli.common import (
    CLASS_TIMEOUT,
    EXIT_BAD_INPUT,
    EXIT_CANNOT_GRADE,
    EXIT_PASSED,
    _assessment,
    _example,
    _fail,
    _Parser,
    invoked_as,
    resolve_region,
    resolve_student_id,
)
from checks.cli.grade import _live, _ready_to_write
from checks.errors import BadInput


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
    ids, bad = _cleanup_students(args, assessment)
    _ready_to_write(argparse.Namespace(output=args.output, gradebook=None, report_dir=None, evidence=None))
    code = _print_teardowns(args, assessment, ids)
    for line in bad:  # as grading does: every other student's block, and each bad row named
        print(f"{PROG}: {line}; not cleaned up", file=sys.stderr)
    return EXIT_BAD_INPUT if bad and code == EXIT_PASSED else code


def _cleanup_students(args: argparse.Namespace, assessment: Any) -> tuple[list[str], list[str]]:
    """The students to clean up after, and each roster line that names none rightly (said, not fatal)."""
    from checks.grading.roster import RosterError, read_roster

    if args.roster:
        try:
            rows, problems = read_roster(args.roster, assessment.id_rule, assessment.id_said)
        except RosterError as exc:
            raise BadInput(str(exc)) from exc
        bad = [f"{args.roster}:{p.line}: {p.reason}" for p in problems]
        if not rows:
            raise BadInput(bad[0] if bad else f"{args.roster}: no students")
        return [r.student_id for r in rows], bad
    return [resolve_student_id(args.student_id, assessment=assessment)], []


def _print_teardowns(args: argparse.Namespace, assessment: Any, ids: list[str]) -> int:
    """Each student's teardown, found with the grader's read-only access; any read refused: one line, exit 3."""
    import io
    import shutil

    from checks.aws import AwsError, CannotGrade
    from checks.grading.roster import RosterRow, write_atomically
    from checks.teardown import block, monthly_total
    from checks.text import json_text, printable

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
            regions = student.regions_holding()  # the rest of their work: said, and its shared parts kept
        except CannotGrade as exc:
            return _fail(EXIT_CANNOT_GRADE, str(exc))
        except AwsError as exc:  # a teardown that cannot see everything is not printed as if it could
            return _fail(EXIT_CANNOT_GRADE, f"cannot read all of {sid}'s resources: {exc}")
        lines = block(sid, removals, width, assessment.prices_read, assessment.busy)
        for region in regions:
            lines.append(
                f"# Also in {region}: {printable(sid)}'s work; what it still uses is kept here "
                f"(cleanup --region {region} removes it)."
            )
        text.write("\n".join(lines) + "\n\n")
        found.append(
            {
                "student_id": sid,
                "account_id": account.account_id,
                "region": account.region,
                "resources": [r.to_json() for r in removals],
                "monthly_usd": round(monthly_total(removals), 2),
                "also_in": regions,
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
