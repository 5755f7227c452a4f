"""SQS queues, for an assessment whose students make them.

A course declares its queues' name prefixes once (``queue_kind``); its checks ask
``s.resource("queue", prefix)`` (the queue's URL and attributes, through the view) and fail with the
fixes built here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from checks.fix import Fix, aws
from checks.student import Kind, Student

FIND = ("sqs:ListQueues", "sqs:GetQueueAttributes", "ec2:DescribeRegions")  # what finding a queue reads


def attributes(values: dict[str, str | int]) -> str:
    """SQS attributes in the AWS CLI's shorthand, ``Name=value,Name=value``."""
    return ",".join(f"{k}={v}" for k, v in values.items())


def create_queue(name: str, values: dict[str, str | int]) -> Fix:
    """A queue made with ``values``; it prints one line, its URL."""
    return aws("sqs", "create-queue", "--queue-name", name, "--attributes", attributes(values)).shows("QueueUrl")


def set_queue_attributes(url: str, values: dict[str, str | int]) -> Fix:
    return aws("sqs", "set-queue-attributes", "--queue-url", url, "--attributes", attributes(values))


def plain_queue(s: Student, prefix: str) -> Fix:
    """A missing queue, with SQS's defaults."""
    return aws("sqs", "create-queue", "--queue-name", s.name(prefix)).shows("QueueUrl")


def queue_kind(prefixes: Sequence[str], make: Any = plain_queue, *, marks_work: bool = False) -> Kind:
    """The kind ``queue``: the student's queues are ``<prefix>-<id>``, read from the account's list;
    ``make(s, prefix)`` is a missing one's fix."""
    return Kind(
        "queue",
        tuple(prefixes),
        listed=lambda a: a.queues(),
        elsewhere=lambda a, region: a.queue_names_in(region),
        make=make,
        marks_work=marks_work,
    )
