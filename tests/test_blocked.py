"""The blocked rule: a small concurrency quota blocks reserving 5 and provisioning 2."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from checks.assessments.lambda_medium import reference
from checks.registry import Assessment
from checks.standin import gap_fills as moto_gaps
from tests.conftest import REGION, grade_in_process

ACCOUNT = "123456789012"


@pytest.fixture
def quota() -> Iterator[dict[str, int]]:
    yield moto_gaps.concurrency_quota
    moto_gaps.concurrency_quota.clear()


def _undo_concurrency() -> None:
    lam = boto3.client("lambda", region_name=REGION)
    lam.delete_function_concurrency(FunctionName="rate-limited-function-s1")
    lam.delete_provisioned_concurrency_config(FunctionName="layer-consumer-s1", Qualifier="PROD")


@pytest.mark.parametrize("limit", [10, 50])
def test_a_small_quota_blocks_both_checks_and_leaves_them_out(
    aws: None, lambda_medium: Assessment, quota: dict[str, int], limit: int
) -> None:
    reference.deploy("s1", REGION)
    _undo_concurrency()
    quota[ACCOUNT] = limit
    report, _ = grade_in_process(lambda_medium, "s1")
    blocked = {c.id: c for c in report.checks() if c.status.value == "blocked"}
    assert set(blocked) == {"t7.reserved", "t10.provisioned"}
    assert (report.earned, report.possible, report.percent) == (111, 111, 100.0)
    for c in blocked.values():
        assert c.earned == 0
        assert f"quota is {limit}" in c.message and "Service Quotas" in c.message
    tasks = {t.number: t for t in report.tasks}
    assert (tasks[7].possible, tasks[7].status.value) == (5, "pass")


def test_a_met_check_is_never_blocked(aws: None, lambda_medium: Assessment, quota: dict[str, int]) -> None:
    reference.deploy("s1", REGION)
    quota[ACCOUNT] = 10
    report, account = grade_in_process(lambda_medium, "s1")
    assert report.earned == report.possible == 120
    assert "lambda:GetAccountSettings" not in account.calls


def test_with_the_default_quota_a_missing_reservation_fails(aws: None, lambda_medium: Assessment) -> None:
    reference.deploy("s1", REGION)
    _undo_concurrency()
    report, account = grade_in_process(lambda_medium, "s1")
    status = {c.id: c.status.value for c in report.checks()}
    assert status["t7.reserved"] == "fail" and status["t10.provisioned"] == "fail"
    assert account.calls.count("lambda:GetAccountSettings") == 1
