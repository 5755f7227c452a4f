"""Task 5 — SQS trigger (README_lambda_medium.md, "Task 5: Create SQS Trigger for Lambda")."""

from __future__ import annotations

from checks.assessments.lambda_medium.common import (
    FIND,
    MAPPINGS,
    QUEUES,
    SQS_CONSUMER,
    TASK_QUEUE,
    differences,
    sqs_trigger,
)
from checks.assessments.lambda_medium.view import Student
from checks.fix import Arg, Fix, aws
from checks.kit.functions import function_setting
from checks.kit.queues import create_queue, set_queue_attributes
from checks.model import Verdict, failed, passed
from checks.registry import TaskInfo, check

TASK = TaskInfo(5, "SQS trigger", "Task 5: Create SQS Trigger for Lambda")

QUEUE_ATTRIBUTES = {"VisibilityTimeout": "300", "MessageRetentionPeriod": "345600"}
VISIBILITY = 300  # the rubric pins the queue's: a slower function's Timeout is lowered to it instead
# The mapping's settings, in one set of flags: every fix that makes or changes the mapping gives them all.
MAPPING_SETTINGS: tuple[Arg, ...] = (
    "--batch-size",
    10,
    "--maximum-batching-window-in-seconds",
    5,
    "--function-response-types",
    "ReportBatchItemFailures",
)


def _queue(s: Student) -> tuple[str, dict[str, str]]:
    return s.queue(TASK_QUEUE, create_queue(s.name(TASK_QUEUE), dict(QUEUE_ATTRIBUTES)))


def _mapping(s: Student) -> dict[str, object]:
    verdict, live = sqs_trigger(s, TASK_QUEUE, SQS_CONSUMER, MAPPING_SETTINGS, VISIBILITY)
    if not live:
        from checks.student import Missing

        raise Missing(f"enabled mapping from {s.name(TASK_QUEUE)} to {s.name(SQS_CONSUMER)}", verdict.fix)
    return live[0]


@check("t5.queue", 2, "Queue task-queue-<id> exists", reads=QUEUES)
def queue(s: Student) -> Verdict:
    _queue(s)
    return passed(f"queue {s.name(TASK_QUEUE)} exists")


@check("t5.queue_settings", 1, "VisibilityTimeout 300 and MessageRetentionPeriod 345600", reads=QUEUES)
def queue_settings(s: Student) -> Verdict:
    url, attributes = _queue(s)
    wrong = {k: attributes.get(k) for k, v in QUEUE_ATTRIBUTES.items() if attributes.get(k) != v}
    if not wrong:
        return passed("VisibilityTimeout 300, MessageRetentionPeriod 345600")
    return failed(
        "; ".join(f"{k} {v} (want {QUEUE_ATTRIBUTES[k]})" for k, v in wrong.items()),
        set_queue_attributes(url, {k: QUEUE_ATTRIBUTES[k] for k in wrong}),
    )


@check("t5.function_exists", 1, "Function sqs-consumer-<id> exists", reads=FIND)
def function_exists(s: Student) -> Verdict:
    return passed(f"function {s.function(SQS_CONSUMER)['FunctionName']} exists")


@check("t5.memory", 1, "MemorySize 256", reads=FIND)
def memory(s: Student) -> Verdict:
    return function_setting(s, SQS_CONSUMER, "MemorySize", 256, "--memory-size")


@check("t5.mapping", 2, "Enabled event source mapping from the queue to the function", reads=MAPPINGS)
def mapping(s: Student) -> Verdict:
    return sqs_trigger(s, TASK_QUEUE, SQS_CONSUMER, MAPPING_SETTINGS, VISIBILITY)[0]


@check("t5.batching", 1, "BatchSize 10 and batching window 5 s", reads=MAPPINGS)
def batching(s: Student) -> Verdict:
    m = _mapping(s)
    size, window = m.get("BatchSize"), m.get("MaximumBatchingWindowInSeconds")
    if size == 10 and window == 5:
        return passed("BatchSize 10, MaximumBatchingWindowInSeconds 5")
    return failed(
        differences(("BatchSize", size, 10), ("MaximumBatchingWindowInSeconds", window, 5)),
        _update_mapping(m),
    )


@check("t5.partial_failures", 2, "Reports batch item failures", reads=MAPPINGS)
def partial_failures(s: Student) -> Verdict:
    m = _mapping(s)
    types = list(m.get("FunctionResponseTypes") or [])  # type: ignore[call-overload]
    if "ReportBatchItemFailures" in types:
        return passed("FunctionResponseTypes include ReportBatchItemFailures")
    return failed(
        f"FunctionResponseTypes {types or 'none'} (want ReportBatchItemFailures)",
        _update_mapping(m),
    )


def _update_mapping(m: dict[str, object]) -> Fix:
    return aws("lambda", "update-event-source-mapping", "--uuid", str(m.get("UUID")), *MAPPING_SETTINGS)
