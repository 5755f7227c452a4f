"""The moto gap fills: each behaves as the AWS API reference says, and each is still needed.

``test_plain_moto_still_lacks`` runs the probes against moto without the fills,
in a fresh process. When it fails for a gap, moto now does that itself: delete
the fill from checks/standin/gap_fills.py and its probe.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from checks.assessments.lambda_medium import reference
from checks.standin import gap_fills as moto_gaps
from tests.conftest import REGION, ROOT


@pytest.fixture(scope="session")  # a finished subprocess's answers: each worker asks once
def plain_moto() -> dict[str, bool]:
    done = subprocess.run(
        [sys.executable, "-m", "checks.standin.gap_fills"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "PATH": "",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        },
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


@pytest.mark.parametrize("gap", sorted(moto_gaps.PROBES))
def test_plain_moto_still_lacks(plain_moto: dict[str, bool], gap: str) -> None:
    assert plain_moto[gap] is False, f"moto now has '{moto_gaps.PROBES[gap]}': remove that gap fill"


def test_every_fill_works_once_installed(aws: None) -> None:
    assert moto_gaps.probe() == {gap: True for gap in moto_gaps.PROBES}


def test_provisioned_concurrency_as_the_api_reference_describes(aws: None) -> None:
    reference.deploy("s1", REGION)
    lam = boto3.client("lambda", region_name=REGION)
    with pytest.raises(ClientError) as latest:
        lam.put_provisioned_concurrency_config(
            FunctionName="layer-consumer-s1", Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    assert latest.value.response["Error"]["Code"] == "InvalidParameterValueException"
    config = lam.get_provisioned_concurrency_config(FunctionName="layer-consumer-s1", Qualifier="PROD")
    assert config["RequestedProvisionedConcurrentExecutions"] == 2 and config["Status"] == "READY"
    listed = lam.list_provisioned_concurrency_configs(FunctionName="layer-consumer-s1")
    assert [c["FunctionArn"].rsplit(":", 1)[-1] for c in listed["ProvisionedConcurrencyConfigs"]] == ["PROD"]
    lam.delete_provisioned_concurrency_config(FunctionName="layer-consumer-s1", Qualifier="PROD")
    with pytest.raises(ClientError) as gone:
        lam.get_provisioned_concurrency_config(FunctionName="layer-consumer-s1", Qualifier="PROD")
    assert gone.value.response["Error"]["Code"] == "ProvisionedConcurrencyConfigNotFoundException"
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_policies_are_kept_per_qualifier(aws: None) -> None:
    reference.deploy("s1", REGION)
    lam = boto3.client("lambda", region_name=REGION)
    lam.add_permission(
        FunctionName="layer-consumer-s1",
        Qualifier="STAGING",
        StatementId="OnStaging",
        Action="lambda:InvokeFunction",
        Principal="111122223333",
    )
    staging = json.loads(lam.get_policy(FunctionName="layer-consumer-s1", Qualifier="STAGING")["Policy"])
    assert [s["Sid"] for s in staging["Statement"]] == ["OnStaging"]
    assert staging["Statement"][0]["Resource"].endswith(":layer-consumer-s1:STAGING")
    plain = json.loads(lam.get_policy(FunctionName="layer-consumer-s1")["Policy"])
    assert [s["Sid"] for s in plain["Statement"]] == ["AllowCrossAccountInvoke"]
    with pytest.raises(ClientError) as none:
        lam.get_policy(FunctionName="layer-consumer-s1", Qualifier="PROD")
    assert none.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_account_settings_count_reserved_concurrency(aws: None) -> None:
    reference.deploy("s1", REGION)
    limits = boto3.client("lambda", region_name=REGION).get_account_settings()["AccountLimit"]
    assert limits["ConcurrentExecutions"] == 1000
    assert limits["UnreservedConcurrentExecutions"] == 995


def test_dead_letter_config_can_be_removed(aws: None) -> None:
    made = reference.deploy("s1", REGION)
    lam = boto3.client("lambda", region_name=REGION)
    config = lam.get_function_configuration(FunctionName="async-processor-s1")
    assert config["DeadLetterConfig"]["TargetArn"] == made["queues"]["lambda-dlq-s1"]
    lam.update_function_configuration(FunctionName="async-processor-s1", DeadLetterConfig={"TargetArn": ""})
    assert "DeadLetterConfig" not in lam.get_function_configuration(FunctionName="async-processor-s1")


def test_update_event_invoke_config_changes_only_what_it_names(aws: None) -> None:
    reference.deploy("s1", REGION)
    lam = boto3.client("lambda", region_name=REGION)
    lam.update_function_event_invoke_config(FunctionName="async-processor-s1", MaximumRetryAttempts=1)
    config = lam.get_function_event_invoke_config(FunctionName="async-processor-s1")
    assert config["MaximumRetryAttempts"] == 1 and config["MaximumEventAgeInSeconds"] == 21600
    assert "OnSuccess" in config["DestinationConfig"]


def test_an_alias_names_only_published_versions_as_the_api_reference_describes(aws: None) -> None:
    reference.deploy("s1", REGION)  # PROD on version 1, 0.1 to version 2; STAGING on $LATEST
    lam = boto3.client("lambda", region_name=REGION)
    name = "layer-consumer-s1"
    with pytest.raises(ClientError) as weights:
        lam.update_alias(FunctionName=name, Name="PROD", RoutingConfig={"AdditionalVersionWeights": {"7": 0.1}})
    assert weights.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as named:
        lam.delete_function(FunctionName=name, Qualifier="2")
    assert named.value.response["Error"]["Code"] == "ResourceConflictException"
    assert "PROD" in named.value.response["Error"]["Message"]
    lam.update_alias(
        FunctionName=name, Name="PROD", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {}}
    )
    lam.delete_function(FunctionName=name, Qualifier="2")  # no alias names it any more
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]] == ["$LATEST", "1"]


def test_what_aws_checks_when_a_change_is_saved_with_its_codes_and_messages(aws: None) -> None:
    """Gap fills 10 to 14, as the AWS Lambda API reference and AWS's answers word them."""
    import io
    import json
    import zipfile

    from checks.standin.gap_fills import as_aws

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("lambda_function.py", "def lambda_handler(event, context):\n    return event\n")
    iam = boto3.client("iam", region_name=REGION)
    lam = boto3.client("lambda", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    role = iam.create_role(RoleName="bare", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    common = {"Runtime": "python3.12", "Role": role, "Handler": "lambda_function.lambda_handler"}
    lam.create_function(FunctionName="slow", Timeout=60, Code={"ZipFile": buf.getvalue()}, **common)
    url = sqs.create_queue(QueueName="source")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def refused(call: Any) -> tuple[str, str]:
        with pytest.raises(ClientError) as answer:
            call()
        return answer.value.response["Error"]["Code"], answer.value.response["Error"]["Message"]

    mapping = lambda: lam.create_event_source_mapping(FunctionName="slow", EventSourceArn=queue)  # noqa: E731
    assert refused(mapping) == (
        "InvalidParameterValueException",
        "The provided execution role does not have permissions to call ReceiveMessage on SQS",
    )
    rights = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    statement = {"Effect": "Allow", "Action": rights, "Resource": queue}
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    iam.put_role_policy(RoleName="bare", PolicyName="trigger", PolicyDocument=document)
    assert refused(mapping) == (
        "InvalidParameterValueException",
        "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds",
    )
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "60"})
    mapping()  # granted and long enough: accepted
    assert refused(
        lambda: lam.update_function_configuration(FunctionName="slow", DeadLetterConfig={"TargetArn": queue})
    )[1] == ("The provided execution role does not have permissions to call SendMessage on SQS")
    subnets = {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}
    assert refused(lambda: lam.update_function_configuration(FunctionName="slow", VpcConfig=subnets))[1] == (
        "The provided execution role does not have permissions to call CreateNetworkInterface on EC2"
    )
    deny = {"Effect": "Deny", "Action": "sqs:SendMessage", "Resource": "*"}
    allow = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
    document = json.dumps({"Version": "2012-10-17", "Statement": [allow, deny]})
    iam.put_role_policy(RoleName="bare", PolicyName="send", PolicyDocument=document)
    destination = {"OnFailure": {"Destination": queue}}
    assert (
        refused(lambda: lam.put_function_event_invoke_config(FunctionName="slow", DestinationConfig=destination))[0]
        == "InvalidParameterValueException"
    )  # an explicit Deny wins, as IAM decides
    permission = {"FunctionName": "slow", "StatementId": "once", "Action": "lambda:InvokeFunction"}
    lam.add_permission(Principal="111122223333", **permission)
    assert refused(lambda: lam.add_permission(Principal="444455556666", **permission)) == (
        "ResourceConflictException",
        "The statement id (once) provided already exists. Please provide a new statement id, "
        "or remove the existing statement.",
    )
    layer = lam.publish_layer_version(LayerName="l", Content={"ZipFile": buf.getvalue()})["LayerVersionArn"]
    assert refused(lambda: lam.update_function_configuration(FunctionName="slow", Layers=[layer] * 6)) == (
        "InvalidParameterValueException",
        "Cannot reference more than 5 layers.",
    )
    with as_aws():
        lam.update_function_configuration(FunctionName="slow", MemorySize=256)
        code, message = refused(lambda: lam.update_function_configuration(FunctionName="slow", Timeout=30))
        assert code == "ResourceConflictException"
        assert message.startswith("The operation cannot be performed at this time. An update is in progress")
        lam.get_function_configuration(FunctionName="slow")  # what a waiter reads: then it may go on
        lam.update_function_configuration(FunctionName="slow", Timeout=30)
