"""The per-account AWS context: the only place that talks to AWS.

One :class:`Account` per (credentials, region): one boto3 session, clients
made once and shared between threads, botocore's retry mode for throttling, a
paginator on every list, and every answer cached, so that two checks (or two
students in one account) never pay twice for the same call. Concurrent askers
of the same answer wait for the one request in flight.

Checks never see boto3: they ask a :class:`Student`, which knows the student's
resource names, and get plain dicts back, or a :class:`Missing` when the
resource they need does not exist.

Only read operations (List, Get, Describe) are ever sent.
"""

from __future__ import annotations

import difflib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import boto3
import botocore.config
import botocore.exceptions
import botocore.session
from botocore import xform_name as _snake

from checks import threads
from checks.budgets import THROTTLED, Budget, Budgets
from checks.model import STUDENT_ID, Diagnosis

GATHER_THREADS = 64  # look-ups a check runs at once, over every grade of the process

T = TypeVar("T")

# Errors that mean "not there", per operation family. Anything else is an error.
NOT_FOUND = (
    "ResourceNotFoundException",
    "ProvisionedConcurrencyConfigNotFoundException",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "NoSuchEntity",
    "InvalidSubnetID.NotFound",
    "InvalidGroup.NotFound",
    "InvalidGroupId.Malformed",
    "InvalidSubnetID.Malformed",
    "ObjectNotFoundException",
)

# Who may assume a Lambda execution role (the fix for a deleted role recreates it with this).
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}

GRADING_CONFIG = botocore.config.Config(
    retries={"mode": "standard", "max_attempts": 8},
    connect_timeout=5,
    read_timeout=20,
    max_pool_connections=32,
    user_agent_extra="validate-tasks",
)

# The first call: fail fast when the endpoint is unreachable or silent.
PREFLIGHT_CONFIG = botocore.config.Config(
    retries={"mode": "standard", "max_attempts": 2},
    connect_timeout=3,
    read_timeout=4,
    user_agent_extra="validate-tasks",
)


class AwsError(Exception):
    """An AWS answer the grader could not use. Names the IAM action and the error code."""

    def __init__(self, action: str, code: str, detail: str = "") -> None:
        self.action = action
        self.code = code
        self.detail = detail
        super().__init__(f"{action}: {code}" + (f" ({detail})" if detail else ""))


class CannotGrade(Exception):
    """The account cannot be graded at all: no credentials, refused, unreachable."""


@dataclass(frozen=True)
class Missing(Exception):
    """A resource a check needs does not exist; the check fails with this."""

    what: str  # "function layer-consumer-s1"
    fix: str | None = None
    did_you_mean: str | None = None
    elsewhere: str | None = None
    prefix: str | None = None  # of a resource the student names <prefix>-<id>
    after: str | None = None  # the check whose fix makes it, when this fix is the next step after that one

    def __str__(self) -> str:
        if self.after:
            return f"{self.what} does not exist yet: {self.after}'s fix makes it; this fix runs after that one"
        return f"{self.what} does not exist"


_asker = threading.local()


class asking:
    """While a check runs, the requests it sends are put down to it (``Account.calls_by_asker``)."""

    def __init__(self, who: str | None) -> None:
        self.who = who

    def __enter__(self) -> None:
        self.before = getattr(_asker, "who", None)
        _asker.who = self.who

    def __exit__(self, *exc: object) -> None:
        _asker.who = self.before


def current_asker() -> str | None:
    return getattr(_asker, "who", None)


class _Entry:
    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


def _action(service: str, operation: str) -> str:
    return f"{service}:{operation}"  # boto3's service names are the IAM prefixes of every service read here


_loader_lock = threading.Lock()
_shared_loader: Any = None


def shared_loader() -> Any:
    """The process's one botocore model loader (call with ``_loader_lock`` held, or before threads).

    Made without reading any AWS configuration, so that a profile that does not exist is reported
    where the profile is used, not here.
    """
    global _shared_loader
    if _shared_loader is None:
        import botocore.loaders

        _shared_loader = botocore.loaders.create_loader(os.environ.get("AWS_DATA_PATH"))
    return _shared_loader


