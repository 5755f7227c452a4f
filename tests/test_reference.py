"""The reference solution grades 120/120; an empty account grades 0 without errors."""

from __future__ import annotations

import json
from collections import Counter

from checks.assessments.lambda_medium import reference
from checks.registry import Assessment
from tests.conftest import REGION, grade_in_process


def test_reference_solution_scores_full_marks(aws: None, lambda_medium: Assessment) -> None:
    reference.deploy("s1", REGION)
    report, _ = grade_in_process(lambda_medium, "s1")
    not_passed = {c.id: c.message for c in report.checks() if c.status.value != "pass"}
    assert not_passed == {}
    assert (report.earned, report.possible, report.percent) == (120, 120, 100.0)
    assert report.passed and report.complete
    assert all(t.status.value == "pass" for t in report.tasks)
    assert all(c.hint is None for c in report.checks())
    # The reference follows the text: no informational note applies to it.
    assert [n for t in report.tasks for n in t.notes] == []


def test_a_full_grade_never_sends_the_same_request_twice(aws: None, lambda_medium: Assessment) -> None:
    reference.deploy("s1", REGION)
    _, account = grade_in_process(lambda_medium, "s1")
    repeated = [r for r, n in Counter(account.requests).items() if n > 1]
    assert repeated == []
    assert len(account.requests) <= 40
    assert all(a.split(":")[1].startswith(("List", "Get", "Describe")) for a in account.calls)


def test_json_report_has_the_contract_shape(aws: None, lambda_medium: Assessment) -> None:
    reference.deploy("s1", REGION)
    report, _ = grade_in_process(lambda_medium, "s1")
    data = json.loads(json.dumps(report.to_dict()))
    for key in (
        "schema_version",
        "assessment",
        "student_id",
        "account_id",
        "region",
        "graded_at",
        "duration_s",
        "score",
        "pass_mark",
        "passed",
        "complete",
        "tasks",
    ):
        assert key in data
    assert data["schema_version"] == 1
    assert data["assessment"] == "lambda_medium"
    assert data["student_id"] == "s1"
    assert data["account_id"] == "123456789012"
    assert data["region"] == REGION
    assert data["graded_at"].endswith("Z")
    assert data["score"] == {"earned": 120, "possible": 120, "percent": 100.0}
    assert data["pass_mark"] == 70
    task = data["tasks"][0]
    assert {"number", "title", "status", "earned", "possible", "checks"} <= set(task)
    assert set(task["checks"][0]) >= {"id", "title", "points", "earned", "status", "message", "hint"}


def test_an_empty_account_scores_zero_and_every_miss_has_a_hint(aws: None, lambda_medium: Assessment) -> None:
    report, _ = grade_in_process(lambda_medium, "s1")
    assert {c.status.value for c in report.checks()} == {"fail"}
    assert (report.earned, report.possible) == (0, 120)
    assert report.complete and not report.passed
    assert all(t.status.value == "fail" for t in report.tasks)
    for c in report.checks():
        assert c.hint and "README_lambda_medium.md" in c.hint, c.id
        assert c.message, c.id
    by_id = {c.id: c for c in report.checks()}
    assert by_id["t2.memory"].message == "function layer-consumer-s1 does not exist"
    made = by_id["t2.function_exists"].hint or ""
    assert "aws lambda create-function --function-name layer-consumer-s1" in made
    # The assessment's maker (not the plain fallback): the fix zips the function's code itself.
    assert 'fileb://"$FUNCTION_ZIP"' in made and "fileb://function.zip" not in made
