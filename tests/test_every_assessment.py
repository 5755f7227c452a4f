"""What every assessment found must hold, whichever package it comes from: the contract a course runs
from its own repository (checks/contract.py: its registry, least privilege, every format, the
diagnoses), and here also the fixes of an empty account followed to full marks.

Parametrized over ``known_assessments()``: lambda_medium (a folder under ``checks/assessments``) and
sqs_queues (another package, found by its entry point, tests/assessments).
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checks.contract import (  # noqa: F401  (the contract's tests, run here for every assessment found)
    _grade,
    dummy_credentials,
    pytest_generate_tests,
    stand_in,
    test_every_check_that_finds_the_students_work_declares_how_it_is_found,
    test_every_format_renders_its_reports,
    test_it_only_reads_and_each_request_is_declared_by_its_check,
    test_the_demo_passes_some_checks_and_an_empty_account_none,
    test_the_registry_holds,
    test_work_in_another_region_is_said,
)
from checks.registry import known_assessments, load_assessment
from tests.conftest import ASSESSMENTS
from tests.test_hint_catalogue import managed_policies  # noqa: F401  (the fixture)
from tests.test_hint_replay import student_shell  # noqa: F401  (the fixture)
from tests.test_readme_replay import sandbox  # noqa: F401  (the fixture)

EVERY = known_assessments()
PREFLIGHT = "sts:GetCallerIdentity"  # answers any caller: needs no permission
SID = "s1"


def test_both_kinds_of_assessment_are_found() -> None:
    assert {"lambda_medium", "sqs_queues"} <= set(EVERY)


def test_the_contract_fails_an_assessment_that_breaks_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The contract can fail: a task whose "See" section is no heading of its text, and a request a check
    sent without declaring it."""
    import dataclasses

    from checks import contract
    from checks import registry as registry_module

    text = tmp_path / "README_sqs_queues.md"
    text.write_text(
        re.sub(r"(?m)^(#+ .*Task 2.*)$", "## Something else", (ASSESSMENTS / "sqs_queues" / text.name).read_text())
    )
    monkeypatch.setattr(contract, "student_text", lambda assessment: text)
    with pytest.raises(AssertionError):
        contract.test_the_registry_holds("sqs_queues")
    real = registry_module.load_assessment("sqs_queues")
    undeclared = dataclasses.replace(
        real,
        tasks=tuple(
            dataclasses.replace(t, checks=tuple(dataclasses.replace(c, reads=c.reads[:1]) for c in t.checks))
            for t in real.tasks
        ),
    )
    monkeypatch.setattr(contract, "load_assessment", lambda name: undeclared)
    contract.graded.cache_clear()
    with pytest.raises(AssertionError, match="requests no check declared"):
        contract.test_it_only_reads_and_each_request_is_declared_by_its_check("sqs_queues")
    contract.graded.cache_clear()


# -- the fixes, followed: an empty account to full marks ----------------------------------------------
TRUSTED = "111122223333"  # what a student types where a fix asks for a value only they know


def _every_fix(report: Any) -> str:
    """Every fix the report gives, as the table's "How to fix" block (the diagnosis set aside: an empty
    account's table lists Task 1's alone), with the variables it asks for set as a student sets them."""
    from tests.test_hint_catalogue import _how_to_fix

    return _how_to_fix(dataclasses.replace(report, diagnosis=None), {"TRUSTED_ACCOUNT_ID": TRUSTED})


@pytest.mark.slow
@pytest.mark.server
def test_an_empty_account_reaches_full_marks_in_two_rounds(
    sandbox: tuple[str, io.StringIO],  # noqa: F811
    student_shell: Callable[[str], None],  # noqa: F811
    managed_policies: None,  # noqa: F811
    aws: None,
    name: str,
) -> None:
    from tests.test_hint_catalogue import _two_rounds_to_full_marks

    assessment = load_assessment(name)
    report, _ = _grade(assessment)
    assert report.earned == 0 and report.diagnosis is not None and report.diagnosis.kind == "nothing_deployed"
    _two_rounds_to_full_marks(report, _every_fix, student_shell, assessment)
