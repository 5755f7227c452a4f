"""Two students in one account never see each other's resources (the s1 / s10 trap included)."""

from __future__ import annotations

import boto3

from checks.assessments.lambda_medium import reference
from checks.registry import Assessment
from tests.conftest import REGION, failing, grade_in_process


def test_s1_is_not_credited_with_s10s_work(aws: None, lambda_medium: Assessment) -> None:
    reference.deploy("s10", REGION)
    report, _ = grade_in_process(lambda_medium, "s1")
    assert report.earned == 0
    assert {c.status.value for c in report.checks()} == {"fail"}
    s10, _ = grade_in_process(lambda_medium, "s10")
    assert s10.earned == 120


def test_alarms_on_a_classmates_function_do_not_count(aws: None, lambda_medium: Assessment) -> None:
    reference.deploy("s1", REGION)
    reference.deploy("s10", REGION)
    cw = boto3.client("cloudwatch", region_name=REGION)
    cw.delete_alarms(AlarmNames=[f"Lambda-{x}-s1" for x in ("HighErrorRate", "HighDuration", "Throttles")])
    # An alarm named for s1 but watching s10's function is s10's alarm.
    cw.put_metric_alarm(
        AlarmName="Lambda-Errors-s1",
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
        Dimensions=[{"Name": "FunctionName", "Value": "layer-consumer-s10"}],
    )
    report, _ = grade_in_process(lambda_medium, "s1", classmates=("s10",))
    assert failing(report) == {"t12.count", "t12.errors", "t12.duration", "t12.throttles"}
    s10, _ = grade_in_process(lambda_medium, "s10", classmates=("s1",))
    assert s10.earned == 120


def test_a_near_miss_is_named_but_never_a_classmates_resource(aws: None, lambda_medium: Assessment) -> None:
    reference.deploy("s1", REGION)
    reference.deploy("s10", REGION)
    lam = boto3.client("lambda", region_name=REGION)
    lam.delete_function(FunctionName="sqs-consumer-s1")
    role = lam.get_function(FunctionName="dlq-processor-s1")["Configuration"]["Role"]
    lam.create_function(
        FunctionName="sqs_consumer-s1",
        Runtime="python3.12",
        Role=role,
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": reference.zipped({"lambda_function.py": reference.HANDLER})},
    )
    report, _ = grade_in_process(lambda_medium, "s1")
    hint = {c.id: c.hint for c in report.checks()}["t5.function_exists"] or ""
    assert "Did you mean `sqs_consumer-s1`?" in hint
    lam.delete_function(FunctionName="sqs_consumer-s1")
    report, _ = grade_in_process(lambda_medium, "s1")
    hint = {c.id: c.hint for c in report.checks()}["t5.function_exists"] or ""
    assert "s10" not in hint and "Did you mean" not in hint


def test_other_case_and_typo_are_suggested(aws: None, lambda_medium: Assessment) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.create_queue(QueueName="Task-Queue-s1")
    sqs.create_queue(QueueName="lamda-dlq-s1")
    report, _ = grade_in_process(lambda_medium, "s1")
    hints = {c.id: c.hint or "" for c in report.checks()}
    assert "Did you mean `Task-Queue-s1`?" in hints["t5.queue"]
    assert "Did you mean `lamda-dlq-s1`?" in hints["t6.queue"]


def test_work_in_another_region_is_pointed_out(aws: None, lambda_medium: Assessment) -> None:
    reference.deploy("s1", "eu-west-1")
    report, _ = grade_in_process(lambda_medium, "s1")
    assert report.earned == 0
    hint = {c.id: c.hint for c in report.checks()}["t2.function_exists"] or ""
    assert "eu-west-1" in hint and "--region eu-west-1" in hint
