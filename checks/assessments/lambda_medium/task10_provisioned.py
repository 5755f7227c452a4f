"""Task 10 — provisioned concurrency and auto scaling.

README_lambda_medium.md, "Task 10: Configure Auto Scaling with Provisioned Concurrency".
"""

from __future__ import annotations

from typing import Any

from checks.assessments.lambda_medium.common import LAYER_CONSUMER, VERSIONS, differences, shown
from checks.assessments.lambda_medium.view import Student
from checks.fix import Arg, Fix, aws, json_word
from checks.model import Verdict, blocked, failed, passed
from checks.registry import TaskInfo, check
from checks.student import Missing

TASK = TaskInfo(
    10, "Provisioned concurrency and auto scaling", "Task 10: Configure Auto Scaling with Provisioned Concurrency"
)

DIMENSION = "lambda:function:ProvisionedConcurrency"
METRIC = "LambdaProvisionedConcurrencyUtilization"


def _resource(s: Student) -> str:
    return f"function:{s.name(LAYER_CONSUMER)}:PROD"


def _prod(s: Student, then: Fix) -> str:
    """The function's name, once it has PROD; else a Missing whose fix is ``then``, the step after t9.prod's.

    "How to fix" lists Task 9 before Task 10, so the block makes PROD and then configures it:
    one round, not two.
    """
    name = str(s.function(LAYER_CONSUMER)["FunctionName"])
    if "PROD" not in s.account.aliases(name):
        raise Missing(f"alias PROD of {name}", then, after="t9.prod")
    return name


def _provision(name: str, figure: int) -> Fix:
    return aws(
        "lambda",
        "put-provisioned-concurrency-config",
        "--function-name",
        name,
        "--qualifier",
        "PROD",
        "--provisioned-concurrent-executions",
        figure,
    )


def scaling(verb: str, resource: str, *more: Arg) -> Fix:
    """An Application Auto Scaling command on PROD's provisioned concurrency (``resource``)."""
    return aws(
        "application-autoscaling",
        verb,
        "--service-namespace",
        "lambda",
        "--resource-id",
        resource,
        "--scalable-dimension",
        DIMENSION,
        *more,
    )


def _register(s: Student) -> Fix:
    return scaling("register-scalable-target", _resource(s), "--min-capacity", 2, "--max-capacity", 10)


def _target(s: Student, then: Fix | None = None) -> dict[str, Any]:
    """The scalable target on PROD. Missing: its fix is registering it, followed by ``then`` when given
    (registering again only updates it, so a block that also runs t10.scalable_target's fix still works)."""
    fix = _register(s).then(then)
    _prod(s, fix)  # the function and its alias come first: a target left behind on a deleted one does not count
    for target in s.account.scalable_targets(_resource(s)):
        if target.get("ResourceId") == _resource(s) and target.get("ScalableDimension") == DIMENSION:
            return target
    raise Missing(f"scalable target {_resource(s)} ({DIMENSION})", fix)


@check(
    "t10.provisioned",
    4,
    "Provisioned concurrency 2 on PROD (or within its auto scaling range)",
    reads=(
        *VERSIONS,
        "lambda:GetProvisionedConcurrencyConfig",
        "lambda:GetAccountSettings",
        "application-autoscaling:DescribeScalableTargets",
    ),
)
def provisioned(s: Student) -> Verdict:
    name = _prod(s, _on_a_version(s, _provision(s.name(LAYER_CONSUMER), 2)))
    config = s.account.provisioned_concurrency(name, "PROD")
    requested = (config or {}).get("RequestedProvisionedConcurrentExecutions")
    status = (config or {}).get("Status")
    # Once PROD has a scalable target, auto scaling moves the figure within its range, as Task 10 intends.
    scaled = _range(s)
    low, high = scaled or (2, 2)
    want = f"{low}..{high}, auto scaling's range" if scaled else "2"
    within = isinstance(requested, int) and low <= requested <= high
    if within and status in ("READY", "IN_PROGRESS"):
        return passed(f"{requested} requested, {status}" + (f" (within {want})" if scaled else ""))
    target = 2 if low <= 2 <= high else low
    fix = _on_a_version(s, _provision(name, target))
    why = s.concurrency_blocked(2, already=int((config or {}).get("AllocatedProvisionedConcurrentExecutions") or 0))
    if why:
        return blocked(why)
    if config is None:
        return failed(f"no provisioned concurrency on PROD (want {want})", fix)
    if status == "FAILED":
        return failed(f"provisioning FAILED: {config.get('StatusReason', 'no reason given')}", fix)
    if within:
        return failed(f"{requested} requested, status {shown(status)} (want READY or IN_PROGRESS)", fix)
    return failed(f"{shown(requested)} requested (want {want}), status {shown(status)}", fix)


