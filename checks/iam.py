"""Reading IAM policy documents: does a set of statements allow an action?

Enough of IAM's evaluation for grading: Allow statements, ``Action`` and
``NotAction`` with wildcards, ``Resource`` with wildcards. Explicit Deny is
honoured. Conditions are reported, not evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Any


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document.get("Statement", [])
    if isinstance(found, dict):
        found = [found]
    return [s for s in found if isinstance(s, dict)]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _matches(patterns: Iterable[str], value: str) -> bool:
    return any(fnmatchcase(value.lower(), p.lower()) for p in patterns)


def covers_action(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not _matches(_as_list(statement["NotAction"]), action)
    return _matches(_as_list(statement.get("Action")), action)


def covers_resource(statement: dict[str, Any], resource: str) -> bool:
    if "NotResource" in statement:
        return not _matches(_as_list(statement["NotResource"]), resource)
    return _matches(_as_list(statement.get("Resource", "*")), resource)


def allows(documents: Iterable[dict[str, Any]], action: str, resource: str | None = None) -> bool:
    """True when some Allow statement covers ``action`` (on ``resource``, or on some resource) and no Deny does."""
    allowed = False
    for document in documents:
        for st in statements(document):
            if not covers_action(st, action):
                continue
            if resource is not None and not covers_resource(st, resource):
                continue
            if resource is None and st.get("Effect") == "Deny" and st.get("Resource", "*") != "*":
                continue  # a Deny on some resources does not deny the action everywhere
            if st.get("Effect") == "Deny":
                return False
            if st.get("Effect") == "Allow":
                allowed = True
    return allowed


def principals(statement: dict[str, Any]) -> list[str]:
    """The principals of a resource-policy statement, as written (``*`` for everyone)."""
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        out: list[str] = []
        for value in principal.values():
            out.extend(_as_list(value))
        return out
    return _as_list(principal)


def account_of(principal: str) -> str | None:
    """The 12-digit account of ``123456789012`` or ``arn:aws:iam::123456789012:root``."""
    if principal.isdigit() and len(principal) == 12:
        return principal
    parts = principal.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] == "iam" and parts[4].isdigit() and len(parts[4]) == 12:
        return parts[4]
    return None
