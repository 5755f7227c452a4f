"""A class where every student has an AWS account of their own (a role, or a profile, each).

Accounts share what is not theirs: one set of clients per session that makes them (every account signs
its own requests), the service models and endpoint data, the session and STS client roles are assumed
with, the parsed AWS configuration files. What is theirs (their answers, their credentials) goes once
their students are graded. Roles are assumed within STS's quota of the account that assumes them, and a
slow account gives its place to the others. None of this is timed: each is counted or ordered.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest

from checks.assessments.lambda_medium import reference
from checks.aws import Account, new_session, shared_loader
from checks.aws.budgets import Budgets
from checks.aws.transport import CALLER, GRADING_CONFIG, Unbound, core_session, session_for, shared_client
from checks.grading import pipeline
from checks.grading.pipeline import Hooks, Live, Opened, grade_roster
from checks.grading.roster import Outcome, RosterRow
from checks.registry import Assessment
from checks.standin import gap_fills
from tests.conftest import REGION
from tests.world import WorldAccount, reference_world

ROLES = {f"r{n}": f"{210000000000 + n}" for n in range(1, 5)}  # student -> the account their role is in
PROFILES = {f"p{n}": f"{220000000000 + n}" for n in range(1, 4)}
ASSUMING = {"q1": "250000000001", "q2": "250000000002"}  # profiles of a role, nothing deployed in them
ODD = ("px", "229999999999")  # a profile whose settings shape clients otherwise (retries): never shares them
BROKEN = {"r2": 2, "p2": 2}  # students whose layer-consumer is left at 128 MB: 2 points short


def _role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/grader"


def _keys(account: str) -> dict[str, str]:
    sts = boto3.client("sts", region_name=REGION)
    return dict(sts.assume_role(RoleArn=_role(account), RoleSessionName="setup")["Credentials"])


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every student's reference solution in an account of their own; an AWS config with a profile for each of
    the profile students (keys of their account) and the odd one. Yields the config file."""
    from moto import mock_aws

    gap_fills.install()
    folder = tmp_path_factory.mktemp("aws")
    lines = []
    with mock_aws():
        for sid, account in [*ROLES.items(), *PROFILES.items(), ODD]:
            keys = _keys(account)
            session = new_session(
                aws_access_key_id=keys["AccessKeyId"],
                aws_secret_access_key=keys["SecretAccessKey"],
                aws_session_token=keys["SessionToken"],
                region_name=REGION,
            )
            reference.deploy(sid, REGION, session=session)
            if sid in BROKEN:
                session.client("lambda", region_name=REGION).update_function_configuration(
                    FunctionName=f"layer-consumer-{sid}", MemorySize=128
                )
            if sid in PROFILES or sid == ODD[0]:
                lines += [
                    f"[profile {sid}]",
                    f"aws_access_key_id = {keys['AccessKeyId']}",
                    f"aws_secret_access_key = {keys['SecretAccessKey']}",
                    f"aws_session_token = {keys['SessionToken']}",
                    *(["max_attempts = 4"] if sid == ODD[0] else []),
                    "",
                ]
        for sid, account in ASSUMING.items():  # profiles whose role botocore assumes, from base's keys
            lines += [f"[profile {sid}]", f"role_arn = {_role(account)}", "source_profile = base", ""]
        lines += ["[profile base]", "aws_access_key_id = testing", "aws_secret_access_key = testing", ""]
        config = folder / "config"
        config.write_text("\n".join(lines), encoding="utf-8")
        yield config


def _rows() -> list[RosterRow]:
    rows = [RosterRow(i, sid, role_arn=_role(account)) for i, (sid, account) in enumerate(ROLES.items())]
    rows += [RosterRow(10 + i, sid, profile=sid) for i, sid in enumerate([*PROFILES, ODD[0]])]
    return rows


def _expected() -> dict[str, tuple[str, int]]:
    every = {**ROLES, **PROFILES, ODD[0]: ODD[1]}
    return {sid: (account, 120 - BROKEN.get(sid, 0)) for sid, account in every.items()}


@pytest.fixture
def configured(accounts: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(accounts))
    return accounts


def _graded(outcomes: list[Outcome]) -> dict[str, tuple[str, int]]:
    return {o.student_id: (o.account_id, o.report.earned if o.report else -1) for o in outcomes}


