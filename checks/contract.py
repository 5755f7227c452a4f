"""The contract every assessment holds, as tests a course runs from its own repository.

    validate-tasks contract ASSESSMENT        # pytest, on the installed assessment; exit 0 when it holds

It needs the stand-in and pytest (``pip install "validate-tasks[sandbox,test]"``) and no AWS account:
every test runs against moto with dummy credentials. What it holds, for each assessment named:

- the registry: check ids ``t<task>.<name>``, points, declared reads, and a "See ..." section for each
  task that is a heading of the student text (found beside the assessment's package or in the folder
  the command runs in);
- least privilege: graded with every permission, it sends only List/Get/Describe requests, each
  declared by the check (or note, or diagnosis) that sent it;
- every output format renders its reports, and the JSON reads back whole;
- its demo (``Tools(demo=...)``) passes some checks and not all, and an empty account none, said as
  "nothing deployed"; work in another region is said as such;
- the kinds that mark the student's work are read by every check that finds one (the diagnoses list
  them).

The grader's own suite runs the same tests for every assessment it finds (tests/test_every_assessment.py).
"""

from __future__ import annotations

import io
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from checks.registry import Assessment, known_assessments, load_assessment

ENVIRONMENT = "VALIDATE_TASKS_CONTRACT"  # the assessments to hold to it, comma-separated (else every one)
REGION, OTHER_REGION = "us-east-1", "eu-west-1"
SID = "s1"
PREFLIGHT = "sts:GetCallerIdentity"  # answers any caller: needs no permission


def named() -> list[str]:
    chosen = [n for n in os.environ.get(ENVIRONMENT, "").split(",") if n]
    return chosen or known_assessments()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each test, once for each assessment named when the tests are collected (``ENVIRONMENT``)."""
    if "name" in metafunc.fixturenames:
        metafunc.parametrize("name", named())


@pytest.fixture(autouse=True)
def dummy_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reaches AWS: dummy keys, no configuration of the machine's, moto taught what it lacks."""
    from checks.standin import gap_fills

    empty = tmp_path_factory.getbasetemp() / "no-aws-config"
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    gap_fills.install()


@pytest.fixture
def stand_in() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


def student_text(assessment: Assessment) -> Path:
    """The assessment's text: beside its package (or a folder above it), or in the folder this runs in."""
    import sys

    places = [Path.cwd()]
    module = sys.modules.get(assessment.tasks[0].module) if assessment.tasks else None
    if module is not None and getattr(module, "__file__", None):
        package = Path(str(module.__file__)).resolve().parent
        places = [package, *list(package.parents)[:3], *places]
    for folder in places:
        if (folder / assessment.readme).is_file():
            return folder / assessment.readme
    raise AssertionError(f"{assessment.name}: its text {assessment.readme} is in none of {[str(p) for p in places]}")


def _grade(assessment: Assessment, region: str = REGION) -> tuple[Any, Any]:
    from checks.aws import new_session
    from checks.grading.runner import grade

    account = assessment.account_type()(new_session(region_name=region), region)
    account.identify()
    return grade(assessment, assessment.student(account, SID)), account


@cache
def graded(name: str) -> dict[str, tuple[Any, frozenset[tuple[str | None, str]]]]:
    """The assessment's demo account and an empty one, graded with every permission."""
    from moto import mock_aws

    from checks.aws import new_session

    assessment = load_assessment(name)
    found = {}
    for scenario in ("demo", "empty"):
        with mock_aws():
            if scenario == "demo":
                assert assessment.demo is not None, f"{name}: no demo (Tools(demo=...)) to hold the contract on"
                assessment.demo(SID, REGION, new_session(region_name=REGION))
            report, account = _grade(assessment)
            found[scenario] = (report, frozenset(account.calls_by_asker))
    return found


