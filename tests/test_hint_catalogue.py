"""The catalogue: a mistake for every check id, each fixed by following the report, in two rounds at most.

The mistakes are those of ``tests/test_mutations.py``, one per check id, and the states students
met that once made the fixes loop (``tests/test_hint_replay.py``'s cases), combined into a few
deployments: one mistake per task in each, none touching a task another one breaks. Each
deployment is graded; the "How to fix" block of its table is pasted whole into bash, where the
real AWS CLI runs it against the sandbox (placeholders filled with what a student would type);
then it is graded again. The checks that failed must pass, no check that passed may fail, and
two rounds at most reach 120/120. The grader reads the same stand-in in-process.
"""

from __future__ import annotations

import io
import re
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from checks.assessments.lambda_medium import reference
from checks.outputs.report import render_table
from checks.registry import load_assessment
from tests.conftest import REGION, failing, grade_in_process
from tests.test_hint_replay import CASES, Clients, student_shell  # noqa: F401  (the fixture)
from tests.test_mutations import MUTATIONS, SID, Aws
from tests.test_readme_replay import sandbox  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.slow, pytest.mark.server]

TRUSTED = "111122223333"  # the trusted account a student names in Task 11


def _task(check_id: str) -> int:
    return int(check_id[1:].split(".", 1)[0])


# Tasks whose mistakes reach into others' resources: Task 1's layer versions are what Tasks 2 and 8 attach.
REACHES = {1: {2, 8}}


# Every mistake: what it breaks, given the reference's IDs and the sandbox's endpoint, and what then fails.
Apply = Callable[[dict[str, Any], str], None]
MISTAKES: dict[str, tuple[Apply, set[str]]] = {
    **{
        check_id: ((lambda made, _, mutate=mutate: mutate(Aws(made))), expected)
        for check_id, (mutate, expected) in MUTATIONS.items()
    },
    **{
        case: ((lambda _, endpoint, breaks=breaks: breaks(Clients(endpoint, SID))), expected)
        for case, (breaks, expected) in CASES.items()
    },
}


def deployments() -> list[list[str]]:
    """The mistakes, first-fit into deployments whose tasks never meet."""
    groups: list[tuple[set[int], list[str]]] = []
    for name in sorted(MISTAKES, key=lambda m: (min(_task(c) for c in MISTAKES[m][1]), m)):
        touched = {_task(c) for c in MISTAKES[name][1]}
        touched |= {t for task in set(touched) for t in REACHES.get(task, set())}
        for tasks, members in groups:
            if not tasks & touched:
                tasks.update(touched)
                members.append(name)
                break
        else:
            groups.append((touched, [name]))
    return [members for _, members in groups]


DEPLOYMENTS = deployments()


def test_the_catalogue_has_a_mistake_for_every_check_id() -> None:
    assert sorted(c for group in DEPLOYMENTS for c in group) == sorted(MISTAKES)
    assert set(MUTATIONS) <= set(MISTAKES)


def _how_to_fix(report: Any, fill: dict[str, str], *, filled: bool = True) -> str:
    out = io.StringIO()
    render_table(report, out, color=False, width=100)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# How to fix"))
    block = "\n".join(lines[start + 1 : lines.index("", start)]) + "\n"
    asked = set(re.findall(r"\$\{([A-Z_]+):\?", block))  # what only the student knows: a variable the paste needs
    if filled:
        assert not re.search(r"^[^#].*<[a-z-]+>", block, re.M), block  # no placeholder bash would misread
        assert asked <= set(fill), (asked - set(fill), block)
    # The student sets the variables the block names, then pastes it.
    return "".join(f"export {name}={shlex.quote(fill[name])}\n" for name in sorted(asked & set(fill))) + block


@pytest.fixture
def managed_policies(sandbox: tuple[str, io.StringIO], aws: None) -> Iterator[None]:  # noqa: F811
    """AWS's managed IAM policies in the stand-in, as on AWS: Task 8's fix attaches one.

    Unset again before the stand-in stops (this fixture needs ``aws``, so it ends first): the stop
    resets IAM, which would otherwise load every managed policy once more, for nothing.
    """
    from moto.core.config import default_user_config

    default_user_config["iam"]["load_aws_managed_policies"] = True
    yield
    default_user_config["iam"]["load_aws_managed_policies"] = False


@pytest.mark.parametrize("mistakes", DEPLOYMENTS, ids=lambda group: " + ".join(group))
def test_following_the_report_reaches_full_marks_in_two_rounds(
    sandbox: tuple[str, io.StringIO],  # noqa: F811
    student_shell: Callable[[str], None],  # noqa: F811
    managed_policies: None,
    aws: None,
    mistakes: list[str],
    tmp_path: Path,
) -> None:
    endpoint, _ = sandbox
    made = reference.deploy(SID, REGION)
    for name in mistakes:
        MISTAKES[name][0](made, endpoint)
    expected = set().union(*(MISTAKES[name][1] for name in mistakes))
    fill = {
        "ROLE_ARN": made["role"],
        "SUBNET_A": made["subnets"][0],
        "SUBNET_B": made["subnets"][1],
        "VPC_ID": made["vpc"],
        "SG_ID": made["security_group"],
        "TRUSTED_ACCOUNT_ID": TRUSTED,
    }
    report, _ = grade_in_process(load_assessment("lambda_medium"), SID)
    assert failing(report) == expected
    _two_rounds_to_full_marks(report, lambda r: _how_to_fix(r, fill), student_shell)


def _two_rounds_to_full_marks(
    report: Any, block_of: Callable[[Any], str], shell: Callable[[str], None], assessment: Any = None
) -> None:
    """Run the block the report gives, grade again: full marks within two rounds, and nothing that passed breaks."""
    assessment = assessment or load_assessment("lambda_medium")
    for _ in range(2):
        passing = {c.id for c in report.checks() if c.status.value == "pass"}
        block = block_of(report)
        shell(block)
        report, _ = grade_in_process(assessment, SID)
        broken = {c.id: c.message for c in report.checks() if c.id in passing and c.status.value != "pass"}
        assert broken == {}, (block, broken)
        if not failing(report):
            return
    left = {c.id: c.message for c in report.checks() if c.status.value != "pass"}
    pytest.fail(f"not full marks after two rounds: {left}")


# An empty account followed to full marks: tests/test_every_assessment.py, for every assessment.
