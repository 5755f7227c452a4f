"""The transport: how the grader talks to AWS, and nothing of what it reads or whose it is.

One :class:`Transport` per (credentials, region): one boto3 session, clients made once and
shared between threads, botocore's retry mode for throttling, the request rate held under
AWS's quotas (:mod:`checks.aws.budgets`), a paginator on every list, and every answer cached
with single flight, so that two checks (or two students in one account) never pay twice for
the same call and concurrent askers of one answer wait for the one request in flight.

An account that brings its own credentials (a role assumed for it, a profile's) signs through
clients shared by every such account of its session (:func:`shared_client`): a class of hundreds of
accounts builds each client once, not once per account. Whose request a shared client sends is the
account bound to the thread that sends it (:meth:`Transport.bound`); outside of one, it sends nothing.

An answer may instead come from saved evidence, or be kept as evidence
(:mod:`checks.grading.evidence`): the transport only hands each request to it.

Only read operations (List, Get, Describe) are ever sent.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
import weakref
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol, TypeVar

import botocore.config
import botocore.credentials
import botocore.exceptions
import botocore.session
from botocore import xform_name as _snake

from checks import threads
from checks.aws.budgets import THROTTLED, Budget, Budgets, Quota, register

# STS: 600 requests a second per account and Region, shared by the operations signed with credentials
# (AssumeRole, GetCallerIdentity...), counted against the account that signs them (IAM User Guide, "IAM
# and AWS STS quotas"). A class assumes a role per student with the grader's own credentials.
STS_PER_SECOND = 600.0
register((Quota("sts", None, STS_PER_SECOND),))
CALLER = "the grader's own credentials"  # whose STS budget a role assumed for a student is paced by

GATHER_THREADS = 64  # look-ups a check runs at once, over every grade of the process

T = TypeVar("T")


# What each service knows, declared by its reader (``class XReader(Transport, service=...)``): the
# error codes that are AWS's definite "no such thing", and what its answers always hold.
NOT_FOUND: dict[str, frozenset[str]] = {}


# Keys of a service's answers whose values evidence never keeps, at any depth (a presigned URL).
NOT_KEPT: dict[str, frozenset[str]] = {}


def is_not_found(service: str, code: str) -> bool:
    """Is ``code`` the service's definite "no such thing" (a verdict, never a failure to see)?"""
    return code in NOT_FOUND.get(service, frozenset())


READ_TIMEOUT, CONNECT_TIMEOUT = 20.0, 5.0
CREDENTIALS_TIMEOUT = 120.0  # where no account time is given: a sign-in prompt answered by hand fits
GRADING_CONFIG = botocore.config.Config(
    retries={"mode": "standard", "max_attempts": 8},
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
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


class MalformedAnswer(botocore.exceptions.BotoCoreError):
    """An answer that is not what the operation returns: never read as AWS's word."""

    fmt = "{why}"


class GradingTimeout(botocore.exceptions.BotoCoreError):
    """The grade's time is up: no further attempt is sent."""

    fmt = "no answer within the grade's {seconds:g} s"


class Unbound(botocore.exceptions.BotoCoreError):
    """A shared client asked to send a request for no account: it sends nothing."""

    fmt = "a shared client was used outside of an account's request"


UNBOUND = "validate-tasks-unbound"  # what a shared client holds as its own credentials: AWS knows no such key
_bound = threading.local()


def bound_transport() -> Transport:
    """The account whose request this thread is sending (:meth:`Transport.bound`)."""
    found: Transport | None = getattr(_bound, "transport", None)
    if found is None:
        raise Unbound()
    return found


_shared_lock = threading.Lock()
_shared: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], Any]] = weakref.WeakKeyDictionary()