def test_the_registry_holds(name: str) -> None:
    assessment = load_assessment(name)
    assert assessment.name == name and assessment.points > 0
    text = student_text(assessment).read_text(encoding="utf-8")
    headings = set(re.findall(r"^#+\s*(.+?)\s*$", text, re.M))
    for task in assessment.tasks:
        assert task.section in headings, (name, task.section)  # every "See ..." line names a real section
        for c in task.checks:
            assert c.id.startswith(f"t{task.number}.") and c.points > 0 and c.reads, c.id
    assert len(set(assessment.check_ids())) == len(assessment.check_ids())
    # The account it reads is made of the readers its actions name, and reads through each of them.
    services = {a.split(":", 1)[0] for a in [*assessment.reads(), *assessment.teardown_reads]}
    readers = {r for r in assessment.account_type().__mro__ if getattr(r, "service", "")}
    assert {r.service for r in readers} == services - {"sts"}, (readers, services)  # type: ignore[attr-defined]
    assert assessment.id_rule.fullmatch(SID)


def test_every_check_that_finds_the_students_work_declares_how_it_is_found(name: str) -> None:
    """The "other region" and "nothing deployed" diagnoses list the kinds that mark the student's work: a
    check that finds one of them reads what listing them reads (its ``diagnosis_reads`` say which)."""
    assessment = load_assessment(name)
    marking = [k for k in assessment.kinds if k.marks_work]
    assert marking, f"{name}: no kind marks the student's work (Kind(marks_work=True))"
    assert "ec2:DescribeRegions" in assessment.diagnosis_reads  # the other regions, where work may be


def test_it_only_reads_and_each_request_is_declared_by_its_check(name: str) -> None:
    assessment = load_assessment(name)
    sent = {call for _, calls in graded(name).values() for call in calls}
    writes = sorted(a for _, a in sent if not a.split(":", 1)[1].startswith(("List", "Get", "Describe")))
    assert writes == [], f"not a read: {writes}"
    declared: dict[str, set[str]] = {c.id: set(c.reads) for c in assessment.checks()}
    for t in assessment.tasks:
        for n in t.notes:
            declared[n.name] = set(n.reads)
    declared["diagnosis"] = set(assessment.diagnosis_reads)
    undeclared = sorted((k or "-", a) for k, a in sent if a != PREFLIGHT and a not in declared.get(k or "", set()))
    assert undeclared == [], f"requests no check declared (check, action): {undeclared}"
    beyond = {a for _, a in sent} - {PREFLIGHT} - set(assessment.reads())
    assert not beyond, f"read beyond its policy: {sorted(beyond)}"


def test_every_format_renders_its_reports(name: str) -> None:
    from checks.model import Report
    from checks.outputs import report as reporters

    for report, _ in graded(name).values():
        for fmt in reporters.FORMATS:
            out = io.StringIO()
            reporters.write(report, fmt, out, color=False)
            text = out.getvalue()
            if fmt in ("json", "gradescope"):
                data = json.loads(text)
                if fmt == "json":
                    assert Report.from_dict(data) == report, fmt  # a report reads back whole
            elif fmt == "junit":
                assert ET.fromstring(text).tag == "testsuites"
            else:
                assert report.student_id in text and text.strip(), fmt


def test_the_demo_passes_some_checks_and_an_empty_account_none(name: str) -> None:
    demo, empty = graded(name)["demo"][0], graded(name)["empty"][0]
    assert 0 < demo.earned < demo.possible and demo.complete, f"the demo earns {demo.earned} of {demo.possible}"
    assert empty.earned == 0 and empty.complete, f"an empty account earns {empty.earned}"
    assert empty.diagnosis is not None and empty.diagnosis.kind == "nothing_deployed", empty.diagnosis


def test_work_in_another_region_is_said(stand_in: None, name: str) -> None:
    from checks.aws import new_session

    assessment = load_assessment(name)
    assert assessment.demo is not None
    assessment.demo(SID, OTHER_REGION, new_session(region_name=OTHER_REGION))
    report, _ = _grade(assessment)
    assert report.diagnosis is not None and report.diagnosis.kind == "other_region", report.diagnosis
    assert report.diagnosis.rerun == f"--region {OTHER_REGION}"
    assert {c.id for c in report.checks() if c.status.value != "pass"} == set(assessment.check_ids())


def run(names: list[str]) -> int:
    """``validate-tasks contract NAME...``: these tests, on these assessments; pytest's exit code."""
    os.environ[ENVIRONMENT] = ",".join(names)
    here = Path(__file__).resolve()
    args = ["-q", "-p", "no:cacheprovider", "-o", "addopts=", "-c", os.devnull, "--rootdir", str(here.parent)]
    return int(pytest.main([*args, "--import-mode=importlib", "--pyargs", __name__]))
