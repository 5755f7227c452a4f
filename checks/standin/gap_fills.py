"""MOTO GAP FILLS — the one place where the AWS stand-in is taught what it lacks.

moto stands in for AWS in ``--demo``, the local sandbox and the tests. Where it
lacks an AWS behaviour that the grader reads, the behaviour is added here, as
the AWS Lambda API reference describes it, and nowhere else. Each gap has a
probe in ``PROBES`` that runs against plain moto: ``tests/test_moto_gaps.py``
fails as soon as moto does the thing itself, so that the fill can be deleted.

Gaps filled (moto 5.2):

1. ``DeadLetterConfig`` is accepted by CreateFunction / UpdateFunctionConfiguration
   but not kept; AWS returns it in every function configuration.
2. Provisioned concurrency (Put/Get/Delete/ListProvisionedConcurrencyConfig) is
   not implemented. AWS allows it on an alias or a version, never on $LATEST.
3. A layer version ARN of another account (AWS's public Lambda Insights layer)
   is refused; AWS accepts any layer version the caller may use.
4. GetPolicy and AddPermission ignore ``Qualifier``: AWS keeps one resource
   policy per alias or version, apart from the unqualified function's.
5. GetAccountSettings is not implemented. AWS answers with the account's
   limits; ``UnreservedConcurrentExecutions`` is the concurrency quota minus
   what PutFunctionConcurrency reserved.
6. ``VpcConfig.VpcId`` is a constant ``vpc-123abc``; AWS reports the VPC of the
   function's subnets.
7. PutFunctionEventInvokeConfig appends, and Get returns the first ever put; AWS
   overwrites the configuration on Put, and UpdateFunctionEventInvokeConfig
   changes only the fields it is given.
8. ListFunctions and DescribeAlarms answer with everything at once; AWS pages them
   (ListFunctions at most 50 a page, ``MaxItems``/``NextMarker``; DescribeAlarms
   ``MaxRecords`` 50 by default, at most 100, ``NextToken``), and a grader that
   forgets to follow the pages misses resources.
9. CreateAlias and UpdateAlias accept ``RoutingConfig.AdditionalVersionWeights`` naming a
   version that was never published, and DeleteFunction deletes a version an alias still
   names. AWS refuses both (ResourceNotFoundException; ResourceConflictException "Unable to
   delete version because the following aliases reference it"), as moto already refuses an
   alias's ``FunctionVersion`` that does not exist: whatever an alias names is published.

10. CreateEventSourceMapping from SQS checks nothing; AWS refuses it (InvalidParameterValueException)
    when the function's execution role may not ``sqs:ReceiveMessage``, ``sqs:DeleteMessage`` or
    ``sqs:GetQueueAttributes`` ("The provided execution role does not have permissions to call
    ReceiveMessage on SQS"), and when the queue's VisibilityTimeout is below the function's Timeout
    ("Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds").
11. A DeadLetterConfig, an SQS destination (PutFunctionEventInvokeConfig) and a VpcConfig with
    subnets are kept whatever the role may do; AWS refuses them (InvalidParameterValueException)
    unless the role may ``sqs:SendMessage`` (an SNS target: ``sns:Publish``) to the target, and
    ``ec2:CreateNetworkInterface``, ``ec2:DescribeNetworkInterfaces`` and
    ``ec2:DeleteNetworkInterface`` ("The provided execution role does not have permissions to call
    CreateNetworkInterface on EC2"). The role is judged as IAM decides (inline and attached
    policies, an explicit Deny, the permissions boundary).
12. AddPermission with a statement ID the policy already holds adds a second statement; AWS refuses
    it (ResourceConflictException, "The statement id (X) provided already exists. Please provide a
    new statement id, or remove the existing statement.").
13. A function may reference any number of layers; AWS at most five (InvalidParameterValueException,
    "Cannot reference more than 5 layers.").
14. A function is ready at once after it is created or changed; on AWS it is busy for a while
    (State ``Pending``, LastUpdateStatus ``InProgress``), and UpdateFunctionConfiguration,
    UpdateFunctionCode and PublishVersion meanwhile answer 409 ResourceConflictException ("The
    operation cannot be performed at this time. An update is in progress for resource: ARN").
    Applied to requests through the sandbox (:func:`as_aws`), where pasted fix blocks meet it; the
    tests' own set-up, in process, is not kept waiting. Reading the function's state (what
    ``aws lambda wait function-updated-v2`` does) ends the busy time at once: waiting costs nothing
    here, and a block that does not wait is still refused.
15. STS answers any number of requests; AWS meters them: 600 requests a second per account and Region,
    shared by the operations that are signed with credentials (AssumeRole, DecodeAuthorizationMessage,
    GetAccessKeyInfo, GetCallerIdentity, GetFederationToken, GetSessionToken), counted against the
    account whose credentials sign the request (a cross-account AssumeRole is the caller's, not the
    role's), and answers beyond them 400 ``Throttling`` ("Rate exceeded"). AWS's meters are token
    buckets (:class:`RateMeter`); Lambda's quotas (:func:`lambda_quota`) are metered the same way by
    the benchmark's stand-in, where a class reaches them.

Importing this module changes nothing; :func:`install` does, once per process.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from checks.errors import NotInstalled

_lock = threading.Lock()
_installed = False

DEFAULT_CONCURRENCY_QUOTA = 1000
# Per-account concurrency quota, for the demo and the blocked-rule tests.
concurrency_quota: dict[str, int] = {}


NEEDS = (5, 2)  # the moto whose internals these fills patch


class StandInTooOld(NotInstalled):
    """The installed moto is older than the demo and the sandbox need."""


def install() -> None:
    """Apply every gap fill to moto. Idempotent; safe to call from any thread."""
    global _installed
    with _lock:
        if _installed:
            return
        import moto

        found = tuple(int(p) for p in str(moto.__version__).split(".")[:2] if p.isdigit())
        if found < NEEDS:
            raise StandInTooOld(
                f"moto {moto.__version__} is older than the {'.'.join(map(str, NEEDS))} the demo and the sandbox "
                "need: pip install -r requirements.txt"
            )
        _dead_letter_config()
        _provisioned_concurrency()
        _foreign_layers()
        _qualified_policies()
        _account_settings()
        _vpc_id_from_subnets()
        _event_invoke_config_overwrites()
        _pages()
        _alias_versions()
        _role_rights()
        _statement_ids()
        _layer_count()
        _busy_functions()
        _sts_rates()
        _installed = True


def _lambda_modules() -> tuple[Any, Any, Any]:
    from moto.awslambda import models, responses, urls

    return models, responses, urls


# -- 1. DeadLetterConfig -------------------------------------------------------
def _dead_letter_config() -> None:
    models, _, _ = _lambda_modules()
    fn_class = models.LambdaFunction
    original_init = fn_class.__init__
    original_update = fn_class.update_configuration
    original_get = fn_class.get_configuration

    def __init__(self: Any, account_id: str, spec: dict[str, Any], region: str, version: Any = 1) -> None:
        original_init(self, account_id, spec, region, version)
        self.dead_letter_config = spec.get("DeadLetterConfig") or None

    def update_configuration(self: Any, updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in updates:
            self.dead_letter_config = updates["DeadLetterConfig"] or None
        return original_update(self, updates)  # type: ignore[no-any-return]

    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config: dict[str, Any] = original_get(self, *args, **kwargs)
        target = (getattr(self, "dead_letter_config", None) or {}).get("TargetArn")
        if target:
            config["DeadLetterConfig"] = {"TargetArn": target}
        return config

    fn_class.__init__ = __init__
    fn_class.update_configuration = update_configuration
    fn_class.get_configuration = get_configuration


# -- 2. Provisioned concurrency ---------------------------------------------------
def _not_found(message: str) -> Any:
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError("ProvisionedConcurrencyConfigNotFoundException", message)
    error.code = 404
    return error


def _provisioned_concurrency() -> None:
    from moto.core.utils import iso_8601_datetime_with_nanoseconds

    models, responses, urls = _lambda_modules()
    backend_class = models.LambdaBackend

    def configs(backend: Any) -> dict[tuple[str, str], dict[str, Any]]:
        if not hasattr(backend, "_provisioned_concurrency"):
            backend._provisioned_concurrency = {}
        return backend._provisioned_concurrency  # type: ignore[no-any-return]

    def resolve(backend: Any, name: str, qualifier: str | None) -> tuple[str, str]:
        from moto.awslambda.exceptions import InvalidParameterValueException

        if not qualifier or qualifier == "$LATEST":
            raise InvalidParameterValueException(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
            )
        fn = backend.get_function(name, qualifier)  # raises ResourceNotFoundException
        return fn.function_name, qualifier

    def put(self: Any, name: str, qualifier: str, requested: int) -> dict[str, Any]:
        key = resolve(self, name, qualifier)
        config = {
            "RequestedProvisionedConcurrentExecutions": requested,
            "AllocatedProvisionedConcurrentExecutions": 0,
            "Status": "IN_PROGRESS",
            "LastModified": iso_8601_datetime_with_nanoseconds(),
        }
        configs(self)[key] = config
        return dict(config)

    def get(self: Any, name: str, qualifier: str) -> dict[str, Any]:
        key = resolve(self, name, qualifier)
        config = configs(self).get(key)
        if config is None:
            raise _not_found("No Provisioned Concurrency Config found for this function")
        # The stand-in allocates at once: what AWS reports once allocation finishes.
        requested = config["RequestedProvisionedConcurrentExecutions"]
        config.update(
            Status="READY",
            AllocatedProvisionedConcurrentExecutions=requested,
            AvailableProvisionedConcurrentExecutions=requested,
        )
        return dict(config)

    def delete(self: Any, name: str, qualifier: str) -> None:
        key = resolve(self, name, qualifier)
        if configs(self).pop(key, None) is None:
            raise _not_found("No Provisioned Concurrency Config found for this function")

    def listing(self: Any, name: str) -> list[dict[str, Any]]:
        fn = self.get_function(name)
        out = []
        for fn_name, qualifier in list(configs(self)):
            if fn_name == fn.function_name:
                out.append(
                    {
                        "FunctionArn": f"{fn.function_arn}:{qualifier}",
                        **self.get_provisioned_concurrency_config(fn_name, qualifier),
                    }
                )
        return out

    backend_class.put_provisioned_concurrency_config = put
    backend_class.get_provisioned_concurrency_config = get
    backend_class.delete_provisioned_concurrency_config = delete
    backend_class.list_provisioned_concurrency_configs = listing

    def _name(self: Any) -> str:
        from urllib.parse import unquote

        return unquote(self.path.split("/")[-2])

    def put_response(self: Any) -> Any:
        body = json.loads(self.body)
        answer = self.backend.put_provisioned_concurrency_config(
            _name(self), self._get_param("Qualifier"), int(body["ProvisionedConcurrentExecutions"])
        )
        return 202, {"status": 202}, json.dumps(answer)

    def get_response(self: Any) -> Any:
        if self.querystring.get("List"):
            items = self.backend.list_provisioned_concurrency_configs(_name(self))
            return 200, {}, json.dumps({"ProvisionedConcurrencyConfigs": items})
        answer = self.backend.get_provisioned_concurrency_config(_name(self), self._get_param("Qualifier"))
        return 200, {}, json.dumps(answer)

    def delete_response(self: Any) -> Any:
        self.backend.delete_provisioned_concurrency_config(_name(self), self._get_param("Qualifier"))
        return 204, {"status": 204}, ""

    def list_response(self: Any) -> Any:
        return get_response(self)

    responses.LambdaResponse.put_provisioned_concurrency_config = put_response
    responses.LambdaResponse.get_provisioned_concurrency_config = get_response
    responses.LambdaResponse.delete_provisioned_concurrency_config = delete_response
    responses.LambdaResponse.list_provisioned_concurrency_configs = list_response
    urls.url_paths[r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/provisioned-concurrency/?$"] = (
        responses.LambdaResponse.dispatch
    )


# -- 3. Layers of other accounts ---------------------------------------------------
def _foreign_layers() -> None:
    models, _, _ = _lambda_modules()
    fn_class = models.LambdaFunction
    original = fn_class._get_layers_data

    def _get_layers_data(self: Any, arns: list[str]) -> list[dict[str, Any]]:
        own = [a for a in arns if a.split(":")[4:5] == [self.account_id]]
        known = {d["Arn"]: d for d in original(self, own)}
        out = []
        for arn in arns:
            if arn in known:
                out.append(known[arn])
                continue
            owner = models.get_backend(arn.split(":")[4], arn.split(":")[3]).layers_versions_by_arn(arn)
            # Another account's layer: AWS accepts a version the caller may use, such as
            # AWS's own public extension layers; the stand-in cannot see those accounts.
            out.append({"Arn": arn, "CodeSize": owner.code_size if owner else 0})
        return out

    fn_class._get_layers_data = _get_layers_data


# -- 4. One resource policy per qualifier -----------------------------------------------
def _qualified_policies() -> None:
    models, _, _ = _lambda_modules()
    from moto.awslambda.policy import Policy

    backend_class = models.LambdaBackend
    original_add = backend_class.add_permission
    original_get = backend_class.get_policy

    def store(backend: Any) -> dict[tuple[str, str], Any]:
        if not hasattr(backend, "_qualified_policies"):
            backend._qualified_policies = {}
        return backend._qualified_policies  # type: ignore[no-any-return]

    def base(backend: Any, name: str) -> Any:
        return backend.get_function(name.split(":function:")[-1].split(":")[0])

    def add_permission(self: Any, function_name: str, qualifier: str | None, raw: str) -> dict[str, Any]:
        if not qualifier or qualifier == "$LATEST":
            return original_add(self, function_name, None, raw)  # type: ignore[no-any-return]
        self.get_function(function_name, qualifier)  # the alias or version must exist
        fn = base(self, function_name)
        policy = store(self).setdefault((fn.function_name, qualifier), Policy(fn))
        statement, _ = policy.add_statement(raw, qualifier)
        return statement  # type: ignore[no-any-return]

    def get_policy(self: Any, function_name: str, qualifier: str | None = None) -> str:
        if not qualifier or qualifier == "$LATEST":
            return original_get(self, function_name, None)  # type: ignore[no-any-return]
        self.get_function(function_name, qualifier)
        fn = base(self, function_name)
        policy = store(self).get((fn.function_name, qualifier)) or Policy(fn)
        return policy.wire_format()  # type: ignore[no-any-return]

    backend_class.add_permission = add_permission
    backend_class.get_policy = get_policy


# -- 5. GetAccountSettings ----------------------------------------------------------
def _account_settings() -> None:
    models, responses, urls = _lambda_modules()

    def get_account_settings(self: Any) -> dict[str, Any]:
        quota = concurrency_quota.get(self.account_id, DEFAULT_CONCURRENCY_QUOTA)
        functions = list(self._lambdas.all())
        reserved = sum(int(f.reserved_concurrency or 0) for f in functions)
        return {
            "AccountLimit": {
                "TotalCodeSize": 80530636800,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": quota,
                "UnreservedConcurrentExecutions": quota - reserved,
            },
            "AccountUsage": {
                "TotalCodeSize": sum(int(getattr(f, "code_size", 0) or 0) for f in functions),
                "FunctionCount": len(functions),
            },
        }

    def response(self: Any) -> Any:
        return 200, {}, json.dumps(self.backend.get_account_settings())

    models.LambdaBackend.get_account_settings = get_account_settings
    responses.LambdaResponse.get_account_settings = response
    urls.url_paths[r"{0}/(?P<api_version>[^/]+)/account-settings/?$"] = responses.LambdaResponse.dispatch


# -- 6. VpcId of the subnets ----------------------------------------------------------
def _vpc_id_from_subnets() -> None:
    models, _, _ = _lambda_modules()
    fn_class = models.LambdaFunction
    original = fn_class.vpc_config

    def vpc_config(self: Any) -> dict[str, Any] | None:
        config: dict[str, Any] | None = original.fget(self)
        subnets = (config or {}).get("SubnetIds") or []
        if config is not None and subnets:
            from moto.ec2.models import ec2_backends

            try:
                subnet = ec2_backends[self.account_id][self.region].get_subnet(subnets[0])
            except Exception:  # an unknown subnet: AWS would have refused it already
                return config
            config["VpcId"] = subnet.vpc_id
        return config

    fn_class.vpc_config = property(vpc_config)


# -- 7. PutFunctionEventInvokeConfig overwrites -------------------------------------------
def _event_invoke_config_overwrites() -> None:
    models, _, _ = _lambda_modules()
    backend_class = models.LambdaBackend
    original_put = backend_class.put_function_event_invoke_config

    def put(self: Any, function_name: str, config: dict[str, Any]) -> dict[str, Any]:
        self.get_function(function_name).event_invoke_config = []
        return original_put(self, function_name, config)  # type: ignore[no-any-return]

    def update(self: Any, function_name: str, config: dict[str, Any]) -> dict[str, Any]:
        fn = self.get_function(function_name)
        merged: dict[str, Any] = {}
        if fn.event_invoke_config:
            current = fn.event_invoke_config[0].response()
            merged = {
                k: v
                for k, v in current.items()
                if k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
            }
        merged.update({k: v for k, v in config.items() if v is not None})
        return put(self, function_name, merged)

    backend_class.put_function_event_invoke_config = put
    backend_class.update_function_event_invoke_config = update


# -- 8. Pages ---------------------------------------------------------------------------
def _pages() -> None:
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    _, responses, _ = _lambda_modules()

    def list_functions(self: Any) -> str:
        version = self.querystring.get("FunctionVersion", [None])[0]
        size = min(int(self.querystring.get("MaxItems", ["50"])[0]), 50)
        start = int(self.querystring.get("Marker", ["0"])[0] or 0)
        functions = [fn.get_configuration() for fn in self.backend.list_functions(version)]
        result: dict[str, Any] = {"Functions": functions[start : start + size]}
        if start + size < len(functions):
            result["NextMarker"] = str(start + size)
        return json.dumps(result)

    original_alarms = CloudWatchResponse.describe_alarms

    def describe_alarms(self: Any) -> Any:
        everything: dict[str, Any] = original_alarms(self).result  # type: ignore[assignment]
        size = min(int(self._get_param("MaxRecords") or 50), 100)
        start = int(self._get_param("NextToken") or 0)
        alarms = list(everything["MetricAlarms"])
        page = {
            "MetricAlarms": alarms[start : start + size],
            "CompositeAlarms": everything["CompositeAlarms"] if start == 0 else [],
        }
        if start + size < len(alarms):
            page["NextToken"] = str(start + size)
        return ActionResult(page)

    responses.LambdaResponse.list_functions = list_functions
    CloudWatchResponse.describe_alarms = describe_alarms  # type: ignore[method-assign]


# -- 9. An alias names published versions only ------------------------------------------
def _alias_versions() -> None:
    models, _, _ = _lambda_modules()

    backend = models.LambdaBackend
    create, update, delete = backend.create_alias, backend.update_alias, backend.delete_function

    def named(routing_config: Any) -> list[str]:
        return [str(v) for v in ((routing_config or {}).get("AdditionalVersionWeights") or {})]

    def must_exist(self: Any, function_name: str, versions: list[str]) -> None:
        for version in versions:
            self._lambdas.get_function_by_name_or_arn_with_qualifier(function_name, version)  # ResourceNotFound

    def create_alias(
        self: Any, name: str, function_name: str, function_version: str, description: str, routing_config: Any
    ) -> Any:
        must_exist(self, function_name, named(routing_config))
        return create(self, name, function_name, function_version, description, routing_config)

    def update_alias(
        self: Any, name: str, function_name: str, function_version: str, description: str, routing_config: Any
    ) -> Any:
        must_exist(self, function_name, named(routing_config))
        return update(self, name, function_name, function_version, description, routing_config)

    def delete_function(self: Any, function_name: str, qualifier: str | None = None) -> None:
        if qualifier and qualifier != "$LATEST":
            naming = [
                a.name
                for a in self.list_aliases(function_name)
                if qualifier in (a.function_version, *named(a.routing_config))
            ]
            if naming:
                raise _conflict(
                    f"Unable to delete version because the following aliases reference it: {naming}",
                )
        delete(self, function_name, qualifier)

    backend.create_alias = create_alias
    backend.update_alias = update_alias
    backend.delete_function = delete_function


# -- 10, 11. What the execution role may do, checked when a change is saved ------------------------
def _invalid(message: str) -> Any:
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError("InvalidParameterValueException", message)
    error.code = 400
    return error


def _conflict(message: str) -> Any:
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError("ResourceConflictException", message)
    error.code = 409
    return error


def role_documents(account_id: str, region: str, role_arn: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The role's policy documents (inline and attached) and its permissions boundary, from moto's IAM."""
    from urllib.parse import unquote

    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    backend = iam_backends[account_id][get_partition(region)]
    role = backend.get_role(str(role_arn).rsplit("/", 1)[-1])

    def parsed(text: Any) -> dict[str, Any]:
        raw = text if isinstance(text, str) else json.dumps(text)
        try:
            found = json.loads(raw)
        except ValueError:
            found = json.loads(unquote(raw))
        return found if isinstance(found, dict) else {}

    def default_document(policy: Any) -> dict[str, Any]:
        versions = getattr(policy, "versions", None) or []
        current = next((v for v in versions if getattr(v, "is_default", False)), versions[-1] if versions else None)
        return parsed(current.document) if current is not None else {}

    documents = [parsed(d) for d in role.policies.values()]
    documents += [default_document(p) for p in role.managed_policies.values()]
    boundary_arn = getattr(role, "permissions_boundary_arn", None) or getattr(role, "permissions_boundary", None)
    boundary = None
    if isinstance(boundary_arn, str) and boundary_arn:
        try:
            boundary = default_document(backend.get_policy(boundary_arn))
        except Exception:
            boundary = {}
    return documents, boundary


