"""The command line: ``python validate_tasks.py ASSESSMENT [options]`` and its other commands.

This module dispatches: a command's name to its module (``merge``, ``show``, ``collect``…), anything
else to grading (:mod:`checks.cli.grade`), and maps every failure it knows to one line and the exit
codes of contract.md. Each command parses, checks its input and wires the grader, the sinks or GitHub;
none reads AWS or renders a report itself. Heavy modules (botocore, moto, rich) are imported only
once they are needed, so ``--help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from checks.cli.cleanup import cleanup_command
from checks.cli.collect import collect_command
from checks.cli.common import (
    BUILT_IN_FORMATS,
    EXIT_BAD_INPUT,
    EXIT_CANNOT_GRADE,
    _choose_format,
    _fail,
    invoked_as,
    resolve_region,
    resolve_student_id,
)
from checks.cli.contract import contract_command
from checks.cli.grade import _ask_identity_early, _grade_one
from checks.cli.merge import merge_command
from checks.cli.parser import build_parser
from checks.cli.policy import policy_command, policy_json
from checks.cli.sandbox import sandbox_command
from checks.cli.show import show_command
from checks.errors import BadInput, GitHubError, NotInstalled

__all__ = [
    "BUILT_IN_FORMATS",
    "COMMANDS",
    "_ask_identity_early",
    "_choose_format",
    "build_parser",
    "invoked_as",
    "main",
    "policy_json",
    "resolve_region",
    "resolve_student_id",
    "run",
]

COMMANDS = {
    "sandbox": sandbox_command,
    "merge": merge_command,
    "policy": policy_command,
    "cleanup": cleanup_command,
    "collect": collect_command,
    "show": show_command,
    "contract": contract_command,
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
STAND_IN = ("moto", "werkzeug", "flask")  # the package's "sandbox" extra: --demo and the sandbox alone need it


def main(argv: Sequence[str] | None = None) -> int:
    """The command, with every failure it knows as one line: bad input 2, could not grade 3."""
    from checks.errors import RegistryError

    try:
        return _main(argv)
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if top not in REQUIRED:
            raise
        if top in STAND_IN:
            return _fail(
                EXIT_CANNOT_GRADE,
                f"the AWS stand-in (--demo, the sandbox) is not installed here ({top}): run "
                '`pip install -r requirements.txt`, or `pip install "validate-tasks[sandbox]"`',
            )
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
