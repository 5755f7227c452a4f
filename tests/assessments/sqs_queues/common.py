"""The names, kinds, fixes and teardown sqs_queues' tasks share."""

from __future__ import annotations

import json
from typing import Any

from checks.fix import Fix, aws, json_word
from checks.student import Kind, Student
from checks.teardown import Removal

ORDERS = "orders"
DLQ = "orders-dlq"
VISIBILITY = 60
MAX_RECEIVES = 3

FIND = ("sqs:ListQueues", "sqs:GetQueueAttributes", "ec2:DescribeRegions")
OWNERS = {ORDERS: "t1.queue", DLQ: "t2.dlq"}


def create(s: Student, prefix: str) -> Fix:
    """A missing queue as the text makes it (the orders queue with its visibility timeout)."""
    attributes = {"VisibilityTimeout": str(VISIBILITY)} if prefix == ORDERS else {}
    if not attributes:
        return aws("sqs", "create-queue", "--queue-name", s.name(prefix))
    return aws("sqs", "create-queue", "--queue-name", s.name(prefix), "--attributes", json_word(attributes))


KINDS = (
    Kind(
        "queue",
        (ORDERS, DLQ),
        listed=lambda a: a.queues(),
        elsewhere=lambda a, region: a.queue_names_in(region),
        make=create,
        marks_work=True,
    ),
)
DIAGNOSIS_READS = ("ec2:DescribeRegions", "sqs:ListQueues")


def queue(s: Student, prefix: str) -> tuple[str, dict[str, str]]:
    """The student's queue: its URL and attributes (a Missing with the fix that makes it)."""
    url: str = s.resource("queue", prefix)
    attributes = s.account.queue_attributes(url)
    if attributes is None:  # gone between the list and the read
        raise s.missing("queue", prefix, s.account.queues(), create(s, prefix))
    return url, attributes


def set_attributes(url: str, values: dict[str, Any]) -> Fix:
    return aws("sqs", "set-queue-attributes", "--queue-url", url, "--attributes", json_word(values))


def redrive(dlq_arn: str) -> dict[str, str]:
    return {"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)})}


TEARDOWN_READS = ("sqs:ListQueues",)


def teardown(s: Student) -> list[Removal]:
    """The student's queues, the orders queue first (its redrive names the dead-letter queue)."""
    queues = s.account.queues()
    return [
        Removal("queue", s.name(p), aws("sqs", "delete-queue", "--queue-url", queues[s.name(p)]))
        for p in (ORDERS, DLQ)
        if s.name(p) in queues
    ]
