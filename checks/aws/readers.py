"""The readers: what each service of an account holds, as plain dicts (one class per service).

They know AWS's shapes and nothing of students: which names are whose, near misses and
other regions are the student's view (:mod:`checks.student`). Each read goes through the
:class:`~checks.aws.transport.Transport` (cached, paced, paginated, maybe replayed), and
a class reads each list once for every student; one student (``targeted``) asks for their
own resources by name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from checks.aws.budgets import Quota
from checks.aws.transport import READERS, AwsError, T, Transport, dict_or_none


class NoSuchRole(LookupError):
    """The execution role a function names does not exist (any more)."""

    def __init__(self, role: str) -> None:
        super().__init__(f"execution role {role} does not exist")
        self.role = role


class LambdaReader(
    Transport,
    service="lambda",
    not_found=("ResourceNotFoundException", "ProvisionedConcurrencyConfigNotFoundException"),
    always={
        "GetFunction": ("Configuration",),
        "GetAccountSettings": ("AccountLimit",),
        "GetPolicy": ("Policy",),
        "ListFunctions": ("Functions",),
        "ListLayers": ("Layers",),
        "ListEventSourceMappings": ("EventSourceMappings",),
        "ListAliases": ("Aliases",),
        "ListVersionsByFunction": ("Versions",),
    },
    not_kept=("Location",),  # GetFunction's Code.Location: a presigned URL to the function's code
    # AWS Lambda's "API requests" quotas: GetFunction 100 a second, GetPolicy 15, every other read 15 together.
    quotas=(
        Quota("lambda", frozenset({"GetFunction"}), 100.0),
        Quota("lambda", frozenset({"GetPolicy"}), 15.0),
        Quota("lambda", None, 15.0),
    ),
):
    """Lambda: functions and what hangs on them (layers, versions, aliases, policies, mappings)."""

    def _replayed_by_name(self) -> bool:
        """A grade that read functions by name never listed them (a class lists them once)."""
        return self.replay is not None and not self.replay.asked("lambda", "ListFunctions")

    def function(self, name: str) -> dict[str, Any] | None:
        """One function's configuration, or None: from the account's list when it is read (or a class is
        graded), else asked for by name, which AWS meters apart from the other reads (GetFunction, 100/s)."""
        if not self.targeted or ("functions",) in self._cache:
            return self.functions().get(name)
        configuration = (self._get_function(name) or {}).get("Configuration")
        return configuration if isinstance(configuration, dict) else None

    def _get_function(self, name: str) -> dict[str, Any] | None:
        return self.once(
            ("get_function", name),
            lambda: dict_or_none(self.call("lambda", "GetFunction", absent=True, FunctionName=name)),
        )

    def functions(self) -> dict[str, dict[str, Any]]:
        return self.once(
            ("functions",),
            lambda: {f["FunctionName"]: f for f in self.paginate("lambda", "ListFunctions", "Functions", page_size=50)},
        )

    def layers(self) -> dict[str, dict[str, Any]]:
        return self.once(
            ("layers",),
            lambda: {x["LayerName"]: x for x in self.paginate("lambda", "ListLayers", "Layers", page_size=50)},
        )

    def layer_versions(self, name: str) -> list[dict[str, Any]]:
        """Every version of a layer (for a teardown: each is deleted by number)."""
        return self.once(
            ("layer_versions", name),
            lambda: self.paginate("lambda", "ListLayerVersions", "LayerVersions", page_size=50, LayerName=name),
        )

    def layer_version_exists(self, arn: str) -> bool:
        """Does this layer version (``arn:...:layer:NAME:VERSION``) still exist? A deleted one cannot be set."""
        layer, _, version = arn.rpartition(":")
        if not version.isdigit():
            return False
        return self.once(
            ("layer_version", arn),
            lambda: (
                self.call("lambda", "GetLayerVersion", absent=True, LayerName=layer, VersionNumber=int(version))
                is not None
            ),
        )

    def event_source_mappings(self) -> list[dict[str, Any]]:
        return self.once(
            ("event_source_mappings",),
            lambda: self.paginate("lambda", "ListEventSourceMappings", "EventSourceMappings", page_size=100),
        )

    def event_invoke_config(self, function: str) -> dict[str, Any] | None:
        return self.once(
            ("event_invoke_config", function),
            lambda: dict_or_none(
                self.call("lambda", "GetFunctionEventInvokeConfig", absent=True, FunctionName=function)
            ),
        )

    def reserved_concurrency(self, function: str) -> int | None:
        """From GetFunction, which AWS meters at 100 requests a second, not in the 15 of the other reads."""

        def load() -> int | None:
            answer = self._get_function(function) or {}
            value = (answer.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
            return None if value is None else int(value)

        return self.once(("reserved_concurrency", function), load)

    def versions(self, function: str) -> list[dict[str, Any]]:
        return self.once(
            ("versions", function),
            lambda: self.paginate("lambda", "ListVersionsByFunction", "Versions", page_size=50, FunctionName=function),
        )

    def aliases(self, function: str) -> dict[str, dict[str, Any]]:
        return self.once(
            ("aliases", function),
            lambda: {
                a["Name"]: a
                for a in self.paginate("lambda", "ListAliases", "Aliases", page_size=50, FunctionName=function)
            },
        )

    def provisioned_concurrency(self, function: str, qualifier: str) -> dict[str, Any] | None:
        return self.once(
            ("provisioned", function, qualifier),
            lambda: dict_or_none(
                self.call(
                    "lambda", "GetProvisionedConcurrencyConfig", absent=True, FunctionName=function, Qualifier=qualifier
                )
            ),
        )

    def function_policy(self, function: str, qualifier: str | None) -> dict[str, Any] | None:
        """The resource policy document of a function (or of one alias), or None."""

        def load() -> dict[str, Any] | None:
            params = {"FunctionName": function} | ({"Qualifier": qualifier} if qualifier else {})
            answer = self.call("lambda", "GetPolicy", absent=True, **params)
            if answer is None or not answer.get("Policy"):
                return None
            policy = json.loads(answer["Policy"])
            return policy if isinstance(policy, dict) else None

        return self.once(("policy", function, qualifier), load)

    def account_settings(self) -> dict[str, Any]:
        return self.once(("account_settings",), lambda: self.call("lambda", "GetAccountSettings"))

    def function_names_in(self, region: str) -> list[str]:
        """The names of the functions in another region of the account."""
        return list(self.functions_in(region))

    def functions_in(self, region: str) -> dict[str, dict[str, Any]]:
        """The functions in another region of the account, by name, as ListFunctions describes them."""
        return self.once(
            ("functions_in", region),
            lambda: {
                f["FunctionName"]: f
                for f in self.paginate("lambda", "ListFunctions", "Functions", page_size=50, region=region)
            },
        )

    def layer_names_in(self, region: str) -> list[str]:
        """The names of the layers in another region of the account."""
        return self.once(
            ("layers_in", region),
            lambda: [
                x["LayerName"] for x in self.paginate("lambda", "ListLayers", "Layers", page_size=50, region=region)
            ],
        )


class LogsReader(Transport, service="logs", not_found=("ResourceNotFoundException",)):
    """CloudWatch Logs: log groups."""

    def log_groups(self, prefix: str) -> list[dict[str, Any]]:
        """The CloudWatch Logs log groups whose names start with ``prefix``."""
        return self.once(
            ("log_groups", prefix),
            lambda: self.paginate("logs", "DescribeLogGroups", "logGroups", page_size=50, logGroupNamePrefix=prefix),
        )


class SqsReader(
    Transport,
    service="sqs",
    not_found=("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"),
    always={"GetQueueAttributes": ("Attributes",)},
    quotas=(Quota("sqs", None, 50.0),),  # none published that a grade comes near: conservative
):
    """SQS: queues and their attributes."""

    def queue_names_in(self, region: str) -> list[str]:
        """The names of the queues in another region of the account."""
        return self.once(
            ("queues_in", region),
            lambda: [
                url.rstrip("/").rsplit("/", 1)[-1]
                for url in self.paginate("sqs", "ListQueues", "QueueUrls", page_size=1000, region=region)
            ],
        )

    def queues(self) -> dict[str, str]:
        def load() -> dict[str, str]:
            urls = self.paginate("sqs", "ListQueues", "QueueUrls", page_size=1000)
            return {url.rstrip("/").rsplit("/", 1)[-1]: url for url in urls}

        return self.once(("queues",), load)

    def queue_attributes(self, url: str) -> dict[str, str] | None:
        def load() -> dict[str, str] | None:
            answer = self.call("sqs", "GetQueueAttributes", absent=True, QueueUrl=url, AttributeNames=["All"])
            return None if answer is None else dict(answer.get("Attributes", {}))

        return self.once(("queue_attributes", url), load)


class AutoScalingReader(
    Transport,
    service="application-autoscaling",
    not_found=("ObjectNotFoundException",),
    always={"DescribeScalableTargets": ("ScalableTargets",), "DescribeScalingPolicies": ("ScalingPolicies",)},
    quotas=(Quota("application-autoscaling", None, 5.0),),  # none published: conservative
):
    """Application Auto Scaling: Lambda's scalable targets and scaling policies."""

    def scalable_targets(self, resource: str | None = None) -> list[dict[str, Any]]:
        """Lambda's scalable targets: the account's, or (one student's grade) only ``resource``'s."""
        only = {"ResourceIds": [resource]} if resource is not None and self.targeted else {}
        return self._auto_scaling("DescribeScalableTargets", "ScalableTargets", 50, only)

    def scaling_policies(self, resource: str | None = None) -> list[dict[str, Any]]:
        """Lambda's scaling policies: the account's, or (one student's grade) only ``resource``'s."""
        only = {"ResourceId": resource} if resource is not None and self.targeted else {}
        return self._auto_scaling("DescribeScalingPolicies", "ScalingPolicies", 10, only)

    def _auto_scaling(self, operation: str, key: str, page_size: int, only: dict[str, Any]) -> list[dict[str, Any]]:
        """A list of Application Auto Scaling's for Lambda; ``only`` filters it to one resource (one page)."""
        return self.once(
            (operation, json.dumps(only)),
            lambda: self.paginate(
                "application-autoscaling",
                operation,
                key,
                page_size=None if only else page_size,
                ServiceNamespace="lambda",
                **only,
            ),
        )


