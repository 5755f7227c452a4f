"""sqs_queues: a small assessment over SQS, two tasks, 12 points, kept outside the grader's folder.

It is found by its entry point (``sqs_queues-1.0.dist-info/entry_points.txt`` beside it), as a
course's own package of assessments would be. Its student IDs are lower-case letters, digits and
``-`` (stricter than lambda_medium's), and it uses the engine's own student view.
"""

from __future__ import annotations

import re
from typing import Any

from checks.registry import Cleanup, IdRule, Students, Tools, assessment
from sqs_queues import task1_orders, task2_dlq
from sqs_queues.common import DIAGNOSIS_READS, KINDS, OWNERS, TEARDOWN_READS, teardown


def demo(student_id: str, region: str, session: Any) -> None:
    """The demo account: both queues, the orders queue's visibility timeout left at its default."""
    sqs = session.client("sqs", region_name=region)
    dlq = sqs.create_queue(QueueName=f"orders-dlq-{student_id}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.create_queue(
        QueueName=f"orders-{student_id}",
        Attributes={"RedrivePolicy": f'{{"deadLetterTargetArn":"{arn}","maxReceiveCount":"3"}}'},
    )


ASSESSMENT = assessment(
    "sqs_queues",
    "SQS queues: an orders queue and its dead-letter queue",
    "README_sqs_queues.md",
    [task1_orders, task2_dlq],
    Students(
        kinds=KINDS,
        owners=OWNERS,
        ids=IdRule(re.compile(r"[a-z0-9-]{1,40}"), "1 to 40 lower-case letters, digits or '-'"),
        diagnosis_reads=DIAGNOSIS_READS,
    ),
    Tools(cleanup=Cleanup(teardown, TEARDOWN_READS), demo=demo),
)
