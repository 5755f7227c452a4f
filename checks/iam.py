"""Reading IAM policy documents as IAM evaluates them, for the requests the grader asks about.

``evaluate(documents, action, resource, context)`` follows IAM's policy evaluation logic
within one account's identity policies: an explicit ``Deny`` that applies wins over every
``Allow``; otherwise some ``Allow`` must apply; otherwise the request is implicitly denied.
A statement applies when its ``Action``/``NotAction`` covers the action, its
``Resource``/``NotResource`` covers the resource (IAM's ``*`` and ``?`` wildcards, nothing
else), and its ``Condition`` holds.

Conditions are evaluated against what is known of the request (``context``: for a
function writing its logs, ``aws:SecureTransport`` is true and ``aws:RequestedRegion`` is the
function's region). A condition on a key the context does not hold, or with an operator not
evaluated here, cannot be decided: the statement is then taken in the student's favour (an
Allow applies, a Deny does not) and the decision lists it in ``assumed``, so that the
verdict can say it rests on a condition.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Decision:
    allowed: bool
    denied_by: dict[str, Any] | None = None  # the explicit Deny that decided, if one did
    assumed: tuple[str, ...] = field(default=())  # conditions that could not be decided, as written
    lifted: tuple[str, ...] = field(default=())  # conditions under which a Deny would apply, found not to hold


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
    if isinstance(value, bool):
        return [str(value).lower()]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in value]


@lru_cache(maxsize=1024)
def _pattern(wildcard: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one character; nothing else is special."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in wildcard)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _like(patterns: Iterable[str], value: str, *, ignore_case: bool = False) -> bool:
    return any(_pattern(p, ignore_case).fullmatch(value) for p in patterns)


def covers_action(statement: dict[str, Any], action: str) -> bool:
    """Action names are not case-sensitive in IAM."""
    if "NotAction" in statement:
        return not _like(_as_list(statement["NotAction"]), action, ignore_case=True)
    return _like(_as_list(statement.get("Action")), action, ignore_case=True)


def covers_resource(statement: dict[str, Any], resource: str | None) -> bool:
    """With ``resource`` None, the question is "on every resource": only a statement on ``*`` covers that."""
    if "NotResource" in statement:
        if resource is None:
            return False
        return not _like(_as_list(statement["NotResource"]), resource)
    patterns = _as_list(statement.get("Resource", "*"))
    if resource is None:
        return "*" in patterns
    return _like(patterns, resource)


def _allows_somewhere(statement: dict[str, Any]) -> bool:
    return "NotResource" in statement or bool(_as_list(statement.get("Resource", "*")))


_STRING = {
    "StringEquals": (False, False, False),  # (negated, like, ignore case)
    "StringNotEquals": (True, False, False),
    "StringEqualsIgnoreCase": (False, False, True),
    "StringNotEqualsIgnoreCase": (True, False, True),
    "StringLike": (False, True, False),
    "StringNotLike": (True, True, False),
    "ArnEquals": (False, True, False),
    "ArnLike": (False, True, False),
    "ArnNotEquals": (True, True, False),
    "ArnNotLike": (True, True, False),
    "Bool": (False, False, True),
}


def condition_holds(
    condition: Mapping[str, Any], context: Mapping[str, str], absent: Iterable[str] = ()
) -> bool | None:
    """True or False when the context decides every clause; None when one cannot be decided.

    ``absent``: keys the request is known not to carry. As IAM decides, a clause on a key the request
    lacks is false, but true for a negated operator (``StringNotEquals``, ``ArnNotLike``…), an
    ``...IfExists`` one, ``ForAllValues:``, and ``Null`` with ``true``.
    """
    known = {k.lower(): v for k, v in context.items()}
    missing = {k.lower() for k in absent} - set(known)
    undecided = False
    for raw_operator, clauses in condition.items():
        if not isinstance(clauses, Mapping):
            return None
        qualifier, _, operator = raw_operator.rpartition(":")  # ForAnyValue:/ForAllValues: on single-valued keys
        if_exists = operator.endswith("IfExists")
        operator = operator.removesuffix("IfExists")
        for key, wanted in clauses.items():
            if str(key).lower() in missing:
                if operator == "Null":
                    holds = _as_list(wanted) == ["true"]
                else:
                    holds = if_exists or "Not" in operator or qualifier == "ForAllValues"
                if not holds:
                    return False
                continue
            value = known.get(str(key).lower())
            if operator == "Null":
                if value is None and str(key).lower() not in known:
                    undecided = True
                    continue
                is_null = value is None
                if _as_list(wanted) != [str(is_null).lower()]:
                    return False
                continue
            if operator not in _STRING:
                undecided = True
                continue
            if value is None:
                if if_exists:
                    continue
                undecided = True
                continue
            negated, like, ignore_case = _STRING[operator]
            values = _as_list(wanted)
            if like:
                matched = _like(values, value, ignore_case=ignore_case)
            elif ignore_case:
                matched = value.lower() in [v.lower() for v in values]
            else:
                matched = value in values
            if matched == negated:
                return False
    return None if undecided else True


def evaluate(
    documents: Iterable[dict[str, Any]],
    action: str,
    resource: str | None = None,
    context: Mapping[str, str] | None = None,
) -> Decision:
    """May ``action`` be done on ``resource`` (None: on every resource) under these identity policies?"""
    context = context or {}
    allowed = False
    assumed: list[str] = []
    lifted: list[str] = []
    for document in documents:
        for st in statements(document):
            if not covers_action(st, action):
                continue
            effect = st.get("Effect")
            # "on some resource" (None) is enough for an Allow; a Deny must cover every resource.
            some = effect == "Allow" and resource is None
            if not (_allows_somewhere(st) if some else covers_resource(st, resource)):
                continue
            holds = condition_holds(st["Condition"], context) if st.get("Condition") else True
            if holds is None:
                assumed.append(json.dumps(st["Condition"], sort_keys=True))
            if effect == "Deny" and holds is True:
                return Decision(False, st, tuple(assumed), tuple(lifted))
            if effect == "Deny" and holds is False:
                lifted.append(json.dumps(st["Condition"], sort_keys=True))
            if effect == "Allow" and holds is not False:
                allowed = True
    return Decision(allowed, None, tuple(assumed), tuple(lifted))


def describe(statement: dict[str, Any]) -> str:
    """A statement's actions and resources in words, e.g. ``logs:* on arn:aws:logs:*:*:*``."""
    if "NotAction" in statement:
        actions = "every action but " + ", ".join(_as_list(statement["NotAction"]))
    else:
        actions = ", ".join(_as_list(statement.get("Action")))
    if "NotResource" in statement:
        return f"{actions} on every resource but {', '.join(_as_list(statement['NotResource']))}"
    return f"{actions} on {', '.join(_as_list(statement.get('Resource', '*')))}"


def allows(
    documents: Iterable[dict[str, Any]],
    action: str,
    resource: str | None = None,
    context: Mapping[str, str] | None = None,
) -> bool:
    """True when some Allow applies to ``action`` (on ``resource``, or on some resource) and no Deny does."""
    return evaluate(documents, action, resource, context).allowed


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
