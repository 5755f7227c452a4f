"""What every assessment found must hold, whichever package it comes from: its registry, least
privilege, every format, the diagnoses, and the fixes of an empty account followed to full marks.

Parametrized over ``known_assessments()``: lambda_medium (a folder under ``checks``) and
sqs_queues (another package, found by its entry point, tests/assessments).
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from checks import report as reporters
from checks.aws import Account, new_session
from checks.model import Report
from checks.registry import Assessment, known_assessments, load_assessment
from checks.runner import grade
from tests.conftest import ASSESSMENTS, REGION, ROOT, failing
from tests.test_hint_catalogue import managed_policies  # noqa: F401  (the fixture)
from tests.test_hint_replay import student_shell  # noqa: F401  (the fixture)
from tests.test_readme_replay import sandbox  # noqa: F401  (the fixture)

EVERY = known_assessments()
PREFLIGHT = "sts:GetCallerIdentity"  # answers any caller: needs no permission
SID = "s1"


def test_both_kinds_of_assessment_are_found() -> None:
    assert {"lambda_medium", "sqs_queues"} <= set(EVERY)


def _readme(assessment: Assessment) -> Path:
    """The assessment's text: beside the grader, or in its own package."""
    for folder in (ROOT, ASSESSMENTS / assessment.name, ROOT / "checks" / assessment.name):
        if (folder / assessment.readme).is_file():
            return folder / assessment.readme
    raise AssertionError(f"{assessment.name}: no {assessment.readme}")


@pytest.mark.parametrize("name", EVERY)
def test_the_registry_holds(name: str) -> None:
    assessment = load_assessment(name)
    assert assessment.name == name and assessment.points > 0
    headings = set(re.findall(r"^#+\s*(.+?)\s*$", _readme(assessment).read_text(encoding="utf-8"), re.M))
    for task in assessment.tasks:
        assert task.section in headings, (name, task.section)  # every "See ..." line names a real section
        for c in task.checks:
            assert c.id.startswith(f"t{task.number}.") and c.points > 0 and c.reads, c.id
    assert len(set(assessment.check_ids())) == len(assessment.check_ids())
    # The account it reads is made of the readers its actions name, and reads through each of them.
    services = {a.split(":", 1)[0] for a in [*assessment.reads(), *assessment.teardown_reads]}
    readers = {r.__name__ for r in assessment.account_type().__mro__ if r.__name__.endswith("Reader")}
    assert len(readers) == len(services - {"sts"}), (readers, services)
    assert assessment.id_rule.fullmatch(SID)


def _declared(assessment: Assessment) -> dict[str, set[str]]:
    out = {c.id: set(c.reads) for c in assessment.checks()}
    for t in assessment.tasks:
        for n in t.notes:
            out[n.name] = set(n.reads)
    out["diagnosis"] = set(assessment.diagnosis_reads)
    return out


def _grade(assessment: Assessment, student: str = SID, region: str = REGION) -> tuple[Report, Account]:
    account = assessment.account_type()(new_session(region_name=region), region)
    account.identify()
    return grade(assessment, assessment.student(account, student)), account


@cache
def graded(name: str) -> dict[str, tuple[Report, set[tuple[str | None, str]]]]:
    """The assessment's demo account and an empty one, graded with every permission (once per worker)."""
    from moto import mock_aws

    assessment = load_assessment(name)
    found = {}
    for scenario in ("demo", "empty"):
        with mock_aws():
            if scenario == "demo":
                assert assessment.demo is not None
                assessment.demo(SID, REGION, new_session(region_name=REGION))
            report, account = _grade(assessment)
            found[scenario] = (report, set(account.calls_by_asker))
    return found


@pytest.mark.parametrize("name", EVERY)
def test_it_only_reads_and_each_request_is_declared_by_its_check(name: str) -> None:
    assessment = load_assessment(name)
    sent = {call for _, calls in graded(name).values() for call in calls}
    assert all(a.split(":", 1)[1].startswith(("List", "Get", "Describe")) for _, a in sent)
    declared = _declared(assessment)
    assert sorted((k or "-", a) for k, a in sent if a != PREFLIGHT and a not in declared.get(k or "", set())) == []
    assert {a for _, a in sent} - {PREFLIGHT} <= set(assessment.reads())


@pytest.mark.parametrize("name", EVERY)
@pytest.mark.parametrize("fmt", reporters.FORMATS)
def test_every_format_renders_its_reports(name: str, fmt: str) -> None:
    for report, _ in graded(name).values():
        out = io.StringIO()
        reporters.write(report, fmt, out, color=False)
        text = out.getvalue()
        if fmt in ("json", "gradescope"):
            data = json.loads(text)
            if fmt == "json":
                assert Report.from_dict(data) == report  # a report reads back whole
        elif fmt == "junit":
            assert ET.fromstring(text).tag == "testsuites"
        else:
            assert report.student_id in text and text.strip()


@pytest.mark.parametrize("name", EVERY)
def test_the_demo_passes_some_checks_and_an_empty_account_none(name: str) -> None:
    demo, empty = graded(name)["demo"][0], graded(name)["empty"][0]
    assert 0 < demo.earned < demo.possible and demo.complete
    assert empty.earned == 0 and empty.complete
    assert empty.diagnosis is not None and empty.diagnosis.kind == "nothing_deployed"


@pytest.mark.parametrize("name", EVERY)
def test_work_in_another_region_is_said(aws: None, name: str) -> None:
    assessment = load_assessment(name)
    assert assessment.demo is not None
    assessment.demo(SID, "eu-west-1", new_session(region_name="eu-west-1"))
    report, _ = _grade(assessment)
    assert report.diagnosis is not None and report.diagnosis.kind == "other_region", report.diagnosis
    assert report.diagnosis.rerun == "--region eu-west-1"
    assert failing(report) == set(assessment.check_ids())


# -- the fixes, followed: an empty account to full marks ----------------------------------------------
TRUSTED = "111122223333"  # what a student types where a fix asks for a value only they know


def _every_fix(report: Any) -> str:
    """Every fix the report gives, as the table's "How to fix" block (the diagnosis set aside: an empty
    account's table lists Task 1's alone), with the variables it asks for set as a student sets them."""
    from tests.test_hint_catalogue import _how_to_fix

    return _how_to_fix(dataclasses.replace(report, diagnosis=None), {"TRUSTED_ACCOUNT": TRUSTED})


@pytest.mark.slow
@pytest.mark.server
@pytest.mark.parametrize("name", EVERY)
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
