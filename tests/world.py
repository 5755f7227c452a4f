"""An account held in plain Python: the reference solution's state, as AWS's answers would show it.

:class:`WorldAccount` is a real :class:`~checks.aws.Account` whose requests are answered
from a :class:`World` instead of AWS: every reader, cache and gather of the grader runs as
it does against AWS, only the wire is missing. A grade takes milliseconds, so each rubric
rule can be tested on both sides of its boundary (``tests/test_rules.py``), and a mutation
tool can run those tests for every mutant.

A request the world cannot answer fails the test loudly: the world must hold whatever the
checks read.
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from checks.assessments.lambda_medium import reference
from checks.assessments.lambda_medium.task08_insights import DEFAULT_PUBLISHER
from checks.aws import Account, AwsError, new_session
from checks.student import Student

ACCOUNT = "123456789012"
REGION = "us-east-1"
SID = "s1"
TRUSTED = reference.TRUSTED_ACCOUNT
VPC = "vpc-0aaa"
SUBNETS = ["subnet-0aaa", "subnet-0bbb"]
SG = "sg-0aaa"
ZONES = {"subnet-0aaa": "us-east-1a", "subnet-0bbb": "us-east-1b", "subnet-0ccc": "us-east-1a"}


def fn_arn(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def queue_url(name: str) -> str:
    return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"


def layer_arn(name: str, version: int = 1, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:lambda:{region}:{account}:layer:{name}:{version}"


def insights_arn(region: str = REGION, account: str = DEFAULT_PUBLISHER, name: str = "LambdaInsightsExtension") -> str:
    return f"arn:aws:lambda:{region}:{account}:layer:{name}:38"


@dataclass
class World:
    """What one account holds. Every field is shaped as AWS's answer for it."""

    account: str = ACCOUNT
    region: str = REGION
    functions: dict[str, dict[str, Any]] = field(default_factory=dict)
    layers: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> latest version
    queues: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> attributes
    mappings: list[dict[str, Any]] = field(default_factory=list)
    invoke_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    reserved: dict[str, int] = field(default_factory=dict)
    versions: dict[str, list[str]] = field(default_factory=dict)  # published, "$LATEST" left out
    aliases: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    provisioned: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    policies: dict[tuple[str, str | None], dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, Any] = field(
        default_factory=lambda: {"AccountLimit": {"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 995}}
    )
    scalable_targets: list[dict[str, Any]] = field(default_factory=list)
    scaling_policies: list[dict[str, Any]] = field(default_factory=list)
    alarms: list[dict[str, Any]] = field(default_factory=list)
    subnets: dict[str, dict[str, Any]] = field(default_factory=dict)
    security_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    route_tables: list[dict[str, Any]] = field(default_factory=list)
    role_attached: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # role -> attached policies
    role_inline: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # role -> name -> document
    managed: dict[str, dict[str, Any]] = field(default_factory=dict)  # policy ARN -> document
    regions: list[str] = field(default_factory=lambda: [REGION, "eu-west-1"])
    elsewhere: dict[str, list[str]] = field(default_factory=dict)  # other region -> function names there
    elsewhere_roles: dict[str, str] = field(default_factory=dict)  # a function elsewhere -> its role's ARN
    vpcs: list[dict[str, Any]] = field(default_factory=list)  # VPCs with their Tags
    boundaries: dict[str, str] = field(default_factory=dict)  # role -> its permissions boundary's policy ARN
    deleted_layer_versions: set[str] = field(default_factory=set)  # layer version ARNs deleted since being set
    log_groups: list[str] = field(default_factory=list)  # CloudWatch Logs group names

    # -- helpers for the tables' edits ------------------------------------------------
    def fn(self, prefix: str, sid: str = SID) -> dict[str, Any]:
        return self.functions[f"{prefix}-{sid}"]

    def queue(self, prefix: str, sid: str = SID) -> dict[str, str]:
        return self.queues[f"{prefix}-{sid}"]

    def mapping(self, queue_prefix: str, sid: str = SID) -> dict[str, Any]:
        arn = queue_arn(f"{queue_prefix}-{sid}")
        return next(m for m in self.mappings if m["EventSourceArn"] == arn)

    def alias(self, name: str, sid: str = SID) -> dict[str, Any]:
        return self.aliases[f"layer-consumer-{sid}"][name]

    def add_function(self, name: str, **config: Any) -> dict[str, Any]:
        found = {
            "FunctionName": name,
            "FunctionArn": fn_arn(name, self.region, self.account),
            "Runtime": "python3.12",
            "Role": f"arn:aws:iam::{self.account}:role/lambda-medium-role-{SID}",
            "Handler": "lambda_function.lambda_handler",
            "MemorySize": 128,
            "Timeout": 3,
            **config,
        }
        self.functions[name] = found
        return found

    def add_queue(self, name: str, **attributes: str) -> None:
        self.queues[name] = {
            "QueueArn": queue_arn(name),
            "VisibilityTimeout": "30",
            "MessageRetentionPeriod": "345600",
            **attributes,
        }

    def add_alarm(self, name: str, metric: str, function: str, namespace: str = "AWS/Lambda", **extra: Any) -> None:
        self.alarms.append(
            {
                "AlarmName": name,
                "Namespace": namespace,
                "MetricName": metric,
                "Statistic": "Sum",
                "Threshold": 1.0,
                "Dimensions": [{"Name": "FunctionName", "Value": function}],
                **extra,
            }
        )

    def add_permission(
        self, function: str, sid: str, principal: Any, qualifier: str | None = None, **extra: Any
    ) -> None:
        policy = self.policies.setdefault((function, qualifier), {"Version": "2012-10-17", "Statement": []})
        principal_value = principal if principal == "*" or isinstance(principal, dict) else {"AWS": principal}
        policy["Statement"].append(
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": principal_value,
                "Action": "lambda:InvokeFunction",
                "Resource": fn_arn(function) + (f":{qualifier}" if qualifier else ""),
                **extra,
            }
        )

    # -- the answers -------------------------------------------------------------------
    def answer(self, service: str, operation: str, params: dict[str, Any]) -> Any:
        """AWS's answer to one request; ``None`` for AWS's not-found."""
        handler = getattr(self, f"_{service.replace('-', '_')}_{operation}", None)
        if handler is None:
            raise AssertionError(f"the test world cannot answer {service}:{operation} {params}")
        return handler(**params)

    def _sts_GetCallerIdentity(self) -> dict[str, Any]:
        return {"Account": self.account}

    def _lambda_ListFunctions(self) -> dict[str, Any]:
        return {"Functions": list(self.functions.values())}

    def _lambda_ListLayers(self) -> dict[str, Any]:
        return {"Layers": [{"LayerName": n, "LatestMatchingVersion": v} for n, v in self.layers.items()]}

    def _lambda_ListLayerVersions(self, LayerName: str) -> dict[str, Any]:
        latest = self.layers.get(LayerName)
        return {"LayerVersions": [latest] if latest else []}

    def _logs_DescribeLogGroups(self, logGroupNamePrefix: str) -> dict[str, Any]:
        return {"logGroups": [{"logGroupName": g} for g in self.log_groups if g.startswith(logGroupNamePrefix)]}

    def _lambda_GetLayerVersion(self, LayerName: str, VersionNumber: int) -> dict[str, Any] | None:
        arn = f"{LayerName}:{VersionNumber}"
        if arn in self.deleted_layer_versions:
            return None
        return {"LayerVersionArn": arn, "Version": VersionNumber}

    def _lambda_ListEventSourceMappings(self) -> dict[str, Any]:
        return {"EventSourceMappings": self.mappings}

    def _lambda_GetFunctionEventInvokeConfig(self, FunctionName: str) -> dict[str, Any] | None:
        return self.invoke_configs.get(FunctionName)

    def _lambda_GetFunction(self, FunctionName: str) -> dict[str, Any] | None:
        if FunctionName not in self.functions:
            return None
        found = self.reserved.get(FunctionName)
        concurrency = {} if found is None else {"Concurrency": {"ReservedConcurrentExecutions": found}}
        return {"Configuration": self.functions[FunctionName], **concurrency}

    def _lambda_ListVersionsByFunction(self, FunctionName: str) -> dict[str, Any] | None:
        if FunctionName not in self.functions:
            return None
        return {"Versions": [{"Version": v} for v in ["$LATEST", *self.versions.get(FunctionName, [])]]}

    def _lambda_ListAliases(self, FunctionName: str) -> dict[str, Any] | None:
        if FunctionName not in self.functions:
            return None
        return {"Aliases": [{"Name": n, **a} for n, a in self.aliases.get(FunctionName, {}).items()]}

    def _lambda_GetProvisionedConcurrencyConfig(self, FunctionName: str, Qualifier: str) -> dict[str, Any] | None:
        return self.provisioned.get((FunctionName, Qualifier))

    def _lambda_GetPolicy(self, FunctionName: str, Qualifier: str | None = None) -> dict[str, Any] | None:
        policy = self.policies.get((FunctionName, Qualifier))
        return None if policy is None else {"Policy": json.dumps(policy)}

    def _lambda_GetAccountSettings(self) -> dict[str, Any]:
        return self.settings

    def _sqs_ListQueues(self) -> dict[str, Any]:
        return {"QueueUrls": [queue_url(n) for n in self.queues]}

    def _sqs_GetQueueAttributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any] | None:
        found = self.queues.get(QueueUrl.rsplit("/", 1)[-1])
        return None if found is None else {"Attributes": found}

    def _application_autoscaling_DescribeScalableTargets(
        self, ServiceNamespace: str, ResourceIds: list[str] | None = None
    ) -> dict[str, Any]:
        found = [t for t in self.scalable_targets if ResourceIds is None or t.get("ResourceId") in ResourceIds]
        return {"ScalableTargets": found}

    def _application_autoscaling_DescribeScalingPolicies(
        self, ServiceNamespace: str, ResourceId: str | None = None
    ) -> dict[str, Any]:
        found = [p for p in self.scaling_policies if ResourceId is None or p.get("ResourceId") == ResourceId]
        return {"ScalingPolicies": found}

    def _cloudwatch_DescribeAlarms(self, AlarmTypes: list[str]) -> dict[str, Any]:
        return {"MetricAlarms": self.alarms}

    def _ec2_DescribeSubnets(
        self, SubnetIds: list[str] | None = None, Filters: list[dict[str, Any]] | None = None
    ) -> dict[str, Any] | None:
        if Filters is not None:
            vpc = Filters[0]["Values"][0]
            return {"Subnets": [s for s in self.subnets.values() if s.get("VpcId") == vpc]}
        if any(i not in self.subnets for i in SubnetIds or []):
            return None
        return {"Subnets": [self.subnets[i] for i in SubnetIds or []]}

    def _ec2_DescribeSecurityGroups(
        self, GroupIds: list[str] | None = None, Filters: list[dict[str, Any]] | None = None
    ) -> dict[str, Any] | None:
        if Filters is not None:
            wanted = {f["Name"]: f["Values"][0] for f in Filters}
            return {
                "SecurityGroups": [
                    g
                    for g in self.security_groups.values()
                    if g.get("VpcId") == wanted.get("vpc-id", g.get("VpcId"))
                    and g.get("GroupName") == wanted.get("group-name")
                ]
            }
        if any(i not in self.security_groups for i in GroupIds or []):
            return None
        return {"SecurityGroups": [self.security_groups[i] for i in GroupIds or []]}

    def _ec2_DescribeRouteTables(self, Filters: list[dict[str, Any]]) -> dict[str, Any]:
        return {"RouteTables": self.route_tables}

    def _ec2_DescribeVpcs(self, Filters: list[dict[str, Any]]) -> dict[str, Any]:
        wanted = {f["Name"].removeprefix("tag:"): f["Values"][0] for f in Filters}
        return {
            "Vpcs": [
                v for v in self.vpcs if all({"Key": k, "Value": val} in v.get("Tags", []) for k, val in wanted.items())
            ]
        }

    def _ec2_DescribeRegions(self) -> dict[str, Any]:
        return {"Regions": [{"RegionName": r} for r in self.regions]}

    def _iam_GetRole(self, RoleName: str) -> dict[str, Any] | None:
        if RoleName not in self.role_inline and RoleName not in self.role_attached:
            return None  # AWS's NoSuchEntity
        role: dict[str, Any] = {"RoleName": RoleName, "Arn": f"arn:aws:iam::{self.account}:role/{RoleName}"}
        if RoleName in self.boundaries:
            role["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": self.boundaries[RoleName],
            }
        return {"Role": role}

    def _iam_ListAttachedRolePolicies(self, RoleName: str) -> dict[str, Any]:
        return {"AttachedPolicies": self.role_attached.get(RoleName, [])}

    def _iam_ListRolePolicies(self, RoleName: str) -> dict[str, Any]:
        return {"PolicyNames": list(self.role_inline.get(RoleName, {}))}

    def _iam_GetRolePolicy(self, RoleName: str, PolicyName: str) -> dict[str, Any] | None:
        found = self.role_inline.get(RoleName, {}).get(PolicyName)
        return None if found is None else {"PolicyDocument": found}

    def _iam_GetAccountAuthorizationDetails(self, Filter: list[str]) -> dict[str, Any]:
        roles = sorted(set(self.role_attached) | set(self.role_inline))
        return {
            "RoleDetailList": [
                {
                    "RoleName": r,
                    "AttachedManagedPolicies": self.role_attached.get(r, []),
                    "RolePolicyList": [
                        {"PolicyName": n, "PolicyDocument": d} for n, d in self.role_inline.get(r, {}).items()
                    ],
                    **(
                        {"PermissionsBoundary": {"PermissionsBoundaryArn": self.boundaries[r]}}
                        if r in self.boundaries
                        else {}
                    ),
                }
                for r in roles
            ]
        }

    def _iam_GetPolicy(self, PolicyArn: str) -> dict[str, Any] | None:
        return {"Policy": {"Arn": PolicyArn, "DefaultVersionId": "v1"}} if PolicyArn in self.managed else None

    def _iam_GetPolicyVersion(self, PolicyArn: str, VersionId: str) -> dict[str, Any] | None:
        found = self.managed.get(PolicyArn)
        return None if found is None else {"PolicyVersion": {"Document": found}}


