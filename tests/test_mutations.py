"""One mutation of the reference account per check id: that check fails, and only the checks that depend on it.

Each entry: the check id -> (what to break, the checks expected to stop passing).
A test enumerates the registry and fails if a check id has no mutation here.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from checks.assessments.lambda_medium import reference
from checks.aws import new_session
from checks.registry import load_assessment
from tests.conftest import REGION, failing, grade_in_process

SID = "s1"
ACCOUNT = "123456789012"


@functools.cache
def _clients() -> tuple[Any, ...]:
    """Made once per worker: the stand-in answers a client whichever mock it was made under."""
    session = new_session(region_name=REGION)
    return tuple(session.client(s) for s in ("lambda", "sqs", "ec2", "cloudwatch", "application-autoscaling", "iam"))


class Aws:
    """Clients onto the mocked account, and what the reference made."""

    def __init__(self, made: dict[str, Any]) -> None:
        self.made = made
        self.lam, self.sqs, self.ec2, self.cw, self.aas, self.iam = _clients()

    def url(self, prefix: str) -> str:
        return str(self.sqs.get_queue_url(QueueName=f"{prefix}-{SID}")["QueueUrl"])

    def arn(self, prefix: str) -> str:
        return str(self.made["queues"][f"{prefix}-{SID}"])

    def config(self, prefix: str, **changes: Any) -> None:
        self.lam.update_function_configuration(FunctionName=f"{prefix}-{SID}", **changes)

    def mapping(self, queue: str) -> str:
        found = self.lam.list_event_source_mappings(EventSourceArn=self.arn(queue))["EventSourceMappings"]
        return str(found[0]["UUID"])

    def other_queue(self) -> str:
        """A queue of the student's that is not the one asked for; its role may send to it, or AWS would
        refuse it as a destination."""
        url = self.sqs.create_queue(QueueName=f"other-queue-{SID}")["QueueUrl"]
        arn = str(self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
        statement = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn}
        boto3.client("iam").put_role_policy(
            RoleName=f"lambda-medium-role-{SID}",
            PolicyName="send-to-other-queue",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
        )
        return arn

    def alarm(self, label: str, metric: str) -> None:
        self.cw.put_metric_alarm(
            AlarmName=f"Lambda-{label}-{SID}",
            MetricName=metric,
            Namespace="AWS/Lambda",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
            Dimensions=[{"Name": "FunctionName", "Value": f"layer-consumer-{SID}"}],
        )

    def layer_version(self, **fields: Any) -> None:
        self.lam.publish_layer_version(
            LayerName=f"common-utils-layer-{SID}", Content={"ZipFile": reference.LAYER_ZIP}, **fields
        )


def _vpc_subnets(a: Aws, subnets: list[str]) -> None:
    sg = a.made["security_group"]
    a.config(
        "vpc-lambda",
        VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": [sg]},
        Environment={"Variables": {"VPC_ID": a.made["vpc"], "SUBNET_IDS": ",".join(subnets), "SECURITY_GROUP_ID": sg}},
    )


def _one_zone(a: Aws) -> None:
    first = a.ec2.describe_subnets(SubnetIds=[a.made["subnets"][0]])["Subnets"][0]
    third = a.ec2.create_subnet(
        VpcId=a.made["vpc"], CidrBlock="10.20.9.0/24", AvailabilityZone=first["AvailabilityZone"]
    )["Subnet"]["SubnetId"]
    _vpc_subnets(a, [first["SubnetId"], third])


def _other_security_group(a: Aws) -> None:
    sg = a.ec2.create_security_group(GroupName="default-ish", Description="x", VpcId=a.made["vpc"])["GroupId"]
    subnets = a.made["subnets"]
    a.config(
        "vpc-lambda",
        VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": [sg]},
        Environment={"Variables": {"VPC_ID": a.made["vpc"], "SUBNET_IDS": ",".join(subnets), "SECURITY_GROUP_ID": sg}},
    )


def _destinations(a: Aws, **change: str) -> None:
    config = {
        "OnSuccess": {"Destination": a.arn("lambda-success-queue")},
        "OnFailure": {"Destination": a.arn("lambda-failure-queue")},
    }
    for which, arn in change.items():
        config[which] = {"Destination": arn}
    a.lam.put_function_event_invoke_config(
        FunctionName=f"async-processor-{SID}",
        MaximumEventAgeInSeconds=21600,
        MaximumRetryAttempts=2,
        DestinationConfig=config,
    )


def _invoke_settings(a: Aws, age: int = 21600, retries: int = 2) -> None:
    a.lam.put_function_event_invoke_config(
        FunctionName=f"async-processor-{SID}",
        MaximumEventAgeInSeconds=age,
        MaximumRetryAttempts=retries,
        DestinationConfig={
            "OnSuccess": {"Destination": a.arn("lambda-success-queue")},
            "OnFailure": {"Destination": a.arn("lambda-failure-queue")},
        },
    )


def _remap_task_queue(a: Aws, **fields: Any) -> None:
    a.lam.delete_event_source_mapping(UUID=a.mapping("task-queue"))
    a.lam.create_event_source_mapping(EventSourceArn=a.arn("task-queue"), FunctionName=f"sqs-consumer-{SID}", **fields)


def _no_versions(a: Aws) -> None:
    name = f"layer-consumer-{SID}"
    a.lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="PROD")
    for alias in ("PROD", "STAGING"):
        a.lam.delete_alias(FunctionName=name, Name=alias)
    for version in ("1", "2"):
        a.lam.delete_function(FunctionName=name, Qualifier=version)


def _insights_role_without_logs(a: Aws) -> None:
    document = dict(reference.ROLE_POLICY)
    document["Statement"] = [s for s in reference.ROLE_POLICY["Statement"] if "logs:PutLogEvents" not in s["Action"]]
    a.iam.put_role_policy(
        RoleName=f"lambda-medium-role-{SID}", PolicyName="lambda-medium", PolicyDocument=json.dumps(document)
    )


def _invoke_only_by_self(a: Aws) -> None:
    name = f"layer-consumer-{SID}"
    a.lam.remove_permission(FunctionName=name, StatementId="AllowCrossAccountInvoke")
    a.lam.add_permission(FunctionName=name, StatementId="SelfOnly", Action="lambda:InvokeFunction", Principal=ACCOUNT)


def _errors_and_throttles_in_one_alarm(a: Aws) -> None:
    a.cw.delete_alarms(AlarmNames=[f"Lambda-HighErrorRate-{SID}", f"Lambda-Throttles-{SID}"])
    dims = [{"Name": "FunctionName", "Value": f"layer-consumer-{SID}"}]
    a.cw.put_metric_alarm(
        AlarmName=f"Lambda-ErrorsOrThrottles-{SID}",
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        Metrics=[
            {
                "Id": "e",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/Lambda", "MetricName": "Errors", "Dimensions": dims},
                    "Period": 300,
                    "Stat": "Sum",
                },
                "ReturnData": False,
            },
            {
                "Id": "t",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/Lambda", "MetricName": "Throttles", "Dimensions": dims},
                    "Period": 300,
                    "Stat": "Sum",
                },
                "ReturnData": False,
            },
            {"Id": "sum", "Expression": "e + t", "ReturnData": True},
        ],
    )


T2 = {"t2.function_exists", "t2.runtime", "t2.memory", "t2.uses_layer"}
T3 = {"t3.function_exists", "t3.memory", "t3.in_vpc", "t3.multi_az", "t3.security_group", "t3.env_vars"}
T5_MAPPING = {"t5.mapping", "t5.batching", "t5.partial_failures"}
T9 = {"t9.version", "t9.prod", "t9.staging", "t9.canary"}
T10 = {"t10.provisioned", "t10.scalable_target", "t10.scaling_policy"}
T11 = {"t11.cross_account", "t11.not_public"}

Mutation = Callable[[Aws], None]
MUTATIONS: dict[str, tuple[Mutation, set[str]]] = {
    "t1.layer_exists": (
        lambda a: a.lam.delete_layer_version(LayerName=f"common-utils-layer-{SID}", VersionNumber=1),
        {"t1.layer_exists", "t1.runtime", "t1.description"},
    ),
    "t1.runtime": (lambda a: a.layer_version(Description="v2", CompatibleRuntimes=["python3.11"]), {"t1.runtime"}),
    "t1.description": (lambda a: a.layer_version(CompatibleRuntimes=["python3.12"]), {"t1.description"}),
    "t2.function_exists": (
        lambda a: a.lam.delete_function(FunctionName=f"layer-consumer-{SID}"),
        T2 | T9 | T11 | T10 | {"t8.layer", "t8.role_policy"},
    ),
    "t2.runtime": (lambda a: a.config("layer-consumer", Runtime="python3.11"), {"t2.runtime"}),
    "t2.memory": (lambda a: a.config("layer-consumer", MemorySize=128), {"t2.memory"}),
    "t2.uses_layer": (
        lambda a: a.config("layer-consumer", Layers=[reference.insights_layer_arn(REGION)]),
        {"t2.uses_layer"},
    ),
    "t3.function_exists": (lambda a: a.lam.delete_function(FunctionName=f"vpc-lambda-{SID}"), T3),
    "t3.memory": (lambda a: a.config("vpc-lambda", MemorySize=128), {"t3.memory"}),
    "t3.in_vpc": (
        lambda a: a.config("vpc-lambda", VpcConfig={"SubnetIds": [], "SecurityGroupIds": []}),
        T3 - {"t3.function_exists", "t3.memory"},
    ),
    "t3.multi_az": (_one_zone, {"t3.multi_az"}),
    "t3.security_group": (_other_security_group, {"t3.security_group"}),
    "t3.env_vars": (lambda a: a.config("vpc-lambda", Environment={"Variables": {"VPC_ID": "vpc-0"}}), {"t3.env_vars"}),
    "t4.function_exists": (
        lambda a: a.lam.delete_function(FunctionName=f"async-processor-{SID}"),
        {
            "t4.function_exists",
            "t4.memory",
            "t4.max_event_age",
            "t4.retry_attempts",
            "t4.on_success",
            "t4.on_failure",
            "t6.attached",
        },
    ),
    "t4.memory": (lambda a: a.config("async-processor", MemorySize=128), {"t4.memory"}),
    "t4.max_event_age": (lambda a: _invoke_settings(a, age=3600), {"t4.max_event_age"}),
    "t4.retry_attempts": (lambda a: _invoke_settings(a, retries=0), {"t4.retry_attempts"}),
    "t4.on_success": (lambda a: _destinations(a, OnSuccess=a.other_queue()), {"t4.on_success"}),
    "t4.on_failure": (lambda a: _destinations(a, OnFailure=a.other_queue()), {"t4.on_failure"}),
    "t4.queues": (
        lambda a: a.sqs.set_queue_attributes(
            QueueUrl=a.url("lambda-success-queue"), Attributes={"MessageRetentionPeriod": "3600"}
        ),
        {"t4.queues"},
    ),
    "t5.queue": (
        lambda a: a.sqs.delete_queue(QueueUrl=a.url("task-queue")),
        {"t5.queue", "t5.queue_settings"} | T5_MAPPING,
    ),
    "t5.queue_settings": (
        lambda a: a.sqs.set_queue_attributes(QueueUrl=a.url("task-queue"), Attributes={"VisibilityTimeout": "30"}),
        {"t5.queue_settings"},
    ),
    "t5.function_exists": (
        lambda a: a.lam.delete_function(FunctionName=f"sqs-consumer-{SID}"),
        {"t5.function_exists", "t5.memory"} | T5_MAPPING,
    ),
    "t5.memory": (lambda a: a.config("sqs-consumer", MemorySize=128), {"t5.memory"}),
    "t5.mapping": (
        lambda a: a.lam.update_event_source_mapping(UUID=a.mapping("task-queue"), Enabled=False),
        T5_MAPPING,
    ),
    "t5.batching": (
        lambda a: _remap_task_queue(
            a, BatchSize=5, MaximumBatchingWindowInSeconds=5, FunctionResponseTypes=["ReportBatchItemFailures"]
        ),
        {"t5.batching"},
    ),
    "t5.partial_failures": (
        lambda a: _remap_task_queue(a, BatchSize=10, MaximumBatchingWindowInSeconds=5),
        {"t5.partial_failures"},
    ),
    "t6.queue": (
        lambda a: a.sqs.delete_queue(QueueUrl=a.url("lambda-dlq")),
        {"t6.queue", "t6.retention", "t6.attached", "t6.processor_trigger"},
    ),
    "t6.retention": (
        lambda a: a.sqs.set_queue_attributes(
            QueueUrl=a.url("lambda-dlq"), Attributes={"MessageRetentionPeriod": "345600"}
        ),
        {"t6.retention"},
    ),
    "t6.attached": (lambda a: a.config("async-processor", DeadLetterConfig={"TargetArn": ""}), {"t6.attached"}),
    "t6.processor": (
        lambda a: a.lam.delete_function(FunctionName=f"dlq-processor-{SID}"),
        {"t6.processor", "t6.processor_trigger"},
    ),
    "t6.processor_trigger": (
        lambda a: a.lam.delete_event_source_mapping(UUID=a.mapping("lambda-dlq")),
        {"t6.processor_trigger"},
    ),
    "t7.function_exists": (
        lambda a: a.lam.delete_function(FunctionName=f"rate-limited-function-{SID}"),
        {"t7.function_exists", "t7.reserved", "t7.timeout"},
    ),
    "t7.reserved": (
        lambda a: a.lam.delete_function_concurrency(FunctionName=f"rate-limited-function-{SID}"),
        {"t7.reserved"},
    ),
    "t7.timeout": (lambda a: a.config("rate-limited-function", Timeout=3), {"t7.timeout"}),
    "t8.layer": (lambda a: a.config("layer-consumer", Layers=[a.made["layer"]]), {"t8.layer", "t8.role_policy"}),
    "t8.role_policy": (_insights_role_without_logs, {"t8.role_policy"}),
    "t9.version": (_no_versions, T9 | T10),  # PROD goes with the versions; the scalable target left behind fails
    "t9.prod": (
        lambda a: a.lam.update_alias(
            FunctionName=f"layer-consumer-{SID}",
            Name="PROD",
            FunctionVersion="$LATEST",
            RoutingConfig={"AdditionalVersionWeights": {}},
        ),
        {"t9.prod", "t9.canary"},
    ),
    "t9.staging": (
        lambda a: a.lam.update_alias(FunctionName=f"layer-consumer-{SID}", Name="STAGING", FunctionVersion="1"),
        {"t9.staging"},
    ),
    "t9.canary": (
        lambda a: a.lam.update_alias(
            FunctionName=f"layer-consumer-{SID}", Name="PROD", RoutingConfig={"AdditionalVersionWeights": {}}
        ),
        {"t9.canary"},
    ),
    "t10.provisioned": (
        lambda a: a.lam.delete_provisioned_concurrency_config(FunctionName=f"layer-consumer-{SID}", Qualifier="PROD"),
        {"t10.provisioned"},
    ),
    "t10.scalable_target": (
        lambda a: a.aas.deregister_scalable_target(
            ServiceNamespace="lambda",
            ResourceId=f"function:layer-consumer-{SID}:PROD",
            ScalableDimension="lambda:function:ProvisionedConcurrency",
        ),
        {"t10.scalable_target", "t10.scaling_policy"},
    ),
    "t10.scaling_policy": (
        lambda a: a.aas.delete_scaling_policy(
            PolicyName="target-tracking-policy",
            ServiceNamespace="lambda",
            ResourceId=f"function:layer-consumer-{SID}:PROD",
            ScalableDimension="lambda:function:ProvisionedConcurrency",
        ),
        {"t10.scaling_policy"},
    ),
    "t11.cross_account": (_invoke_only_by_self, {"t11.cross_account"}),
    "t11.not_public": (
        lambda a: a.lam.add_permission(
            FunctionName=f"layer-consumer-{SID}", StatementId="Public", Action="lambda:InvokeFunction", Principal="*"
        ),
        {"t11.not_public"},
    ),
    "t12.count": (_errors_and_throttles_in_one_alarm, {"t12.count"}),
    "t12.errors": (lambda a: a.alarm("HighErrorRate", "Invocations"), {"t12.errors"}),
    "t12.duration": (lambda a: a.alarm("HighDuration", "ConcurrentExecutions"), {"t12.duration"}),
    "t12.throttles": (lambda a: a.alarm("Throttles", "Invocations"), {"t12.throttles"}),
}


def test_every_check_id_has_a_mutation() -> None:
    assert sorted(MUTATIONS) == sorted(load_assessment("lambda_medium").check_ids())


@pytest.mark.parametrize("check_id", sorted(MUTATIONS))
def test_mutation_fails_exactly_the_dependent_checks(aws: None, check_id: str) -> None:
    mutate, expected = MUTATIONS[check_id]
    assert check_id in expected
    made = reference.deploy(SID, REGION)
    mutate(Aws(made))
    report, _ = grade_in_process(load_assessment("lambda_medium"), SID)
    assert failing(report) == expected
    broken = {c.id: c for c in report.checks() if c.id in expected}
    for c in broken.values():
        assert c.status.value == "fail", (c.id, c.message)
        assert c.hint and "README_lambda_medium.md" in c.hint, (c.id, c.hint)
        # Its own fix, or the check whose fix makes what it needs (one fix per missing resource).
        pointer = re.search(r"^Fix (t\d+\.\w+) first: its fix makes .+\.$", c.hint, re.M)
        own = c.remedy is not None and any(step.argv[0].parts == ("aws",) for step in c.remedy.steps)
        assert own or (pointer and pointer.group(1) in expected), (c.id, c.hint)
    assert report.complete
    assert report.earned == 120 - sum(c.points for c in broken.values())
