"""The teardown of one student's lambda_medium resources: what ``cleanup`` prints (README_lambda_medium.md,
"Cleanup (After Assessment)").

Exactly the student's resources, as found in the account (the same exact-ID names as grading: never a
classmate's), each removed by the command AWS takes, in the order AWS requires: what scales or is
provisioned on an alias before the alias, triggers before functions, functions (with their versions)
before the layer, queues, alarms and log groups. The security group and the execution role go only
when they are this student's by name and nothing else in the account uses them.
"""

from __future__ import annotations

from typing import Any

from checks.assessments.lambda_medium.common import (
    DLQ,
    FAILURE_QUEUE,
    FUNCTIONS,
    LAYER,
    LAYER_CONSUMER,
    SECURITY_GROUP,
    SUCCESS_QUEUE,
    TASK_QUEUE,
    TEXT_ROLE,
)
from checks.assessments.lambda_medium.task10_provisioned import scaling
from checks.assessments.lambda_medium.task12_alarms import alarms
from checks.assessments.lambda_medium.view import Student
from checks.fix import aws
from checks.kit.functions import role_of
from checks.teardown import Removal

# What costs money while it exists, idle (AWS's published prices in us-east-1, read 2026-12; other
# regions differ a little): provisioned concurrency is billed per GB-second it is configured
# ($0.0000041667), whether invoked or not; a standard-resolution alarm $0.10 a month. Functions,
# layers, queues and log groups cost nothing idle (requests, duration and storage beyond the free tiers).
PROVISIONED_GB_SECOND_USD = 0.0000041667
ALARM_MONTH_USD = 0.10
SECONDS_A_MONTH = 30 * 24 * 3600
# What finding a student's resources to remove reads, beyond grading: the cleanup's account has these readers.
READS = (
    "lambda:ListFunctions",
    "lambda:GetFunction",
    "lambda:ListEventSourceMappings",
    "lambda:GetFunctionEventInvokeConfig",
    "lambda:ListAliases",
    "lambda:ListLayers",
    "lambda:ListLayerVersions",
    "lambda:GetProvisionedConcurrencyConfig",
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScalingPolicies",
    "sqs:ListQueues",
    "cloudwatch:DescribeAlarms",
    "logs:DescribeLogGroups",
    "ec2:DescribeSecurityGroups",
    "iam:GetRole",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "ec2:DescribeRegions",  # the other regions the student's work is in: what they still use is kept
    "ec2:DescribeVpcs",  # the VPC a fix made for the student (tagged with their ID when made)
    "ec2:DescribeSubnets",
)
PRICES_READ = "AWS pricing pages for Lambda and CloudWatch, us-east-1, read 2026-12"


def teardown(s: Student) -> list[Removal]:
    """Every resource of this student's that the assessment made, with the command that removes it, in order."""
    found: list[Removal] = []
    functions = {p: fn for p in FUNCTIONS if (fn := s.account.function(s.name(p))) is not None}
    consumer = functions.get(LAYER_CONSUMER)
    if consumer is not None:
        found += _scaling_and_provisioning(s, consumer)
    names = {fn["FunctionName"] for fn in functions.values()}
    for m in s.account.event_source_mappings():
        if str(m.get("FunctionArn", "")).split(":function:")[-1].split(":")[0] in names:
            found.append(
                Removal(
                    "event source mapping",
                    str(m["UUID"]),
                    aws("lambda", "delete-event-source-mapping", "--uuid", str(m["UUID"])).quiet(),
                )
            )
    for fn in functions.values():
        name = fn["FunctionName"]
        if s.account.event_invoke_config(name) is not None:
            found.append(
                Removal(
                    "event invoke configuration",
                    name,
                    aws("lambda", "delete-function-event-invoke-config", "--function-name", name),
                )
            )
    if consumer is not None:
        for alias in sorted(s.account.aliases(consumer["FunctionName"])):
            found.append(
                Removal(
                    "alias",
                    f"{consumer['FunctionName']}:{alias}",
                    aws("lambda", "delete-alias", "--function-name", consumer["FunctionName"], "--name", alias),
                )
            )
    for fn in functions.values():
        found.append(
            Removal(
                "function (and its versions)",
                fn["FunctionName"],
                aws("lambda", "delete-function", "--function-name", fn["FunctionName"]),
            )
        )
    if s.name(LAYER) in s.account.layers():
        for version in s.account.layer_versions(s.name(LAYER)):
            number = str(version["Version"])
            found.append(
                Removal(
                    "layer version",
                    f"{s.name(LAYER)}:{number}",
                    aws("lambda", "delete-layer-version", "--layer-name", s.name(LAYER), "--version-number", number),
                )
            )
    queues = s.account.queues()
    for prefix in (SUCCESS_QUEUE, FAILURE_QUEUE, TASK_QUEUE, DLQ):
        url = queues.get(s.name(prefix))
        if url:
            found.append(Removal("queue", s.name(prefix), aws("sqs", "delete-queue", "--queue-url", url)))
    for alarm, _ in alarms(s):
        name = str(alarm["AlarmName"])
        if not name.endswith(f"-{s.id}"):  # an alarm is theirs by its name too: not a classmate's or a guard's
            continue
        found.append(Removal("alarm", name, aws("cloudwatch", "delete-alarms", "--alarm-names", name), ALARM_MONTH_USD))
    for fn_name in sorted(names):
        for group in s.account.log_groups(f"/aws/lambda/{fn_name}"):
            if group.get("logGroupName") == f"/aws/lambda/{fn_name}":
                found.append(
                    Removal(
                        "log group",
                        group["logGroupName"],
                        aws("logs", "delete-log-group", "--log-group-name", group["logGroupName"]),
                    )
                )
    found += _shared(s, set(names))
    return found


