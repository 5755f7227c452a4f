"""Task 4 — async invocation with destinations.

README_lambda_medium.md, "Task 4: Implement Async Invocation with Destinations".
"""

from __future__ import annotations

import json
from typing import Any

from checks import iam
from checks.assessments.lambda_medium.common import (
    ASYNC_PROCESSOR,
    DLQ,
    FAILURE_QUEUE,
    FIND,
    QUEUES,
    ROLE,
    SUCCESS_QUEUE,
    retention,
)
from checks.assessments.lambda_medium.view import Student
from checks.fix import Fix, aws, chain, json_word
from checks.kit.functions import function_setting, role_may, role_of
from checks.kit.queues import create_queue
from checks.model import Verdict, failed, passed
from checks.registry import TaskInfo, check, note

# The configuration's checks read the queues and, for a fix, what the role may send to.
CONFIG_READS = (*QUEUES, *ROLE, "lambda:GetFunctionEventInvokeConfig")

TASK = TaskInfo(4, "Async invocation with destinations", "Task 4: Implement Async Invocation with Destinations")


def _invoke_config(s: Student) -> dict[str, Any]:
    fn = s.function(ASYNC_PROCESSOR)
    return s.account.event_invoke_config(fn["FunctionName"]) or {}


def _config_fix(s: Student) -> Fix:
    """The whole event invoke configuration in one command, with every value the rubric wants.

    PutFunctionEventInvokeConfig replaces the configuration: a command per setting would undo
    the others. A destination queue that does not exist yet is created first (its ARN is known).
    """
    steps: list[Fix | None] = []
    destinations = {}
    for which, prefix in (("OnSuccess", SUCCESS_QUEUE), ("OnFailure", FAILURE_QUEUE)):
        name = s.name(prefix)
        if name not in s.account.queues():
            steps.append(create_queue(name, {"MessageRetentionPeriod": 86400}).quiet())
        destinations[which] = {"Destination": s.arn("sqs", name)}
    # AWS refuses a destination the role may not send to: that is granted first.
    fn = s.function(ASYNC_PROCESSOR)
    arns = sorted(d["Destination"] for d in destinations.values())
    if not all(role_may(s, fn, ("sqs:SendMessage",), a) for a in arns):
        steps.append(_send_to(s, fn, arns))
    steps.append(
        aws(
            "lambda",
            "put-function-event-invoke-config",
            "--function-name",
            s.name(ASYNC_PROCESSOR),
            "--maximum-event-age-in-seconds",
            21600,
            "--maximum-retry-attempts",
            2,
            "--destination-config",
            json_word(destinations),
        )
    )
    return chain(steps)


def _send_to(s: Student, fn: dict[str, Any], arns: list[str]) -> Fix:
    """A minimal inline policy: the function's role may send to its destination queues."""
    statement = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arns}
    return aws(
        "iam",
        "put-role-policy",
        "--role-name",
        role_of(fn),
        "--policy-name",
        f"send-to-destinations-{s.id}",
        "--policy-document",
        json_word({"Version": "2012-10-17", "Statement": [statement]}),
    )


def _setting(s: Student, key: str, want: int) -> Verdict:
    got = _invoke_config(s).get(key)
    if got == want:
        return passed(f"{key} {got}")
    return failed(f"{key} {got if got is not None else 'not set'} (want {want})", _config_fix(s))


def _destination(s: Student, which: str, queue_prefix: str) -> Verdict:
    config, want = s.account.gather(lambda: _invoke_config(s), lambda: s.queue_arn(queue_prefix))
    got = ((config.get("DestinationConfig") or {}).get(which) or {}).get("Destination")
    if got == want:
        return passed(f"{which} destination is {s.name(queue_prefix)}")
    return failed(f"{which} destination {got or 'not set'} (want {want})", _config_fix(s))


@check("t4.function_exists", 1, "Function async-processor-<id> exists", reads=FIND)
def function_exists(s: Student) -> Verdict:
    return passed(f"function {s.function(ASYNC_PROCESSOR)['FunctionName']} exists")


@check("t4.memory", 1, "MemorySize 256", reads=FIND)
def memory(s: Student) -> Verdict:
    return function_setting(s, ASYNC_PROCESSOR, "MemorySize", 256, "--memory-size")


@check(
    "t4.max_event_age",
    1,
    "Maximum event age 6 hours (21600 s)",
    reads=CONFIG_READS,
)
def max_event_age(s: Student) -> Verdict:
    return _setting(s, "MaximumEventAgeInSeconds", 21600)


@check("t4.retry_attempts", 1, "Retry attempts 2", reads=CONFIG_READS)
def retry_attempts(s: Student) -> Verdict:
    return _setting(s, "MaximumRetryAttempts", 2)


@check(
    "t4.on_success",
    2,
    "On-success destination is lambda-success-queue-<id>",
    reads=CONFIG_READS,
)
def on_success(s: Student) -> Verdict:
    return _destination(s, "OnSuccess", SUCCESS_QUEUE)


@check(
    "t4.on_failure",
    2,
    "On-failure destination is lambda-failure-queue-<id>",
    reads=CONFIG_READS,
)
def on_failure(s: Student) -> Verdict:
    return _destination(s, "OnFailure", FAILURE_QUEUE)


@check("t4.queues", 2, "Both destination queues exist with 1-day retention", reads=QUEUES)
def queues(s: Student) -> Verdict:
    for prefix in (SUCCESS_QUEUE, FAILURE_QUEUE):
        verdict = retention(s, prefix, 86400)
        if not verdict.passed:
            return verdict
    return passed(f"{s.name(SUCCESS_QUEUE)} and {s.name(FAILURE_QUEUE)} keep messages 86400 s")


@note(reads=(*ROLE, *QUEUES))
def send_permission(s: Student) -> str | None:
    """Destinations and the DLQ only receive messages the function's role may send."""
    fn = s.function(ASYNC_PROCESSOR)
    role = str(fn.get("Role", "")).rsplit("/", 1)[-1]
    documents = s.role_documents(role)
    lacking = []
    for prefix in (SUCCESS_QUEUE, FAILURE_QUEUE, DLQ):
        url = s.account.queues().get(s.name(prefix))
        attributes = s.account.queue_attributes(url) if url else None
        if not attributes:
            continue
        arn = attributes["QueueArn"]
        queue_policy = json.loads(attributes["Policy"]) if attributes.get("Policy") else {}
        if not (iam.allows(documents, "sqs:SendMessage", arn) or iam.allows([queue_policy], "sqs:SendMessage", arn)):
            lacking.append(s.name(prefix))
    if not lacking:
        return None
    return (
        f"role {role} may not sqs:SendMessage to {', '.join(lacking)}: destinations and the DLQ stay empty "
        f"until it can (see README_lambda_medium.md, errata)"
    )
