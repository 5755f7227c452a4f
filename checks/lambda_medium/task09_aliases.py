"""Task 9 — versions and aliases (README_lambda_medium.md, "Task 9: Implement Function Aliases and Versions")."""

from __future__ import annotations

from typing import Any

from checks.aws import Missing, Student
from checks.lambda_medium.common import ALIASES, FIND, LAYER_CONSUMER
from checks.model import Verdict, failed, passed
from checks.registry import TaskInfo, check

TASK = TaskInfo(9, "Versions and aliases", "Task 9: Implement Function Aliases and Versions")


def published(s: Student) -> list[str]:
    name = s.function(LAYER_CONSUMER)["FunctionName"]
    return [v["Version"] for v in s.account.versions(name) if v.get("Version") != "$LATEST"]


def alias(s: Student, which: str) -> dict[str, Any] | None:
    name = s.function(LAYER_CONSUMER)["FunctionName"]
    return s.account.aliases(name).get(which)


def _no_alias(s: Student, which: str) -> str:
    """No alias of that name; one of another case is named, since alias names are case-sensitive."""
    other = next((a for a in s.account.aliases(s.name(LAYER_CONSUMER)) if a.lower() == which.lower()), None)
    return f"no alias {which}" + (f" (did you mean {other}? alias names are case-sensitive)" if other else "")


def _alias_fix(s: Student, which: str, version: str) -> str:
    return (
        f"aws lambda create-alias --function-name {s.name(LAYER_CONSUMER)} --name {which} "
        f"--function-version '{version}'   # or update-alias if it exists"
    )


@check("t9.version", 2, "At least one published version", reads=(*FIND, "lambda:ListVersionsByFunction"))
def version(s: Student) -> Verdict:
    versions = published(s)
    if versions:
        return passed(f"published versions {', '.join(versions)}")
    return failed(
        "no published version (only $LATEST)", f"aws lambda publish-version --function-name {s.name(LAYER_CONSUMER)}"
    )


@check("t9.prod", 3, "Alias PROD points to a published version", reads=(*ALIASES, "lambda:ListVersionsByFunction"))
def prod(s: Student) -> Verdict:
    found, versions = s.account.gather(lambda: alias(s, "PROD"), lambda: published(s))
    if found is None:
        return failed(_no_alias(s, "PROD"), _alias_fix(s, "PROD", "1"))
    target = found.get("FunctionVersion")
    if target != "$LATEST" and target in versions:
        return passed(f"PROD -> version {target}")
    return failed(f"PROD -> {target} (want a published version)", _alias_fix(s, "PROD", "1"))


@check("t9.staging", 3, "Alias STAGING points to $LATEST", reads=ALIASES)
def staging(s: Student) -> Verdict:
    found = alias(s, "STAGING")
    if found is None:
        return failed(_no_alias(s, "STAGING"), _alias_fix(s, "STAGING", "$LATEST"))
    target = found.get("FunctionVersion")
    if target == "$LATEST":
        return passed("STAGING -> $LATEST")
    return failed(f"STAGING -> {target} (want $LATEST)", _alias_fix(s, "STAGING", "$LATEST"))


@check(
    "t9.canary", 2, "PROD sends 10 % to another published version", reads=(*ALIASES, "lambda:ListVersionsByFunction")
)
def canary(s: Student) -> Verdict:
    found, versions = s.account.gather(lambda: alias(s, "PROD"), lambda: published(s))
    if found is None:
        raise Missing(f"alias PROD of {s.name(LAYER_CONSUMER)}", _alias_fix(s, "PROD", "1"))
    weights = (found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    good = [
        v
        for v, w in weights.items()
        if v != found.get("FunctionVersion") and v in versions and abs(float(w) - 0.1) < 1e-9
    ]
    if good:
        return passed(f"PROD sends 0.1 to version {good[0]}")
    other = next((v for v in reversed(versions) if v != found.get("FunctionVersion")), "2")
    return failed(
        f"AdditionalVersionWeights {weights or 'none'} (want 0.1 to another published version)",
        f"aws lambda update-alias --function-name {s.name(LAYER_CONSUMER)} --name PROD "
        f"--routing-config AdditionalVersionWeights={{{other}=0.1}}"
        + ("" if len(versions) > 1 else "   # publish version 2 first"),
    )
