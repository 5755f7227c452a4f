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


# The assessment text exports the other account's ID under this name; the fix asks for the same variable.
TRUSTED_ACCOUNT = ask("TRUSTED_ACCOUNT_ID", "the 12-digit ID of the other account")


STATEMENT_ID = "AllowCrossAccountInvoke"  # the assessment text's

# Keys a service or a function URL sets when it invokes; a direct invoke from another account never carries
# them, so a grant conditioned on one (but for IfExists, Null true or a negated operator) lets nobody in.
NEVER_ON_A_DIRECT_INVOKE = (
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOwner",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "lambda:FunctionUrlAuthType",
    "lambda:EventSourceToken",
)


def _add_permission(s: Student) -> Fix:
    """Another account's invoke, under a statement ID the policy does not hold (AWS refuses one it holds): the
    text's, else the first free ``AllowCrossAccountInvoke<N>``. It removes nothing: a statement that must go
    (``*`` with no condition) is t11.not_public's to remove, so the two fixes run in any order, and together."""
    name = s.name(LAYER_CONSUMER)
    held = {str(st.get("Sid")) for st in iam.statements(s.account.function_policy(name, None) or {})}
    sid = next(sid for sid in (STATEMENT_ID, *(f"{STATEMENT_ID}{n}" for n in range(2, 1000))) if sid not in held)
    steps: list[Fix | None] = []
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


def _usable_by(st: dict[str, Any], account: str) -> bool:
    """Whether a direct invoke from ``account`` can meet the statement's condition (undecided: yes)."""
    condition = st.get("Condition")
    if not condition:
        return True
    context = {"aws:PrincipalAccount": account, "aws:SecureTransport": "true"}
    return iam.condition_holds(condition, context, absent=NEVER_ON_A_DIRECT_INVOKE) is not False


@check("t11.cross_account", 8, "Another account may invoke layer-consumer-<id>", reads=(*ALIASES, "lambda:GetPolicy"))
def cross_account(s: Student) -> Verdict:
    found = _allow_statements(s)
    unusable = []
    for where, st in found:
        others = [a for a in map(iam.account_of, iam.principals(st)) if a and a != s.account_id]
        usable = [a for a in others if _usable_by(st, a)]
        if usable:
            return passed(f"{where} lets account {usable[0]} invoke it")
        if others:
            unusable.append((where, st, others[0]))
    if unusable:
        where, st, other = unusable[0]
        keys = sorted({str(k) for clauses in st["Condition"].values() if isinstance(clauses, dict) for k in clauses})
        never = {k.lower() for k in NEVER_ON_A_DIRECT_INVOKE}
        service_only = [k for k in keys if k.lower() in never]
        why = (
            f"{', '.join(service_only)} {'is' if len(service_only) == 1 else 'are'} set only when a service or a "
            "function URL invokes"
            if service_only
            else "its condition does not hold for that account"
        )
        return failed(
            f"statement {st.get('Sid', '?')} on {where} grants account {other} only under {', '.join(keys)}, "
            f"which a direct invoke from that account never meets: it lets nobody in ({why}; want a grant a "
            "direct invoke can use)",
            _add_permission(s),
        )
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
