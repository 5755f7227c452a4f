"""Every rubric rule, pinned on both sides: one row per case, readable next to lambda_medium_rubric.md.

Each row starts from the reference solution of student ``s1`` (``tests/world.py``), makes one
change, and names the status the check must give. The rows hold the boundary values (10 s and
11 s, weight 0.1 and 0.2, capacity 2..10 and 2..11), each alternative the rubric allows (a
queue or its ARN, an alias or the function, either Insights layer) and the look-alikes it
excludes (a layer of the student's own account, Auto Scaling's alarms, a classmate's
resource). A loosened rule turns some row's status; the mutation command in the README
(``mutmut run``) measures how many such changes these rows catch.

The verdict texts of every row are kept in ``tests/snapshots/rules.json``: a changed message
or fix shows up there for review. ``UPDATE_SNAPSHOTS=1 python -m pytest tests/test_rules.py``
writes them anew.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from checks.assessments.lambda_medium.task08_insights import DEFAULT_PUBLISHER, PUBLISHERS, insights_arn_for
from checks.grading.runner import check_hint, judge
from checks.registry import load_assessment
from tests.world import (
    ACCOUNT,
    SG,
    SUBNETS,
    TRUSTED,
    VPC,
    World,
    insights_arn,
    layer_arn,
    queue_arn,
    reference_world,
    student_of,
)

ASSESSMENT = load_assessment("lambda_medium")
CHECKS = {c.id: c for c in ASSESSMENT.checks()}
TASKS = {c.id: t for t in ASSESSMENT.tasks for c in t.checks}
SNAPSHOT = Path(__file__).parent / "snapshots" / "rules.json"
CONSUMER = "layer-consumer-s1"
RESOURCE = f"function:{CONSUMER}:PROD"
INSIGHTS_POLICY_ARN = "arn:aws:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy"
ROLE = "lambda-medium-role-s1"


@dataclass(frozen=True)
class Row:
    check: str
    case: str
    change: Callable[[World], Any]
    want: str  # pass, fail or blocked

    @property
    def id(self) -> str:
        return f"{self.check}: {self.case}"


def unchanged(w: World) -> None:
    return None


def drop(mapping: dict[str, Any], *keys: str) -> None:
    for key in keys:
        mapping.pop(key, None)


def layer_version(w: World, **fields: Any) -> None:
    w.layers["common-utils-layer-s1"] = {
        "LayerVersionArn": layer_arn("common-utils-layer-s1", 2),
        "Version": 2,
        **fields,
    }


def layers_of(w: World, *arns: str) -> None:
    w.fn("layer-consumer")["Layers"] = [{"Arn": a} for a in arns]


def env(w: World, **variables: str) -> None:
    w.fn("vpc-lambda")["Environment"]["Variables"].update(variables)


def subnets(w: World, *ids: str) -> None:
    w.fn("vpc-lambda")["VpcConfig"]["SubnetIds"] = list(ids)
    env(w, SUBNET_IDS=",".join(ids))


def destination(w: World, which: str, arn: str | None) -> None:
    config = w.invoke_configs["async-processor-s1"]["DestinationConfig"]
    if arn is None:
        config.pop(which)
    else:
        config[which] = {"Destination": arn}


def classmate_queue(w: World, prefix: str) -> str:
    w.add_queue(f"{prefix}-s10", MessageRetentionPeriod="86400")
    return queue_arn(f"{prefix}-s10")


def mapping(w: World, queue: str = "task-queue", **fields: Any) -> None:
    w.mapping(queue).update(fields)


def only_insights_layer_on(w: World, prefix: str, arn: str) -> None:
    layers_of(w, layer_arn("common-utils-layer-s1"))
    w.fn(prefix)["Layers"] = [{"Arn": arn}]


def role_policy(w: World, *statements: dict[str, Any], attached: tuple[str, ...] = ()) -> None:
    w.role_inline[ROLE] = (
        {"lambda-medium": {"Version": "2012-10-17", "Statement": list(statements)}} if statements else {}
    )
    w.role_attached[ROLE] = [{"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn} for arn in attached]


def managed(w: World, arn: str, *statements: dict[str, Any]) -> None:
    w.managed[arn] = {"Version": "2012-10-17", "Statement": list(statements)}


LOGS = {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "arn:aws:logs:*:*:*"}
LOG_WRITES = ("logs:CreateLogStream", "logs:PutLogEvents")
INSIGHTS_GROUP = "arn:aws:logs:*:*:log-group:/aws/lambda-insights:*"  # as AWS's own Insights policy names it


def boundary(w: World, *statements: dict[str, Any]) -> None:
    """The role's permissions boundary: a customer policy holding ``statements``."""
    arn = f"arn:aws:iam::{ACCOUNT}:policy/boundary"
    w.managed[arn] = {"Version": "2012-10-17", "Statement": list(statements)}
    w.boundaries[ROLE] = arn


def allow(*actions: str, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource, **extra}