def shared_client(session: Any, service: str, region: str, endpoint_url: str | None, config: Any) -> Any:
    """The client of ``session`` for every account that signs with credentials of its own, made once.

    It holds no usable credentials: each request is signed with those of the account bound to the
    sending thread (botocore's per-request credentials), paced by that account's budgets, within its
    time, and recorded as its call. A request with no account bound is refused before it is signed.
    """
    key = (service, region, endpoint_url, id(config))
    with _shared_lock:
        clients = _shared.setdefault(session, {})
        found = clients.get(key)
        if found is not None:
            return found
        config = _pooled(config)
        found = session.client(
            service,
            region_name=region,
            endpoint_url=endpoint_url,
            config=config,
            aws_access_key_id=UNBOUND,
            aws_secret_access_key=UNBOUND,
        )

        def call(model: Any, params: Any = None, context: Any = None, **_: Any) -> None:
            account = bound_transport()
            if context is not None:
                context.setdefault("signing", {})["request_credentials"] = account.credentials
            account._record(model, params)

        def attempt(operation_name: str, **_: Any) -> None:
            account = bound_transport()
            account._attempt_in_time()
            account._take(service, region, operation_name)

        def answered(operation: Any, response: Any = None, **_: Any) -> None:
            bound_transport()._answered(service, region, operation, response)

        found.meta.events.register("before-call", call)
        found.meta.events.register("before-parse", check_answer)
        found.meta.events.register_first("request-created", attempt)
        found.meta.events.register_first("needs-retry", answered)
        clients[key] = found
        return found


_configs: dict[tuple[float, float], botocore.config.Config] = {}
_pools: dict[int, botocore.config.Config] = {}
SHARED_CONNECTIONS = 128  # a shared client's connections kept open: every account's requests go through it


def _pooled(config: botocore.config.Config) -> botocore.config.Config:
    """``config`` with room for the connections of every account at once (a full pool drops connections).
    Called with ``_shared_lock`` held."""
    found = _pools.get(id(config))
    if found is None:
        found = _pools[id(config)] = config.merge(botocore.config.Config(max_pool_connections=SHARED_CONNECTIONS))
    return found


def _waits(timeout: float) -> tuple[float, float]:
    """How long an attempt within an account's time waits for its answer, and for its connection."""
    return min(READ_TIMEOUT, max(1.0, timeout / 3)), min(CONNECT_TIMEOUT, max(1.0, timeout / 6))


def grading_config(timeout: float | None) -> botocore.config.Config:
    """The grading configuration for an account's time: one object per time, so that clients can be shared."""
    if not timeout:
        return GRADING_CONFIG
    read, connect = _waits(timeout)
    with _shared_lock:
        found = _configs.get((read, connect))
        if found is None:
            found = _configs[(read, connect)] = GRADING_CONFIG.merge(
                botocore.config.Config(read_timeout=read, connect_timeout=connect)
            )
        return found


# What AWS always returns for the reads the grader relies on: an answer without it is not AWS's
# (a body cut short, an answer of something else). Lists AWS leaves out when empty are not here.
# Each service's reader adds its own; the identity call is the transport's.
ALWAYS_ANSWERED: dict[tuple[str, str], tuple[str, ...]] = {("sts", "GetCallerIdentity"): ("Account",)}

# The readers, by the service each reads (the account of an assessment is made of those it needs).
READERS: dict[str, type[Transport]] = {}


def check_answer(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    """Before botocore parses a successful answer: is it in the operation's wire format at all?

    botocore reads a JSON body it cannot parse as ``{"message": body}`` and an empty one as
    ``{}``, which a check would take for "nothing there". An HTML page, a body cut short, an
    empty body or XML of another operation is refused here instead: the checks that rest on
    it are ``error``.
    """
    status = int(response_dict.get("status_code") or 0)
    if not 200 <= status < 300 or operation_model.has_streaming_output:
        return  # an error answer: botocore reads AWS's error code from it
    body = response_dict.get("body") or b""
    # Judged by the body, not its label (moto's server labels JSON text/html; a proxy may label HTML JSON).
    if body.lstrip()[:14].lower().startswith((b"<!doctype", b"<html")):
        raise MalformedAnswer(why="an HTML page, not AWS's answer")
    protocol = operation_model.service_model.resolved_protocol
    output = operation_model.output_shape
    in_body = [
        name
        for name, shape in (output.members.items() if output is not None else ())
        if shape.serialization.get("location") not in ("header", "headers", "statusCode")
    ]
    if not body.strip():
        if in_body:
            raise MalformedAnswer(why="an empty answer, not AWS's")
        return
    if protocol in ("json", "rest-json"):
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):
            kind = "an HTML page," if body.lstrip()[:1] == b"<" else "not whole JSON: cut short, or"
            raise MalformedAnswer(why=f"{kind} not AWS's answer") from None
        if not isinstance(parsed, dict):
            raise MalformedAnswer(why="not the JSON object AWS answers")
    elif protocol in ("query", "ec2"):
        from xml.etree import ElementTree

        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            raise MalformedAnswer(why="not whole XML: cut short, or not AWS's") from None
        if root.tag.rsplit("}", 1)[-1] != f"{operation_model.name}Response":
            raise MalformedAnswer(why="XML of another answer, not AWS's to this request")


