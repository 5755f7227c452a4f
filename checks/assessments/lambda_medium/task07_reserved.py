"""Task 7 — reserved concurrency (README_lambda_medium.md, "Task 7: Implement Reserved Concurrency")."""

from __future__ import annotations

from checks.assessments.lambda_medium.common import FIND, RATE_LIMITED
from checks.assessments.lambda_medium.view import Student
from checks.fix import aws
from checks.kit.functions import update_config
from checks.model import Verdict, blocked, failed, passed
from checks.registry import TaskInfo, check

TASK = TaskInfo(7, "Reserved concurrency", "Task 7: Implement Reserved Concurrency")


@check("t7.function_exists", 3, "Function rate-limited-function-<id> exists", reads=FIND)
def function_exists(s: Student) -> Verdict:
    return passed(f"function {s.function(RATE_LIMITED)['FunctionName']} exists")


@check(
    "t7.reserved",
    5,
    "Reserved concurrency 5",
    reads=(*FIND, "lambda:GetFunction", "lambda:GetAccountSettings"),
)
def reserved(s: Student) -> Verdict:
    name = s.function(RATE_LIMITED)["FunctionName"]
    got = s.account.reserved_concurrency(name)
    if got == 5:
        return passed("ReservedConcurrentExecutions 5")
    why = s.concurrency_blocked(5, already=got or 0)
    if why:
        return blocked(why)
    return failed(
        f"ReservedConcurrentExecutions {got if got is not None else 'not set'} (want 5)",
        aws("lambda", "put-function-concurrency", "--function-name", name, "--reserved-concurrent-executions", 5),
    )


@check("t7.timeout", 2, "Timeout above 10 s (the handler sleeps 10 s)", reads=FIND)
def timeout(s: Student) -> Verdict:
    fn = s.function(RATE_LIMITED)
    got = int(fn.get("Timeout") or 3)
    if got > 10:
        return passed(f"Timeout {got} s")
    return failed(
        f"Timeout {got} s (want more than 10: every call sleeps 10 s)",
        update_config(fn["FunctionName"], "--timeout", 15),
    )