def known_regions() -> frozenset[str]:
    """Every region that has Lambda, in each partition, from botocore's endpoint data (no configuration read)."""
    global _known_regions
    if _known_regions is None:
        core = botocore.session.Session()
        with _loader_lock:
            core.register_component("data_loader", shared_loader())
        _known_regions = frozenset(
            r for partition in ("aws", "aws-cn", "aws-us-gov") for r in core.get_available_regions("lambda", partition)
        )
    return _known_regions


_known_regions: frozenset[str] | None = None


def new_session(**settings: Any) -> boto3.Session:
    """A boto3 session (``boto3.Session``'s keywords) whose service models come from one loader per process.

    Each botocore session otherwise reads and parses every service model it uses again
    (EC2's alone is megabytes of JSON): a class graded through many roles or profiles
    would pay that once per session.
    """
    core = botocore.session.Session()
    with _loader_lock:
        core.register_component("data_loader", shared_loader())
        session = boto3.Session(botocore_session=core, **settings)
        paths = _shared_loader.search_paths  # boto3 appends its own folder once per session
        paths[:] = list(dict.fromkeys(paths))
    return session


def session_for(profile: str | None = None, region: str | None = None) -> boto3.Session:
    try:
        session = new_session(profile_name=profile, region_name=region)
        session._session.get_scoped_config()  # an unknown profile is refused now, not at the first request
    except botocore.exceptions.ProfileNotFound as exc:
        name = exc.kwargs.get("profile") or profile
        source = "--profile" if profile else "$AWS_PROFILE" if os.environ.get("AWS_PROFILE") else "the configuration"
        raise CannotGrade(
            f"AWS profile {name} (from {source}) not found: check ~/.aws/config, or name another with --profile"
        ) from exc
    return session