def reference_world(sid: str = SID, world: World | None = None) -> World:
    """The reference solution of one student (``reference.deploy``), as a world."""
    w = world or World()
    role = f"lambda-medium-role-{sid}"
    w.role_inline[role] = {"lambda-medium": copy.deepcopy(reference.ROLE_POLICY)}
    w.role_attached.setdefault(role, [])
    queues = [
        queue_arn(f"{p}-{sid}") for p in ("lambda-dlq", "lambda-failure-queue", "lambda-success-queue", "task-queue")
    ]
    w.role_inline[role]["send-to-destinations"] = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queues}],
    }
    for name, attributes in {
        f"lambda-success-queue-{sid}": {"MessageRetentionPeriod": "86400"},
        f"lambda-failure-queue-{sid}": {"MessageRetentionPeriod": "86400"},
        f"task-queue-{sid}": {"VisibilityTimeout": "300", "MessageRetentionPeriod": "345600"},
        f"lambda-dlq-{sid}": {"MessageRetentionPeriod": "1209600"},
    }.items():
        w.add_queue(name, **attributes)
    layer = layer_arn(f"common-utils-layer-{sid}")
    w.layers[f"common-utils-layer-{sid}"] = {
        "LayerVersionArn": layer,
        "Version": 1,
        "Description": "Common utilities and dependencies",
        "CompatibleRuntimes": ["python3.12"],
    }
    for subnet in SUBNETS:
        w.subnets[subnet] = {"SubnetId": subnet, "VpcId": VPC, "AvailabilityZone": ZONES[subnet]}
    w.subnets["subnet-0ccc"] = {"SubnetId": "subnet-0ccc", "VpcId": VPC, "AvailabilityZone": ZONES["subnet-0ccc"]}
    w.security_groups[SG] = {"GroupId": SG, "GroupName": f"lambda-sg-{sid}", "VpcId": VPC}
    w.security_groups["sg-0other"] = {"GroupId": "sg-0other", "GroupName": "default", "VpcId": VPC}
    w.route_tables = [{"Associations": [{"Main": True}], "Routes": [{"DestinationCidrBlock": "10.20.0.0/16"}]}]

    consumer = f"layer-consumer-{sid}"
    w.add_function(consumer, MemorySize=256, Layers=[{"Arn": layer}, {"Arn": insights_arn(w.region)}])
    w.add_function(
        f"vpc-lambda-{sid}",
        MemorySize=512,
        VpcConfig={"VpcId": VPC, "SubnetIds": list(SUBNETS), "SecurityGroupIds": [SG]},
        Environment={"Variables": {"VPC_ID": VPC, "SUBNET_IDS": ",".join(SUBNETS), "SECURITY_GROUP_ID": SG}},
    )
    w.add_function(
        f"async-processor-{sid}", MemorySize=256, DeadLetterConfig={"TargetArn": queue_arn(f"lambda-dlq-{sid}")}
    )
    w.invoke_configs[f"async-processor-{sid}"] = {
        "MaximumEventAgeInSeconds": 21600,
        "MaximumRetryAttempts": 2,
        "DestinationConfig": {
            "OnSuccess": {"Destination": queue_arn(f"lambda-success-queue-{sid}")},
            "OnFailure": {"Destination": queue_arn(f"lambda-failure-queue-{sid}")},
        },
    }
    w.add_function(f"sqs-consumer-{sid}", MemorySize=256)
    w.mappings.append(
        {
            "UUID": f"uuid-task-{sid}",
            "EventSourceArn": queue_arn(f"task-queue-{sid}"),
            "FunctionArn": fn_arn(f"sqs-consumer-{sid}"),
            "State": "Enabled",
            "BatchSize": 10,
            "MaximumBatchingWindowInSeconds": 5,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        }
    )
    w.add_function(f"dlq-processor-{sid}")
    w.mappings.append(
        {
            "UUID": f"uuid-dlq-{sid}",
            "EventSourceArn": queue_arn(f"lambda-dlq-{sid}"),
            "FunctionArn": fn_arn(f"dlq-processor-{sid}"),
            "State": "Enabled",
            "BatchSize": 10,
        }
    )
    w.add_function(f"rate-limited-function-{sid}", Timeout=15)
    w.reserved[f"rate-limited-function-{sid}"] = 5

    w.versions[consumer] = ["1", "2"]
    w.aliases[consumer] = {
        "PROD": {"FunctionVersion": "1", "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.1}}},
        "STAGING": {"FunctionVersion": "$LATEST"},
    }
    w.provisioned[(consumer, "PROD")] = {
        "RequestedProvisionedConcurrentExecutions": 2,
        "AllocatedProvisionedConcurrentExecutions": 2,
        "Status": "READY",
    }
    resource = f"function:{consumer}:PROD"
    w.scalable_targets.append(
        {
            "ServiceNamespace": "lambda",
            "ResourceId": resource,
            "ScalableDimension": "lambda:function:ProvisionedConcurrency",
            "MinCapacity": 2,
            "MaxCapacity": 10,
        }
    )
    w.scaling_policies.append(
        {
            "PolicyName": "target-tracking-policy",
            "ResourceId": resource,
            "ScalableDimension": "lambda:function:ProvisionedConcurrency",
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": 0.7,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"},
            },
        }
    )
    w.add_permission(consumer, "AllowCrossAccountInvoke", TRUSTED)
    w.add_alarm(f"Lambda-HighErrorRate-{sid}", "Errors", consumer, Threshold=5.0)
    w.add_alarm(f"Lambda-HighDuration-{sid}", "Duration", consumer, Statistic="Average", Threshold=25000.0)
    w.add_alarm(f"Lambda-Throttles-{sid}", "Throttles", consumer, Threshold=1.0)
    return w