def test_every_account_signs_its_own_requests_through_clients_made_once(
    configured: Path, lambda_medium: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    create = botocore.session.Session.create_client

    def counted(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        made.append(service_name)
        return create(self, service_name, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", counted)
    seen: list[Account] = []
    outcomes = grade_roster(lambda_medium, _rows(), Live(region=REGION), hooks=Hooks(accounts_seen=seen))
    assert _graded(outcomes) == _expected()  # each on their own account, broken ones short
    # Eight accounts, three sets of clients: the roles', the three profiles' alike, the odd profile's.
    assert made.count("lambda") == 3, made
    assert made.count("sts") == 1 + 2  # the one roles are assumed with; each set of profile clients asks whose
    assert all(a.session._session.get_component("data_loader") is shared_loader() for a in seen)
    roles = [a for a in seen if a.account_id in ROLES.values()]
    assert all("sts:GetCallerIdentity" not in a.calls for a in roles)  # STS said whose, when it gave the keys


def test_a_class_lets_go_of_each_account_once_its_students_are_graded(
    configured: Path, lambda_medium: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "ACCOUNTS_AT_ONCE", 2)
    refs: list[weakref.ref[Account]] = []
    alive_at_start: list[int] = []

    def prepare(account: Account) -> None:
        gc.collect()
        alive_at_start.append(sum(r() is not None for r in refs))
        refs.append(weakref.ref(account))

    outcomes = grade_roster(lambda_medium, _rows(), Live(region=REGION), hooks=Hooks(prepare=prepare))
    assert _graded(outcomes) == _expected()
    assert all(o.account is None for o in outcomes)
    assert max(alive_at_start) <= 1, alive_at_start  # besides the one starting: at most one other under way
    gc.collect()
    assert len(refs) == 8 and all(r() is None for r in refs)

    kept = grade_roster(lambda_medium, _rows()[:2], Live(region=REGION), hooks=Hooks(keep_accounts=True))
    assert all(o.account is not None for o in kept)  # one student's command line keeps its account


def test_roles_are_assumed_within_sts_quota_of_the_account_that_assumes_them(
    configured: Path, lambda_medium: Assessment
) -> None:
    budgets = Budgets()
    rows = [r for r in _rows() if r.role_arn] + [RosterRow(20 + i, sid, profile=sid) for i, sid in enumerate(ASSUMING)]
    outcomes = grade_roster(lambda_medium, rows, Live(region=REGION, budgets=budgets))
    assert {o.student_id for o in outcomes if o.report} == {*ROLES, *ASSUMING}
    paced = budgets.for_request(CALLER, REGION, "sts", "AssumeRole")
    assert paced is not None and paced.taken == len(ROLES) + len(ASSUMING)  # botocore's own for profiles too
    assert paced.rate == pytest.approx(600 * 0.9)  # STS's published quota, of which the grader uses 90%


def test_sts_meters_each_calling_account_as_aws_does(accounts: Path) -> None:
    """600 a second per account and Region; a cross-account AssumeRole counts against the account that calls."""
    from botocore.config import Config
    from botocore.exceptions import ClientError
    from moto import mock_aws

    once = Config(retries={"total_max_attempts": 1})
    with mock_aws(), gap_fills.frozen_rates():
        caller = boto3.client("sts", region_name=REGION, config=once)
        keys = caller.assume_role(RoleArn=_role("230000000001"), RoleSessionName="one")["Credentials"]
        other = boto3.client(
            "sts",
            region_name=REGION,
            config=once,
            aws_access_key_id=keys["AccessKeyId"],
            aws_secret_access_key=keys["SecretAccessKey"],
            aws_session_token=keys["SessionToken"],
        )
        for _ in range(int(gap_fills.STS_PER_SECOND) - 1):
            caller.get_caller_identity()
        with pytest.raises(ClientError) as refused:
            caller.assume_role(RoleArn=_role("230000000002"), RoleSessionName="two")
        assert refused.value.response["Error"]["Code"] == "Throttling"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert other.get_caller_identity()["Account"] == "230000000001"  # the role's account: its own quota
        boto3.client("sts", region_name="eu-west-1", config=once).get_caller_identity()  # another Region: its own


def test_a_slow_account_gives_its_place_to_the_others(
    lambda_medium: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One place for accounts: the slow one, first in, hands it on once it is stalled; the others are graded
    while it still waits (without the hand-over they would wait for it, and it for them)."""
    monkeypatch.setattr(pipeline, "ACCOUNTS_AT_ONCE", 1)
    monkeypatch.setattr(pipeline, "STALLED_AFTER", 0.2)
    others_done = threading.Event()
    order: list[str] = []

    class Slow(WorldAccount):
        def _send(self, *args: Any, **kwargs: Any) -> Any:
            others_done.wait(timeout=30)
            return super()._send(*args, **kwargs)

    def opened(row: RosterRow) -> Account:
        world = reference_world(row.student_id)
        return Slow(world) if row.student_id == "slow" else WorldAccount(world)

    def done(outcome: Outcome) -> None:
        order.append(outcome.student_id)
        if {"fast1", "fast2"} <= set(order):
            others_done.set()

    rows = [RosterRow(i, sid, role_arn=_role(f"24000000000{i}")) for i, sid in enumerate(["slow", "fast1", "fast2"])]
    outcomes = grade_roster(lambda_medium, rows, Opened(opened), hooks=Hooks(on_done=done))
    assert order == ["fast1", "fast2", "slow"]
    earned = {o.report.earned for o in outcomes if o.report is not None}
    assert len(outcomes) == 3 and len(earned) == 1, outcomes  # the slow one graded as the others, only later


def test_a_shared_client_sends_nothing_for_no_account() -> None:
    client = shared_client(core_session(region=REGION), "sts", REGION, "http://127.0.0.1:9", GRADING_CONFIG)
    with pytest.raises(Unbound):
        client.get_caller_identity()  # refused before it is signed: nothing reaches port 9


def test_new_sessions_have_botocore_s_own_handlers_each_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    events = [
        "before-parameter-build.s3.PutObject",
        "before-call.s3.PutObject",
        "needs-retry.ec2.DescribeSubnets",
        "choose-signer.cognito-identity.GetId",
        "before-parse.sqs.ListQueues",
        "request-created.lambda.Invoke",
        "after-call.iam.GetRole",
    ]

    def handlers(core: botocore.session.Session, event: str) -> list[Any]:
        return list(core._original_handler._handlers.prefix_search(event))

    plain = botocore.session.Session()
    first, second = core_session()._session, core_session()._session
    for event in events:
        assert handlers(second, event) == handlers(plain, event), event
    second.register("before-call.sqs", lambda **_: None)
    assert handlers(core_session()._session, "before-call.sqs.ListQueues") == handlers(
        first, "before-call.sqs.ListQueues"
    )


def test_the_aws_config_files_are_parsed_once_while_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.configloader

    config = tmp_path / "config"
    config.write_text("[profile a]\nmax_attempts = 3\n", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    parsed: list[str] = []
    load = botocore.configloader.load_config
    monkeypatch.setattr(botocore.configloader, "load_config", lambda path: parsed.append(path) or load(path))
    assert session_for("a").client_settings() == (("max_attempts", "'3'"),)
    assert session_for("a").client_settings() == (("max_attempts", "'3'"),)
    assert len(parsed) == 1
    config.write_text("[profile a]\nmax_attempts = 3\n\n[profile b]\nmax_attempts = 5\n", encoding="utf-8")
    assert session_for("b").client_settings() == (("max_attempts", "'5'"),)  # a changed file is read again
    assert len(parsed) == 2


def test_the_credentials_roles_are_assumed_with_are_looked_for_once(lambda_medium: Assessment) -> None:
    """A class's roles are assumed with one profile: when it cannot be used, every row says so at once (not
    each after waiting its own turn for credentials that will not come)."""
    from checks.aws import CannotGrade

    asked: list[str | None] = []

    def sessions(profile: str | None, region: str | None) -> Any:
        asked.append(profile)
        raise CannotGrade(f"AWS profile {profile} (from --profile) not found")

    rows = [RosterRow(i, sid, profile="teacher", role_arn=_role(a)) for i, (sid, a) in enumerate(ROLES.items())]
    outcomes = grade_roster(lambda_medium, rows, Live(region=REGION, sessions=sessions))
    assert asked == ["teacher"]
    assert {o.error for o in outcomes} == {"AWS profile teacher (from --profile) not found"}