class Account:
    """One AWS account in one region, read once and remembered."""

    def __init__(
        self,
        session: boto3.Session,
        region: str | None = None,
        endpoint_url: str | None = None,
        *,
        budgets: Budgets | None = None,
        timeout: float | None = None,
        targeted: bool = False,
    ) -> None:
        self.session = session
        self._targeted = targeted  # one student: ask for their own resources by name, list only for near misses
        self._replay_by_name: bool | None = None
        self.budgets = budgets  # the pace of requests, under AWS's quotas (None: as fast as answered)
        self._deadline = time.monotonic() + timeout if timeout else None
        self._timeout = timeout
        self.evidence: Evidence | None = None  # set to collect the answers the grade rests on
        self.replay: Evidence | None = None  # set to grade from collected answers, offline
        self.region = region or session.region_name or ""
        self.endpoint_url = endpoint_url
        self._clients: dict[tuple[str, str], Any] = {}
        self._client_lock = threading.Lock()
        self._cache: dict[tuple[Any, ...], _Entry] = {}
        self._cache_lock = threading.Lock()
        self._calls_lock = threading.Lock()
        self.calls: list[str] = []  # every API request sent, as "service:Operation"
        self.requests: list[tuple[str, str]] = []  # the same, with the parameters (for tests)
        self.calls_by_asker: list[tuple[str | None, str]] = []  # (check id, action): who sent what
        self.denied: set[str] = set()  # actions refused with AccessDenied
        self._account_id: str | None = None

    # -- plumbing ---------------------------------------------------------
    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.region)
        with self._client_lock:
            found = self._clients.get(key)
            if found is None:
                found = self.session.client(
                    service,
                    region_name=key[1],
                    endpoint_url=self.endpoint_url,
                    config=GRADING_CONFIG,  # type: ignore[call-overload]
                )
                found.meta.events.register("before-call", self._record)
                if self.budgets is not None:
                    self._pace(found, service, key[1], self.budgets)
                self._clients[key] = found
            return found

    def _pace(self, client: Any, service: str, region: str, budgets: Budgets) -> None:
        """Each attempt (retries too) waits for its quota's budget; a throttled answer slows that budget."""

        def budget(operation: str) -> Budget | None:
            return budgets.for_request(self._account_id or "", region, service, operation)

        def take(operation_name: str, **_: Any) -> None:
            found = budget(operation_name)
            if found is not None:
                found.take()

        def answered(operation: Any, response: Any = None, **_: Any) -> None:
            found = budget(operation.name)
            if found is None or response is None:
                return
            code = (response[1].get("Error") or {}).get("Code", "") if isinstance(response[1], dict) else ""
            if code in THROTTLED or response[0].status_code == 429:
                found.slow_down()
            else:
                found.answered()

        client.meta.events.register_first("request-created", take)
        client.meta.events.register_first("needs-retry", answered)

    def _record(self, model: Any, params: Any = None, **_: Any) -> None:
        action = _action(model.service_model.service_name, model.name)
        body = params.get("body") if isinstance(params, dict) else None
        shown = repr(sorted(body.items())) if isinstance(body, dict) else repr(body)
        where = f"{params.get('url', '')} {params.get('query_string', '')}" if isinstance(params, dict) else ""
        with self._calls_lock:
            self.calls.append(action)
            self.requests.append((action, f"{where} {shown}"))
            self.calls_by_asker.append((current_asker(), action))

    def once(self, key: tuple[Any, ...], load: Callable[[], T]) -> T:
        """Return ``load()``, computed once per key even when many threads ask at once."""
        with self._cache_lock:
            entry = self._cache.get(key)
            owner = entry is None
            if entry is None:
                entry = self._cache[key] = _Entry()
        if owner:
            try:
                entry.value = load()
            except BaseException as exc:  # remembered: a failing call is not repeated
                entry.error = exc
            finally:
                entry.done.set()
        else:
            entry.done.wait()
        if entry.error is not None:
            raise entry.error
        return entry.value  # type: ignore[no-any-return]

    def _wrap(self, service: str, operation: str, exc: Exception) -> AwsError:
        if isinstance(exc, botocore.exceptions.ClientError):
            err = exc.response.get("Error", {})
            code = str(err.get("Code", "Unknown"))
            if "AccessDenied" in code or code in ("UnauthorizedOperation", "AuthorizationError"):
                self.denied.add(_action(service, operation))
            return AwsError(_action(service, operation), code, str(err.get("Message", ""))[:200])
        return AwsError(_action(service, operation), type(exc).__name__, str(exc)[:200])

    def call(
        self, service: str, operation: str, *, absent: bool = False, region: str | None = None, **params: Any
    ) -> Any:
        """One API call. With ``absent``, a not-found answer is ``None``."""
        return self._answer(
            service, operation, region, params, lambda: self._send(service, operation, absent, region, params)
        )

    def _send(self, service: str, operation: str, absent: bool, region: str | None, params: dict[str, Any]) -> Any:
        self._in_time(service, operation)
        method = getattr(self.client(service, region), _snake(operation))
        try:
            answer = method(**params)
        except botocore.exceptions.ClientError as exc:
            if absent and exc.response.get("Error", {}).get("Code") in NOT_FOUND:
                return None
            raise self._wrap(service, operation, exc) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise self._wrap(service, operation, exc) from exc
        if isinstance(answer, dict):
            answer.pop("ResponseMetadata", None)
        return answer

    def _answer(
        self, service: str, operation: str, region: str | None, params: dict[str, Any], ask: Callable[[], Any]
    ) -> Any:
        """Ask AWS, or the evidence being replayed; record the answer when collecting evidence."""
        key = evidence_key(service, operation, region or self.region, params)
        if self.replay is not None:
            return self.replay.answer(key, _action(service, operation), self.denied)
        if self.evidence is None:
            return ask()
        try:
            answer = sanitize(ask())
        except AwsError as exc:
            self.evidence.keep(key, error=exc)
            raise
        self.evidence.keep(key, result=answer)
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
        """Every item of a paginated list."""

        def ask() -> list[Any]:
            self._in_time(service, operation)
            paginator = self.client(service, region).get_paginator(_snake(operation))
            config = {"PageSize": page_size} if page_size else {}
            items: list[Any] = []
            try:
                for page in paginator.paginate(PaginationConfig=config, **params):
                    items.extend(page.get(key, []))
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
                raise self._wrap(service, operation, exc) from exc
            return items

        answer: list[Any] = self._answer(service, operation, region, {**params, "_all": key}, ask)
        return answer

    def gather(self, *asks: Callable[[], Any]) -> list[Any]:
        """Run independent look-ups at once (they overlap their round trips); their answers in order."""
        if len(asks) < 2:
            return [ask() for ask in asks]
        asker = current_asker()

        def run(ask: Callable[[], Any]) -> Any:
            with asking(asker):
                return ask()

        return threads.run_all(threads.shared("gather", GATHER_THREADS), [partial(run, a) for a in asks])

    def _in_time(self, service: str, operation: str) -> None:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise AwsError(
                _action(service, operation),
                "GradingTimeout",
                f"this account took longer than {self._timeout:g} s to grade",
            )

    # -- identity ----------------------------------------------------------
    def identify(self) -> str:
        """Check credentials and reachability with one call; the account ID."""
        if self._account_id is None and self.replay is not None:
            self._account_id = self.replay.account_id
        if self._account_id is None:
            if not self.region:
                raise CannotGrade("no AWS region: pass --region or set AWS_REGION (or AWS_DEFAULT_REGION)")
            sts = self.session.client(
                "sts", region_name=self.region, endpoint_url=self.endpoint_url, config=PREFLIGHT_CONFIG
            )
            sts.meta.events.register("before-call", self._record)
            try:
                self._account_id = str(sts.get_caller_identity()["Account"])
            except botocore.exceptions.NoCredentialsError as exc:
                raise CannotGrade(
                    "no AWS credentials: run `aws configure`, set AWS_PROFILE, or pass --profile"
                ) from exc
            except botocore.exceptions.ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "Unknown")
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if status >= 500 or "Throttl" in code:
                    raise CannotGrade(
                        f"AWS is not answering properly ({code}) in {self.region}: try again in a minute"
                    ) from exc
                if "Expired" in code:
                    why = "they have expired: get new ones (`aws sso login`, or a new session token)"
                elif code == "SignatureDoesNotMatch":
                    why = "the secret access key does not match the key ID: check `aws configure`"
                else:
                    why = (
                        f"refresh them (`aws sso login`, `aws configure`) or check that region {self.region} "
                        "is enabled (opt-in regions must be enabled in the account first)"
                    )
                raise CannotGrade(f"AWS refused the credentials ({code}): {why}") from exc
            except (
                botocore.exceptions.EndpointConnectionError,
                botocore.exceptions.ConnectTimeoutError,
                botocore.exceptions.ReadTimeoutError,
                botocore.exceptions.ConnectionClosedError,
            ) as exc:
                where = self.endpoint_url or f"AWS in {self.region}"
                raise CannotGrade(f"cannot reach {where}: check the network, --region or --endpoint-url") from exc
            except botocore.exceptions.BotoCoreError as exc:
                raise CannotGrade(f"cannot use the AWS configuration: {exc}") from exc
        return self._account_id

    @property
    def account_id(self) -> str:
        return self.identify()

    # -- account-wide lists (fetched once, shared by every student) ----------
    @property
    def targeted(self) -> bool:
        """Read one student's functions by name (a class reads the account's list once instead).

        A regrade from evidence reads the way the grade did: by name when no list was kept.
        """
        if self.replay is not None:
            if self._replay_by_name is None:  # asked at every function read: the answers are looked at once
                self._replay_by_name = not any(k.startswith('["lambda", "ListFunctions"') for k in self.replay.answers)
            return self._replay_by_name
        return self._targeted

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

    def metric_alarms(self) -> list[dict[str, Any]]:
        return self.once(
            ("metric_alarms",),
            lambda: self.paginate(
                "cloudwatch", "DescribeAlarms", "MetricAlarms", page_size=100, AlarmTypes=["MetricAlarm"]
            ),
        )

    def subnets(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = tuple(sorted(set(ids)))

        def load() -> dict[str, dict[str, Any]]:
            answer = self.call("ec2", "DescribeSubnets", absent=True, SubnetIds=list(wanted)) or {}
            return {s["SubnetId"]: s for s in answer.get("Subnets", [])}

        return self.once(("subnets", wanted), load) if wanted else {}

    def security_groups(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = tuple(sorted(set(ids)))

        def load() -> dict[str, dict[str, Any]]:
            answer = self.call("ec2", "DescribeSecurityGroups", absent=True, GroupIds=list(wanted)) or {}
            return {g["GroupId"]: g for g in answer.get("SecurityGroups", [])}

        return self.once(("security_groups", wanted), load) if wanted else {}

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

    def route_tables(self, vpc_id: str) -> list[dict[str, Any]]:
        return self.once(
            ("route_tables", vpc_id),
            lambda: self.paginate(
                "ec2", "DescribeRouteTables", "RouteTables", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]
            ),
        )

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
            raise self._no_role(role)
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
            raise Account._no_role(role) from exc

    @staticmethod
    def _no_role(role: str) -> Missing:
        trust = json.dumps(LAMBDA_TRUST, separators=(",", ":"))
        return Missing(
            f"execution role {role}",
            f"aws iam create-role --role-name {role} --assume-role-policy-document '{trust}'",
        )

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

    def regions_holding(self, suffix: str, prefixes: Iterable[str]) -> list[str]:
        """Other enabled regions where a function named ``prefix + suffix`` exists."""
        names = {p + suffix for p in prefixes}

        def scan() -> list[str]:
            enabled = self.once(
                ("regions",),
                lambda: [r["RegionName"] for r in (self.call("ec2", "DescribeRegions") or {}).get("Regions", [])],
            )

            asker = current_asker()

            def holds(region: str) -> bool:
                try:
                    with asking(asker):
                        found = self.once(
                            ("functions_in", region),
                            lambda: [
                                f["FunctionName"]
                                for f in self.paginate(
                                    "lambda", "ListFunctions", "Functions", page_size=50, region=region
                                )
                            ],
                        )
                except AwsError:
                    return False
                return any(name in names for name in found)

            others = [r for r in enabled if r != self.region]
            found = threads.run_all(threads.shared("gather", GATHER_THREADS), [partial(holds, r) for r in others])
            return [r for r, yes in zip(others, found, strict=True) if yes]

        return self.once(("regions_holding", suffix), scan)


# -- Evidence: the AWS answers a grade rested on ---------------------------------------------
# Environment variables the checks read; any other value is never kept (it may be a secret).
KEPT_VARIABLES = frozenset({"VPC_ID", "SUBNET_IDS", "SECURITY_GROUP_ID"})


def evidence_key(service: str, operation: str, region: str, params: dict[str, Any]) -> str:
    return json.dumps([service, operation, region, params], sort_keys=True, default=str)


def sanitize(answer: Any) -> Any:
    """A JSON-able copy of an answer, with no variable value the checks do not read."""

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            # GetFunction's Code.Location is a presigned URL to the code: never kept.
            out: dict[str, Any] = {
                k: ("<not kept>" if k == "Location" else scrub(v)) for k, v in value.items() if k != "ResponseMetadata"
            }
            environment = out.get("Environment")
            variables = environment.get("Variables") if isinstance(environment, dict) else None
            if isinstance(variables, dict):
                out["Environment"]["Variables"] = {
                    k: (v if k in KEPT_VARIABLES else "<not kept>") for k, v in variables.items()
                }
            return out
        if isinstance(value, list | tuple):
            return [scrub(v) for v in value]
        return value

    return json.loads(json.dumps(scrub(answer), default=str))


class Evidence:
    """The answers of one account: collected while grading, saved, and replayed to regrade offline."""

    def __init__(self, account_id: str = "", region: str = "", answers: dict[str, Any] | None = None) -> None:
        self.account_id = account_id
        self.region = region
        self.answers: dict[str, Any] = dict(answers or {})
        self._lock = threading.Lock()

    def keep(self, key: str, *, result: Any = None, error: AwsError | None = None) -> None:
        entry = (
            {"error": {"action": error.action, "code": error.code, "detail": error.detail}}
            if error
            else {"result": result}
        )
        with self._lock:
            self.answers[key] = entry

    def answer(self, key: str, action: str, denied: set[str]) -> Any:
        entry = self.answers.get(key)
        if entry is None:
            raise AwsError(action, "NotInEvidence", "the saved evidence has no answer to this request")
        if "error" in entry:
            err = entry["error"]
            if "AccessDenied" in err["code"] or err["code"] in ("UnauthorizedOperation", "AuthorizationError"):
                denied.add(err["action"])
            raise AwsError(err["action"], err["code"], err["detail"])
        return json.loads(json.dumps(entry["result"]))  # a fresh copy for every asker

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "schema_version": 1,
                "account_id": self.account_id,
                "region": self.region,
                "answers": dict(sorted(self.answers.items())),
            }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        if data.get("schema_version") != 1 or not isinstance(data.get("answers"), dict):
            raise ValueError("not a validate-tasks evidence file (schema_version 1)")
        return cls(str(data["account_id"]), str(data["region"]), data["answers"])


