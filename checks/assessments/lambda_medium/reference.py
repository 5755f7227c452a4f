"""The reference solution of lambda_medium, deployed with the API calls the assessment describes.

It follows README_lambda_medium.md as corrected by the rubric's errata. It WRITES
to the account it is given, so it is only ever pointed at the AWS stand-in
(``--demo``, the sandbox's seeding and the tests): :func:`deploy` refuses any
endpoint that is not moto in-process or a loopback address.
"""

from __future__ import annotations

import io
import json
import os
import weakref
import zipfile
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from checks.assessments.lambda_medium.task08_insights import DEFAULT_PUBLISHER, insights_arn_for
from checks.assessments.lambda_medium.text_code import ROLE_POLICY
from checks.aws import new_session
from checks.kit.functions import LAMBDA_TRUST

TRUSTED_ACCOUNT = "999988887777"

# The execution role's permissions, inline: logs and Insights (task 8's policy), the
# VPC network interfaces (task 3), reading the trigger queues (tasks 5, 6).


def zipped(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


HANDLER = """import json


def lambda_handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""
LAYER_UTILS = """def format_response(status_code, body):
    return {"statusCode": status_code, "body": body}
"""
LAYER_ZIP = zipped({"python/utils.py": LAYER_UTILS})


def insights_layer_arn(region: str) -> str:
    return insights_arn_for(region) or f"arn:aws:lambda:{region}:{DEFAULT_PUBLISHER}:layer:LambdaInsightsExtension:38"


def _safe(endpoint_url: str | None) -> None:
    if endpoint_url is None:
        from moto.core.models import botocore_stubber

        if not botocore_stubber.enabled:
            raise RuntimeError("the reference solution deploys only under moto's mock_aws or to a loopback endpoint")
        return
    host = urlparse(endpoint_url).hostname or ""
    if host not in ("localhost", "127.0.0.1", "::1") and not host.startswith("127."):
        raise RuntimeError(f"the reference solution deploys only to the local stand-in, not {endpoint_url}")


_default_sessions: dict[tuple[str, str | None], Any] = {}  # sessions from checks.aws.new_session
_clients: weakref.WeakKeyDictionary[Any, dict[tuple[str, str, str | None], Any]] = weakref.WeakKeyDictionary()


def settled(lam: Any, function: str, *, seconds: float = 60.0) -> None:
    """Wait until a function is no longer being made or changed (what ``aws lambda wait function-updated-v2``
    and ``function-active-v2`` wait for), polling briefly: AWS refuses the next change until then."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        config = lam.get_function_configuration(FunctionName=function)
        if config.get("State") != "Pending" and config.get("LastUpdateStatus") != "InProgress":
            return
        time.sleep(0.05)


def deploy(
    student_id: str,
    region: str = "us-east-1",
    *,
    endpoint_url: str | None = None,
    session: Any = None,
    trusted_account: str = TRUSTED_ACCOUNT,
    before: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Build the complete, correct solution for one student. Returns the IDs it made."""
    _safe(endpoint_url)
    if session is None:  # one default session per region and credentials: its clients are made once
        key = (region, os.environ.get("AWS_ACCESS_KEY_ID"))
        session = _default_sessions.get(key) or _default_sessions.setdefault(key, new_session(region_name=region))
    made_clients = _clients.setdefault(session, {})

    def client(service: str) -> Any:
        key = (service, region, endpoint_url)
        if key not in made_clients:  # a class deployed through one session makes each client once
            made_clients[key] = session.client(service, region_name=region, endpoint_url=endpoint_url)
        return made_clients[key]

    def step(name: str) -> None:
        if before:
            before(name)

    iam, lam, sqs, ec2 = client("iam"), client("lambda"), client("sqs"), client("ec2")
    cloudwatch, autoscaling = client("cloudwatch"), client("application-autoscaling")
    sid = student_id
    made: dict[str, Any] = {}

    # Execution role (errata 5: the roles need SQS, VPC and Insights permissions).
    step("role")
    role_name = f"lambda-medium-role-{sid}"
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role_name, PolicyName="lambda-medium", PolicyDocument=json.dumps(ROLE_POLICY))
    made["role"] = role

    # Queues (tasks 4, 5, 6).
    step("queues")
    queue_attributes = {
        f"lambda-success-queue-{sid}": {"MessageRetentionPeriod": "86400"},
        f"lambda-failure-queue-{sid}": {"MessageRetentionPeriod": "86400"},
        f"task-queue-{sid}": {"VisibilityTimeout": "300", "MessageRetentionPeriod": "345600"},
        f"lambda-dlq-{sid}": {"MessageRetentionPeriod": "1209600"},
    }
    arns = {}
    for name, attributes in queue_attributes.items():
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arns[name] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    iam.put_role_policy(
        RoleName=role_name,
        PolicyName="send-to-destinations",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": sorted(arns.values())}],
            }
        ),
    )
    made["queues"] = arns

    # Task 1: the layer.
    step("layer")
    layer = lam.publish_layer_version(
        LayerName=f"common-utils-layer-{sid}",
        Description="Common utilities and dependencies",
        Content={"ZipFile": LAYER_ZIP},
        CompatibleRuntimes=["python3.12"],
    )
    made["layer"] = layer["LayerVersionArn"]

    # Task 3's network: a VPC, two private subnets in two zones, the security group.
    step("network")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(zones, start=1)
    ]
    sg = ec2.create_security_group(GroupName=f"lambda-sg-{sid}", Description="Lambda VPC access", VpcId=vpc)["GroupId"]
    made.update(vpc=vpc, subnets=subnets, security_group=sg)

    code = {"ZipFile": zipped({"lambda_function.py": HANDLER})}
    common = {"Runtime": "python3.12", "Role": role, "Handler": "lambda_function.lambda_handler", "Code": code}

    def function(name: str, **extra: Any) -> str:
        step(name)
        return str(lam.create_function(FunctionName=f"{name}-{sid}", **common, **extra)["FunctionArn"])

    # Task 2 and 8: the layer consumer, with the Insights extension too.
    function("layer-consumer", MemorySize=256, Layers=[layer["LayerVersionArn"], insights_layer_arn(region)])
    # Task 3 (errata 4: SUBNET_IDS as JSON, not shorthand).
    function(
        "vpc-lambda",
        MemorySize=512,
        VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": [sg]},
        Environment={"Variables": {"VPC_ID": vpc, "SUBNET_IDS": ",".join(subnets), "SECURITY_GROUP_ID": sg}},
    )
    # Task 4 and 6: async processor with destinations and the DLQ.
    function("async-processor", MemorySize=256, DeadLetterConfig={"TargetArn": arns[f"lambda-dlq-{sid}"]})
    lam.put_function_event_invoke_config(
        FunctionName=f"async-processor-{sid}",
        MaximumEventAgeInSeconds=21600,
        MaximumRetryAttempts=2,
        DestinationConfig={
            "OnSuccess": {"Destination": arns[f"lambda-success-queue-{sid}"]},
            "OnFailure": {"Destination": arns[f"lambda-failure-queue-{sid}"]},
        },
    )
    # Task 5: the SQS consumer and its trigger.
    function("sqs-consumer", MemorySize=256)
    lam.create_event_source_mapping(
        EventSourceArn=arns[f"task-queue-{sid}"],
        FunctionName=f"sqs-consumer-{sid}",
        BatchSize=10,
        MaximumBatchingWindowInSeconds=5,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    # Task 6: the DLQ processor and its trigger.
    function("dlq-processor")
    lam.create_event_source_mapping(
        EventSourceArn=arns[f"lambda-dlq-{sid}"], FunctionName=f"dlq-processor-{sid}", BatchSize=10
    )
    # Task 7 (errata 3: a timeout above the 10 s sleep).
    function("rate-limited-function", Timeout=15)
    step("reserved")
    lam.put_function_concurrency(FunctionName=f"rate-limited-function-{sid}", ReservedConcurrentExecutions=5)

    # Task 9 (errata 2: publish version 2 before routing to it).
    step("versions")
    consumer = f"layer-consumer-{sid}"
    settled(lam, consumer)  # AWS refuses a change while the function is still being made or changed
    lam.publish_version(FunctionName=consumer, Description="Initial production version")
    lam.create_alias(FunctionName=consumer, Name="PROD", FunctionVersion="1")
    lam.create_alias(FunctionName=consumer, Name="STAGING", FunctionVersion="$LATEST")
    lam.update_function_configuration(FunctionName=consumer, Description="canary")
    settled(lam, consumer)
    lam.publish_version(FunctionName=consumer, Description="Canary version")
    lam.update_alias(
        FunctionName=consumer, Name="PROD", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}}
    )

    # Task 10 (errata 1: the dimension is lambda:function:ProvisionedConcurrency).
    step("provisioned")
    lam.put_provisioned_concurrency_config(FunctionName=consumer, Qualifier="PROD", ProvisionedConcurrentExecutions=2)
    resource = f"function:{consumer}:PROD"
    autoscaling.register_scalable_target(
        ServiceNamespace="lambda",
        ResourceId=resource,
        ScalableDimension="lambda:function:ProvisionedConcurrency",
        MinCapacity=2,
        MaxCapacity=10,
    )
    autoscaling.put_scaling_policy(
        PolicyName="target-tracking-policy",
        ServiceNamespace="lambda",
        ResourceId=resource,
        ScalableDimension="lambda:function:ProvisionedConcurrency",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 0.7,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"},
        },
    )

    # Task 11.
    step("permission")
    lam.add_permission(
        FunctionName=consumer,
        StatementId="AllowCrossAccountInvoke",
        Action="lambda:InvokeFunction",
        Principal=trusted_account,
    )

    # Task 12 (errata 7: "error rate > 5%" is more than 5 errors in 5 minutes).
    step("alarms")
    alarms = [
        ("HighErrorRate", "Errors", "Sum", 5, "GreaterThanThreshold", 2),
        ("HighDuration", "Duration", "Average", 25000, "GreaterThanThreshold", 2),
        ("Throttles", "Throttles", "Sum", 1, "GreaterThanOrEqualToThreshold", 1),
    ]
    for label, metric, statistic, threshold, operator, periods in alarms:
        cloudwatch.put_metric_alarm(
            AlarmName=f"Lambda-{label}-{sid}",
            MetricName=metric,
            Namespace="AWS/Lambda",
            Statistic=statistic,
            Period=300,
            EvaluationPeriods=periods,
            Threshold=threshold,
            ComparisonOperator=operator,
            Dimensions=[{"Name": "FunctionName", "Value": consumer}],
            TreatMissingData="notBreaching",
        )
    return made


# The demo account's mistakes: what students most often get wrong.
DEMO_MISTAKES = (
    "layer-consumer left at the default 128 MB (t2.memory)",
    "rate-limited-function left at the default 3 s timeout (t7.timeout, errata 3)",
    "scaling policy TargetValue 70 instead of 0.7 (t10.scaling_policy)",
)


def deploy_demo(student_id: str, region: str, *, session: Any) -> None:
    """The reference solution with :data:`DEMO_MISTAKES` made."""
    deploy(student_id, region, session=session)
    make_mistakes(student_id, region, session=session)


def make_mistakes(
    student_id: str,
    region: str,
    *,
    session: Any,
    which: tuple[int, ...] = (0, 1, 2),
    endpoint_url: str | None = None,
) -> None:
    """The :data:`DEMO_MISTAKES` numbered in ``which``, made in a student's deployed reference solution."""
    _safe(endpoint_url)
    lam = session.client("lambda", region_name=region, endpoint_url=endpoint_url)
    consumer, rate_limited = f"layer-consumer-{student_id}", f"rate-limited-function-{student_id}"
    if 0 in which:
        settled(lam, consumer)
        lam.update_function_configuration(FunctionName=consumer, MemorySize=128)
    if 1 in which:
        settled(lam, rate_limited)
        lam.update_function_configuration(FunctionName=rate_limited, Timeout=3)
    if 2 in which:
        session.client("application-autoscaling", region_name=region, endpoint_url=endpoint_url).put_scaling_policy(
            PolicyName="target-tracking-policy",
            ServiceNamespace="lambda",
            ResourceId=f"function:layer-consumer-{student_id}:PROD",
            ScalableDimension="lambda:function:ProvisionedConcurrency",
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"},
            },
        )