class CloudWatchReader(
    Transport,
    service="cloudwatch",
    always={"DescribeAlarms": ("MetricAlarms",)},
    quotas=(Quota("cloudwatch", frozenset({"DescribeAlarms"}), 9.0), Quota("cloudwatch", None, 9.0)),
):
    """CloudWatch: metric alarms."""

    def metric_alarms(self) -> list[dict[str, Any]]:
        return self.once(
            ("metric_alarms",),
            lambda: self.paginate(
                "cloudwatch", "DescribeAlarms", "MetricAlarms", page_size=100, AlarmTypes=["MetricAlarm"]
            ),
        )

    def alarmed_functions_in(self, region: str) -> list[str]:
        """The function names the metric alarms of another region watch (their FunctionName dimension)."""

        def load() -> list[str]:
            found = self.paginate(
                "cloudwatch", "DescribeAlarms", "MetricAlarms", page_size=100, region=region, AlarmTypes=["MetricAlarm"]
            )
            return sorted(
                {
                    str(d.get("Value"))
                    for alarm in found
                    for d in alarm.get("Dimensions") or []
                    if d.get("Name") == "FunctionName"
                }
            )

        return self.once(("alarmed_functions_in", region), load)


class Ec2Reader(
    Transport,
    service="ec2",
    not_found=(
        "InvalidSubnetID.NotFound",
        "InvalidGroup.NotFound",
        "InvalidGroupId.Malformed",
        "InvalidSubnetID.Malformed",
    ),
    quotas=(Quota("ec2", None, 20.0, per_action=True),),  # "Request throttling": non-mutating actions, each apart
):
    """EC2: the subnets, security groups and route tables of a function's VPC."""

    def subnets(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return self._by_id("subnets", "DescribeSubnets", "SubnetIds", "Subnets", "SubnetId", ids)

    def security_groups(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return self._by_id("security_groups", "DescribeSecurityGroups", "GroupIds", "SecurityGroups", "GroupId", ids)

    def _by_id(
        self, kind: str, operation: str, ids_param: str, key: str, id_key: str, ids: Iterable[str]
    ) -> dict[str, dict[str, Any]]:
        """Those of ``ids`` that exist, by ID, in one request (none for no ID)."""
        wanted = tuple(sorted(set(ids)))

        def load() -> dict[str, dict[str, Any]]:
            params: dict[str, Any] = {ids_param: list(wanted)}
            answer = self.call("ec2", operation, absent=True, **params) or {}
            return {found[id_key]: found for found in answer.get(key, [])}

        return self.once((kind, wanted), load) if wanted else {}

    def security_group_named(self, vpc_id: str | None, name: str) -> dict[str, Any] | None:
        """The security group of that name (in that VPC, when one is given), or None."""

        def load() -> dict[str, Any] | None:
            filters = [{"Name": "group-name", "Values": [name]}]
            if vpc_id:
                filters.insert(0, {"Name": "vpc-id", "Values": [vpc_id]})
            answer = self.call("ec2", "DescribeSecurityGroups", Filters=filters) or {}
            return next(iter(answer.get("SecurityGroups") or []), None)

        return self.once(("security_group_named", vpc_id, name), load)

    def vpc_subnets(self, vpc_id: str) -> list[dict[str, Any]]:
        """Every subnet of a VPC."""
        return self.once(
            ("vpc_subnets", vpc_id),
            lambda: (self.call("ec2", "DescribeSubnets", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]) or {}).get(
                "Subnets", []
            ),
        )

    def vpcs_tagged(self, key: str, value: str) -> list[dict[str, Any]]:
        """The VPCs carrying the tag ``key=value`` (what a fix made for someone, tagged when it was made)."""
        return self.once(
            ("vpcs_tagged", key, value),
            lambda: self.paginate("ec2", "DescribeVpcs", "Vpcs", Filters=[{"Name": f"tag:{key}", "Values": [value]}]),
        )

    def route_tables(self, vpc_id: str) -> list[dict[str, Any]]:
        return self.once(
            ("route_tables", vpc_id),
            lambda: self.paginate(
                "ec2", "DescribeRouteTables", "RouteTables", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]
            ),
        )

    def enabled_regions(self) -> list[str]:
        """The regions enabled for the account."""
        return self.once(
            ("regions",),
            lambda: [r["RegionName"] for r in (self.call("ec2", "DescribeRegions") or {}).get("Regions", [])],
        )