def may(fn: Any, action: str, resource: str) -> bool:
    """May the function's execution role do ``action`` on ``resource``, as IAM decides? An unknown role: yes
    (AWS refuses a function without its role elsewhere; the stand-in's own set-up need not make one)."""
    from checks import iam

    try:
        documents, boundary = role_documents(fn.account_id, fn.region, fn.role)
    except Exception:
        return True
    allowed = iam.allows(documents, action, resource)
    return allowed and (boundary is None or iam.allows([boundary], action, resource))


def _service_of(arn: str) -> str:
    parts = str(arn).split(":")
    return parts[2] if len(parts) > 2 else ""


def _role_rights() -> None:
    models, _, _ = _lambda_modules()
    backend = models.LambdaBackend
    create_mapping = backend.create_event_source_mapping
    create_function = backend.create_function
    update_function = backend.update_function_configuration
    put_config = backend.put_function_event_invoke_config

    def checked(fn: Any, spec: dict[str, Any]) -> None:
        """The role may do what the DeadLetterConfig, the VpcConfig or the destinations need."""
        target = (spec.get("DeadLetterConfig") or {}).get("TargetArn")
        if target:
            action, call = (
                ("sns:Publish", "Publish on SNS")
                if _service_of(target) == "sns"
                else (
                    "sqs:SendMessage",
                    "SendMessage on SQS",
                )
            )
            if not may(fn, action, target):
                raise _invalid(f"The provided execution role does not have permissions to call {call}")
        if (spec.get("VpcConfig") or {}).get("SubnetIds"):
            for action in ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface"):
                if not may(fn, action, "*"):
                    raise _invalid(
                        f"The provided execution role does not have permissions to call {action.split(':')[1]} on EC2"
                    )
        for destination in (spec.get("DestinationConfig") or {}).values():
            arn = (destination or {}).get("Destination")
            if arn and _service_of(arn) == "sqs" and not may(fn, "sqs:SendMessage", arn):
                raise _invalid("The provided execution role does not have permissions to call SendMessage on SQS")

    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        arn = str(spec.get("EventSourceArn") or "")
        if arn and spec.get("FunctionName") and _service_of(arn) == "sqs":
            fn = self._lambdas.get_function_by_name_or_arn_with_qualifier(spec["FunctionName"])
            for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
                if not may(fn, action, arn):
                    raise _invalid(
                        f"The provided execution role does not have permissions to call {action.split(':')[1]} on SQS"
                    )
            from moto.sqs.models import sqs_backends

            queue = next(
                (q for q in sqs_backends[self.account_id][self.region_name].queues.values() if q.queue_arn == arn), None
            )
            visibility = int(getattr(queue, "visibility_timeout", 30)) if queue is not None else None
            if visibility is not None and visibility < int(fn.timeout):
                raise _invalid(
                    f"Queue visibility timeout: {visibility} seconds is less than "
                    f"Function timeout: {int(fn.timeout)} seconds"
                )
        return create_mapping(self, spec)

    def create(self: Any, spec: dict[str, Any]) -> Any:
        probe_fn = type(
            "Spec", (), {"account_id": self.account_id, "region": self.region_name, "role": spec.get("Role")}
        )
        checked(probe_fn, spec)
        return create_function(self, spec)

    def update_function_configuration(self: Any, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
        fn = self.get_function(function_name, qualifier)
        if body.get("Role"):
            fn = type("Spec", (), {"account_id": fn.account_id, "region": fn.region, "role": body["Role"]})
        checked(fn, body)
        return update_function(self, function_name, qualifier, body)

    def put_function_event_invoke_config(self: Any, function_name: str, config: dict[str, Any]) -> Any:
        checked(self.get_function(function_name), config)
        return put_config(self, function_name, config)

    backend.create_event_source_mapping = create_event_source_mapping
    backend.create_function = create
    backend.update_function_configuration = update_function_configuration
    backend.put_function_event_invoke_config = put_function_event_invoke_config


@dataclass
class _Owner:
    """Whose role a change is judged by: the function's account, region and (new) execution role."""

    account_id: str
    region: str
    role: Any


# -- 12. A statement ID is taken once per policy ------------------------------------------------------
def _statement_ids() -> None:
    models, _, _ = _lambda_modules()
    backend = models.LambdaBackend
    add = backend.add_permission

    def add_permission(self: Any, function_name: str, qualifier: str | None, raw: str) -> dict[str, Any]:
        sid = json.loads(raw).get("StatementId")
        try:
            held = json.loads(json.loads(self.get_policy(function_name, qualifier))["Policy"]).get("Statement", [])
        except Exception:  # no policy yet
            held = []
        if sid and any(st.get("Sid") == sid for st in held):
            raise _conflict(
                f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
                "or remove the existing statement."
            )
        return add(self, function_name, qualifier, raw)  # type: ignore[no-any-return]

    backend.add_permission = add_permission


# -- 13. At most five layers --------------------------------------------------------------------------
def _layer_count() -> None:
    models, _, _ = _lambda_modules()
    backend = models.LambdaBackend
    create, update = backend.create_function, backend.update_function_configuration

    def count(spec: dict[str, Any]) -> None:
        if len(spec.get("Layers") or []) > 5:
            raise _invalid("Cannot reference more than 5 layers.")

    def create_function(self: Any, spec: dict[str, Any]) -> Any:
        count(spec)
        return create(self, spec)

    def update_function_configuration(self: Any, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
        count(body)
        return update(self, function_name, qualifier, body)

    backend.create_function = create_function
    backend.update_function_configuration = update_function_configuration


# -- 14. A function is busy a while after it is made or changed ----------------------------------------
BUSY_SECONDS = 0.5  # how long, in the stand-in: long enough that a block which does not wait is refused
_timing = threading.local()


class as_aws:
    """While inside, requests on this thread meet AWS's timing (the sandbox serves each request so)."""

    def __enter__(self) -> None:
        self.before = getattr(_timing, "strict", False)
        _timing.strict = True

    def __exit__(self, *exc: object) -> None:
        _timing.strict = self.before


def _busy_functions() -> None:
    import time

    models, _, _ = _lambda_modules()
    backend = models.LambdaBackend
    fn_class = models.LambdaFunction
    create, update_config = backend.create_function, backend.update_function_configuration
    update_code, publish = backend.update_function_code, backend.publish_version
    get_configuration = fn_class.get_configuration

    def mark(fn: Any) -> None:
        if getattr(_timing, "strict", False):
            fn.busy_until = time.monotonic() + BUSY_SECONDS

    def busy(fn: Any) -> bool:
        return time.monotonic() < getattr(fn, "busy_until", 0.0)

    def refuse_while_busy(self: Any, function_name: str) -> None:
        fn = self.get_function(function_name)
        if getattr(_timing, "strict", False) and busy(fn):
            raise _conflict(
                "The operation cannot be performed at this time. An update is in progress for resource: "
                f"{fn.function_arn}"
            )

    def create_function(self: Any, spec: dict[str, Any]) -> Any:
        fn = create(self, spec)
        mark(fn)
        return fn

    def update_function_configuration(self: Any, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
        refuse_while_busy(self, function_name)
        answer = update_config(self, function_name, qualifier, body)
        mark(self.get_function(function_name))
        return answer

    def update_function_code(self: Any, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
        refuse_while_busy(self, function_name)
        answer = update_code(self, function_name, qualifier, body)
        mark(self.get_function(function_name))
        return answer

    def publish_version(self: Any, function_name: str, description: str = "") -> Any:
        refuse_while_busy(self, function_name)
        return publish(self, function_name, description)

    def configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # Reading the function's state (as a waiter does) ends its busy time: a block that waits is
        # served at once, one that does not is still refused. The stand-in's time, not AWS's.
        on_create = bool(kwargs.get("on_create") or (args and args[0]))  # CreateFunction's own answer
        if not on_create:
            self.busy_until = 0.0
        return get_configuration(self, *args, **kwargs)  # type: ignore[no-any-return]

    backend.create_function = create_function
    backend.update_function_configuration = update_function_configuration
    backend.update_function_code = update_function_code
    backend.publish_version = publish_version
    fn_class.get_configuration = configuration


# -- 15. Request rates -------------------------------------------------------------------------------
STS_PER_SECOND = 600.0  # per account and Region (IAM User Guide, "IAM and AWS STS quotas")
STS_METERED = frozenset(
    {
        "AssumeRole",
        "DecodeAuthorizationMessage",
        "GetAccessKeyInfo",
        "GetCallerIdentity",
        "GetFederationToken",
        "GetSessionToken",
    }
)


class RateMeter:
    """AWS's request quotas as it meters them: a token bucket per (account, Region, quota) holding one
    second's worth of requests and refilled at the quota's rate; a request that finds it empty is throttled."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str], tuple[float, float]] = {}  # -> (tokens, when)
        self.throttled = 0

    def admit(self, account: str, region: str, quota: str, per_second: float) -> bool:
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get((account, region, quota), (per_second, now))
            tokens = min(per_second, tokens + (now - then) * per_second)
            if tokens < 1:
                self._buckets[(account, region, quota)] = (tokens, now)
                self.throttled += 1
                return False
            self._buckets[(account, region, quota)] = (tokens - 1, now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
            self.throttled = 0


RATES = RateMeter()  # STS's, wherever the fills are installed


class frozen_rates:
    """While inside, :data:`RATES` sees one instant: every request counts within the same second (the probe)."""

    def __enter__(self) -> None:
        instant = time.monotonic()
        self.before = RATES.clock
        RATES.reset()
        RATES.clock = lambda: instant

    def __exit__(self, *exc: object) -> None:
        RATES.clock = self.before
        RATES.reset()


_LAMBDA_FUNCTION = re.compile(r"^/\d{4}-\d{2}-\d{2}/functions/[^/?]+(/policy)?/?(\?.*)?$")


def lambda_quota(method: str, path: str) -> tuple[str, float]:
    """Which of Lambda's published request quotas a request counts against, and its rate per second:
    GetFunction 100, GetPolicy 15, every other control-plane request 15 together (per account and Region)."""
    found = _LAMBDA_FUNCTION.match(path) if method == "GET" else None
    if found and found.group(1):
        return "GetPolicy", 15.0
    if found:
        return "GetFunction", 100.0
    return "control plane", 15.0


def _sts_rates() -> None:
    from moto.core.exceptions import ServiceException
    from moto.core.utils import camelcase_to_underscores
    from moto.sts.responses import TokenResponse

    class Throttling(ServiceException):
        code = "Throttling"
        message = "Rate exceeded"

    def metered(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def answer(self: Any) -> Any:
            if not RATES.admit(self.current_account, self.region, "sts", STS_PER_SECOND):
                raise Throttling()
            return original(self)

        return answer

    # Every AWS service answers Throttling, though STS's model declares no shape of it: a code moto knows is common.
    from moto.core import errors

    if "Throttling" not in errors.COMMON_ERROR_CODES:
        errors.COMMON_ERROR_CODES.append("Throttling")
    for operation in STS_METERED:
        name = camelcase_to_underscores(operation)
        if hasattr(TokenResponse, name):  # what moto lacks is refused by moto itself
            setattr(TokenResponse, name, metered(getattr(TokenResponse, name)))


# -- Probes: does plain moto still lack each behaviour? ------------------------------------
PROBES: dict[str, str] = {
    "dead_letter_config": "DeadLetterConfig kept by CreateFunction",
    "provisioned_concurrency": "PutProvisionedConcurrencyConfig implemented",
    "foreign_layers": "another account's layer version ARN accepted",
    "qualified_policies": "GetPolicy honours Qualifier",
    "account_settings": "GetAccountSettings implemented",
    "vpc_id": "VpcConfig.VpcId is the subnets' VPC",
    "event_invoke_config_overwrites": "PutFunctionEventInvokeConfig overwrites the last one",
    "pages": "ListFunctions and DescribeAlarms answer a page at a time",
    "alias_versions": "an alias names only published versions",
    "mapping_rights": "CreateEventSourceMapping checks the role's SQS rights and the visibility timeout",
    "change_rights": "a DeadLetterConfig, destination or VpcConfig needs the role's rights",
    "statement_ids": "AddPermission refuses a statement ID already taken",
    "layer_count": "at most five layers",
    "busy_functions": "a function is busy a while after it is changed",
    "sts_rates": "STS throttles past 600 requests a second per account and Region",
}


def probe() -> dict[str, bool]:
    """For each gap, does moto (as installed, filled or not) behave like AWS? Runs under mock_aws."""
    import io
    import zipfile

    import boto3
    from botocore.exceptions import ClientError
    from moto import mock_aws

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("lambda_function.py", "def lambda_handler(event, context):\n    return event\n")
    code = buf.getvalue()
    results: dict[str, bool] = {}
    with mock_aws():
        region = "us-east-1"
        iam = boto3.client("iam", region_name=region)
        lam = boto3.client("lambda", region_name=region)
        ec2 = boto3.client("ec2", region_name=region)
        sqs = boto3.client("sqs", region_name=region)
        role = iam.create_role(
            RoleName="probe", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )["Role"]["Arn"]
        rights = ["sqs:SendMessage", "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces"]
        rights.append("ec2:DeleteNetworkInterface")  # what AWS checks for a DLQ and a VPC (gap 11)
        iam.put_role_policy(
            RoleName="probe",
            PolicyName="probe",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": rights, "Resource": "*"}]}
            ),
        )
        dlq = sqs.get_queue_attributes(
            QueueUrl=sqs.create_queue(QueueName="probe-dlq")["QueueUrl"], AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(GroupName="probe", Description="probe", VpcId=vpc)["GroupId"]
        common: dict[str, Any] = {
            "Runtime": "python3.12",
            "Role": role,
            "Handler": "lambda_function.lambda_handler",
            "Code": {"ZipFile": code},
        }
        fn = lam.create_function(
            FunctionName="probe",
            DeadLetterConfig={"TargetArn": dlq},
            VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [sg]},
            **common,
        )
        results["dead_letter_config"] = (fn.get("DeadLetterConfig") or {}).get("TargetArn") == dlq
        results["vpc_id"] = (fn.get("VpcConfig") or {}).get("VpcId") == vpc
        version = lam.publish_version(FunctionName="probe")["Version"]
        lam.create_alias(FunctionName="probe", Name="PROD", FunctionVersion=version)
        try:
            lam.put_provisioned_concurrency_config(
                FunctionName="probe", Qualifier="PROD", ProvisionedConcurrentExecutions=1
            )
            results["provisioned_concurrency"] = True
        except (ClientError, NotImplementedError, Exception):
            results["provisioned_concurrency"] = False
        try:
            lam.create_function(
                FunctionName="probe-layers",
                Layers=["arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:38"],
                **common,
            )
            results["foreign_layers"] = True
        except ClientError:
            results["foreign_layers"] = False
        lam.add_permission(
            FunctionName="probe", StatementId="unqualified", Action="lambda:InvokeFunction", Principal="111122223333"
        )
        try:
            policy = json.loads(lam.get_policy(FunctionName="probe", Qualifier="PROD")["Policy"])
            sids = {s.get("Sid") for s in policy.get("Statement", [])}
            results["qualified_policies"] = "unqualified" not in sids
        except ClientError as exc:
            results["qualified_policies"] = exc.response["Error"]["Code"] == "ResourceNotFoundException"
        lam.put_function_event_invoke_config(FunctionName="probe", MaximumRetryAttempts=1)
        lam.put_function_event_invoke_config(FunctionName="probe", MaximumRetryAttempts=2)
        again = lam.get_function_event_invoke_config(FunctionName="probe")
        results["event_invoke_config_overwrites"] = again.get("MaximumRetryAttempts") == 2
        cloudwatch = boto3.client("cloudwatch", region_name=region)
        for i in range(3):
            cloudwatch.put_metric_alarm(
                AlarmName=f"probe-{i}",
                MetricName="Errors",
                Namespace="AWS/Lambda",
                Statistic="Sum",
                Period=60,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanThreshold",
            )
        results["pages"] = "NextMarker" in lam.list_functions(MaxItems=1) and "NextToken" in cloudwatch.describe_alarms(
            MaxRecords=2
        )
        refused = 0
        try:
            lam.create_alias(
                FunctionName="probe",
                Name="WEIGHTED",
                FunctionVersion=version,
                RoutingConfig={"AdditionalVersionWeights": {"99": 0.1}},
            )
        except ClientError:
            refused += 1
        try:
            lam.delete_function(FunctionName="probe", Qualifier=version)  # PROD names it
        except ClientError:
            refused += 1
        results["alias_versions"] = refused == 2
        try:
            lam.get_account_settings()
            results["account_settings"] = True
        except Exception:
            results["account_settings"] = False
        results.update(_probe_saves(lam, sqs, iam, common, code))
        results["sts_rates"] = _probe_sts_rates(region)
    return results


def _probe_sts_rates(region: str) -> bool:
    """One request more than a second's quota, sent at once: is the last throttled?"""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    sts = boto3.client("sts", region_name=region, config=Config(retries={"total_max_attempts": 1}))
    codes = []
    with frozen_rates():  # the fill's clock stands still; moto's own meter, once it has one, sees a burst
        for _ in range(int(STS_PER_SECOND) + 1):
            try:
                sts.get_caller_identity()
            except ClientError as exc:
                codes.append(exc.response["Error"]["Code"])
    return codes == ["Throttling"]


def _refused(call: Any, code: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as exc:
        return bool(exc.response["Error"]["Code"] == code)
    return False


def _probe_saves(lam: Any, sqs: Any, iam: Any, common: dict[str, Any], code: bytes) -> dict[str, bool]:
    """What AWS checks when a change is saved (gaps 10 to 14), with a role that may do nothing."""
    bare = iam.create_role(RoleName="probe-bare", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    slow = lam.create_function(FunctionName="probe-slow", Timeout=60, **{**common, "Role": bare})["FunctionName"]
    url = sqs.create_queue(QueueName="probe-source")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    results = {
        "mapping_rights": _refused(
            lambda: lam.create_event_source_mapping(FunctionName=slow, EventSourceArn=arn),
            "InvalidParameterValueException",
        ),
        "change_rights": _refused(
            lambda: lam.update_function_configuration(FunctionName=slow, DeadLetterConfig={"TargetArn": arn}),
            "InvalidParameterValueException",
        ),
    }
    lam.add_permission(FunctionName=slow, StatementId="once", Action="lambda:InvokeFunction", Principal="111122223333")
    results["statement_ids"] = _refused(
        lambda: lam.add_permission(
            FunctionName=slow, StatementId="once", Action="lambda:InvokeFunction", Principal="111122223333"
        ),
        "ResourceConflictException",
    )
    layer = lam.publish_layer_version(LayerName="probe-layer", Content={"ZipFile": code})["LayerVersionArn"]
    results["layer_count"] = _refused(
        lambda: lam.update_function_configuration(FunctionName=slow, Layers=[layer] * 6),
        "InvalidParameterValueException",
    )
    with as_aws():
        lam.update_function_configuration(FunctionName=slow, MemorySize=256)
        results["busy_functions"] = _refused(
            lambda: lam.publish_version(FunctionName=slow), "ResourceConflictException"
        )
    return results


if __name__ == "__main__":  # python -m checks.standin.gap_fills [--filled]: what moto does natively
    import sys

    if "--filled" in sys.argv:
        install()
    print(json.dumps(probe()))