def lacking(service: str, operation: str, answer: Any) -> str | None:
    """What an answer lacks of what AWS always returns for this read, or None."""
    if not isinstance(answer, dict):
        return "not an object"
    return next((f"no {k}" for k in ALWAYS_ANSWERED.get((service, operation), ()) if k not in answer), None)


_asker = threading.local()


class _OnThisThread:
    """While inside, ``holder.<name>`` is ``value`` on this thread; after, what it was before."""

    __slots__ = ("before", "holder", "name", "value")

    def __init__(self, holder: threading.local, name: str, value: Any) -> None:
        self.holder, self.name, self.value = holder, name, value

    def __enter__(self) -> None:
        self.before = getattr(self.holder, self.name, None)
        setattr(self.holder, self.name, self.value)

    def __exit__(self, *exc: object) -> None:
        setattr(self.holder, self.name, self.before)


class asking(_OnThisThread):
    """While a check runs, the requests it sends are put down to it (``Transport.calls_by_asker``)."""

    def __init__(self, who: str | None) -> None:
        super().__init__(_asker, "who", who)


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
        from checks.aws.models import create_loader

        _shared_loader = create_loader(os.environ.get("AWS_DATA_PATH"))
    return _shared_loader


# What a profile says about where its credentials come from; the rest of it (an endpoint, a CA bundle, FIPS,
# retries...) shapes the clients, and profiles that differ in it never share clients.
CREDENTIAL_SETTINGS = frozenset(
    {
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "aws_account_id",
        "role_arn",
        "role_session_name",
        "source_profile",
        "credential_source",
        "credential_process",
        "external_id",
        "mfa_serial",
        "duration_seconds",
        "web_identity_token_file",
        "sso_session",
        "sso_account_id",
        "sso_role_name",
        "sso_region",
        "sso_start_url",
        "sso_registration_scopes",
        "login_session",
        "region",  # every client is made for the account's region, named
    }
)


def account_of_assumed(answer: Any) -> str | None:
    """The account an AssumeRole answer's session is in (``AssumedRoleUser.Arn``), or None when it says none."""
    arn = ((answer or {}).get("AssumedRoleUser") or {}).get("Arn") if isinstance(answer, dict) else None
    parts = arn.split(":") if isinstance(arn, str) else []
    found = parts[4] if len(parts) > 5 and parts[0] == "arn" and parts[2] == "sts" else ""
    return found if found.isascii() and found.isdigit() and len(found) == 12 else None


def assumed_credentials(keys: dict[str, Any]) -> Any:
    """botocore credentials of an AssumeRole answer's ``Credentials``."""
    return botocore.credentials.Credentials(
        keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"], method="assume-role"
    )


class CoreSession:
    """What the grader asks of a session (a client, the region, the partition), on botocore alone.

    A grade never needs boto3 itself (its resources, its S3 transfer manager): importing it would be
    most of a student's start-up. Tests and the stand-in still use boto3 sessions (:func:`new_session`),
    which offer the same three things.
    """

    def __init__(self, core: botocore.session.Session) -> None:
        self._session = core

    @property
    def region_name(self) -> str | None:
        found = self._session.get_config_variable("region")
        return str(found) if found else None

    def client(self, service: str, **settings: Any) -> Any:
        return self._session.create_client(service, **settings)

    def get_partition_for_region(self, region: str) -> str:
        return str(self._session.get_partition_for_region(region))

    def credentials(self) -> Any:
        """botocore's credentials of this session (a profile's refresh themselves), or None."""
        return self._session.get_credentials()

    def register(self, event: str, handler: Callable[..., Any]) -> None:
        """A handler on every client this session makes from now on (those botocore makes for credentials too)."""
        self._session.register(event, handler)

    def client_settings(self) -> tuple[tuple[str, str], ...] | None:
        """What in this session's profile shapes its clients (None: not known, so its clients are never shared)."""
        try:
            scoped = self._session.get_scoped_config()
        except Exception:
            return None
        return tuple(sorted((k, repr(v)) for k, v in scoped.items() if k not in CREDENTIAL_SETTINGS))

    def load_credentials(self, within: float) -> None:
        """Find the credentials now, waiting at most ``within`` seconds: a profile's ``credential_process``
        that waits for input (an MFA or keychain prompt, a stuck helper) ends as this account's error, not
        the whole run's. A failure is left to the first request, which says it in botocore's words."""
        done = threading.Event()

        def load() -> None:
            try:
                self._session.get_credentials()
            except Exception:  # said again, properly, where the credentials are first used
                pass
            finally:
                done.set()

        threading.Thread(target=load, name="credentials", daemon=True).start()
        if not done.wait(within):  # a signal (Ctrl-C, SIGTERM) ends this wait at once
            profile = self._session.profile
            whose = f"profile {profile}'s credentials" if profile else "the AWS credentials"
            raise CannotGrade(
                f"{whose} did not come within {within:g} s (a credential_process or sign-in waiting for input?): "
                "run it once by hand, then grade again"
            )