class IamReader(
    Transport,
    service="iam",
    not_found=("NoSuchEntity",),
    always={"GetRolePolicy": ("PolicyDocument",), "GetPolicy": ("Policy",), "GetPolicyVersion": ("PolicyVersion",)},
    quotas=(Quota("iam", None, 10.0),),  # none published that a grade comes near: conservative
    global_service=True,
):
    """IAM: execution roles and their policy documents."""

    def _role_details(self) -> dict[str, dict[str, Any]]:
        """Every role of the account with its inline and attached policies, in one paginated read.

        A class reads the roles this way once for all its students, instead of three or four
        requests a student in IAM's budget; one student (read by name) asks for their role's alone.
        """
        return self.once(
            ("role_details",),
            lambda: {
                r["RoleName"]: r
                for r in self.paginate("iam", "GetAccountAuthorizationDetails", "RoleDetailList", Filter=["Role"])
            },
        )

    def _role_detail(self, role: str) -> dict[str, Any]:
        found = self._role_details().get(role)
        if found is None:
            raise NoSuchRole(role)
        return found

    def attached_role_policies(self, role: str) -> list[dict[str, Any]]:
        if not self.targeted:
            return list(self._role_detail(role).get("AttachedManagedPolicies") or [])
        return self.once(
            ("attached_role_policies", role),
            lambda: self._of_role(
                role, lambda: self.paginate("iam", "ListAttachedRolePolicies", "AttachedPolicies", RoleName=role)
            ),
        )

    @staticmethod
    def _of_role(role: str, read: Callable[[], T]) -> T:
        """A read of a role's policies; a role that no longer exists is a missing prerequisite, not an error."""
        try:
            return read()
        except AwsError as exc:
            if exc.code != "NoSuchEntity":
                raise
            raise NoSuchRole(role) from exc

    def role_policy_documents(self, role: str) -> list[dict[str, Any]]:
        """Every policy document of a role: its inline ones and its attached managed ones."""

        def inline(name: str) -> dict[str, Any] | None:
            answer = self.call("iam", "GetRolePolicy", absent=True, RoleName=role, PolicyName=name)
            return _document(answer.get("PolicyDocument")) if answer else None

        def from_details() -> list[dict[str, Any]]:
            detail = self._role_detail(role)
            documents = [_document(p.get("PolicyDocument")) for p in detail.get("RolePolicyList") or []]
            attached = detail.get("AttachedManagedPolicies") or []
            managed = self.gather(*[lambda a=a: self.managed_policy_document(a["PolicyArn"]) for a in attached])
            return [d for d in [*documents, *managed] if d is not None]

        def load() -> list[dict[str, Any]]:
            if not self.targeted:
                return from_details()
            names, attached = self.gather(
                lambda: self._of_role(
                    role, lambda: self.paginate("iam", "ListRolePolicies", "PolicyNames", RoleName=role)
                ),
                lambda: self.attached_role_policies(role),
            )
            found = self.gather(
                *[lambda n=n: inline(n) for n in names],
                *[lambda a=a: self.managed_policy_document(a["PolicyArn"]) for a in attached],
            )
            return [d for d in found if d is not None]

        return self.once(("role_policy_documents", role), load)

    def role_policy_names(self, role: str) -> list[str]:
        """The names of a role's inline policies."""
        return self.once(
            ("role_policy_names", role),
            lambda: self._of_role(role, lambda: self.paginate("iam", "ListRolePolicies", "PolicyNames", RoleName=role)),
        )

    def _get_role(self, role: str) -> dict[str, Any] | None:
        """GetRole's ``Role``, or None when there is no such role: asked once for whatever needs it."""
        return self.once(
            ("get_role", role),
            lambda: (self.call("iam", "GetRole", absent=True, RoleName=role) or {}).get("Role"),
        )

    def role_exists(self, role: str) -> bool:
        """Asked only for a fix (a function to create needs a role): GetRole, for one student or a class."""
        return self._get_role(role) is not None

    def role_boundary(self, role: str) -> dict[str, Any] | None:
        """The document of the role's permissions boundary, or None when it has none."""

        def load() -> dict[str, Any] | None:
            if self.targeted:
                found = self._get_role(role)
                if found is None:
                    raise NoSuchRole(role)
                detail = found
            else:
                detail = self._role_detail(role)
            arn = (detail.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
            return self.managed_policy_document(str(arn)) if arn else None

        return self.once(("role_boundary", role), load)

    def managed_policy_document(self, arn: str) -> dict[str, Any]:
        def load() -> dict[str, Any]:
            policy = self.call("iam", "GetPolicy", absent=True, PolicyArn=arn)
            if not policy:
                return {}
            version = self.call(
                "iam", "GetPolicyVersion", absent=True, PolicyArn=arn, VersionId=policy["Policy"]["DefaultVersionId"]
            )
            return _document((version or {}).get("PolicyVersion", {}).get("Document"))

        return self.once(("managed_policy", arn), load)


class Account(LambdaReader, LogsReader, SqsReader, AutoScalingReader, CloudWatchReader, Ec2Reader, IamReader):
    """One AWS account in one region, read once and remembered: every service's reader over one transport."""


_composed: dict[tuple[type[Transport], ...], type[Account]] = {}


def account_type(services: Iterable[str], own: Iterable[type] = ()) -> type[Account]:
    """The account an assessment reads: the readers of the services its checks' actions name, over one
    transport (``lambda:ListFunctions`` names Lambda's). ``own``: the assessment's own readers, each a
    ``Transport`` subclass declaring its service, used before the engine's for that service. A service no
    reader reads is a ValueError."""
    chosen = {**READERS, **{getattr(r, "service", ""): r for r in own}}
    wanted = sorted(set(services) - {"sts"})  # the identity call is the transport's own
    unknown = [s for s in wanted if s not in chosen]
    if unknown:
        raise ValueError(f"no reader reads {unknown[0]!r}: bring one with the assessment (Tools(readers=...))")
    readers = tuple(chosen[s] for s in wanted)
    if set(readers) == set(Account.__bases__):
        return Account
    if readers not in _composed:
        # Not an Account subclass: only the readers named. Typed as one for the checks that use them.
        _composed[readers] = type("Account", readers or (Transport,), {"__doc__": Account.__doc__})  # type: ignore[assignment]
    return _composed[readers]


def _document(raw: Any) -> dict[str, Any]:
    from urllib.parse import unquote

    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw if raw.lstrip().startswith("{") else unquote(raw))
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}
