"""What every command shares: exit codes, the one-line parser, the assessment and format chosen, the region
and the student ID read."""

from __future__ import annotations

import argparse
import os
import sys
from typing import IO, Any, NoReturn

from checks import PROG
from checks.errors import BadInput

EXIT_PASSED, EXIT_BELOW, EXIT_BAD_INPUT, EXIT_CANNOT_GRADE = 0, 1, 2, 3


CLASS_TIMEOUT = 600.0  # seconds an account of a class may take


BUILT_IN_FORMATS = ("table", "json", "junit", "markdown", "gradescope", "text", "html")  # checks.outputs.report's own


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
        for _ in range(3):  # asked again on a bad answer, as a prompt does
            print("Student ID: ", end="", file=sys.stderr, flush=True)
            line = stdin.readline()
            if not line:  # end of input: nothing more will come
                raise BadInput("no student ID: pass --student-id or set STUDENT_ID")
            value = line.strip()  # what was typed, without the spaces around it
            if rule.fullmatch(value):
                return value
            print(f"{PROG}: not a student ID: use {said}", file=sys.stderr, flush=True)
    assert value is not None
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


def with_rules_of(report: Any) -> Any:
    """A report read back, with its assessment's busy rules when the assessment is one here: its fix block
    waits as the assessment declares."""
    from dataclasses import replace

    from checks.registry import is_known, load_assessment

    if is_known(report.assessment):
        return replace(report, busy=load_assessment(report.assessment).busy)
    return report


def _choose_format(fmt: str | None, output: str | None = None) -> str:
    """A format a renderer is registered for (built in, or another package's entry point); none named and an
    ``--output`` ending in ``.html``: the page."""
    chosen = fmt or ("html" if output and output.lower().endswith((".html", ".htm")) else "table")
    if chosen in BUILT_IN_FORMATS:  # known without loading the reporters (they load when a report is written)
        return chosen
    from checks.outputs.report import RENDERERS, renderer_for

    try:
        renderer_for(chosen)
    except ValueError:
        raise BadInput(f"unknown format {chosen!r}: choose one of {', '.join(RENDERERS)}") from None
    return chosen


def exit_code(report: Any) -> int:
    """A whole grade: 0 at the pass mark, 1 below it. A grade with any ``error`` check is not whole: 3."""
    if not report.complete:
        return EXIT_CANNOT_GRADE
    return EXIT_PASSED if report.passed else EXIT_BELOW


def _color(args: argparse.Namespace) -> bool | None:
    """No colour when asked (--no-color, $NO_COLOR); else rich decides from the terminal."""
    return False if (args.no_color or os.environ.get("NO_COLOR")) else None
