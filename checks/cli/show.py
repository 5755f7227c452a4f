"""``show``: a saved JSON report in any format."""

from __future__ import annotations

from collections.abc import Sequence

from checks.cli.common import _choose_format, _color, _Parser, exit_code, invoked_as, with_rules_of
from checks.errors import BadInput


def show_command(argv: Sequence[str]) -> int:
    """A saved JSON report (``--format json``, a report folder's, a submission's) in any format."""
    p = _Parser(
        prog=f"{invoked_as()} show",
        description="Show a JSON report saved earlier in any format; exits as its grade did (0, 1 or 3).",
    )
    p.add_argument("report", metavar="REPORT.json", help="a report written with --format json")
    p.add_argument("--format", default=None, help="table (default), json, junit, markdown, gradescope, text or html")
    p.add_argument("--output", metavar="FILE", help="write it to FILE instead of stdout")
    p.add_argument("--no-hints", action="store_true", help="leave hints and notes out")
    p.add_argument("--no-color", action="store_true", help="plain table without colours (also: $NO_COLOR)")
    args = p.parse_args(argv)
    import json

    from checks.inputs import REPORT_LIMIT, NotAFile, read_text
    from checks.model import Report
    from checks.outputs import sinks

    fmt = _choose_format(args.format, args.output)
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
    report = with_rules_of(report)
    sinks.write_report(report, fmt, args.output, color=_color(args))
    return exit_code(report)