def core_session(
    *, profile: str | None = None, region: str | None = None, credentials: tuple[str, str, str] | None = None
) -> CoreSession:
    """A botocore session on the process's one model loader: a profile, or credentials (key, secret, token)."""
    core = _botocore_session(profile)
    if region:
        core.set_config_variable("region", region)
    if credentials is not None:
        core.set_credentials(*credentials)
    return CoreSession(core)


_builtin_events: Any = None  # botocore's own event handlers, as a new session registers them


def _botocore_session(profile: str | None = None) -> botocore.session.Session:
    """A botocore session whose service models come from the process's one loader.

    botocore registers its two hundred built-in event handlers into every new session, inspecting each
    one's signature (about 50 ms); a class with a profile per student would pay it per profile. The first
    session of the process registers them; every later one starts from a copy of what it registered.
    """
    global _builtin_events
    with _loader_lock:
        if _builtin_events is None:
            core = botocore.session.Session(profile=profile)
            registered = getattr(core, "_original_handler", None)
            _builtin_events = copy.copy(registered) if registered is not None else False
        elif _builtin_events is False:  # a botocore that keeps them elsewhere: registered each time
            core = botocore.session.Session(profile=profile)
        else:
            core = botocore.session.Session(
                profile=profile, event_hooks=copy.copy(_builtin_events), include_builtin_handlers=False
            )
        core.register_component("data_loader", shared_loader())
    _share_config_files(core)
    return core


_parsed_lock = threading.Lock()
_parsed: dict[tuple[Any, ...], Any] = {}


def _share_config_files(core: botocore.session.Session) -> None:
    """The AWS config and credentials files parsed once per process while they stay unchanged: every new
    session otherwise parses both again (a class with a profile per student: the whole file per profile)."""
    if not hasattr(core, "_config"):
        return
    key: list[Any] = []
    for name in ("config_file", "credentials_file"):
        path = os.path.expanduser(str(core.get_config_variable(name) or ""))
        try:
            st = os.stat(path)
            key.append((path, st.st_ino, st.st_size, st.st_mtime_ns))
        except (OSError, ValueError):
            key.append((path, None))
    with _parsed_lock:
        found = _parsed.get(tuple(key))
    if found is not None:
        core._config = found  # read, never changed, by botocore
        return
    try:
        parsed = core.full_config
    except Exception:  # a file botocore cannot read: said where the session is first used
        return
    with _parsed_lock:
        _parsed.clear()  # the files changed, or the first: only the newest parse is kept
        _parsed[tuple(key)] = parsed


def new_session(**settings: Any) -> Any:
    """A boto3 session (``boto3.Session``'s keywords) whose service models come from one loader per process.

    Each botocore session otherwise reads and parses every service model it uses again
    (EC2's alone is megabytes of JSON): a class graded through many roles or profiles
    would pay that once per session.
    """
    import boto3

    core = _botocore_session()
    with _loader_lock:
        session = boto3.Session(botocore_session=core, **settings)
        paths = _shared_loader.search_paths  # boto3 appends its own folder once per session
        paths[:] = list(dict.fromkeys(paths))
    return session


