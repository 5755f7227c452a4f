"""Task 8 — Lambda Insights (README_lambda_medium.md, "Task 8: Configure Lambda Insights for Enhanced Monitoring")."""

from __future__ import annotations

from typing import Any

from checks import iam
from checks.assessments.lambda_medium.common import FUNCTIONS, LAYER_CONSUMER, LAYERS, ROLE
from checks.assessments.lambda_medium.view import Student
from checks.fix import Arg, Fix, ask, aws, variable
from checks.kit.functions import managed_policy_arn, update_config
from checks.model import Verdict, failed, passed
from checks.registry import TaskInfo, check
from checks.student import Missing

TASK = TaskInfo(8, "Lambda Insights", "Task 8: Configure Lambda Insights for Enhanced Monitoring")

INSIGHTS_LAYERS = ("LambdaInsightsExtension", "LambdaInsightsExtension-Arm64")
# A fix that sets a function's layers reads the student's layer and whether the versions it keeps still exist.
LAYER_FIX = (*LAYERS, "lambda:GetLayerVersion")
INSIGHTS_POLICY = "CloudWatchLambdaInsightsExecutionRolePolicy"
DEFAULT_PUBLISHER = "580247275435"
# AWS's published ARNs of the Lambda Insights extension, version 1.0.229.0 (CloudWatch User Guide,
# "Available versions of the Lambda Insights extension"): region -> (publisher account, layer
# version of LambdaInsightsExtension for x86_64, of LambdaInsightsExtension-Arm64 for arm64, or
# None where AWS publishes no arm64 build of that version). README_lambda_medium.md's Task 8
# `case` block holds the same x86_64 figures (a test compares them).
INSIGHTS_EXTENSION: dict[str, tuple[str, int, int | None]] = {
    "af-south-1": ("012438385374", 28, 2),
    "ap-east-1": ("519774774795", 28, 2),
    "ap-northeast-1": (DEFAULT_PUBLISHER, 60, 11),
    "ap-northeast-2": (DEFAULT_PUBLISHER, 37, 4),
    "ap-northeast-3": ("194566237122", 19, 2),
    "ap-south-1": (DEFAULT_PUBLISHER, 36, 7),
    "ap-south-2": ("891564319516", 10, None),
    "ap-southeast-1": (DEFAULT_PUBLISHER, 38, 5),
    "ap-southeast-2": (DEFAULT_PUBLISHER, 38, 5),
    "ap-southeast-3": ("439286490199", 14, 2),
    "ca-central-1": (DEFAULT_PUBLISHER, 37, 3),
    "cn-north-1": ("488211338238", 29, None),
    "cn-northwest-1": ("488211338238", 29, None),
    "eu-central-1": (DEFAULT_PUBLISHER, 38, 5),
    "eu-central-2": ("033019950311", 11, None),
    "eu-north-1": (DEFAULT_PUBLISHER, 35, 3),
    "eu-south-1": ("339249233099", 28, 2),
    "eu-south-2": ("352183217350", 12, None),
    "eu-west-1": (DEFAULT_PUBLISHER, 38, 5),
    "eu-west-2": (DEFAULT_PUBLISHER, 38, 5),
    "eu-west-3": (DEFAULT_PUBLISHER, 37, 3),
    "me-central-1": ("732604637566", 11, None),
    "me-south-1": ("285320876703", 28, 2),
    "sa-east-1": (DEFAULT_PUBLISHER, 37, 3),
    "us-east-1": (DEFAULT_PUBLISHER, 38, 5),
    "us-east-2": (DEFAULT_PUBLISHER, 38, 7),
    "us-west-1": (DEFAULT_PUBLISHER, 38, 3),
    "us-west-2": (DEFAULT_PUBLISHER, 38, 5),
}
PUBLISHERS = {region: account for region, (account, _, _) in INSIGHTS_EXTENSION.items()}


def publisher(region: str) -> str | None:
    """The Insights publisher account of a region, or None where it is not known here."""
    return PUBLISHERS.get(region)


def insights_arn_for(region: str, architecture: str = "x86_64") -> str | None:
    """The ARN of AWS's Insights extension for a region and architecture, or None where it is not known here."""
    found = INSIGHTS_EXTENSION.get(region)
    if found is None:
        return None
    account, x86_version, arm_version = found
    partition = "aws-cn" if region.startswith("cn-") else "aws"
    name, version = (
        ("LambdaInsightsExtension-Arm64", arm_version) if architecture == "arm64" else (INSIGHTS_LAYERS[0], x86_version)
    )
    if version is None:
        return None
    return f"arn:{partition}:lambda:{region}:{account}:layer:{name}:{version}"


