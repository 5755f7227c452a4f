"""AWS errors: one denied operation errors only the checks that need it; nothing stops the run."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from checks.assessments.lambda_medium import reference
from checks.aws import Account, new_session
from checks.grading.runner import grade
from checks.registry import Assessment
from tests.conftest import REGION, grade_in_process


def deny(session: boto3.Session, service: str, operation: str, code: str = "AccessDeniedException") -> None:
    """Make every call of one operation answer like an IAM refusal."""

    def refuse(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        body = {
            "Error": {"Code": code, "Message": f"not authorized to perform {operation}"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }
        return AWSResponse("https://denied.invalid", 403, {}, None), body

    session.events.register(f"before-call.{service}.{operation}", refuse)


@pytest.mark.parametrize(
    ("service", "operation", "action", "expected"),
    [
        ("lambda", "GetFunction", "lambda:GetFunction", {"t7.reserved"}),
        (
            "cloudwatch",
            "DescribeAlarms",
            "cloudwatch:DescribeAlarms",
            {"t12.count", "t12.errors", "t12.duration", "t12.throttles"},
        ),
        (
            "application-autoscaling",
            "DescribeScalingPolicies",
            "application-autoscaling:DescribeScalingPolicies",
            {"t10.scaling_policy"},
        ),
        ("ec2", "DescribeSubnets", "ec2:DescribeSubnets", {"t3.multi_az"}),
        ("lambda", "GetPolicy", "lambda:GetPolicy", {"t11.cross_account", "t11.not_public"}),
    ],
)
def test_access_denied_errors_only_the_checks_that_need_it(
    aws: None, lambda_medium: Assessment, service: str, operation: str, action: str, expected: set[str]
) -> None:
    reference.deploy("s1", REGION)
    session = new_session(region_name=REGION)
    deny(session, service, operation)
    report, _ = grade_in_process(lambda_medium, "s1", session=session)
    errored = {c.id for c in report.checks() if c.status.value == "error"}
    assert errored == expected
    assert all(c.status.value == "pass" for c in report.checks() if c.id not in expected)
    for c in report.checks():
        if c.id in expected:
            assert action in c.message and "AccessDenied" in c.message
    assert not report.complete
    assert report.to_dict()["complete"] is False
    assert action in report.missing_actions
    assert {t.status.value for t in report.tasks if any(c.id in expected for c in t.checks)} == {"error"}


def test_a_denied_list_errors_its_dependants_and_the_rest_is_graded(aws: None, lambda_medium: Assessment) -> None:
    reference.deploy("s1", REGION)
    session = new_session(region_name=REGION)
    deny(session, "lambda", "ListFunctions")
    report, _ = grade_in_process(lambda_medium, "s1", session=session)
    by_status: dict[str, set[str]] = {}
    for c in report.checks():
        by_status.setdefault(c.status.value, set()).add(c.id)
    assert {
        "t1.layer_exists",
        "t5.queue",
        "t5.queue_settings",
        "t6.queue",
        "t6.retention",
        "t4.queues",
        "t12.count",
    } <= by_status["pass"]
    assert {"t2.function_exists", "t10.scalable_target"} <= by_status["error"]  # its function comes first
    assert "fail" not in by_status


def test_a_malformed_answer_is_an_error_of_that_check_only(aws: None, lambda_medium: Assessment) -> None:
    reference.deploy("s1", REGION)
    session = new_session(region_name=REGION)

    def strip_state(parsed: dict[str, Any], **_: Any) -> None:
        for mapping in parsed.get("EventSourceMappings", []):
            mapping.pop("EventSourceArn", None)
            mapping.pop("FunctionArn", None)

    session.events.register("after-call.lambda.ListEventSourceMappings", strip_state)

    def drop_key(parsed: dict[str, Any], **_: Any) -> None:
        parsed.pop("AccountLimit", None)
        parsed.get("Aliases", [{}])[0].pop("FunctionVersion", None) if parsed.get("Aliases") else None

    session.events.register("after-call.lambda.ListAliases", drop_key)
    report, _ = grade_in_process(lambda_medium, "s1", session=session)
    status = {c.id: c.status.value for c in report.checks()}
    assert status["t5.mapping"] == "fail" and status["t6.processor_trigger"] == "fail"
    assert status["t1.layer_exists"] == "pass"


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data


def _answer(status: int, code: str) -> AWSResponse:
    body = json.dumps({"__type": code, "message": "simulated"}).encode()
    return AWSResponse(
        "https://simulated.invalid", status, {"x-amzn-ErrorType": code, "Content-Type": "application/json"}, _Body(body)
    )


@pytest.mark.parametrize(("status", "code"), [(429, "TooManyRequestsException"), (503, "ServiceException")])
def test_throttling_and_5xx_are_retried_and_graded_the_same(
    aws: None, lambda_medium: Assessment, status: int, code: str, instant_backoff: list[float]
) -> None:
    """Every third Lambda request is refused (throttled, or a server error); retries absorb it."""
    reference.deploy("s1", REGION)
    session = new_session(region_name=REGION)
    sent = {"n": 0, "refused": 0}

    def refuse_every_third(**_: Any) -> AWSResponse | None:
        sent["n"] += 1
        if sent["n"] % 3:
            return None
        sent["refused"] += 1
        return _answer(status, code)

    session.events.register_first("before-send.lambda", refuse_every_third)
    report, _ = grade_in_process(lambda_medium, "s1", session=session)
    assert sent["refused"] >= 4
    assert len(instant_backoff) >= sent["refused"]  # each refusal was retried after a backoff
    assert report.earned == 120 and report.complete


def test_throttling_of_every_third_request_of_every_service_changes_no_verdict(
    aws: None, lambda_medium: Assessment, instant_backoff: list[float]
) -> None:
    """Throttling answers in each service's own wire format (JSON, query XML, EC2 XML, CBOR); retries absorb them."""
    from tests.faults import throttled

    reference.deploy("s1", REGION)
    baseline, _ = grade_in_process(lambda_medium, "s1")
    protocols = {}
    session = new_session(region_name=REGION)
    loader = session._session
    sent: Counter[str] = Counter()
    refused: Counter[str] = Counter()

    def every_third(event_name: str, **_: Any) -> AWSResponse | None:
        service = event_name.split(".")[1]
        sent[service] += 1
        if sent[service] % 3 != 1:  # each service's 1st, 4th, 7th… request
            return None
        if service not in protocols:
            name = {"application-auto-scaling": "application-autoscaling"}.get(service, service)
            model = loader.get_service_model(name)  # the protocol the client speaks, of those it could
            protocols[service] = getattr(model, "resolved_protocol", None) or model.protocol
        refused[service] += 1
        return throttled(protocols[service])

    session.events.register_first("before-send", every_third)
    report, _ = grade_in_process(lambda_medium, "s1", session=session)
    assert {"lambda", "sqs", "cloudwatch", "ec2", "iam", "application-auto-scaling"} <= set(refused)
    assert [(c.id, c.status, c.message) for c in report.checks()] == [
        (c.id, c.status, c.message) for c in baseline.checks()
    ]
    assert report.complete