def _range(s: Student) -> tuple[int, int] | None:
    """PROD's scalable target's MinCapacity..MaxCapacity, when it has one (its figures, whatever they are)."""
    for target in s.account.scalable_targets(_resource(s)):
        if target.get("ResourceId") == _resource(s) and target.get("ScalableDimension") == DIMENSION:
            low, high = target.get("MinCapacity"), target.get("MaxCapacity")
            if isinstance(low, int) and isinstance(high, int) and low <= high:
                return low, high
    return None


def _on_a_version(s: Student, then: Fix) -> Fix:
    """``then``, after PROD is pointed at a published version when it points to $LATEST: AWS refuses provisioned
    concurrency on an alias of $LATEST. The version is published first when there is none."""
    from checks.assessments.lambda_medium.task09_aliases import alias, alias_fix

    found = alias(s, "PROD")
    if found is not None and found.get("FunctionVersion") == "$LATEST":
        return alias_fix(s, "PROD").then(then)
    return then


@check(
    "t10.scalable_target",
    3,
    "Scalable target on PROD, min 2, max 10",
    reads=(*VERSIONS, "application-autoscaling:DescribeScalableTargets"),
)
def scalable_target(s: Student) -> Verdict:
    target = _target(s)
    low, high = target.get("MinCapacity"), target.get("MaxCapacity")
    if (low, high) == (2, 10):
        return passed(f"{_resource(s)} scales 2..10")
    return failed(differences(("MinCapacity", low, 2), ("MaxCapacity", high, 10)), _register(s))


@check(
    "t10.scaling_policy",
    3,
    "Target tracking at 0.7 provisioned-concurrency utilization",
    reads=(
        *VERSIONS,
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
    ),
)
def scaling_policy(s: Student) -> Verdict:
    _target(s, then=_put_policy(s))
    ours = [
        p
        for p in s.account.scaling_policies(_resource(s))
        if p.get("ResourceId") == _resource(s) and p.get("ScalableDimension") == DIMENSION
    ]
    for policy in ours:
        config = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
        metric = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
        if (
            policy.get("PolicyType") == "TargetTrackingScaling"
            and metric == METRIC
            and abs(float(config.get("TargetValue", 0)) - 0.7) < 1e-9
        ):
            return passed(f"policy {policy.get('PolicyName')} tracks {METRIC} at 0.7")
    found = "; ".join(_describe(p) for p in ours) or "no scaling policy"
    return failed(f"{found} (want TargetTrackingScaling on {METRIC} at 0.7)", _put_policy(s))


def _put_policy(s: Student) -> Fix:
    spec = {"TargetValue": 0.7, "PredefinedMetricSpecification": {"PredefinedMetricType": METRIC}}
    return scaling(
        "put-scaling-policy",
        _resource(s),
        "--policy-name",
        "target-tracking-policy",
        "--policy-type",
        "TargetTrackingScaling",
        "--target-tracking-scaling-policy-configuration",
        json_word(spec),
    )


def _describe(policy: dict[str, Any]) -> str:
    config = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
    metric = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
    return f"{policy.get('PolicyName')}: {policy.get('PolicyType')}, {metric} at {config.get('TargetValue')}"
