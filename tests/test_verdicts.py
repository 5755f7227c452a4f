"""Verdicts on accounts as students really leave them, graded through the command line against the stand-in.

One test per family of cases (whose resource it is, IAM as IAM evaluates it, AWS's definite
answers, the region's Insights layer), each on deployments of its own.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from checks.assessments.lambda_medium import reference
from checks.assessments.lambda_medium.task08_insights import INSIGHTS_POLICY
from checks.cli import main
from tests.conftest import REGION

INSIGHTS_POLICY_ARN = f"arn:aws:iam::aws:policy/{INSIGHTS_POLICY}"


def graded(capsys: pytest.CaptureFixture[str], student: str, *flags: str) -> dict[str, Any]:
    main(["lambda_medium", "--student-id", student, "--format", "json", *flags])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for t in report["tasks"] for c in t["checks"]}


def hints(report: dict[str, Any]) -> str:
    return "\n".join(c["hint"] or "" for c in by_id(report).values())


# -- whose resource is it ------------------------------------------------------------------


@pytest.mark.parametrize(("student", "classmates"), [("k7", ["k70", "k7x", "K7-b"]), ("ux8", ["ux2", "ux80"])])
def test_a_classmates_resource_is_never_suggested(
    aws: None, capsys: pytest.CaptureFixture[str], student: str, classmates: list[str]
) -> None:
    for other in classmates:
        reference.deploy(other, REGION)
    report = graded(capsys, student)
    assert report["score"]["earned"] == 0
    text = hints(report)
    assert "Did you mean" not in text, text
    for other in classmates:
        assert f"-{other}`" not in text and f"-{other} " not in text


def test_a_near_miss_of_ones_own_is_still_named_beside_a_classmates(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    reference.deploy("ab2", REGION)
    reference.deploy("ab", REGION)
    lam = boto3.client("lambda", region_name=REGION)
    config = lam.get_function(FunctionName="vpc-lambda-ab")["Configuration"]
    lam.delete_function(FunctionName="vpc-lambda-ab")
    lam.create_function(
        FunctionName="vpc_lambda-ab",
        Runtime="python3.12",
        Role=config["Role"],
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": reference.zipped({"lambda_function.py": reference.HANDLER})},
    )
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="task-queue-ab")["QueueUrl"])
    sqs.create_queue(QueueName="task-queue-ab.fifo", Attributes={"FifoQueue": "true"})
    checks = by_id(graded(capsys, "ab"))
    assert "Did you mean `vpc_lambda-ab`?" in checks["t3.function_exists"]["hint"]
    assert "Did you mean `task-queue-ab.fifo`?" in checks["t5.queue"]["hint"]
    assert "ab2" not in hints(graded(capsys, "ab"))


@pytest.mark.parametrize(("student", "there"), [("r1", "eu-west-1"), ("zz9", "ap-southeast-2")])
def test_work_in_another_region_is_named_even_beside_a_classmates_look_alike(
    aws: None, capsys: pytest.CaptureFixture[str], student: str, there: str
) -> None:
    reference.deploy(student, there)
    reference.deploy(student + "0", REGION)  # a classmate one letter away, in the graded region
    report = graded(capsys, student, "--region", REGION)
    text = hints(report)
    assert f"--region {there}" in text
    assert student + "0" not in text


# -- IAM as IAM evaluates it ------------------------------------------------------------------


def _with_statement(student: str, statement: dict[str, Any]) -> None:
    reference.deploy(student, REGION)
    document = {"Version": "2012-10-17", "Statement": [*reference.ROLE_POLICY["Statement"], statement]}
    boto3.client("iam", region_name=REGION).put_role_policy(
        RoleName=f"lambda-medium-role-{student}", PolicyName="lambda-medium", PolicyDocument=json.dumps(document)
    )


@pytest.mark.parametrize(
    ("statement", "status", "says"),
    [
        ({"Effect": "Deny", "Action": "logs:PutLogEvents", "Resource": ["*"]}, "fail", "explicit Deny"),
        ({"Effect": "Deny", "Action": "logs:*", "Resource": "arn:aws:logs:us-east-1:*:*"}, "fail", "explicit Deny"),
        (
            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            "pass",
            "does not apply",
        ),
        (
            {
                "Effect": "Deny",
                "Action": "logs:*",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]}},
            },
            "pass",
            "does not apply",
        ),
    ],
)
def test_an_explicit_deny_wins_unless_its_condition_rules_it_out(
    aws: None, capsys: pytest.CaptureFixture[str], statement: dict[str, Any], status: str, says: str
) -> None:
    _with_statement("iam1", statement)
    check = by_id(graded(capsys, "iam1"))["t8.role_policy"]
    assert check["status"] == status and says in check["message"], check["message"]


def test_awss_policy_is_known_by_its_arn_not_its_name(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    reference.deploy("iam2", REGION)
    iam = boto3.client("iam", region_name=REGION)
    role = "lambda-medium-role-iam2"
    iam.delete_role_policy(RoleName=role, PolicyName="lambda-medium")
    nothing = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    fake = iam.create_policy(
        PolicyName="CloudWatchLambdaInsightsExecutionRolePolicy", PolicyDocument=json.dumps(nothing)
    )
    iam.attach_role_policy(RoleName=role, PolicyArn=fake["Policy"]["Arn"])
    check = by_id(graded(capsys, "iam2"))["t8.role_policy"]
    assert check["status"] == "fail"
    assert INSIGHTS_POLICY_ARN in check["hint"]


# -- AWS's definite answers are verdicts ------------------------------------------------------


def test_a_deleted_execution_role_fails_naming_it(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    reference.deploy("gone", REGION)
    iam = boto3.client("iam", region_name=REGION)
    role = "lambda-medium-role-gone"
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        iam.delete_role_policy(RoleName=role, PolicyName=name)
    iam.delete_role(RoleName=role)
    report = graded(capsys, "gone")
    check = by_id(report)["t8.role_policy"]
    assert check["status"] == "fail", check
    assert f"execution role {role} does not exist" in check["message"]
    assert f"aws iam create-role --role-name {role}" in check["hint"]
    assert report["complete"] is True


@pytest.mark.parametrize("student", ["half", "left2"])
def test_a_deleted_function_fails_what_hangs_on_it_and_reads_nothing_of_it(
    aws: None, capsys: pytest.CaptureFixture[str], student: str
) -> None:
    reference.deploy(student, REGION)
    lam = boto3.client("lambda", region_name=REGION)
    lam.delete_provisioned_concurrency_config(FunctionName=f"layer-consumer-{student}", Qualifier="PROD")
    lam.delete_function(FunctionName=f"layer-consumer-{student}")  # the scalable target and policy stay behind
    checks = by_id(graded(capsys, student))
    for check_id in ("t10.scalable_target", "t10.scaling_policy", "t10.provisioned", "t9.prod", "t11.not_public"):
        assert checks[check_id]["status"] == "fail", check_id
        assert f"function layer-consumer-{student} does not exist" in checks[check_id]["message"]


@pytest.mark.parametrize("student", ["esm1", "esm2"])
def test_a_disabled_mapping_fails_with_the_enable_fix(
    aws: None, capsys: pytest.CaptureFixture[str], student: str
) -> None:
    reference.deploy(student, REGION)
    lam = boto3.client("lambda", region_name=REGION)
    queue = boto3.client("sqs", region_name=REGION).get_queue_url(QueueName=f"task-queue-{student}")["QueueUrl"]
    arn = boto3.client("sqs", region_name=REGION).get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    mapping = lam.list_event_source_mappings(EventSourceArn=arn["Attributes"]["QueueArn"])["EventSourceMappings"][0]
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    check = by_id(graded(capsys, student))["t5.mapping"]
    assert check["status"] == "fail"
    assert f"aws lambda update-event-source-mapping --uuid {mapping['UUID']} --enabled" in check["hint"]


# -- the region's Insights layer ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "layer"),
    [
        ("af-south-1", "arn:aws:lambda:af-south-1:012438385374:layer:LambdaInsightsExtension:28"),
        ("eu-central-1", "arn:aws:lambda:eu-central-1:580247275435:layer:LambdaInsightsExtension:38"),
    ],
)
def test_the_insights_fix_names_the_regions_layer(
    aws: None, capsys: pytest.CaptureFixture[str], region: str, layer: str
) -> None:
    reference.deploy("ins", region)
    lam = boto3.client("lambda", region_name=region)
    own = lam.list_layer_versions(LayerName="common-utils-layer-ins")["LayerVersions"][0]["LayerVersionArn"]
    lam.update_function_configuration(FunctionName="layer-consumer-ins", Layers=[own])
    check = by_id(graded(capsys, "ins", "--region", region))["t8.layer"]
    assert check["status"] == "fail"
    assert f"--layers {own} {layer}" in check["hint"]
