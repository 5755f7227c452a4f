"""``contract``: the tests every assessment holds, run on installed assessments (a course's own, from its
repository). They need the stand-in and pytest: ``pip install "validate-tasks[sandbox,test]"``."""

from __future__ import annotations

from collections.abc import Sequence

from checks.cli.common import _assessment, _example, _Parser, invoked_as
from checks.errors import NotInstalled


def contract_command(argv: Sequence[str]) -> int:
    p = _Parser(
        prog=f"{invoked_as()} contract",
        description="Run the tests every assessment holds (registry, least privilege, every format, the demo and "
        "the diagnoses) on installed assessments, against the stand-in: no AWS account. Exit 0 when they hold.",
    )
    p.add_argument("assessments", nargs="+", metavar="ASSESSMENT", help=f"e.g. {_example()}")
    args = p.parse_args(argv)
    for name in args.assessments:
        _assessment(name)  # an unknown name is one line, exit 2
    try:
        import moto  # noqa: F401
        import pytest  # noqa: F401
    except ModuleNotFoundError as exc:
        raise NotInstalled(
            f"{exc.name} is not installed here: the contract runs on the stand-in with pytest "
            '(pip install "validate-tasks[sandbox,test]")'
        ) from None
    from checks import contract

    return contract.run(list(args.assessments))