def deny(*actions: str, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": list(actions), "Resource": resource, **extra}


def alias(w: World, name: str, **fields: Any) -> None:
    w.aliases[CONSUMER][name] = fields


def weights(w: World, **by_version: float) -> None:
    w.alias("PROD")["RoutingConfig"] = {"AdditionalVersionWeights": {k.lstrip("v"): v for k, v in by_version.items()}}


def _only_latest(w: World) -> None:
    w.versions.clear()
    for name, found in w.aliases[CONSUMER].items():
        w.aliases[CONSUMER][name] = {**found, "FunctionVersion": "$LATEST", "RoutingConfig": None}


def provisioned(w: World, **fields: Any) -> None:
    w.provisioned[(CONSUMER, "PROD")].update(fields)


def target(w: World, **fields: Any) -> None:
    w.scalable_targets[0].update(fields)


def policy_config(w: World, **fields: Any) -> None:
    w.scaling_policies[0]["TargetTrackingScalingPolicyConfiguration"].update(fields)


def permissions(w: World, *statements: tuple[str, Any, str | None, dict[str, Any]]) -> None:
    """Replace the function's resource policies by these (sid, principal, qualifier, extra) statements."""
    w.policies.clear()
    for sid, principal, qualifier, extra in statements:
        w.add_permission(CONSUMER, sid, principal, qualifier, **extra)


def alarms(w: World, *specs: tuple[str, str, str]) -> None:
    """Replace the alarms by these (name, metric, function) ones."""
    w.alarms.clear()
    for name, metric, function in specs:
        w.add_alarm(name, metric, function)


def math_alarm(w: World, name: str, *metrics: str) -> None:
    dims = [{"Name": "FunctionName", "Value": CONSUMER}]
    w.alarms.append(
        {
            "AlarmName": name,
            "Metrics": [
                *[
                    {
                        "Id": f"m{i}",
                        "MetricStat": {"Metric": {"Namespace": "AWS/Lambda", "MetricName": m, "Dimensions": dims}},
                    }
                    for i, m in enumerate(metrics)
                ],
                {"Id": "e", "Expression": "m0 + m1"},
            ],
        }
    )


def rename_function(w: World, old: str, new: str) -> None:
    found = w.functions.pop(old)
    w.add_function(new, **{k: v for k, v in found.items() if k not in ("FunctionName", "FunctionArn")})


def small_quota(w: World, quota: int = 10, unreserved: int = 10) -> None:
    w.settings = {"AccountLimit": {"ConcurrentExecutions": quota, "UnreservedConcurrentExecutions": unreserved}}


THREE = (
    ("Lambda-Errors-s1", "Errors", CONSUMER),
    ("Lambda-Duration-s1", "Duration", CONSUMER),
    ("Lambda-Throttles-s1", "Throttles", CONSUMER),
)

ROWS = [
    # Task 1 — layer common-utils-layer-{id}
    Row("t1.layer_exists", "the reference", unchanged, "pass"),
    Row("t1.layer_exists", "no layer", lambda w: w.layers.clear(), "fail"),
    Row(
        "t1.layer_exists",
        "only a classmate's layer",
        lambda w: w.layers.update({"common-utils-layer-s10": w.layers.pop("common-utils-layer-s1")}),
        "fail",
    ),
    Row(
        "t1.layer_exists",
        "the name in another case",
        lambda w: w.layers.update({"Common-Utils-Layer-s1": w.layers.pop("common-utils-layer-s1")}),
        "fail",
    ),
    Row(
        "t1.runtime",
        "python3.12 among others",
        lambda w: layer_version(w, Description="d", CompatibleRuntimes=["python3.11", "python3.12"]),
        "pass",
    ),
    Row(
        "t1.runtime",
        "python3.11 only",
        lambda w: layer_version(w, Description="d", CompatibleRuntimes=["python3.11"]),
        "fail",
    ),
    Row("t1.runtime", "no runtimes", lambda w: layer_version(w, Description="d"), "fail"),
    Row(
        "t1.description",
        "a description",
        lambda w: layer_version(w, Description="utils", CompatibleRuntimes=["python3.12"]),
        "pass",
    ),
    Row(
        "t1.description",
        "an empty description",
        lambda w: layer_version(w, Description="", CompatibleRuntimes=["python3.12"]),
        "fail",
    ),
    Row(
        "t1.description",
        "blanks only",
        lambda w: layer_version(w, Description="   ", CompatibleRuntimes=["python3.12"]),
        "fail",
    ),
    Row("t1.description", "no description", lambda w: layer_version(w, CompatibleRuntimes=["python3.12"]), "fail"),
    # Task 2 — layer-consumer-{id}
    Row("t2.function_exists", "the reference", unchanged, "pass"),
    Row("t2.function_exists", "deleted", lambda w: w.functions.pop(CONSUMER), "fail"),
    Row(
        "t2.function_exists",
        "the name in another case",
        lambda w: rename_function(w, CONSUMER, "Layer-Consumer-s1"),
        "fail",
    ),
    Row("t2.runtime", "python3.11", lambda w: w.fn("layer-consumer").update(Runtime="python3.11"), "fail"),
    Row("t2.runtime", "python3.12", unchanged, "pass"),
    Row("t2.memory", "256 MB", unchanged, "pass"),
    Row("t2.memory", "128 MB", lambda w: w.fn("layer-consumer").update(MemorySize=128), "fail"),
    Row("t2.memory", "257 MB", lambda w: w.fn("layer-consumer").update(MemorySize=257), "fail"),
    Row(
        "t2.uses_layer",
        "a later version of the layer",
        lambda w: layers_of(w, layer_arn("common-utils-layer-s1", 7)),
        "pass",
    ),
    Row("t2.uses_layer", "no layers", lambda w: w.fn("layer-consumer").pop("Layers"), "fail"),
    Row(
        "t2.uses_layer",
        "no layers and no layer published",
        lambda w: (w.fn("layer-consumer").pop("Layers"), w.layers.clear()),
        "fail",
    ),
    Row(
        "t2.uses_layer",
        "only the Insights layer, no layer published",
        lambda w: (layers_of(w, insights_arn()), w.layers.clear()),
        "fail",
    ),
    Row("t2.uses_layer", "only the Insights layer", lambda w: layers_of(w, insights_arn()), "fail"),
    Row(
        "t2.uses_layer",
        "the layer of another region",
        lambda w: layers_of(w, layer_arn("common-utils-layer-s1", region="eu-west-1")),
        "fail",
    ),
    Row(
        "t2.uses_layer",
        "a layer of that name in another account",
        lambda w: layers_of(w, layer_arn("common-utils-layer-s1", account=TRUSTED)),
        "fail",
    ),
    Row("t2.uses_layer", "a classmate's layer", lambda w: layers_of(w, layer_arn("common-utils-layer-s10")), "fail"),
    # Task 3 — vpc-lambda-{id}
    Row("t3.function_exists", "deleted", lambda w: w.functions.pop("vpc-lambda-s1"), "fail"),
    Row("t3.memory", "512 MB", unchanged, "pass"),
    Row("t3.memory", "511 MB", lambda w: w.fn("vpc-lambda").update(MemorySize=511), "fail"),
    Row("t3.in_vpc", "one subnet is enough", lambda w: subnets(w, SUBNETS[0]), "pass"),
    Row("t3.in_vpc", "no subnets", lambda w: subnets(w), "fail"),
    Row("t3.in_vpc", "no VpcId", lambda w: w.fn("vpc-lambda")["VpcConfig"].update(VpcId=""), "fail"),
    Row("t3.in_vpc", "no VpcConfig", lambda w: w.fn("vpc-lambda").pop("VpcConfig"), "fail"),
    Row("t3.multi_az", "not in a VPC", lambda w: w.fn("vpc-lambda").pop("VpcConfig"), "fail"),
    Row("t3.multi_az", "a VPC but no subnets", lambda w: subnets(w), "fail"),
    Row(
        "t3.security_group", "subnets but no VpcId", lambda w: w.fn("vpc-lambda")["VpcConfig"].update(VpcId=""), "fail"
    ),
    Row("t3.env_vars", "not in a VPC", lambda w: w.fn("vpc-lambda").pop("VpcConfig"), "fail"),
    Row("t3.multi_az", "two zones", unchanged, "pass"),
    Row("t3.multi_az", "three subnets in two zones", lambda w: subnets(w, *SUBNETS, "subnet-0ccc"), "pass"),
    Row("t3.multi_az", "two subnets in one zone", lambda w: subnets(w, SUBNETS[0], "subnet-0ccc"), "fail"),
    Row("t3.multi_az", "one subnet", lambda w: subnets(w, SUBNETS[0]), "fail"),
    Row(
        "t3.security_group",
        "among other groups",
        lambda w: w.fn("vpc-lambda")["VpcConfig"].update(SecurityGroupIds=["sg-0other", SG]),
        "pass",
    ),
    Row(
        "t3.security_group",
        "only the default group",
        lambda w: w.fn("vpc-lambda")["VpcConfig"].update(SecurityGroupIds=["sg-0other"]),
        "fail",
    ),
    Row(
        "t3.security_group",
        "a classmate's group",
        lambda w: w.security_groups[SG].update(GroupName="lambda-sg-s10"),
        "fail",
    ),
    Row("t3.env_vars", "the reference", unchanged, "pass"),
    Row(
        "t3.env_vars",
        "SUBNET_IDS in another order, with spaces",
        lambda w: env(w, SUBNET_IDS=f"{SUBNETS[1]}, {SUBNETS[0]}"),
        "pass",
    ),
    Row(
        "t3.env_vars",
        "SECURITY_GROUP_ID another attached group",
        lambda w: (
            w.fn("vpc-lambda")["VpcConfig"].update(SecurityGroupIds=[SG, "sg-0other"]),
            env(w, SECURITY_GROUP_ID="sg-0other"),
        ),
        "pass",
    ),
    Row("t3.env_vars", "VPC_ID of another VPC", lambda w: env(w, VPC_ID="vpc-0other"), "fail"),
    Row("t3.env_vars", "SUBNET_IDS missing one", lambda w: env(w, SUBNET_IDS=SUBNETS[0]), "fail"),
    Row(
        "t3.env_vars",
        "SUBNET_IDS with one too many",
        lambda w: env(w, SUBNET_IDS=",".join([*SUBNETS, "subnet-0ccc"])),
        "fail",
    ),
    Row("t3.env_vars", "SECURITY_GROUP_ID not attached", lambda w: env(w, SECURITY_GROUP_ID="sg-0other"), "fail"),
    Row(
        "t3.env_vars",
        "SECURITY_GROUP_ID missing",
        lambda w: drop(w.fn("vpc-lambda")["Environment"]["Variables"], "SECURITY_GROUP_ID"),
        "fail",
    ),
    Row(
        "t3.env_vars",
        "VPC_ID missing",
        lambda w: drop(w.fn("vpc-lambda")["Environment"]["Variables"], "VPC_ID"),
        "fail",
    ),
    Row("t3.env_vars", "no environment", lambda w: w.fn("vpc-lambda").pop("Environment"), "fail"),
    # Task 4 — async-processor-{id}
    Row("t4.function_exists", "deleted", lambda w: w.functions.pop("async-processor-s1"), "fail"),
    Row("t4.memory", "128 MB", lambda w: w.fn("async-processor").update(MemorySize=128), "fail"),
    Row("t4.max_event_age", "21600 s", unchanged, "pass"),
    Row(
        "t4.max_event_age",
        "21599 s",
        lambda w: w.invoke_configs["async-processor-s1"].update(MaximumEventAgeInSeconds=21599),
        "fail",
    ),
    Row(
        "t4.max_event_age",
        "not set",
        lambda w: drop(w.invoke_configs["async-processor-s1"], "MaximumEventAgeInSeconds"),
        "fail",
    ),
    Row("t4.max_event_age", "no event invoke config", lambda w: w.invoke_configs.clear(), "fail"),
    Row(
        "t4.max_event_age",
        "no config and no success queue",
        lambda w: (w.invoke_configs.clear(), w.queues.pop("lambda-success-queue-s1")),
        "fail",
    ),
    Row(
        "t4.retry_attempts",
        "no config and neither queue",
        lambda w: (
            w.invoke_configs.clear(),
            w.queues.pop("lambda-success-queue-s1"),
            w.queues.pop("lambda-failure-queue-s1"),
        ),
        "fail",
    ),
    Row("t4.retry_attempts", "2", unchanged, "pass"),
    Row(
        "t4.retry_attempts",
        "1",
        lambda w: w.invoke_configs["async-processor-s1"].update(MaximumRetryAttempts=1),
        "fail",
    ),
    Row(
        "t4.retry_attempts",
        "0",
        lambda w: w.invoke_configs["async-processor-s1"].update(MaximumRetryAttempts=0),
        "fail",
    ),
    Row("t4.on_success", "the success queue", unchanged, "pass"),
    Row(
        "t4.on_success",
        "the failure queue",
        lambda w: destination(w, "OnSuccess", queue_arn("lambda-failure-queue-s1")),
        "fail",
    ),
    Row(
        "t4.on_success",
        "a classmate's success queue",
        lambda w: destination(w, "OnSuccess", classmate_queue(w, "lambda-success-queue")),
        "fail",
    ),
    Row("t4.on_success", "not set", lambda w: destination(w, "OnSuccess", None), "fail"),
    Row("t4.on_failure", "the failure queue", unchanged, "pass"),
    Row(
        "t4.on_failure",
        "the success queue",
        lambda w: destination(w, "OnFailure", queue_arn("lambda-success-queue-s1")),
        "fail",
    ),
    Row("t4.on_failure", "the DLQ", lambda w: destination(w, "OnFailure", queue_arn("lambda-dlq-s1")), "fail"),
    Row("t4.on_failure", "not set", lambda w: destination(w, "OnFailure", None), "fail"),
    Row("t4.queues", "both at 86400 s", unchanged, "pass"),
    Row(
        "t4.queues",
        "the success queue at 3600 s",
        lambda w: w.queue("lambda-success-queue").update(MessageRetentionPeriod="3600"),
        "fail",
    ),
    Row(
        "t4.queues",
        "the failure queue at 3600 s",
        lambda w: w.queue("lambda-failure-queue").update(MessageRetentionPeriod="3600"),
        "fail",
    ),
    Row(
        "t4.queues",
        "the failure queue at 86401 s",
        lambda w: w.queue("lambda-failure-queue").update(MessageRetentionPeriod="86401"),
        "fail",
    ),
    Row("t4.queues", "no failure queue", lambda w: w.queues.pop("lambda-failure-queue-s1"), "fail"),
    Row("t4.queues", "no success queue", lambda w: w.queues.pop("lambda-success-queue-s1"), "fail"),
    # Task 5 — task-queue-{id} and sqs-consumer-{id}
    Row("t5.queue", "exists", unchanged, "pass"),
    Row("t5.queue", "deleted", lambda w: w.queues.pop("task-queue-s1"), "fail"),
    Row(
        "t5.queue",
        "only a FIFO queue of that name",
        lambda w: w.queues.update({"task-queue-s1.fifo": w.queues.pop("task-queue-s1")}),
        "fail",
    ),
    Row("t5.queue_settings", "300 s and 345600 s", unchanged, "pass"),
    Row("t5.queue_settings", "visibility 30 s", lambda w: w.queue("task-queue").update(VisibilityTimeout="30"), "fail"),
    Row(
        "t5.queue_settings",
        "retention 345601 s",
        lambda w: w.queue("task-queue").update(MessageRetentionPeriod="345601"),
        "fail",
    ),
    Row("t5.function_exists", "deleted", lambda w: w.functions.pop("sqs-consumer-s1"), "fail"),
    Row("t5.memory", "512 MB", lambda w: w.fn("sqs-consumer").update(MemorySize=512), "fail"),
    Row("t5.mapping", "Enabled", unchanged, "pass"),
    Row("t5.mapping", "Creating", lambda w: mapping(w, State="Creating"), "pass"),
    Row("t5.mapping", "Enabling", lambda w: mapping(w, State="Enabling"), "pass"),
    Row("t5.mapping", "Updating", lambda w: mapping(w, State="Updating"), "pass"),
    Row("t5.mapping", "Disabled", lambda w: mapping(w, State="Disabled"), "fail"),
    Row("t5.mapping", "Disabling", lambda w: mapping(w, State="Disabling"), "fail"),
    Row("t5.mapping", "Deleting", lambda w: mapping(w, State="Deleting"), "fail"),
    Row(
        "t5.mapping",
        "to the function's alias",
        lambda w: mapping(w, FunctionArn=w.fn("sqs-consumer")["FunctionArn"] + ":PROD"),
        "pass",
    ),
    Row(
        "t5.mapping",
        "to another function",
        lambda w: mapping(w, FunctionArn=w.fn("dlq-processor")["FunctionArn"]),
        "fail",
    ),
    Row("t5.mapping", "from another queue", lambda w: mapping(w, EventSourceArn=queue_arn("lambda-dlq-s1")), "fail"),
    Row("t5.mapping", "no mapping", lambda w: w.mappings.clear(), "fail"),
    Row("t5.batching", "10 and 5 s", unchanged, "pass"),
    Row("t5.batching", "batch size 9", lambda w: mapping(w, BatchSize=9), "fail"),
    Row("t5.batching", "batch size 11", lambda w: mapping(w, BatchSize=11), "fail"),
    Row("t5.batching", "window 0 s", lambda w: mapping(w, MaximumBatchingWindowInSeconds=0), "fail"),
    Row("t5.batching", "window 6 s", lambda w: mapping(w, MaximumBatchingWindowInSeconds=6), "fail"),
    Row("t5.batching", "mapping disabled", lambda w: mapping(w, State="Disabled"), "fail"),
    Row("t5.partial_failures", "ReportBatchItemFailures", unchanged, "pass"),
    Row("t5.partial_failures", "no response types", lambda w: mapping(w, FunctionResponseTypes=[]), "fail"),
    Row("t5.partial_failures", "mapping disabled", lambda w: mapping(w, State="Disabled"), "fail"),
    # Task 6 — lambda-dlq-{id} and dlq-processor-{id}
    Row("t6.queue", "deleted", lambda w: w.queues.pop("lambda-dlq-s1"), "fail"),
    Row("t6.retention", "1209600 s", unchanged, "pass"),
    Row("t6.retention", "1209599 s", lambda w: w.queue("lambda-dlq").update(MessageRetentionPeriod="1209599"), "fail"),
    Row("t6.attached", "the DLQ", unchanged, "pass"),
    Row(
        "t6.attached",
        "another of the student's queues",
        lambda w: w.fn("async-processor").update(DeadLetterConfig={"TargetArn": queue_arn("task-queue-s1")}),
        "fail",
    ),
    Row(
        "t6.attached",
        "a classmate's DLQ",
        lambda w: w.fn("async-processor").update(DeadLetterConfig={"TargetArn": classmate_queue(w, "lambda-dlq")}),
        "fail",
    ),
    Row(
        "t6.attached",
        "an SNS topic",
        lambda w: w.fn("async-processor").update(
            DeadLetterConfig={"TargetArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:dlq"}
        ),
        "fail",
    ),
    Row("t6.attached", "none", lambda w: w.fn("async-processor").pop("DeadLetterConfig"), "fail"),
    Row("t6.processor", "deleted", lambda w: w.functions.pop("dlq-processor-s1"), "fail"),
    Row("t6.processor_trigger", "Enabled", unchanged, "pass"),
    Row("t6.processor_trigger", "Updating", lambda w: mapping(w, "lambda-dlq", State="Updating"), "pass"),
    Row("t6.processor_trigger", "Disabled", lambda w: mapping(w, "lambda-dlq", State="Disabled"), "fail"),
    Row(
        "t6.processor_trigger",
        "from the task queue",
        lambda w: mapping(w, "lambda-dlq", EventSourceArn=queue_arn("task-queue-s1")),
        "fail",
    ),
    # Task 7 — rate-limited-function-{id}
    Row("t7.function_exists", "deleted", lambda w: w.functions.pop("rate-limited-function-s1"), "fail"),
    Row("t7.reserved", "5", unchanged, "pass"),
    Row("t7.reserved", "4", lambda w: w.reserved.update({"rate-limited-function-s1": 4}), "fail"),
    Row("t7.reserved", "6", lambda w: w.reserved.update({"rate-limited-function-s1": 6}), "fail"),
    Row("t7.reserved", "none", lambda w: w.reserved.clear(), "fail"),
    Row("t7.reserved", "none, quota 10", lambda w: (w.reserved.clear(), small_quota(w)), "blocked"),
    Row(
        "t7.reserved",
        "none, 104 unreserved: 99 would be left",
        lambda w: (w.reserved.clear(), small_quota(w, 1000, 104)),
        "blocked",
    ),
    Row(
        "t7.reserved",
        "none, 105 unreserved: 100 would be left",
        lambda w: (w.reserved.clear(), small_quota(w, 1000, 105)),
        "fail",
    ),
    Row(
        "t7.reserved",
        "none, quota 50 with 50 unreserved",
        lambda w: (w.reserved.clear(), small_quota(w, 50, 50)),
        "blocked",
    ),
    Row("t7.reserved", "5, quota 10: met checks are never blocked", lambda w: small_quota(w, 10, 5), "pass"),
    Row("t7.timeout", "11 s", lambda w: w.fn("rate-limited-function").update(Timeout=11), "pass"),
    Row("t7.timeout", "10 s", lambda w: w.fn("rate-limited-function").update(Timeout=10), "fail"),
    Row("t7.timeout", "the 3 s default", lambda w: w.fn("rate-limited-function").pop("Timeout"), "fail"),
    # Task 8 — Lambda Insights
    Row("t8.layer", "on layer-consumer", unchanged, "pass"),
    Row(
        "t8.layer",
        "the Arm64 extension",
        lambda w: layers_of(w, layer_arn("common-utils-layer-s1"), insights_arn(name="LambdaInsightsExtension-Arm64")),
        "pass",
    ),
    Row(
        "t8.layer",
        "on another of the six functions",
        lambda w: only_insights_layer_on(w, "dlq-processor", insights_arn()),
        "pass",
    ),
    Row(
        "t8.layer",
        "on a classmate's function only",
        lambda w: (
            layers_of(w, layer_arn("common-utils-layer-s1")),
            w.add_function("layer-consumer-s10", Layers=[{"Arn": insights_arn()}]),
        ),
        "fail",
    ),
    Row(
        "t8.layer",
        "a layer of that name in the student's own account",
        lambda w: layers_of(w, insights_arn(account=ACCOUNT)),
        "fail",
    ),
    Row(
        "t8.layer",
        "a layer of that name in another account",
        lambda w: layers_of(w, insights_arn(account=TRUSTED)),
        "fail",
    ),
    Row(
        "t8.layer",
        "the extension of another region's publisher",
        lambda w: layers_of(w, insights_arn(account=PUBLISHERS["af-south-1"])),
        "fail",
    ),
    Row(
        "t8.layer",
        "another layer of the publisher",
        lambda w: layers_of(w, insights_arn(name="LambdaInsightsExtensionX")),
        "fail",
    ),
    Row("t8.layer", "no layers", lambda w: w.fn("layer-consumer").pop("Layers"), "fail"),
    Row("t8.layer", "a malformed layer ARN", lambda w: layers_of(w, "arn:aws:lambda"), "fail"),
    Row("t8.layer", "a layer entry without an ARN", lambda w: w.fn("layer-consumer").update(Layers=[{}]), "fail"),
    Row("t8.role_policy", "an inline policy allowing both", unchanged, "pass"),
    Row(
        "t8.role_policy",
        "AWS's managed policy attached",
        lambda w: (role_policy(w, attached=(INSIGHTS_POLICY_ARN,)), managed(w, INSIGHTS_POLICY_ARN, LOGS)),
        "pass",
    ),
    Row("t8.role_policy", "logs:* on *", lambda w: role_policy(w, allow("logs:*")), "pass"),
    Row(
        "t8.role_policy",
        "logs:Put* and logs:Create*",
        lambda w: role_policy(w, allow("logs:Create*", "logs:Put*")),
        "pass",
    ),
    Row(
        "t8.role_policy",
        "a customer policy with both",
        lambda w: (
            role_policy(w, attached=(f"arn:aws:iam::{ACCOUNT}:policy/logs",)),
            managed(w, f"arn:aws:iam::{ACCOUNT}:policy/logs", LOGS),
        ),
        "pass",
    ),
    Row("t8.role_policy", "only logs:PutLogEvents", lambda w: role_policy(w, allow("logs:PutLogEvents")), "fail"),
    Row("t8.role_policy", "only logs:CreateLogStream", lambda w: role_policy(w, allow("logs:CreateLogStream")), "fail"),
    Row("t8.role_policy", "no policy", lambda w: role_policy(w), "fail"),
    Row(
        "t8.role_policy",
        "a customer policy named as AWS's, allowing nothing",
        lambda w: (
            role_policy(w, attached=(f"arn:aws:iam::{ACCOUNT}:policy/CloudWatchLambdaInsightsExecutionRolePolicy",)),
            managed(
                w, f"arn:aws:iam::{ACCOUNT}:policy/CloudWatchLambdaInsightsExecutionRolePolicy", allow("s3:GetObject")
            ),
        ),
        "fail",
    ),
    Row(
        "t8.role_policy",
        "a Deny on * beside the Allow",
        lambda w: role_policy(w, LOGS, deny("logs:PutLogEvents")),
        "fail",
    ),
    Row(
        "t8.role_policy",
        'a Deny on ["*"]',
        lambda w: role_policy(w, LOGS, deny("logs:PutLogEvents", resource=["*"])),
        "fail",
    ),
    Row(
        "t8.role_policy",
        "a Deny on arn:aws:logs:*:*:*",
        lambda w: role_policy(w, LOGS, deny("logs:*", resource="arn:aws:logs:*:*:*")),
        "fail",
    ),
    Row(  # the extension writes to /aws/lambda-insights, not to the function's own group
        "t8.role_policy",
        "a Deny on the function's own log group alone",
        lambda w: role_policy(
            w,
            LOGS,
            deny(
                "logs:CreateLogStream", resource=f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/{CONSUMER}:*"
            ),
        ),
        "pass",
    ),
    Row(
        "t8.role_policy",
        "a Deny on /aws/lambda/* alone",
        lambda w: role_policy(w, LOGS, deny("logs:*", resource="arn:aws:logs:*:*:log-group:/aws/lambda/*")),
        "pass",
    ),
    Row(
        "t8.role_policy",
        "a Deny on /aws/lambda-insights",
        lambda w: role_policy(w, LOGS, deny("logs:PutLogEvents", resource=INSIGHTS_GROUP)),
        "fail",
    ),
    Row(
        "t8.role_policy",
        "an inline copy of AWS's Insights policy",
        lambda w: role_policy(w, allow("logs:CreateLogGroup"), allow(*LOG_WRITES, resource=INSIGHTS_GROUP)),
        "pass",
    ),
    Row(
        "t8.role_policy",
        "a customer copy of AWS's Insights policy",
        lambda w: (
            role_policy(w, attached=(f"arn:aws:iam::{ACCOUNT}:policy/insights-copy",)),
            managed(w, f"arn:aws:iam::{ACCOUNT}:policy/insights-copy", allow(*LOG_WRITES, resource=INSIGHTS_GROUP)),
        ),
        "pass",
    ),
    Row(
        "t8.role_policy",
        "the function's own log group only",
        lambda w: role_policy(
            w, allow(*LOG_WRITES, resource=f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/{CONSUMER}:*")
        ),
        "fail",
    ),
    Row(
        "t8.role_policy",
        "a permissions boundary without logs",
        lambda w: boundary(w, allow("sqs:*")),
        "fail",
    ),
    Row(
        "t8.role_policy",
        "a permissions boundary allowing logs",
        lambda w: boundary(w, allow("logs:*", "sqs:*")),
        "pass",
    ),
    Row(
        "t8.role_policy",
        "AWS's managed policy and a boundary without logs",
        lambda w: (
            role_policy(w, attached=(INSIGHTS_POLICY_ARN,)),
            managed(w, INSIGHTS_POLICY_ARN, LOGS),
            boundary(w, allow("sqs:*")),
        ),
        "fail",
    ),
    Row(
        "t8.role_policy",
        "a Deny on another log group",
        lambda w: role_policy(
            w, LOGS, deny("logs:*", resource=f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/other:*")
        ),
        "pass",
    ),
    Row(
        "t8.role_policy",
        "a Deny with NotAction covering logs",
        lambda w: role_policy(w, LOGS, {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}),
        "fail",
    ),
    Row(
        "t8.role_policy",
        "a Deny only without TLS",
        lambda w: role_policy(w, LOGS, deny("logs:*", Condition={"Bool": {"aws:SecureTransport": "false"}})),
        "pass",
    ),
    Row(
        "t8.role_policy",
        "a Deny outside the graded region",
        lambda w: role_policy(
            w, LOGS, deny("logs:*", Condition={"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}})
        ),
        "pass",
    ),
    Row(
        "t8.role_policy",
        "a Deny inside the graded region",
        lambda w: role_policy(
            w, LOGS, deny("logs:*", Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}})
        ),
        "fail",
    ),
    Row(
        "t8.role_policy",
        "an Allow only in another region",
        lambda w: role_policy(w, {**LOGS, "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}),
        "fail",
    ),
    Row(
        "t8.role_policy",
        "an Allow only over TLS",
        lambda w: role_policy(w, {**LOGS, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
        "pass",
    ),
    Row(
        "t8.role_policy",
        "a Deny on a condition not checkable here",
        lambda w: role_policy(w, LOGS, deny("logs:*", Condition={"StringEquals": {"aws:PrincipalTag/team": "red"}})),
        "pass",
    ),
    Row(
        "t8.role_policy",
        "a Deny with IfExists on an absent key",
        lambda w: role_policy(w, LOGS, deny("logs:*", Condition={"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}})),
        "fail",
    ),
    Row(
        "t8.role_policy",
        "no Insights layer anywhere",
        lambda w: layers_of(w, layer_arn("common-utils-layer-s1")),
        "fail",
    ),
    # Task 9 — versions and aliases of layer-consumer-{id}
    Row("t9.version", "versions 1 and 2", unchanged, "pass"),
    Row("t9.version", "only $LATEST (no version, so no alias names one)", _only_latest, "fail"),
    Row("t9.version", "versions, no alias yet", lambda w: w.aliases[CONSUMER].clear(), "pass"),
    Row("t9.prod", "version 1", unchanged, "pass"),
    Row("t9.prod", "$LATEST", lambda w: alias(w, "PROD", FunctionVersion="$LATEST"), "fail"),
    # An alias naming a version that is not published is no state of AWS's: it refuses to make one
    # (tests/test_moto_gaps.py), so PROD on any version but $LATEST is on a published one.
    Row(
        "t9.prod",
        "no PROD, only prod",
        lambda w: w.aliases[CONSUMER].update({"prod": w.aliases[CONSUMER].pop("PROD")}),
        "fail",
    ),
    Row("t9.staging", "$LATEST", unchanged, "pass"),
    Row("t9.staging", "version 1", lambda w: alias(w, "STAGING", FunctionVersion="1"), "fail"),
    Row("t9.staging", "missing", lambda w: w.aliases[CONSUMER].pop("STAGING"), "fail"),
    Row("t9.canary", "0.1 to version 2", unchanged, "pass"),
    Row("t9.canary", "0.2 to version 2", lambda w: weights(w, v2=0.2), "fail"),
    Row("t9.canary", "0.09 to version 2", lambda w: weights(w, v2=0.09), "fail"),
    Row("t9.canary", "0.1 to PROD's own version", lambda w: weights(w, v1=0.1), "fail"),
    Row("t9.canary", "no weights", lambda w: weights(w), "fail"),
    Row("t9.canary", "no PROD", lambda w: w.aliases[CONSUMER].pop("PROD"), "fail"),
    Row("t9.canary", "PROD on $LATEST", lambda w: alias(w, "PROD", FunctionVersion="$LATEST"), "fail"),
    Row(
        "t9.canary",
        "PROD on version 2, 0.2 to version 1",
        lambda w: (alias(w, "PROD", FunctionVersion="2"), weights(w, v1=0.2)),
        "fail",
    ),
    Row("t9.canary", "only version 1 published", lambda w: (w.versions.update({CONSUMER: ["1"]}), weights(w)), "fail"),
    Row(
        "t9.canary",
        "no version published, PROD on $LATEST",
        lambda w: (w.versions.clear(), alias(w, "PROD", FunctionVersion="$LATEST")),
        "fail",
    ),
    Row("t9.prod", "no PROD and no version", lambda w: (w.versions.clear(), w.aliases[CONSUMER].pop("PROD")), "fail"),
    Row(
        "t9.prod",
        "PROD on $LATEST, versions 3 and 4",
        lambda w: (w.versions.update({CONSUMER: ["3", "4"]}), alias(w, "PROD", FunctionVersion="$LATEST")),
        "fail",
    ),
    # Task 10 — provisioned concurrency and auto scaling on PROD
    Row("t10.provisioned", "2, READY", unchanged, "pass"),
    Row("t10.provisioned", "2, IN_PROGRESS", lambda w: provisioned(w, Status="IN_PROGRESS"), "pass"),
    Row(
        "t10.provisioned",
        "2, FAILED",
        lambda w: provisioned(w, Status="FAILED", StatusReason="not enough unreserved"),
        "fail",
    ),
    # Auto scaling moved it within PROD's scalable target's range: as the task intends (rubric 2026-12-06).
    Row(
        "t10.provisioned",
        "3, READY, target 2..10",
        lambda w: provisioned(w, RequestedProvisionedConcurrentExecutions=3),
        "pass",
    ),
    Row(
        "t10.provisioned",
        "4, READY, target 2..10",
        lambda w: provisioned(w, RequestedProvisionedConcurrentExecutions=4),
        "pass",
    ),
    Row(
        "t10.provisioned",
        "11, READY, target 2..10",
        lambda w: provisioned(w, RequestedProvisionedConcurrentExecutions=11),
        "fail",
    ),
    Row(
        "t10.provisioned",
        "3, READY, no scalable target",
        lambda w: (provisioned(w, RequestedProvisionedConcurrentExecutions=3), w.scalable_targets.clear()),
        "fail",
    ),
    Row(
        "t10.provisioned",
        "2, READY, target 3..10",
        lambda w: target(w, MinCapacity=3),
        "fail",
    ),
    Row("t10.provisioned", "1, READY", lambda w: provisioned(w, RequestedProvisionedConcurrentExecutions=1), "fail"),
    Row(
        "t10.provisioned",
        "none, PROD on $LATEST",
        lambda w: (w.provisioned.clear(), alias(w, "PROD", FunctionVersion="$LATEST")),
        "fail",
    ),
    Row("t10.provisioned", "none", lambda w: w.provisioned.clear(), "fail"),
    Row("t10.provisioned", "none, quota 10", lambda w: (w.provisioned.clear(), small_quota(w)), "blocked"),
    Row("t10.provisioned", "no PROD alias", lambda w: w.aliases[CONSUMER].pop("PROD"), "fail"),
    Row("t10.scalable_target", "2..10", unchanged, "pass"),
    Row("t10.scalable_target", "2..11", lambda w: target(w, MaxCapacity=11), "fail"),
    Row("t10.scalable_target", "2..9", lambda w: target(w, MaxCapacity=9), "fail"),
    Row("t10.scalable_target", "1..10", lambda w: target(w, MinCapacity=1), "fail"),
    Row("t10.scalable_target", "3..10", lambda w: target(w, MinCapacity=3), "fail"),
    Row(
        "t10.scalable_target",
        "the text's dimension",
        lambda w: target(w, ScalableDimension="lambda:function:ProvisionedConcurrentExecutions"),
        "fail",
    ),
    Row("t10.scalable_target", "on STAGING", lambda w: target(w, ResourceId=f"function:{CONSUMER}:STAGING"), "fail"),
    Row(
        "t10.scalable_target",
        "on a classmate's PROD",
        lambda w: target(w, ResourceId="function:layer-consumer-s10:PROD"),
        "fail",
    ),
    Row("t10.scaling_policy", "0.7 target tracking", unchanged, "pass"),
    Row("t10.scaling_policy", "TargetValue 70", lambda w: policy_config(w, TargetValue=70.0), "fail"),
    Row("t10.scaling_policy", "TargetValue 0.75", lambda w: policy_config(w, TargetValue=0.75), "fail"),
    Row(
        "t10.scaling_policy",
        "another metric",
        lambda w: policy_config(
            w, PredefinedMetricSpecification={"PredefinedMetricType": "LambdaProvisionedConcurrencyUtilizationX"}
        ),
        "fail",
    ),
    Row("t10.scaling_policy", "step scaling", lambda w: w.scaling_policies[0].update(PolicyType="StepScaling"), "fail"),
    Row(
        "t10.scaling_policy",
        "on STAGING",
        lambda w: w.scaling_policies[0].update(ResourceId=f"function:{CONSUMER}:STAGING"),
        "fail",
    ),
    Row("t10.scaling_policy", "none", lambda w: w.scaling_policies.clear(), "fail"),
    Row("t10.scaling_policy", "no scalable target", lambda w: w.scalable_targets.clear(), "fail"),
    # Task 11 — the resource policy of layer-consumer-{id}
    Row("t11.cross_account", "a 12-digit account", unchanged, "pass"),
    Row(
        "t11.cross_account",
        "an account's root ARN",
        lambda w: permissions(w, ("x", f"arn:aws:iam::{TRUSTED}:root", None, {})),
        "pass",
    ),
    Row("t11.cross_account", "on alias PROD", lambda w: permissions(w, ("x", TRUSTED, "PROD", {})), "pass"),
    Row("t11.cross_account", "on alias STAGING", lambda w: permissions(w, ("x", TRUSTED, "STAGING", {})), "pass"),
    Row(
        "t11.cross_account",
        "lambda:* for another account",
        lambda w: permissions(w, ("x", TRUSTED, None, {"Action": "lambda:*"})),
        "pass",
    ),
    Row("t11.cross_account", "the graded account only", lambda w: permissions(w, ("x", ACCOUNT, None, {})), "fail"),
    Row(
        "t11.cross_account",
        "only GetFunction for another account",
        lambda w: permissions(w, ("x", TRUSTED, None, {"Action": "lambda:GetFunction"})),
        "fail",
    ),
    Row(
        "t11.cross_account",
        "a service, not an account",
        lambda w: permissions(w, ("x", {"Service": "sns.amazonaws.com"}, None, {})),
        "fail",
    ),
    Row("t11.cross_account", "no policy", lambda w: permissions(w), "fail"),
    # A grant nobody can use is not a grant: these keys are set only when a service or a URL invokes.
    Row(
        "t11.cross_account",
        "another account, only with its own aws:SourceAccount",
        lambda w: permissions(w, ("x", TRUSTED, None, {"Condition": {"StringEquals": {"aws:SourceAccount": TRUSTED}}})),
        "fail",
    ),
    Row(
        "t11.cross_account",
        "another account, only from a source ARN",
        lambda w: permissions(
            w, ("x", TRUSTED, None, {"Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:sns:*:*:topic"}}})
        ),
        "fail",
    ),
    Row(
        "t11.cross_account",
        "another account, only through a function URL",
        lambda w: permissions(
            w, ("x", TRUSTED, None, {"Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}}})
        ),
        "fail",
    ),
    Row(
        "t11.cross_account",
        "another account, aws:SourceAccount IfExists",
        lambda w: permissions(
            w, ("x", TRUSTED, None, {"Condition": {"StringEqualsIfExists": {"aws:SourceAccount": TRUSTED}}})
        ),
        "pass",
    ),
    Row(
        "t11.cross_account",
        "another account, aws:SourceArn must be absent",
        lambda w: permissions(w, ("x", TRUSTED, None, {"Condition": {"Null": {"aws:SourceArn": "true"}}})),
        "pass",
    ),
    Row(
        "t11.cross_account",
        "another account, not from one source ARN",
        lambda w: permissions(
            w, ("x", TRUSTED, None, {"Condition": {"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:x"}}})
        ),
        "pass",
    ),
    Row(
        "t11.cross_account",
        "another account, only its own principal account",
        lambda w: permissions(
            w, ("x", TRUSTED, None, {"Condition": {"StringEquals": {"aws:PrincipalAccount": TRUSTED}}})
        ),
        "pass",
    ),
    Row(
        "t11.cross_account",
        "another account under another's principal account",
        lambda w: permissions(
            w, ("x", TRUSTED, None, {"Condition": {"StringEquals": {"aws:PrincipalAccount": "444455556666"}}})
        ),
        "fail",
    ),
    Row("t11.not_public", "the reference", unchanged, "pass"),
    Row(
        "t11.not_public",
        "* with a condition",
        lambda w: permissions(
            w,
            ("x", TRUSTED, None, {}),
            ("p", "*", None, {"Condition": {"StringEquals": {"AWS:SourceAccount": TRUSTED}}}),
        ),
        "pass",
    ),
    Row(
        "t11.not_public",
        "* without a condition",
        lambda w: permissions(w, ("x", TRUSTED, None, {}), ("p", "*", None, {})),
        "fail",
    ),
    Row(
        "t11.not_public",
        '{"AWS": "*"} without a condition',
        lambda w: permissions(w, ("x", TRUSTED, None, {}), ("p", {"AWS": "*"}, None, {})),
        "fail",
    ),
    Row(
        "t11.not_public",
        "* on alias PROD",
        lambda w: permissions(w, ("x", TRUSTED, None, {}), ("p", "*", "PROD", {})),
        "fail",
    ),
    Row("t11.not_public", "no policy", lambda w: permissions(w), "fail"),
    # Task 12 — alarms on the student's functions
    Row("t12.count", "three alarms", lambda w: alarms(w, *THREE), "pass"),
    Row("t12.count", "two alarms", lambda w: alarms(w, *THREE[:2]), "fail"),
    Row(
        "t12.count",
        "three alarms after a target-tracking one",
        lambda w: (
            alarms(w),
            w.add_alarm(f"TargetTracking-{RESOURCE}-AlarmLow-1", "ProvisionedConcurrencyUtilization", CONSUMER),
            [w.add_alarm(*spec) for spec in THREE],
        ),
        "pass",
    ),
    Row(
        "t12.count",
        "two alarms and a target-tracking one",
        lambda w: (
            alarms(w, *THREE[:2]),
            w.add_alarm(f"TargetTracking-{RESOURCE}-AlarmHigh-1", "ProvisionedConcurrencyUtilization", CONSUMER),
        ),
        "fail",
    ),
    Row(
        "t12.count",
        "two alarms and one on a classmate's function",
        lambda w: alarms(w, *THREE[:2], ("c", "Throttles", "layer-consumer-s10")),
        "fail",
    ),
    Row(
        "t12.count",
        "two alarms and one in another namespace",
        lambda w: (alarms(w, *THREE[:2]), w.add_alarm("c", "Throttles", CONSUMER, namespace="Custom")),
        "fail",
    ),
    Row(
        "t12.count",
        "two alarms and a metric-math one",
        lambda w: (alarms(w, *THREE[:2]), math_alarm(w, "m", "Errors", "Throttles")),
        "pass",
    ),
    Row(
        "t12.count",
        "three alarms on three functions",
        lambda w: alarms(
            w, ("a", "Errors", CONSUMER), ("b", "Errors", "vpc-lambda-s1"), ("c", "Errors", "rate-limited-function-s1")
        ),
        "pass",
    ),
    Row("t12.errors", "on Errors", unchanged, "pass"),
    Row("t12.errors", "on Invocations", lambda w: alarms(w, ("a", "Invocations", CONSUMER)), "fail"),
    Row(
        "t12.errors", "in a metric-math alarm", lambda w: (alarms(w), math_alarm(w, "m", "Errors", "Throttles")), "pass"
    ),
    Row("t12.errors", "on a classmate's function", lambda w: alarms(w, ("a", "Errors", "layer-consumer-s10")), "fail"),
    Row("t12.duration", "on Duration", unchanged, "pass"),
    Row(
        "t12.duration", "on ConcurrentExecutions", lambda w: alarms(w, ("a", "ConcurrentExecutions", CONSUMER)), "fail"
    ),
    Row("t12.throttles", "on Throttles", unchanged, "pass"),
    Row("t12.throttles", "on Errors", lambda w: alarms(w, ("a", "Errors", CONSUMER)), "fail"),
    Row(
        "t12.errors",
        "the text's name on another metric",
        lambda w: alarms(w, ("Lambda-HighErrorRate-s1", "Invocations", CONSUMER)),
        "fail",
    ),
    Row(
        "t12.errors",
        "the text's name and its second taken",
        lambda w: alarms(
            w,
            ("Lambda-HighErrorRate-s1", "Invocations", CONSUMER),
            ("Lambda-HighErrorRate-2-s1", "Invocations", CONSUMER),
        ),
        "fail",
    ),
    Row("t12.count", "Errors and Duration watched", lambda w: alarms(w, *THREE[:2]), "fail"),
    Row("t12.count", "Errors and Throttles watched", lambda w: alarms(w, THREE[0], THREE[2]), "fail"),
    Row(
        "t12.count",
        "every metric watched by two alarms",
        lambda w: (alarms(w, THREE[1]), math_alarm(w, "m", "Errors", "Throttles")),
        "fail",
    ),
]


def verdict_of(row: Row, *, targeted: bool = False) -> tuple[str, str, str | None]:
    world = reference_world()
    row.change(world)
    check = CHECKS[row.check]
    verdict, missing = judge(check, student_of(world, classmates=("s10",), targeted=targeted))
    return verdict.status.value, verdict.message, check_hint(ASSESSMENT, TASKS[row.check], check, verdict, missing)


def test_every_check_has_rows_on_both_sides() -> None:
    sides: dict[str, set[str]] = {}
    for row in ROWS:
        sides.setdefault(row.check, set()).add(row.want)
    assert sorted(sides) == sorted(CHECKS)
    for check_id in CHECKS:
        assert "fail" in sides[check_id], check_id
    assert len({row.id for row in ROWS}) == len(ROWS)


def test_the_reference_passes_every_check() -> None:
    world = reference_world()
    student = student_of(world)
    assert {c.id: judge(c, student)[0].status.value for c in ASSESSMENT.checks()} == dict.fromkeys(CHECKS, "pass")


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_rule(row: Row) -> None:
    status, message, hint = verdict_of(row)
    assert status == row.want, message
    if status == "fail":
        assert hint and "README_lambda_medium.md" in hint, hint


def test_verdict_texts_are_as_reviewed() -> None:
    """Messages and hints of every row, against the reviewed snapshot."""
    found = {row.id: list(verdict_of(row)) for row in ROWS}
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    kept = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert found == kept


@pytest.mark.parametrize(
    ("region", "account"),
    [
        ("us-east-1", DEFAULT_PUBLISHER),
        ("af-south-1", PUBLISHERS["af-south-1"]),
        ("eu-south-2", PUBLISHERS["eu-south-2"]),
    ],
)
def test_insights_layer_of_each_regions_publisher(region: str, account: str) -> None:
    world = reference_world(world=World(region=region))
    layers_of(world, layer_arn("common-utils-layer-s1", region=region), insights_arn(region, account))
    assert judge(CHECKS["t8.layer"], student_of(world))[0].status.value == "pass"
    layers_of(world, layer_arn("common-utils-layer-s1", region=region), insights_arn(region, TRUSTED))
    assert judge(CHECKS["t8.layer"], student_of(world))[0].status.value == "fail"


def test_insights_layer_in_a_region_without_a_known_publisher() -> None:
    """Any publisher but the graded account itself."""
    world = reference_world(world=World(region="xx-test-1"))
    layers_of(world, layer_arn("common-utils-layer-s1", region="xx-test-1"), insights_arn("xx-test-1", TRUSTED))
    assert judge(CHECKS["t8.layer"], student_of(world))[0].status.value == "pass"
    layers_of(world, layer_arn("common-utils-layer-s1", region="xx-test-1"), insights_arn("xx-test-1", ACCOUNT))
    assert judge(CHECKS["t8.layer"], student_of(world))[0].status.value == "fail"


def test_vpc_and_subnet_constants_match_the_world() -> None:
    world = reference_world()
    assert world.fn("vpc-lambda")["VpcConfig"] == {"VpcId": VPC, "SubnetIds": SUBNETS, "SecurityGroupIds": [SG]}


def test_the_texts_insights_block_gives_the_graders_table() -> None:
    """README_lambda_medium.md's `case` block and the fix's table name the same layer for every region."""
    import re

    from checks.assessments.lambda_medium.task08_insights import INSIGHTS_EXTENSION
    from tests.conftest import ROOT

    text = (ROOT / "README_lambda_medium.md").read_text(encoding="utf-8")
    block = text[text.index('case "$AWS_REGION" in') : text.index("esac")]
    given = {
        region: (account, int(version))
        for regions, account, version in re.findall(r"([\w|*-]+)\) INSIGHTS=\"(\d{12}):(\d+)\"", block)
        for region in regions.split("|")
    }
    default = given.pop("*")
    commercial = {r: (a, x86) for r, (a, x86, _) in INSIGHTS_EXTENSION.items() if not r.startswith("cn-")}
    assert set(given) <= set(commercial)
    assert {r: given.get(r, default) for r in commercial} == commercial


@pytest.mark.parametrize(
    ("region", "architecture", "arn"),
    [
        ("us-east-1", "x86_64", "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:38"),
        ("us-east-1", "arm64", "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension-Arm64:5"),
        ("af-south-1", "x86_64", "arn:aws:lambda:af-south-1:012438385374:layer:LambdaInsightsExtension:28"),
        ("eu-central-2", "arm64", None),
        ("xx-test-1", "x86_64", None),
    ],
)
def test_the_insights_fix_names_the_layer_of_the_region_and_architecture(
    region: str, architecture: str, arn: str | None
) -> None:
    world = reference_world(world=World(region=region))
    world.fn("layer-consumer")["Architectures"] = [architecture]
    layers_of(world, layer_arn("common-utils-layer-s1", region=region))
    verdict, _ = judge(CHECKS["t8.layer"], student_of(world))
    assert verdict.status.value == "fail" and verdict.fix
    command = verdict.fix.render()
    mine = layer_arn("common-utils-layer-s1", region=region)
    if arn is None:  # the student's own value: the paste stops with a message until it is set
        assert f'--layers {mine} "${{INSIGHTS_LAYER_ARN:?set INSIGHTS_LAYER_ARN to ' in command
    else:
        assert command.endswith(f"--layers {mine} {arn} > /dev/null")


@pytest.mark.parametrize(
    ("check_id", "change", "owner", "what"),
    [
        ("t2.memory", lambda w: w.functions.pop(CONSUMER), "t2.function_exists", f"function {CONSUMER}"),
        ("t10.provisioned", lambda w: w.functions.pop(CONSUMER), "t2.function_exists", f"function {CONSUMER}"),
        ("t1.runtime", lambda w: w.layers.clear(), "t1.layer_exists", "layer common-utils-layer-s1"),
        ("t5.queue_settings", lambda w: w.queues.pop("task-queue-s1"), "t5.queue", "queue task-queue-s1"),
        ("t6.attached", lambda w: w.queues.pop("lambda-dlq-s1"), "t6.queue", "queue lambda-dlq-s1"),
        (
            "t4.on_success",
            lambda w: w.queues.pop("lambda-success-queue-s1"),
            "t4.queues",
            "queue lambda-success-queue-s1",
        ),
        (
            "t6.processor_trigger",
            lambda w: w.functions.pop("dlq-processor-s1"),
            "t6.processor",
            "function dlq-processor-s1",
        ),
    ],
)
def test_a_missing_resource_is_fixed_once_by_the_check_that_makes_it(
    check_id: str, change: Callable[[World], Any], owner: str, what: str
) -> None:
    status, _, hint = verdict_of(Row(check_id, "dependant", change, "fail"))
    assert status == "fail" and hint is not None
    assert f"Fix {owner} first: its fix makes {what}." in hint and "Fix:" not in hint
    own_status, _, own_hint = verdict_of(Row(owner, "owner", change, "fail"))
    assert own_status == "fail" and own_hint is not None and re.search(r"^Fix: .*\baws ", own_hint, re.M)


def test_no_message_shows_a_python_value_or_wants_what_it_has() -> None:
    """Across every row's reviewed texts: no None, no Python list or quoting, no ``10 (want 10)``."""
    texts = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    for row, (_, message, hint) in texts.items():
        said = [line for line in (hint or "").splitlines() if not line.startswith("Fix: ")]  # a fix holds code
        for text in (message, *said):
            assert not re.search(r"\bNone\b|\['|\(want '", text), (row, text)
            for found, wanted in re.findall(r" (\S+) \(want ([^)]*)\)", text):
                assert found.rstrip(",;") != wanted, (row, text)


def test_one_student_read_by_name_gets_every_rows_verdict_as_from_the_accounts_lists() -> None:
    """A student graded alone asks for their own functions and scaling resources by name; a class lists
    the account once. Every row's status, message and hint are the same both ways."""
    differ = {row.id: (verdict_of(row, targeted=True), verdict_of(row)) for row in ROWS}
    assert {k: v for k, v in differ.items() if v[0] != v[1]} == {}


@pytest.mark.parametrize(("region", "partition"), [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")])
def test_every_arn_the_grader_builds_is_in_the_region_s_partition(region: str, partition: str) -> None:
    """AWS's own Insights policy is known by its ARN in the region's partition; the fixes write ARNs there."""
    world = reference_world(world=World(region=region))
    # Task 4's destinations are the region's queue ARNs.
    world.invoke_configs.clear()
    verdict, _ = judge(CHECKS["t4.on_success"], student_of(world))
    assert verdict.fix is not None and f"arn:{partition}:sqs:{region}:" in verdict.fix.render()
    assert "arn:aws:sqs" not in verdict.fix.render()
    if region.startswith("us-gov-"):
        return  # the Insights extension's publisher there is not one the grader knows
    world.fn("layer-consumer")["Layers"] = [{"Arn": insights_arn_for(region)}]  # the region's publisher
    world.role_inline[ROLE] = {}
    ours = f"arn:{partition}:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy"
    copy = {"Effect": "Allow", "Action": list(LOG_WRITES), "Resource": f"arn:{partition}:logs:*:*:log-group:*"}
    world.role_attached[ROLE] = [{"PolicyName": "CloudWatchLambdaInsightsExecutionRolePolicy", "PolicyArn": ours}]
    world.managed[ours] = {"Version": "2012-10-17", "Statement": [copy]}
    verdict, _ = judge(CHECKS["t8.role_policy"], student_of(world))
    assert verdict.status.value == "pass", verdict.message
    # The commercial partition's ARN is not AWS's policy there: its fix attaches the region's.
    world.role_attached[ROLE] = [
        {"PolicyName": "x", "PolicyArn": "arn:aws:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy"}
    ]
    verdict, _ = judge(CHECKS["t8.role_policy"], student_of(world))
    assert verdict.status.value == "fail" and verdict.fix is not None
    assert f"--policy-arn {ours}" in verdict.fix.render()