def is_insights_layer(arn: str, region: str, graded_account: str) -> bool:
    parts = arn.split(":")  # arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION
    if len(parts) < 7 or parts[5] != "layer" or parts[6] not in INSIGHTS_LAYERS:
        return False
    want = publisher(region)
    return parts[4] == want if want else parts[4] != graded_account


def insights_functions(s: Student) -> list[dict[str, Any]]:
    found = []
    for prefix in FUNCTIONS:
        fn = s.account.function(s.name(prefix))
        if fn and any(is_insights_layer(str(x.get("Arn", "")), s.region, s.account_id) for x in fn.get("Layers") or []):
            found.append(fn)
    return found


def consumer_layers_fix(s: Student, fn: dict[str, Any]) -> Fix:
    """layer-consumer's whole layer list in one command: the student's layer (Task 2) and AWS's Insights
    layer (Task 8) both, with any other layer it has, so that the fix of either check keeps the other.

    The student's layer is published first when it has no version yet.
    """
    from checks.assessments.lambda_medium.common import LAYER, publish_layer

    arns = kept_layers(s, fn)
    kept: list[Arg] = [a for a in arns if (a.split(":") + [""] * 7)[6] not in INSIGHTS_LAYERS]
    prefix = f":{s.account_id}:layer:{s.name(LAYER)}:"
    publish = None
    if not any(prefix in a and a.split(":")[3] == s.region for a in arns):
        latest = (s.account.layers().get(s.name(LAYER)) or {}).get("LatestMatchingVersion") or {}
        if "LayerVersionArn" in latest:
            kept.append(str(latest["LayerVersionArn"]))
        else:
            publish = publish_layer(s).keep("LayerVersionArn", "LAYER")
            kept.append(variable("LAYER"))
    insights: list[Arg] = [a for a in arns if is_insights_layer(a, s.region, s.account_id)]
    if not insights and not insights_functions(s):
        insights = [_insights_arn(s, fn)]
    update = update_config(str(fn["FunctionName"]), "--layers", *kept, *insights)
    return publish.then(update) if publish is not None else update


def kept_layers(s: Student, fn: dict[str, Any]) -> list[str]:
    """The function's layers a fix keeps: all but the versions of the account's own layers that were deleted
    since (AWS refuses to set a deleted version; the student's layer is then put back at its latest)."""
    arns = [str(layer.get("Arn", "")) for layer in fn.get("Layers") or []]
    own = [a for a in arns if f":{s.account_id}:layer:" in a]
    exists = dict(
        zip(own, s.account.gather(*[lambda a=a: s.account.layer_version_exists(a) for a in own]), strict=True)
    )
    return [a for a in arns if exists.get(a, True)]


def _insights_arn(s: Student, fn: dict[str, Any]) -> Arg:
    """AWS's extension for the function's region and architecture; where it is not known here, the student's."""
    architecture = str((fn.get("Architectures") or ["x86_64"])[0])
    return insights_arn_for(s.region, architecture) or ask(
        "INSIGHTS_LAYER_ARN", "the LambdaInsightsExtension ARN of your region (CloudWatch User Guide)"
    )


def _layer_fix(s: Student, fn: dict[str, Any]) -> Fix:
    if fn.get("FunctionName") == s.name(LAYER_CONSUMER):
        return consumer_layers_fix(s, fn)
    """Add AWS's extension for the function's region and architecture to the layers it already has."""
    name = str(fn["FunctionName"])
    arn = _insights_arn(s, fn)
    arns = kept_layers(s, fn)
    kept: list[Arg] = [a for a in arns if (a.split(":") + [""] * 7)[6] not in INSIGHTS_LAYERS]  # a look-alike goes
    return update_config(name, "--layers", *kept, arn)


@check("t8.layer", 6, "A function has AWS's Lambda Insights extension layer", reads=LAYER_FIX)
def layer(s: Student) -> Verdict:
    found = insights_functions(s)
    if found:
        return passed(f"{found[0]['FunctionName']} has the Lambda Insights extension")
    # The text puts it on layer-consumer; any other of the six functions will do when that one is missing.
    target = next((f for p in FUNCTIONS if (f := s.account.function(s.name(p))) is not None), None)
    return failed(
        f"none of your functions has AWS's LambdaInsightsExtension layer "
        f"(publisher account {publisher(s.region) or 'for ' + s.region})",
        _layer_fix(s, target if target is not None else s.function(LAYER_CONSUMER)),
    )


LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


INSIGHTS_LOG_GROUP = "/aws/lambda-insights"  # where the extension writes: what the role must be allowed


def _role_verdict(s: Student, fn: dict[str, Any], role: str) -> Verdict:
    """May the function's role write the Insights extension's logs, as IAM decides?

    Judged on the log group the extension writes to (``/aws/lambda-insights``) in the graded
    region's partition: an explicit Deny there wins over every Allow, a conditional statement
    applies only under its condition, and a permissions boundary must allow the actions too.
    """
    # All at once: one round trip fewer than asking for the documents after the names.
    attached, documents, boundary = s.account.gather(
        lambda: s.role_attachments(role), lambda: s.role_documents(role), lambda: s.role_boundary(role)
    )
    stream = s.arn("logs", f"log-group:{INSIGHTS_LOG_GROUP}:log-stream:x")
    context = {"aws:SecureTransport": "true", "aws:RequestedRegion": s.region, "aws:PrincipalAccount": s.account_id}
    decisions = [iam.evaluate(documents, a, stream, context) for a in LOG_ACTIONS]
    assumed = sorted({c for d in decisions for c in d.assumed})
    lifted = sorted({c for d in decisions for c in d.lifted})
    resting = "".join(
        [
            f" (a Deny under {'; '.join(lifted)} does not apply: Lambda writes logs over TLS in {s.region})"
            if lifted
            else "",
            f" (this rests on conditions not checkable here, read in your favour: {'; '.join(assumed)})"
            if assumed
            else "",
        ]
    )
    denied = next((d.denied_by for d in decisions if d.denied_by is not None), None)
    if denied is not None:
        return failed(
            f"role {role} denies {iam.describe(denied)} on {INSIGHTS_LOG_GROUP}: an explicit Deny wins over every "
            f"Allow{resting}",
            f"remove or narrow that Deny statement in role {role}'s policies",
        )
    if boundary is not None and not all(iam.evaluate([boundary], a, stream, context).allowed for a in LOG_ACTIONS):
        return failed(
            f"role {role}'s permissions boundary does not allow logs:CreateLogStream and logs:PutLogEvents on "
            f"{INSIGHTS_LOG_GROUP}: what the role's policies allow is limited by it{resting}",
            f"widen role {role}'s permissions boundary to those actions, or ask whoever set it",
        )
    policy_arn = managed_policy_arn(s, INSIGHTS_POLICY)
    if any(p.get("PolicyArn") == policy_arn for p in attached):
        return passed(f"role {role} of {fn['FunctionName']} has AWS's {INSIGHTS_POLICY}{resting}")
    if all(d.allowed for d in decisions):
        return passed(f"role {role} of {fn['FunctionName']} may write Insights logs to {INSIGHTS_LOG_GROUP}{resting}")
    return failed(
        f"role {role} has neither AWS's {INSIGHTS_POLICY} nor a policy allowing "
        f"logs:CreateLogStream and logs:PutLogEvents on {INSIGHTS_LOG_GROUP}{resting}",
        aws("iam", "attach-role-policy", "--role-name", role, "--policy-arn", policy_arn),
    )


@check("t8.role_policy", 4, "Its execution role may write Insights logs", reads=ROLE)
def role_policy(s: Student) -> Verdict:
    found = insights_functions(s)
    if not found:
        # the one t8.layer's fix puts the layer on
        target = next((f for p in FUNCTIONS if (f := s.account.function(s.name(p))) is not None), None)
        if target is not None:
            verdict = _role_verdict(s, target, str(target.get("Role", "")).rsplit("/", 1)[-1])
            if not verdict.passed and verdict.fix is not None:  # its role needs it too: next step
                raise Missing("a function with AWS's Lambda Insights layer", verdict.fix, after="t8.layer")
        raise Missing("a function with AWS's Lambda Insights layer", prefix=INSIGHTS_LAYERS[0])
    verdicts = [_role_verdict(s, fn, str(fn.get("Role", "")).rsplit("/", 1)[-1]) for fn in found]
    return next((v for v in verdicts if v.passed), verdicts[0])