def _scaling_and_provisioning(s: Student, consumer: dict[str, Any]) -> list[Removal]:
    """What sits on PROD: the scaling policies and the scalable target, then provisioned concurrency."""
    found = []
    resource = f"function:{consumer['FunctionName']}:PROD"
    for policy in s.account.scaling_policies(resource):
        if policy.get("ResourceId") == resource:
            name = str(policy["PolicyName"])
            removal = scaling("delete-scaling-policy", resource, "--policy-name", name)
            found.append(Removal("scaling policy", name, removal))
    for target in s.account.scalable_targets(resource):
        if target.get("ResourceId") == resource:
            found.append(Removal("scalable target", resource, scaling("deregister-scalable-target", resource)))
    if "PROD" in s.account.aliases(consumer["FunctionName"]):
        config = s.account.provisioned_concurrency(consumer["FunctionName"], "PROD")
        if config is not None:
            instances = int(config.get("RequestedProvisionedConcurrentExecutions") or 0)
            memory_gb = int(consumer.get("MemorySize") or 128) / 1024
            monthly = instances * memory_gb * SECONDS_A_MONTH * PROVISIONED_GB_SECOND_USD
            found.append(
                Removal(
                    f"provisioned concurrency ({instances} × {consumer.get('MemorySize')} MB)",
                    f"{consumer['FunctionName']}:PROD",
                    aws(
                        "lambda",
                        "delete-provisioned-concurrency-config",
                        "--function-name",
                        consumer["FunctionName"],
                        "--qualifier",
                        "PROD",
                    ),
                    monthly,
                )
            )
    return found


def elsewhere(s: Student) -> dict[str, list[str]]:
    """The other regions holding this student's functions, with their names: a cleanup of one region says
    them, and keeps what those still use (IAM is global: a role serves every region)."""
    found = {}
    for region in s.regions_holding():
        names = sorted(n for n in s.account.functions_in(region) if n in {s.name(p) for p in FUNCTIONS})
        if names:
            found[region] = names
    return found


def _shared(s: Student, mine: set[str]) -> list[Removal]:
    """The security group and the role the assessment made for this student, when nothing else uses them: the
    role is kept while any function uses it, in this region or in another where the student's work is."""
    found = []
    everyone = s.account.functions()  # the account's functions: what else may use the group or the role
    others = [fn for name, fn in everyone.items() if name not in mine]
    for region in elsewhere(s):
        others += list(s.account.functions_in(region).values())
    group = s.account.security_group_named(None, s.name(SECURITY_GROUP))
    if group is not None and not any(
        group["GroupId"] in ((fn.get("VpcConfig") or {}).get("SecurityGroupIds") or []) for fn in others
    ):
        found.append(
            Removal(
                "security group",
                s.name(SECURITY_GROUP),
                aws("ec2", "delete-security-group", "--group-id", str(group["GroupId"])),
                note="AWS removes a VPC function's network interfaces some minutes after the function: if this "
                "is refused (DependencyViolation), run it again later",
            )
        )
    role = s.name(TEXT_ROLE)
    if s.account.role_exists(role) and not any(role_of(fn) == role for fn in others):
        for attached in s.account.attached_role_policies(role):
            found.append(
                Removal(
                    "role policy attachment",
                    f"{role}: {attached['PolicyArn']}",
                    aws("iam", "detach-role-policy", "--role-name", role, "--policy-arn", str(attached["PolicyArn"])),
                )
            )
        for name in s.account.role_policy_names(role):
            found.append(
                Removal(
                    "role inline policy",
                    f"{role}: {name}",
                    aws("iam", "delete-role-policy", "--role-name", role, "--policy-name", name),
                )
            )
        found.append(Removal("execution role", role, aws("iam", "delete-role", "--role-name", role)))
    found += _network_made_for(s, others)
    return found


def _network_made_for(s: Student, others: list[dict[str, Any]]) -> list[Removal]:
    """The VPCs and subnets Task 3's fix made for this student (tagged with their ID), when no other function
    is in them: practised again and again, they would pile up against the region's VPC quota."""
    from checks.assessments.lambda_medium.task03_vpc import MADE_FOR

    found = []
    used = {str((fn.get("VpcConfig") or {}).get("VpcId") or "") for fn in others}
    busy = "AWS releases a VPC function's network interfaces some minutes after the function: if this is refused "
    for vpc in s.account.vpcs_tagged(MADE_FOR, s.id):
        vpc_id = str(vpc["VpcId"])
        if vpc_id in used:
            continue
        for subnet in s.account.vpc_subnets(vpc_id):
            found.append(
                Removal(
                    "subnet",
                    str(subnet["SubnetId"]),
                    aws("ec2", "delete-subnet", "--subnet-id", str(subnet["SubnetId"])),
                    note=busy + "(DependencyViolation), run it again later",
                )
            )
        found.append(Removal("VPC", vpc_id, aws("ec2", "delete-vpc", "--vpc-id", vpc_id)))
    return found
