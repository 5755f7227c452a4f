"""lambda_medium's view of a student's account: the look-ups its checks ask for beyond the engine's own.

The engine's :class:`checks.student.Student` finds ``<prefix>-<id>`` resources of the kinds the
assessment declares (``common.KINDS``); this adds what Lambda's checks read around them: a queue's
attributes, a function's event source mappings, the account's concurrency, an execution role.
"""

from __future__ import annotations

from typing import Any

from checks import aws as aws_access
from checks import student
from checks.fix import aws, json_word
from checks.kit.functions import LAMBDA_TRUST
from checks.student import Missing


class Student(student.Student):
    """One student's view for lambda_medium: functions, layers, queues, mappings, concurrency, roles."""

    def function(self, prefix: str, fix: Any = None) -> dict[str, Any]:
        found: dict[str, Any] = self.resource("function", prefix, fix)
        return found

    def layer(self, prefix: str, fix: Any = None) -> dict[str, Any]:
        found: dict[str, Any] = self.resource("layer", prefix, fix)
        return found

    def queue(self, prefix: str, fix: Any = None) -> tuple[str, dict[str, str]]:
        """The queue's URL and attributes."""
        name = self.name(prefix)
        url = self.account.queues().get(name)
        attributes = self.account.queue_attributes(url) if url else None
        if url is None or attributes is None:
            make = self.kinds["queue"].make
            if fix is None and make is not None:
                fix = make(self, prefix)
            raise self.missing("queue", prefix, self.account.queues(), fix)
        return url, attributes

    def queue_arn(self, prefix: str) -> str:
        return self.queue(prefix)[1]["QueueArn"]

    def mappings(self, queue_arn: str, function_arn: str) -> list[dict[str, Any]]:
        """Event source mappings from a queue to a function (unqualified or any alias)."""
        base = function_arn.split(":function:")[-1].split(":")[0]
        return [
            m
            for m in self.account.event_source_mappings()
            if m.get("EventSourceArn") == queue_arn
            and m.get("FunctionArn", "").split(":function:")[-1].split(":")[0] == base
        ]

    def concurrency_blocked(self, amount: int, already: int = 0) -> str | None:
        """Why taking ``amount`` more concurrency is impossible in this account, or None."""
        limits = self.account.account_settings().get("AccountLimit", {})
        quota = int(limits.get("ConcurrentExecutions", 1000))
        unreserved = int(limits.get("UnreservedConcurrentExecutions", quota))
        floor = min(100, quota)
        after = unreserved + already - amount
        if after >= floor:
            return None
        return (
            f"account concurrency quota is {quota} with {unreserved} unreserved; taking {amount} would leave "
            f"{after}, below the {floor} Lambda keeps unreserved. Ask for more: Service Quotas > AWS Lambda > "
            f"Concurrent executions (aws service-quotas request-service-quota-increase --service-code lambda "
            f"--quota-code L-B99A9384 --desired-value 1000)"
        )

    def role_documents(self, role: str) -> list[dict[str, Any]]:
        """Every policy document of an execution role (inline and attached)."""
        try:
            return self.account.role_policy_documents(role)
        except aws_access.NoSuchRole as exc:
            raise _no_role(role) from exc

    def role_boundary(self, role: str) -> dict[str, Any] | None:
        """The role's permissions boundary document, or None: what its policies allow must be allowed here too."""
        try:
            return self.account.role_boundary(role)
        except aws_access.NoSuchRole as exc:
            raise _no_role(role) from exc

    def role_attachments(self, role: str) -> list[dict[str, Any]]:
        """The managed policies attached to an execution role."""
        try:
            return self.account.attached_role_policies(role)
        except aws_access.NoSuchRole as exc:
            raise _no_role(role) from exc


def _no_role(role: str) -> Missing:
    return Missing(
        f"execution role {role}",
        aws("iam", "create-role", "--role-name", role, "--assume-role-policy-document", json_word(LAMBDA_TRUST)),
    )