def test_a_burst_of_server_errors_is_retried(aws: None, lambda_medium: Assessment) -> None:
    from tests.faults import server_error

    reference.deploy("s1", REGION)
    session = new_session(region_name=REGION)
    burst = {"left": 12}

    def first_twelve(event_name: str, **_: Any) -> AWSResponse | None:
        if burst["left"] <= 0 or ".sts." in event_name:
            return None
        burst["left"] -= 1
        return server_error()

    session.events.register_first("before-send", first_twelve)
    report, _ = grade_in_process(lambda_medium, "s1", session=session)
    assert burst["left"] == 0
    assert report.earned == 120 and report.complete


def test_rate_budgets_are_counted_per_region_as_aws_counts_its_quotas(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests a second to Lambda: a third in one region waits; another region has its own budget."""
    clock = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    import checks.aws.budgets

    monkeypatch.setattr(checks.aws.budgets.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(checks.aws.budgets.time, "sleep", sleep)
    from checks.aws.budgets import Budgets, Quota

    lambda_two_a_second = Budgets((Quota("lambda", None, 2.0),), use=1.0)
    account = Account(new_session(region_name=REGION), REGION, budgets=lambda_two_a_second)
    for _ in range(2):
        account.client("lambda").list_functions()
    assert slept == []  # a second's burst passes at once
    for _ in range(2):
        account.client("lambda", "eu-west-1").list_functions()
    assert slept == []  # another region's quota is its own
    account.client("lambda").list_functions()
    assert slept == [pytest.approx(0.5)]  # the third in one second waits for its token
    account.client("sqs").list_queues()
    assert len(slept) == 1  # a service without a budget never waits


@pytest.mark.parametrize(
    ("service", "operation", "key", "per_second"),
    [
        ("lambda", "GetFunction", "lambda:GetFunction", 100),
        ("lambda", "GetPolicy", "lambda:GetPolicy", 15),
        ("lambda", "ListAliases", "lambda:*", 15),
        ("lambda", "ListFunctions", "lambda:*", 15),
        ("cloudwatch", "DescribeAlarms", "cloudwatch:DescribeAlarms", 9),
        ("ec2", "DescribeSubnets", "ec2:DescribeSubnets", 20),
        ("ec2", "DescribeSecurityGroups", "ec2:DescribeSecurityGroups", 20),
    ],
)
def test_each_request_is_counted_against_the_quota_aws_publishes(
    service: str, operation: str, key: str, per_second: float
) -> None:
    from checks.aws.budgets import quota_for

    found = quota_for(service, operation)
    assert found is not None and found[0] == key and found[1].per_second == per_second


def test_budgets_are_per_account_and_region_whatever_the_credentials_and_a_shard_takes_its_part() -> None:
    from checks.aws.budgets import USE, Budgets

    budgets = Budgets()
    one = budgets.for_request("111111111111", "us-east-1", "lambda", "ListAliases")
    assert one is budgets.for_request("111111111111", "us-east-1", "lambda", "GetFunctionConcurrency")
    assert one is not budgets.for_request("111111111111", "eu-west-1", "lambda", "ListAliases")
    assert one is not budgets.for_request("222222222222", "us-east-1", "lambda", "ListAliases")
    assert one is not None and one.rate == 15 * USE
    iam = budgets.for_request("111111111111", "us-east-1", "iam", "ListRolePolicies")
    assert iam is budgets.for_request("111111111111", "eu-west-1", "iam", "GetRolePolicy")  # IAM is global
    budgets.share = 1 / 4
    quarter = budgets.for_request("111111111111", "us-east-1", "lambda", "ListAliases")
    assert quarter is not None and quarter.rate == 15 * USE / 4


def test_a_throttled_answer_slows_its_budget_and_answers_win_the_pace_back(
    aws: None, lambda_medium: Assessment, instant_backoff: list[float]
) -> None:
    from checks.aws.budgets import Budgets, Quota
    from tests.faults import throttled

    reference.deploy("s1", REGION)
    session = new_session(region_name=REGION)
    refused = {"n": 0}

    def refuse_the_first_two(**_: Any) -> AWSResponse | None:
        if refused["n"] >= 2:
            return None
        refused["n"] += 1
        return throttled("rest-json")

    session.events.register_first("before-send.lambda", refuse_the_first_two)
    budgets = Budgets((Quota("lambda", None, 1000.0),), use=1.0)  # generous: slowed, it still never waits here
    account = Account(session, REGION, budgets=budgets)
    account.identify()

    report = grade(
        lambda_medium,
        lambda_medium.student(account, "s1"),
    )
    assert report.earned == 120
    assert budgets.throttled() == 2
    paced = budgets.for_request(account.account_id, REGION, "lambda", "ListFunctions")
    assert paced is not None and paced.rate < paced.base  # slowed, and winning the pace back
    before = paced.rate
    paced.answered()
    assert paced.rate > before
