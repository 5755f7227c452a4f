"""One cause, said once: accounts where every check misses for the same reason, and how short their report is."""

from __future__ import annotations

import json
import tempfile

import pytest

from checks.assessments.lambda_medium import reference
from checks.aws import new_session
from checks.cli import main
from tests.conftest import REGION

SHORT = 40  # lines: a report a student reads to the end


def _grade(capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, dict, str]:
    """The JSON report of a live grade, and the table of the same grade (regraded from its evidence)."""
    with tempfile.TemporaryDirectory() as kept:
        code = main(["lambda_medium", "--region", REGION, "--format", "json", "--evidence", kept, *flags])
        report = json.loads(capsys.readouterr().out)
        replayed = ["lambda_medium", "--region", REGION, "--format", "table", "--from-evidence", kept, *flags]
        assert main(replayed) == code
    return code, report, capsys.readouterr().out


def test_an_empty_account_says_start_at_task_1_and_gives_its_fixes_only(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, table = _grade(capsys, "--student-id", "ux1")
    assert code == 1
    assert report["diagnosis"] == {
        "kind": "nothing_deployed",
        "message": f"Nothing of ux1's is deployed in {REGION} yet: start at Task 1.",
        "rerun": None,
    }
    lines = table.splitlines()
    assert len(lines) <= SHORT, table
    start = lines.index("# How to fix  (this block runs as it is in bash)")
    block = lines[start : lines.index("", start)]
    commands = [line for line in block if not line.startswith(("#", " "))]
    assert len(commands) == 1, table  # Task 1's one fix (its zip, then the publish), and no other
    assert "aws lambda publish-layer-version --layer-name common-utils-layer-ux1" in table
    assert "Next: Task 1, Lambda layer: run the first command under Task 1 above" in table
    assert "t2." not in table  # no row per check: the diagnosis says why they all fail


def test_work_in_another_region_is_one_line_and_no_fix_to_rebuild_it_here(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    reference.deploy("ux1", "eu-west-1", session=new_session(region_name="eu-west-1"))
    _, report, table = _grade(capsys, "--student-id", "ux1")
    assert report["diagnosis"]["kind"] == "other_region" and report["diagnosis"]["rerun"] == "--region eu-west-1"
    assert len(table.splitlines()) <= SHORT, table
    assert table.count("eu-west-1") == 2  # the diagnosis and the Next line, not once a check
    assert "aws " not in table and "How to fix" not in table
    assert "Next: grade again with --region eu-west-1." in table


def test_an_id_in_another_case_asks_did_you_mean(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    reference.deploy("ux1", REGION)
    _, report, table = _grade(capsys, "--student-id", "UX1")
    assert report["diagnosis"] == {
        "kind": "other_id",
        "message": "No resource is named for student ID UX1, but some are for ux1: did you mean --student-id ux1?",
        "rerun": "--student-id ux1",
    }
    assert len(table.splitlines()) <= SHORT, table
    assert "aws " not in table


def test_a_started_account_gets_no_diagnosis_and_a_row_per_miss(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    reference.deploy("ux1", REGION)
    new_session(region_name=REGION).client("lambda").update_function_configuration(
        FunctionName="layer-consumer-ux1", MemorySize=128
    )
    _, report, table = _grade(capsys, "--student-id", "ux1")
    assert report["diagnosis"] is None
    assert "✗ t2.memory" in table and "aws lambda update-function-configuration" in table
    assert "Next: Task 2, Function using the layer: run the first command under Task 2" in table


def test_a_classmates_work_is_no_reason_to_diagnose_another_id(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    """ux10's resources share a prefix with ux1's names but are not another form of ux1."""
    reference.deploy("ux10", REGION)
    _, report, _ = _grade(capsys, "--student-id", "ux1")
    assert report["diagnosis"]["kind"] == "nothing_deployed"


def test_a_layer_made_only_in_another_region_is_work_there_not_a_start(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """No function anywhere, but the student's layer in eu-west-1: grade there, not "start at Task 1"."""
    import boto3

    lam = boto3.client("lambda", region_name="eu-west-1")
    lam.publish_layer_version(LayerName="common-utils-layer-ux1", Content={"ZipFile": reference.LAYER_ZIP})
    _, report, table = _grade(capsys, "--student-id", "ux1")
    assert report["diagnosis"] == {
        "kind": "other_region",
        "message": f"Nothing of ux1's is in {REGION}: your work is in eu-west-1.",
        "rerun": "--region eu-west-1",
    }
    assert "start at Task 1" not in table and "Next: grade again with --region eu-west-1." in table


def test_alarms_on_the_students_functions_in_another_region_are_work_there(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only alarms, in eu-west-1, watching a function named for the student: their work is there."""
    import boto3

    boto3.client("cloudwatch", region_name="eu-west-1").put_metric_alarm(
        AlarmName="errors",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": "layer-consumer-ux1"}],
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    _, report, _ = _grade(capsys, "--student-id", "ux1")
    assert report["diagnosis"]["kind"] == "other_region" and report["diagnosis"]["rerun"] == "--region eu-west-1"


def test_everything_misnamed_the_same_way_is_not_nothing_deployed(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """`_` for `-` everywhere: no "start at Task 1", but a "did you mean" on every check that finds one."""
    import io
    import zipfile

    session = new_session(region_name=REGION)
    iam = session.client("iam")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    role = iam.create_role(RoleName="r-s7", AssumeRolePolicyDocument=trust)
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("lambda_function.py", "def lambda_handler(e, c):\n    return e\n")
    lam = session.client("lambda")
    for name in ("layer_consumer-s7", "vpc_lambda-s7", "async_processor-s7", "rate_limited_function-s7"):
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="lambda_function.lambda_handler",
            Code={"ZipFile": code.getvalue()},
        )
    lam.publish_layer_version(LayerName="common_utils_layer-s7", Content={"ZipFile": code.getvalue()})
    session.client("sqs").create_queue(QueueName="task_queue-s7")
    main(["lambda_medium", "--region", REGION, "--format", "json", "--student-id", "s7"])
    report = json.loads(capsys.readouterr().out)
    assert report.get("diagnosis") is None, report.get("diagnosis")  # no "start at Task 1"
    messages = {c["id"]: f"{c['message']} {c['hint']}" for t in report["tasks"] for c in t["checks"]}
    for check, near in (
        ("t1.layer_exists", "common_utils_layer-s7"),
        ("t2.function_exists", "layer_consumer-s7"),
        ("t3.function_exists", "vpc_lambda-s7"),
        ("t4.function_exists", "async_processor-s7"),
        ("t5.queue", "task_queue-s7"),
        ("t7.function_exists", "rate_limited_function-s7"),
    ):
        assert f"Did you mean `{near}`" in messages[check], (check, messages[check])
