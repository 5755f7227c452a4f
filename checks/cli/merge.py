"""``merge``: the report folders of roster shards joined into one gradebook."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from checks import PROG
from checks.cli.common import EXIT_BAD_INPUT, EXIT_CANNOT_GRADE, EXIT_PASSED, _choose_format, _fail, _Parser, invoked_as
from checks.errors import BadInput


def merge_command(argv: Sequence[str]) -> int:
    p = _Parser(
        prog=f"{invoked_as()} merge",
        description="Join the JSON reports of roster shards (--report-dir) into one gradebook and class summary.",
    )
    p.add_argument("dirs", nargs="+", metavar="DIR", help="folders of JSON reports")
    p.add_argument("--gradebook", metavar="FILE.csv", help="write the joined gradebook here")
    p.add_argument(
        "--roster",
        metavar="FILE.csv",
        help="the roster the shards were graded from: its every line and column in the gradebook, as one run gives",
    )
    p.add_argument(
        "--format",
        default="table",
        help="class summary: table (default), json, junit, markdown, gradescope, text, html",
    )
    p.add_argument("--output", metavar="FILE", help="write the class summary to FILE instead of stdout")
    args = p.parse_args(argv)
    from checks.grading.roster import RosterError, outcomes_from_reports, summarize, write_gradebook

    fmt = _choose_format(None if args.format == "table" and args.output else args.format, args.output)
    try:
        outcomes = outcomes_from_reports(args.dirs)
    except RosterError as exc:
        raise BadInput(str(exc)) from exc
    if not outcomes:
        raise BadInput(f"no JSON reports in {', '.join(args.dirs)}")
    missing = _missing_shards(args.dirs)
    assessment = next((o.report.assessment for o in outcomes if o.report), "")
    if args.roster:
        outcomes = _with_roster(args.roster, assessment, outcomes)
    numbers = sorted({t.number for o in outcomes if o.report for t in o.report.tasks})
    if args.gradebook and missing and not args.roster:  # it would look whole: which students lack is unknown
        print(f"{PROG}: {missing}: no gradebook written (merge with --roster to name who is missing)", file=sys.stderr)
    elif args.gradebook:
        write_gradebook(args.gradebook, outcomes, numbers)
        print(f"{PROG}: gradebook of {len(outcomes)} students written to {args.gradebook}", file=sys.stderr)
    from checks.outputs.sinks import write_class_report

    write_class_report(assessment, outcomes, summarize(outcomes), fmt, args.output, color=None)
    if missing:
        return _fail(EXIT_CANNOT_GRADE, missing)
    lacking = [o.student_id for o in outcomes if o.error == "missing from the shards"]
    if lacking:
        return _fail(
            EXIT_CANNOT_GRADE, f"{len(lacking)} student(s) of {args.roster} in no shard: {', '.join(lacking[:5])}"
        )
    graded = [o for o in outcomes if not o.bad_row]
    if not all(o.report is not None and o.report.complete for o in graded):
        return EXIT_CANNOT_GRADE
    return EXIT_BAD_INPUT if len(graded) < len(outcomes) else EXIT_PASSED  # a bad roster line, as one run says


def _with_roster(roster: str, assessment: str, outcomes: list[Any]) -> list[Any]:
    """The merged outcomes with the roster's every line: its columns, its bad lines, who no shard holds."""
    from checks.grading.roster import RosterError, read_roster_lines, with_roster
    from checks.registry import is_known, load_assessment

    known = load_assessment(assessment) if assessment and is_known(assessment) else None
    try:
        if known is not None:
            rows, problems, _ = read_roster_lines(roster, known.id_rule, known.id_said)
        else:
            rows, problems, _ = read_roster_lines(roster)
    except RosterError as exc:
        raise BadInput(str(exc)) from exc
    strangers = sorted({o.student_id for o in outcomes} - {r.student_id for r in rows})
    if strangers:
        print(f"{PROG}: in the shards but not on {roster}: {', '.join(strangers[:5])}", file=sys.stderr)
    return with_roster(outcomes, roster, rows, problems)


def _missing_shards(dirs: Sequence[str]) -> str | None:
    """Which shards a merge lacks, from what each shard's folder says it holds (``--shard K/N`` writes it)."""
    import json

    from checks.grading.roster import SHARD_FILE
    from checks.inputs import MARKER_LIMIT, NotAFile, read_text

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