def session_for(profile: str | None = None, region: str | None = None) -> CoreSession:
    """The session a live grade reads through: the AWS CLI's profile (or its default chain), on botocore alone."""
    try:
        session = core_session(profile=profile, region=region)
        session._session.get_scoped_config()  # an unknown profile is refused now, not at the first request
    except botocore.exceptions.ConfigParseError as exc:
        path = exc.kwargs.get("path") or "the AWS configuration"
        raise CannotGrade(f"cannot read {path}: it is not an AWS config file (fix or move it)") from exc
    except botocore.exceptions.ProfileNotFound as exc:
        name = exc.kwargs.get("profile") or profile
        source = "--profile" if profile else "$AWS_PROFILE" if os.environ.get("AWS_PROFILE") else "the configuration"
        raise CannotGrade(
            f"AWS profile {name} (from {source}) not found: check ~/.aws/config, or name another with --profile"
        ) from exc
    return session


def _loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


def _early_url(account: Transport) -> str | None:
    from checks.aws.early import endpoint_for

    return endpoint_for(account.region, account.endpoint_url, os.environ)


class Answers(Protocol):
    """Evidence (:class:`checks.grading.evidence.Evidence`): answers kept while grading, or replayed instead of AWS."""

    def recorded(
        self, service: str, operation: str, region: str, params: dict[str, Any], ask: Callable[[], Any]
    ) -> Any: ...

    def replayed(self, service: str, operation: str, region: str, params: dict[str, Any], denied: set[str]) -> Any: ...

    def asked(self, service: str, operation: str) -> bool: ...

    @property
    def account_id(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


class Transport:
    """One AWS account in one region, asked once per question and remembered.

    A service's reader is a subclass that declares what it knows of its service::

        class SqsReader(Transport, service="sqs", not_found=("QueueDoesNotExist",), quotas=(...)):

    ``not_found``: the error codes that are AWS's definite "no such thing"; ``always``: what the
    answer to each of its reads always holds; ``quotas``: the rate quotas AWS publishes for it;
    ``global_service``: metered per account whatever the region (IAM); ``not_kept``: keys of its
    answers whose values evidence never keeps.
    """

    service: str = ""  # the service a reader reads (set by its class statement)

    def __init_subclass__(
        cls,
        *,
        service: str | None = None,
        not_found: tuple[str, ...] = (),
        always: dict[str, tuple[str, ...]] | None = None,
        quotas: tuple[Quota, ...] = (),
        global_service: bool = False,
        not_kept: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if service is None:
            return
        cls.service = service
        if cls.__module__.startswith("checks.aws."):  # the engine's own; an assessment names its own (Tools)
            READERS[service] = cls
        NOT_FOUND[service] = NOT_FOUND.get(service, frozenset()) | frozenset(not_found)
        NOT_KEPT[service] = NOT_KEPT.get(service, frozenset()) | frozenset(not_kept)
        ALWAYS_ANSWERED.update({(service, op): keys for op, keys in (always or {}).items()})
        register(quotas, global_service=service if global_service else None)

    def __init__(
        self,
        session: Any,  # a boto3 session, or a CoreSession: each makes clients
        region: str | None = None,
        endpoint_url: str | None = None,
        *,
        budgets: Budgets | None = None,
        timeout: float | None = None,
        targeted: bool = False,
        credentials: Any = None,
    ) -> None:
        self.session = session
        # botocore credentials of this account's own (a role assumed for it, a profile's): it signs with them
        # through the session's shared clients. None: the session's own credentials and clients.
        self.credentials = credentials
        self._targeted = targeted  # one student: ask for their own resources by name, list only for near misses
        self._replay_by_name: bool | None = None
        self.budgets = budgets  # the pace of requests, under AWS's quotas (None: as fast as answered)
        self._timeout = timeout
        # The whole grade ends within ``timeout``: an attempt (retries too) starts only while it can still be
        # answered in time, and waits at most a third of the time for its answer.
        self._config = grading_config(timeout)
        self._deadline: float | None = None
        if timeout:
            read, connect = _waits(timeout)
            self._deadline = time.monotonic() + max(timeout - read - connect, timeout / 3)
        self.early: Any = None  # the identity question already sent (checks.aws.early), taken by identify
        self.evidence: Answers | None = None  # set to collect the answers the grade rests on
        self.replay: Answers | None = None  # set to grade from collected answers, offline
        self.region = region or session.region_name or ""
        self.endpoint_url = endpoint_url
        self._clients: dict[tuple[str, str], Any] = {}
        self._client_lock = threading.Lock()  # guards the locks below: each client is made under its own
        self._client_locks: dict[tuple[str, str], threading.Lock] = {}
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
        """The service's client for a region, made once; clients of different services are made at once.

        An account with credentials of its own uses the session's shared client (:func:`shared_client`),
        which sends only inside :meth:`bound`: a reader asks through :meth:`call` and :meth:`paginate`.
        """
        key = (service, region or self.region)
        found = self._clients.get(key)
        if found is not None:
            return found
        if self.credentials is not None:
            found = self._clients[key] = shared_client(self.session, service, key[1], self.endpoint_url, self._config)
            return found
        with self._client_lock:
            lock = self._client_locks.setdefault(key, threading.Lock())
        with lock:
            found = self._clients.get(key)
            if found is None:
                found = self.session.client(
                    service,
                    region_name=key[1],
                    endpoint_url=self.endpoint_url,
                    config=self._config,  # type: ignore[call-overload]
                )
                found.meta.events.register("before-call", self._record)
                found.meta.events.register("before-parse", check_answer)
                if self._deadline is not None:  # every attempt, retries too, within the grade's time
                    found.meta.events.register_first("request-created", self._attempt_in_time)
                if self.budgets is not None:
                    self._pace(found, service, key[1])
                self._clients[key] = found
            return found

    def bound(self) -> _OnThisThread:
        """While inside, the requests this thread sends through shared clients are this account's."""
        return _OnThisThread(_bound, "transport", self)

    def _pace(self, client: Any, service: str, region: str) -> None:
        """Each attempt (retries too) waits for its quota's budget; a throttled answer slows that budget."""

        def take(operation_name: str, **_: Any) -> None:
            self._take(service, region, operation_name)

        def answered(operation: Any, response: Any = None, **_: Any) -> None:
            self._answered(service, region, operation, response)

        client.meta.events.register_first("request-created", take)
        client.meta.events.register_first("needs-retry", answered)

    def _budget(self, service: str, region: str, operation: str) -> Budget | None:
        if self.budgets is None:
            return None
        return self.budgets.for_request(self._account_id or "", region, service, operation)

    def _take(self, service: str, region: str, operation: str) -> None:
        found = self._budget(service, region, operation)
        if found is not None:
            found.take()

    def _answered(self, service: str, region: str, operation: Any, response: Any) -> None:
        found = self._budget(service, region, operation.name)
        if found is None or response is None:
            return
        code = (response[1].get("Error") or {}).get("Code", "") if isinstance(response[1], dict) else ""
        if code in THROTTLED or response[0].status_code == 429:
            found.slow_down()
        else:
            found.answered()

    def release(self) -> None:
        """Once its students are graded: its answers and clients let go (shared clients stay for others)."""
        with self._cache_lock:
            self._cache = {}
        with self._client_lock:
            own = [] if self.credentials is not None else list(self._clients.values())
            self._clients = {}
        for client in own:
            client.close()

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
            with self.bound():
                answer = method(**params)
        except botocore.exceptions.ClientError as exc:
            if absent and is_not_found(service, str(exc.response.get("Error", {}).get("Code"))):
                return None
            raise self._wrap(service, operation, exc) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise self._wrap(service, operation, exc) from exc
        if isinstance(answer, dict):
            answer.pop("ResponseMetadata", None)
        why = lacking(service, operation, answer)
        if why:
            raise AwsError(_action(service, operation), "MalformedAnswer", f"{why}: not AWS's answer")
        return answer

    def _answer(
        self, service: str, operation: str, region: str | None, params: dict[str, Any], ask: Callable[[], Any]
    ) -> Any:
        """Ask AWS, or the evidence being replayed; record the answer when collecting evidence."""
        region = region or self.region
        if self.replay is not None:
            return self.replay.replayed(service, operation, region, params, self.denied)
        if self.evidence is None:
            return ask()
        return self.evidence.recorded(service, operation, region, params, ask)

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
                with self.bound():
                    for page in paginator.paginate(PaginationConfig=config, **params):
                        why = lacking(service, operation, page)
                        if why or not isinstance(page.get(key, []), list):
                            raise AwsError(
                                _action(service, operation), "MalformedAnswer", f"{why or key}: not AWS's answer"
                            )
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

    def _attempt_in_time(self, **_: Any) -> None:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise GradingTimeout(seconds=self._timeout or 0)

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
        if self._account_id is None and self.early is not None:
            self._account_id = self._early_answer()
        if self._account_id is None:
            if not self.region:
                raise CannotGrade("no AWS region: pass --region or set AWS_REGION (or AWS_DEFAULT_REGION)")
            sts = self._identity_client()
            where = self.endpoint_url or f"AWS in {self.region}"
            try:
                with self.bound():
                    account = sts.get_caller_identity().get("Account")
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
                message = str(exc.response.get("Error", {}).get("Message") or "")
                said = "".join(ch for ch in " ".join(message.split()) if ch.isprintable())[:200]
                if self.endpoint_url and _loopback(self.endpoint_url) and "sandbox" in said.lower():
                    why = said  # the sandbox on this machine says which credentials it serves
                elif "Expired" in code:
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
                raise CannotGrade(f"cannot reach {where}: check the network, --region or --endpoint-url") from exc
            except MalformedAnswer as exc:
                raise CannotGrade(f"{where} did not answer as AWS does: {str(exc)[:160]}") from exc
            except botocore.exceptions.BotoCoreError as exc:
                raise CannotGrade(f"cannot use the AWS configuration: {str(exc)[:300]}") from exc
            if not (isinstance(account, str) and account.isascii() and account.isdigit() and len(account) == 12):
                raise CannotGrade(f"{where} did not answer as AWS does: its identity answer has no 12-digit account")
            self._account_id = account
        return self._account_id

    def assumed(self, account_id: str) -> None:
        """Whose the credentials are, as STS said when it gave them out (AssumeRole): not asked again."""
        if self._account_id is None and self.replay is None:
            self._account_id = account_id

    def _identity_client(self) -> Any:
        """STS, to ask whose the credentials are: quick to give up (an endpoint that does not answer)."""
        if self.credentials is not None:
            return shared_client(self.session, "sts", self.region, self.endpoint_url, PREFLIGHT_CONFIG)
        sts = self.session.client(
            "sts", region_name=self.region, endpoint_url=self.endpoint_url, config=PREFLIGHT_CONFIG
        )
        sts.meta.events.register("before-call", self._record)
        sts.meta.events.register("before-parse", check_answer)
        return sts

    def _early_answer(self) -> str | None:
        """The answer to the identity question sent before botocore loaded, when it is this account's."""
        early, self.early = self.early, None
        if early.region != self.region or early.url != _early_url(self):
            return None
        found: str | None = early.account()
        if early.sent:
            with self._calls_lock:
                self.calls.append("sts:GetCallerIdentity")
                self.requests.append(("sts:GetCallerIdentity", f"{early.url} early"))
                self.calls_by_asker.append((current_asker(), "sts:GetCallerIdentity"))
        if found is None and early.unreachable:  # botocore's path would wait as long again to find the same
            where = self.endpoint_url or f"AWS in {self.region}"
            raise CannotGrade(f"cannot reach {where}: check the network, --region or --endpoint-url")
        return found

    @property
    def account_id(self) -> str:
        return self.identify()

    @property
    def partition(self) -> str:
        """The region's partition (``aws``, ``aws-cn``, ``aws-us-gov``), from botocore's endpoint data."""
        try:
            return str(self.session.get_partition_for_region(self.region))
        except Exception:  # a region botocore does not know: the commercial partition
            return "aws"

    @property
    def targeted(self) -> bool:
        """Read one student's resources by name (a class reads the account's lists once instead).

        A regrade from evidence reads the way the grade did: by name when no list was kept.
        """
        if self.replay is not None:
            if self._replay_by_name is None:  # asked at every read by name: the answers are looked at once
                self._replay_by_name = self._replayed_by_name()
            return self._replay_by_name
        return self._targeted

    def _replayed_by_name(self) -> bool:
        """Did the grade being replayed read by name? A reader that reads by name says how to tell."""
        return False


def dict_or_none(answer: Any) -> dict[str, Any] | None:
    return dict(answer) if answer is not None else None
