"""Task 9 — versions and aliases (README_lambda_medium.md, "Task 9: Implement Function Aliases and Versions")."""

from __future__ import annotations

from typing import Any

from checks.assessments.lambda_medium.common import ALIASES, LAYER_CONSUMER, VERSIONS
from checks.assessments.lambda_medium.view import Student
from checks.fix import Arg, Fix, Shell, Word, aws, chain, variable, word
from checks.kit.functions import update_config
from checks.model import Verdict, failed, passed
from checks.registry import TaskInfo, check
from checks.student import Missing

TASK = TaskInfo(9, "Versions and aliases", "Task 9: Implement Function Aliases and Versions")


def published(s: Student) -> list[str]:
    name = s.function(LAYER_CONSUMER)["FunctionName"]
    return [v["Version"] for v in s.account.versions(name) if v.get("Version") != "$LATEST"]


def named_by_aliases(s: Student) -> list[str]:
    """The versions the aliases point or send traffic to: published, without listing the versions.

    AWS lets an alias name only a version that exists, and refuses to delete a version an alias
    names, so this costs nothing more than the aliases, which Tasks 9 to 11 read anyway. The
    versions themselves (ListVersionsByFunction, in Lambda's tightest rate budget) are listed
    only when no alias names one, and for a fix.
    """
    name = s.function(LAYER_CONSUMER)["FunctionName"]
    found = set()
    for a in s.account.aliases(name).values():
        weights = (a.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        found |= {str(v) for v in (a.get("FunctionVersion"), *weights) if v and v != "$LATEST"}
    return sorted(found, key=lambda v: (len(v), v))


def alias(s: Student, which: str) -> dict[str, Any] | None:
    name = s.function(LAYER_CONSUMER)["FunctionName"]
    return s.account.aliases(name).get(which)


def _no_alias(s: Student, which: str) -> str:
    """No alias of that name; one of another case is named, since alias names are case-sensitive."""
    other = next((a for a in s.account.aliases(s.name(LAYER_CONSUMER)) if a.lower() == which.lower()), None)
    return f"no alias {which}" + (f" (did you mean {other}? alias names are case-sensitive)" if other else "")


def _publish(s: Student, name: str) -> Fix:
    """Shell that publishes a new version of layer-consumer into ``$variable``.

    A description of its own makes each publish a new version, even two within one second.
    """
    function = s.name(LAYER_CONSUMER)
    return chain(
        [
            update_config(function, "--description", Shell(f'"{name} $(date +%s)"')).quiet(),
            aws("lambda", "wait", "function-updated-v2", "--function-name", function),
            aws("lambda", "publish-version", "--function-name", function).keep("Version", name),
        ]
    )


def alias_fix(s: Student, which: str) -> Fix:
    """Point the alias where the rubric wants it: update it when it exists, create it when not.

    PROD needs a published version: the first one, or one published first when there is none.
    A PROD that does not exist yet is made whole in one command, its 10 % canary on a second
    version with it, so that t9.prod, t9.canary and Task 10 share one fix.
    """
    name = s.name(LAYER_CONSUMER)
    exists = alias(s, which) is not None
    verb = "update-alias" if exists else "create-alias"

    def point(version: Arg, *more: Arg) -> Fix:
        return aws("lambda", verb, "--function-name", name, "--name", which, "--function-version", version, *more)

    if which == "STAGING":
        return point("$LATEST")
    versions = published(s)
    if exists:
        return point(versions[0]) if versions else _publish(s, "V1").then(point(variable("V1")))
    steps = []
    base: Arg | None = None
    canary: Arg | None = None
    if len(versions) > 1:
        base, canary = versions[0], versions[-1]
    if not versions:
        steps.append(_publish(s, "V1"))
    if len(versions) < 2:
        steps.append(_publish(s, "V2"))
        base, canary = (versions[0] if versions else variable("V1")), variable("V2")
    assert base is not None and canary is not None
    steps.append(point(base, "--routing-config", _weights_word(canary)))
    return chain(steps)


def _weights_word(canary: Arg) -> Word:
    """``AdditionalVersionWeights={V=0.1}`` with the canary's version as data or as the fix's variable."""
    version = canary if isinstance(canary, Shell) else str(canary)
    return word("AdditionalVersionWeights={", version, "=0.1}")


@check("t9.version", 2, "At least one published version", reads=VERSIONS)
def version(s: Student) -> Verdict:
    versions = named_by_aliases(s) or published(s)
    if versions:
        return passed(f"published versions {', '.join(versions)}")
    return failed(
        "no published version (only $LATEST)",
        aws("lambda", "publish-version", "--function-name", s.name(LAYER_CONSUMER)),
    )


@check("t9.prod", 3, "Alias PROD points to a published version", reads=VERSIONS)
def prod(s: Student) -> Verdict:
    found = alias(s, "PROD")
    if found is None:
        return failed(_no_alias(s, "PROD"), alias_fix(s, "PROD"))
    target = found.get("FunctionVersion")
    if target not in (None, "$LATEST"):  # AWS lets an alias name no version that is not published
        return passed(f"PROD -> version {target}")
    return failed(f"PROD -> {target} (want a published version)", alias_fix(s, "PROD"))


@check("t9.staging", 3, "Alias STAGING points to $LATEST", reads=ALIASES)
def staging(s: Student) -> Verdict:
    found = alias(s, "STAGING")
    if found is None:
        return failed(_no_alias(s, "STAGING"), alias_fix(s, "STAGING"))
    target = found.get("FunctionVersion")
    if target == "$LATEST":
        return passed("STAGING -> $LATEST")
    return failed(f"STAGING -> {target} (want $LATEST)", alias_fix(s, "STAGING"))


@check("t9.canary", 2, "PROD sends 10 % to another published version", reads=VERSIONS)
def canary(s: Student) -> Verdict:
    found = alias(s, "PROD")
    if found is None:
        raise Missing(f"alias PROD of {s.name(LAYER_CONSUMER)}", alias_fix(s, "PROD"))
    weights = (found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    good = [
        v
        for v, w in weights.items()
        if v not in (found.get("FunctionVersion"), "$LATEST") and abs(float(w) - 0.1) < 1e-9
    ]
    if good:
        return passed(f"PROD sends 0.1 to version {good[0]}")
    return failed(
        f"AdditionalVersionWeights {_weights(weights)} (want 0.1 to another published version)", _canary_fix(s, found)
    )


def _weights(weights: dict[str, Any]) -> str:
    return ", ".join(f"{v}={w}" for v, w in weights.items()) or "none"


def _canary_fix(s: Student, prod: dict[str, Any]) -> Fix:
    """PROD on a published version, 0.1 to another one: publishing what is missing first.

    AWS refuses weights on an alias that points to $LATEST, and on a version that does not exist.
    """
    name = s.name(LAYER_CONSUMER)
    versions = published(s)
    target = prod.get("FunctionVersion")
    base = target if target in versions else (versions[0] if versions else None)
    others = [v for v in versions if v != base]
    steps = []
    version: Arg
    if base is None:
        steps.append(_publish(s, "V1"))
        version = variable("V1")
    else:
        version = str(base)
    canary: Arg
    if others:
        canary = others[-1]
    else:
        steps.append(_publish(s, "V2"))
        canary = variable("V2")
    steps.append(
        aws(
            "lambda",
            "update-alias",
            "--function-name",
            name,
            "--name",
            "PROD",
            "--function-version",
            version,
            "--routing-config",
            _weights_word(canary),
        )
    )
    return chain(steps)
