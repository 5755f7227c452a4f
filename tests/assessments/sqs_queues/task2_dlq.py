"""Task 2: the dead-letter queue (README_sqs_queues.md, "Task 2: Dead-letter queue")."""

from __future__ import annotations

import json

from checks.model import Verdict, failed, passed
from checks.registry import TaskInfo, check
from checks.student import Student
from sqs_queues.common import DLQ, FIND, MAX_RECEIVES, ORDERS, queue, redrive, set_attributes

TASK = TaskInfo(2, "Dead-letter queue", "Task 2: Dead-letter queue")


@check("t2.dlq", 2, "Queue orders-dlq-<id> exists", reads=FIND)
def dlq(s: Student) -> Verdict:
    url, _ = queue(s, DLQ)
    return passed(f"queue {s.name(DLQ)} at {url}")


@check("t2.redrive", 4, f"orders-<id> sends a message to orders-dlq-<id> after {MAX_RECEIVES} receives", reads=FIND)
def redrive_policy(s: Student) -> Verdict:
    url, attributes = queue(s, ORDERS)
    _, dlq_attributes = queue(s, DLQ)
    wanted = dlq_attributes["QueueArn"]
    try:
        policy = json.loads(attributes.get("RedrivePolicy") or "{}")
    except ValueError:
        policy = {}
    target, receives = policy.get("deadLetterTargetArn"), str(policy.get("maxReceiveCount"))
    if target == wanted and receives == str(MAX_RECEIVES):
        return passed(f"RedrivePolicy to {s.name(DLQ)} after {receives} receives")
    found = f"RedrivePolicy to {target or 'nothing'} after {receives if target else '-'} receives"
    return failed(f"{found} (want {s.name(DLQ)} after {MAX_RECEIVES})", set_attributes(url, redrive(wanted)))
