"""``policy``: the IAM policy a grading identity needs for an assessment."""

from __future__ import annotations

from collections.abc import Sequence

from checks.cli.common import EXIT_PASSED, _assessment, _example, _Parser, invoked_as


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


def policy_json(actions: Sequence[str]) -> str:
    import json

    statement = {"Sid": "ValidateTasksReadOnly", "Effect": "Allow", "Action": sorted(actions), "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=2)