@functools.cache
def _no_wire() -> boto3.Session:
    """The session of every world's account: none of them sends a request, so one serves them all."""
    return new_session(aws_access_key_id="x", aws_secret_access_key="x")


class WorldAccount(Account):
    """An :class:`Account` whose requests the world answers: the grader's own code above the wire."""

    def __init__(self, world: World, *, targeted: bool = False) -> None:
        super().__init__(_no_wire(), world.region, targeted=targeted)
        self.world = world

    def identify(self) -> str:
        return self.world.account

    def _send(self, service: str, operation: str, absent: bool, region: str | None, params: dict[str, Any]) -> Any:
        self.calls.append(f"{service}:{operation}")
        if region not in (None, self.region):
            names = self.world.elsewhere.get(region, [])
            roles = self.world.elsewhere_roles
            return {"Functions": [{"FunctionName": n, **({"Role": roles[n]} if n in roles else {})} for n in names]}
        answer = copy.deepcopy(self.world.answer(service, operation, params))
        if answer is None:
            if absent:
                return None
            raise AwsError(f"{service}:{operation}", "ResourceNotFoundException", "not found")
        return answer

    def paginate(
        self,
        service: str,
        operation: str,
        key: str,
        *,
        page_size: int | None = None,
        region: str | None = None,
        **params: Any,
    ) -> list[Any]:
        answer = self._send(service, operation, False, region, params)
        return list(answer.get(key, []))


def student_of(world: World, sid: str = SID, classmates: tuple[str, ...] = (), *, targeted: bool = False) -> Student:
    from checks.registry import load_assessment

    return load_assessment("lambda_medium").student(WorldAccount(world, targeted=targeted), sid, classmates)