def dict_or_none(answer: Any) -> dict[str, Any] | None:
    return dict(answer) if answer is not None else None


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


def _norm(name: str) -> str:
    return name.lower().replace("_", "-")


def plausibly_theirs(prefix: str, student_id: str, candidate: str) -> bool:
    """Could ``candidate`` be this student's attempt at ``<prefix>-<student_id>``?

    A name whose part after the task prefix is a valid student ID other than this one (case
    aside) is someone else's: never this student's near miss. What stays: the ID in another
    case, ``_`` for ``-``, a typo in the fixed prefix (the name still ends in the ID), and a
    suffix that cannot be part of an ID (``task-queue-s1.fifo``).
    """
    sid = _norm(student_id)
    name = _norm(candidate)
    head = _norm(prefix) + "-"
    if name.startswith(head):
        tail = name[len(head) :]
        if STUDENT_ID.fullmatch(tail):
            return tail == sid
        return tail.startswith(sid) and not STUDENT_ID.fullmatch(tail[len(sid) : len(sid) + 1])
    return name.endswith("-" + sid)


def near_miss(wanted: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``wanted`` (other case, ``_`` for ``-``, a typo), or None."""
    pool = [c for c in candidates if c != wanted]
    for c in pool:
        if _norm(c) == _norm(wanted):
            return c
    close = difflib.get_close_matches(wanted, pool, n=1, cutoff=0.8)
    if close:
        return close[0]
    lowered = {_norm(c): c for c in pool}
    close = difflib.get_close_matches(_norm(wanted), list(lowered), n=1, cutoff=0.8)
    return lowered[close[0]] if close else None


class Student:
    """One student's view of an account: names resources ``<prefix>-<id>``, exactly."""

    def __init__(
        self, account: Account, student_id: str, classmates: Iterable[str] = (), *, prefixes: Iterable[str] = ()
    ) -> None:
        self.account = account
        self.id = student_id
        self.classmates = frozenset(classmates) - {student_id}
        self.prefixes = tuple(prefixes)  # every function prefix of the assessment

    @property
    def region(self) -> str:
        return self.account.region

    @property
    def account_id(self) -> str:
        return self.account.account_id

    def name(self, prefix: str) -> str:
        return f"{prefix}-{self.id}"

    def _missing(self, kind: str, prefix: str, candidates: Iterable[str], fix: str | None) -> Missing:
        name = self.name(prefix)
        theirs = [c for c in candidates if plausibly_theirs(prefix, self.id, c) and c not in self.classmates_names]
        return Missing(f"{kind} {name}", fix, near_miss(name, theirs), self._elsewhere(), prefix)

    @property
    def classmates_names(self) -> frozenset[str]:
        return frozenset(f"{p}-{c}" for p in self.prefixes for c in self.classmates)

    def _has_own_functions(self) -> bool:
        if self.account.targeted:
            return any(self.account.function(self.name(p)) is not None for p in self.prefixes)
        return bool({self.name(p) for p in self.prefixes} & set(self.account.functions()))

    def _elsewhere(self) -> str | None:
        """When none of the student's functions is in this region, where they are."""
        if not self.prefixes or self._has_own_functions():
            return None
        regions = self.account.regions_holding("-" + self.id, self.prefixes)
        if not regions:
            return None
        return (
            f"none of your functions is in {self.region}, but some are in {', '.join(regions)}: "
            f"grade there with --region {regions[0]}"
        )

    def diagnose(self) -> Diagnosis | None:
        """The one cause of a grade where nothing passed, when there is one (else None).

        Read from what the checks already read: the region's functions and, when none is the
        student's, the other regions' (see :meth:`_elsewhere`).
        """
        if not self.prefixes or self._has_own_functions():
            return None
        others = sorted(
            {
                name[len(p) + 1 :]
                for name in self.account.functions()
                for p in self.prefixes
                if _norm(name) == _norm(self.name(p)) and name[len(p) + 1 :] != self.id
            }
        )
        if others and STUDENT_ID.fullmatch(others[0]):
            return Diagnosis(
                "other_id",
                f"No resource is named for student ID {self.id}, but some are for {others[0]}: "
                f"did you mean --student-id {others[0]}?",
                f"--student-id {others[0]}",
            )
        regions = self.account.regions_holding("-" + self.id, self.prefixes)
        if regions:
            return Diagnosis(
                "other_region",
                f"Nothing of {self.id}'s is in {self.region}: your functions are in {', '.join(regions)}.",
                f"--region {regions[0]}",
            )
        return Diagnosis(
            "nothing_deployed",
            f"Nothing of {self.id}'s is deployed in {self.region} yet: start at Task 1.",
        )

    # -- resources -----------------------------------------------------------
    def function(self, prefix: str, fix: str | None = None) -> dict[str, Any]:
        name = self.name(prefix)
        found = self.account.function(name)
        if found is None:
            raise self._missing("function", prefix, self.account.functions(), fix or _create_function(name))
        return found

    def layer(self, prefix: str, fix: str | None = None) -> dict[str, Any]:
        name = self.name(prefix)
        found = self.account.layers().get(name)
        if found is None:
            raise self._missing("layer", prefix, self.account.layers(), fix)
        return found

    def queue(self, prefix: str, fix: str | None = None) -> tuple[str, dict[str, str]]:
        """The queue's URL and attributes."""
        name = self.name(prefix)
        url = self.account.queues().get(name)
        attributes = self.account.queue_attributes(url) if url else None
        if url is None or attributes is None:
            raise self._missing(
                "queue", prefix, self.account.queues(), fix or f"aws sqs create-queue --queue-name {name}"
            )
        return url, attributes

    def queue_arn(self, prefix: str) -> str:
        return self.queue(prefix)[1]["QueueArn"]

    def mappings(self, queue_arn: str, function_arn: str) -> list[dict[str, Any]]:
        """Event source mappings from a queue to a function (unqualified or any alias)."""
        base = function_arn.split(":function:")[-1].split(":")[0]
        return [
            m
            for m in self.account.event_source_mappings()
            if m.get("EventSourceArn") == queue_arn
            and m.get("FunctionArn", "").split(":function:")[-1].split(":")[0] == base
        ]

    def concurrency_blocked(self, amount: int, already: int = 0) -> str | None:
        """Why taking ``amount`` more concurrency is impossible in this account, or None."""
        limits = self.account.account_settings().get("AccountLimit", {})
        quota = int(limits.get("ConcurrentExecutions", 1000))
        unreserved = int(limits.get("UnreservedConcurrentExecutions", quota))
        floor = min(100, quota)
        after = unreserved + already - amount
        if after >= floor:
            return None
        return (
            f"account concurrency quota is {quota} with {unreserved} unreserved; taking {amount} would leave "
            f"{after}, below the {floor} Lambda keeps unreserved. Ask for more: Service Quotas > AWS Lambda > "
            f"Concurrent executions (aws service-quotas request-service-quota-increase --service-code lambda "
            f"--quota-code L-B99A9384 --desired-value 1000)"
        )


def _create_function(name: str) -> str:
    return (
        f"aws lambda create-function --function-name {name} --runtime python3.12 "
        f"--handler lambda_function.lambda_handler --role <execution-role-arn> --zip-file fileb://function.zip"
    )
