"""Task 11 — cross-account invocation.

README_lambda_medium.md, "Task 11: Implement Cross-Account Lambda Invocation".
"""

from __future__ import annotations

from typing import Any

from checks import iam
from checks.assessments.lambda_medium.common import ALIASES, LAYER_CONSUMER, shown
from checks.assessments.lambda_medium.view import Student
from checks.fix import Fix, ask, aws, chain
from checks.model import Verdict, failed, passed
from checks.registry import TaskInfo, check
from checks.student import Missing

TASK = TaskInfo(11, "Cross-account invocation", "Task 11: Implement Cross-Account Lambda Invocation")


def _allow_statements(s: Student) -> list[tuple[str, dict[str, Any]]]:
    """Every Allow statement that covers lambda:InvokeFunction, with where it was found."""
    name = s.function(LAYER_CONSUMER)["FunctionName"]
    # The unqualified policy is read while the aliases are listed; then each alias's, at once.
    unqualified, aliases = s.account.gather(
        lambda: s.account.function_policy(name, None), lambda: s.account.aliases(name)
    )
    qualifiers = [a for a in ("PROD", "STAGING") if a in aliases]
    policies = [
        (None, unqualified),
        *zip(
            qualifiers,
            s.account.gather(*[lambda q=q: s.account.function_policy(name, q) for q in qualifiers]),
            strict=True,
        ),
    ]
    found = []
    for qualifier, policy in policies:
        for st in iam.statements(policy or {}):
            if st.get("Effect") == "Allow" and iam.covers_action(st, "lambda:InvokeFunction"):
                found.append((f"{name}:{qualifier}" if qualifier else name, st))
    return found


TRUSTED_ACCOUNT = ask("TRUSTED_ACCOUNT", "the 12-digit ID of the other account")


STATEMENT_ID = "AllowCrossAccountInvoke"  # the assessment text's


def _add_permission(s: Student) -> Fix:
    """Another account's invoke, under a statement ID the policy does not hold (AWS refuses one it holds).

    When the text's statement ID holds the wrong grant (the graded account itself, or ``*``), that
    statement is removed first and its ID used again; any other statement under it is kept.
    """
    name = s.name(LAYER_CONSUMER)
    held = {str(st.get("Sid")): st for st in iam.statements(s.account.function_policy(name, None) or {})}
    steps: list[Fix | None] = []
    sid = STATEMENT_ID
    taken = held.get(STATEMENT_ID)
    if taken is not None:
        principals = iam.principals(taken)
        wrong = not principals or all(p == "*" or iam.account_of(p) == s.account_id for p in principals)
        if wrong:
            steps.append(aws("lambda", "remove-permission", "--function-name", name, "--statement-id", STATEMENT_ID))
        else:
            sid = next(f"{STATEMENT_ID}{n}" for n in range(2, 100) if f"{STATEMENT_ID}{n}" not in held)
    add = aws(
        "lambda",
        "add-permission",
        "--function-name",
        name,
        "--statement-id",
        sid,
        "--action",
        "lambda:InvokeFunction",
        "--principal",
        TRUSTED_ACCOUNT,
    )
    return chain([*steps, add])


@check("t11.cross_account", 8, "Another account may invoke layer-consumer-<id>", reads=(*ALIASES, "lambda:GetPolicy"))
def cross_account(s: Student) -> Verdict:
    found = _allow_statements(s)
    for where, st in found:
        others = [a for a in map(iam.account_of, iam.principals(st)) if a and a != s.account_id]
        if others:
            return passed(f"{where} lets account {others[0]} invoke it")
    if found:
        return failed(
            f"invoke is allowed only to {shown(sorted({p for _, st in found for p in iam.principals(st)}))} "
            f"(want another AWS account's ID)",
            _add_permission(s),
        )
    return failed("no resource policy statement allows lambda:InvokeFunction", _add_permission(s))


@check("t11.not_public", 2, "Nobody else may invoke it without a condition", reads=(*ALIASES, "lambda:GetPolicy"))
def not_public(s: Student) -> Verdict:
    name = s.function(LAYER_CONSUMER)["FunctionName"]
    if s.account.function_policy(name, None) is None and not _allow_statements(s):
        raise Missing(f"resource policy of {name}", _add_permission(s))
    public = [
        (where, st) for where, st in _allow_statements(s) if "*" in iam.principals(st) and not st.get("Condition")
    ]
    if not public:
        return passed("no statement lets everyone invoke it")
    where, st = public[0]
    return failed(
        f"statement {st.get('Sid', '?')} on {where} lets anyone (*) invoke it with no condition",
        _remove_permission(where, st),
    )


def _remove_permission(where: str, st: dict[str, Any]) -> Fix | str:
    """RemovePermission takes the statement's ID; a statement without one is removed by hand."""
    sid = st.get("Sid")
    if not isinstance(sid, str) or not sid:
        return f"remove that statement from {where}'s resource policy (it has no statement ID to name)"
    function, _, qualifier = where.partition(":")
    return aws(
        "lambda",
        "remove-permission",
        "--function-name",
        function,
        *(("--qualifier", qualifier) if qualifier else ()),
        "--statement-id",
        sid,
    )
