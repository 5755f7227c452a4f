"""Task 1: the orders queue (README_sqs_queues.md, "Task 1: Orders queue")."""

from __future__ import annotations

from checks.model import Verdict, failed, passed
from checks.registry import TaskInfo, check
from checks.student import Student
from sqs_queues.common import FIND, ORDERS, VISIBILITY, queue, set_attributes

TASK = TaskInfo(1, "Orders queue", "Task 1: Orders queue")


@check("t1.queue", 4, "Queue orders-<id> exists", reads=FIND)
def orders_queue(s: Student) -> Verdict:
    url, _ = queue(s, ORDERS)
    return passed(f"queue {s.name(ORDERS)} at {url}")


@check("t1.visibility", 2, f"orders-<id> has a visibility timeout of {VISIBILITY} s", reads=FIND)
def visibility(s: Student) -> Verdict:
    url, attributes = queue(s, ORDERS)
    got = attributes.get("VisibilityTimeout")
    if got == str(VISIBILITY):
        return passed(f"VisibilityTimeout {got}")
    return failed(
        f"VisibilityTimeout {got} (want {VISIBILITY})", set_attributes(url, {"VisibilityTimeout": str(VISIBILITY)})
    )
