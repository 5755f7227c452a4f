"""Task 6 — dead-letter queue (README_lambda_medium.md, "Task 6: Implement Error Handling with Dead Letter Queue")."""

from __future__ import annotations

from checks.assessments.lambda_medium.common import (
    ASYNC_PROCESSOR,
    DLQ,
    DLQ_PROCESSOR,
    FIND,
    MAPPINGS,
    QUEUES,
    ROLE,
    retention,
    sqs_trigger,
)
from checks.assessments.lambda_medium.view import Student
from checks.fix import chain
from checks.kit.functions import grant_first, update_config
from checks.kit.queues import create_queue
from checks.model import Verdict, failed, passed
from checks.registry import TaskInfo, check

TASK = TaskInfo(6, "Dead-letter queue", "Task 6: Implement Error Handling with Dead Letter Queue")


@check("t6.queue", 2, "Queue lambda-dlq-<id> exists", reads=QUEUES)
def queue(s: Student) -> Verdict:
    s.queue(DLQ, create_queue(s.name(DLQ), {"MessageRetentionPeriod": 1209600}))
    return passed(f"queue {s.name(DLQ)} exists")


@check("t6.retention", 1, "DLQ keeps messages 14 days (1209600 s)", reads=QUEUES)
def retention_14_days(s: Student) -> Verdict:
    return retention(s, DLQ, 1209600)


@check("t6.attached", 3, "async-processor-<id> sends failed events to the DLQ", reads=(*QUEUES, *ROLE))
def attached(s: Student) -> Verdict:
    fn = s.function(ASYNC_PROCESSOR)
    want = s.queue_arn(DLQ)
    got = (fn.get("DeadLetterConfig") or {}).get("TargetArn")
    if got == want:
        return passed(f"DeadLetterConfig.TargetArn is {s.name(DLQ)}")
    # AWS refuses a dead-letter queue the role may not send to: that is granted first.
    grant = grant_first(s, fn, ("sqs:SendMessage",), want, inline=f"send-to-{s.name(DLQ)}")
    attach = update_config(fn["FunctionName"], "--dead-letter-config", f"TargetArn={want}")
    return failed(f"DeadLetterConfig.TargetArn {got or 'not set'} (want {want})", chain([grant, attach]))


@check("t6.processor", 2, "Function dlq-processor-<id> exists", reads=FIND)
def processor(s: Student) -> Verdict:
    return passed(f"function {s.function(DLQ_PROCESSOR)['FunctionName']} exists")


@check("t6.processor_trigger", 2, "Enabled event source mapping from the DLQ to dlq-processor-<id>", reads=MAPPINGS)
def processor_trigger(s: Student) -> Verdict:
    return sqs_trigger(s, DLQ, DLQ_PROCESSOR)[0]
