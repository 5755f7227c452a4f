"""Least privilege: the grader only reads, each check declares what it reads, the policy is exactly that."""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3
import pytest

from checks.assessments.lambda_medium import reference
from checks.aws import Account, new_session
from checks.cli import main, policy_json
from checks.model import Report
from checks.registry import Assessment, load_assessment
from tests.conftest import REGION, grade_in_process
from tests.faults import deny_action

PREFLIGHT = "sts:GetCallerIdentity"  # answers any caller: needs no permission


def _reference() -> None:
    reference.deploy("s1", REGION)


def _no_aliases() -> None:
    reference.deploy("s1", REGION)
    lam = boto3.client("lambda", region_name=REGION)
    for name in ("PROD", "STAGING"):
        lam.delete_alias(FunctionName="layer-consumer-s1", Name=name)


def _empty() -> None:
    boto3.client("sqs", region_name=REGION).create_queue(QueueName="unrelated")


def _unreserved() -> None:
    reference.deploy("s1", REGION)
    lam = boto3.client("lambda", region_name=REGION)
    lam.delete_function_concurrency(FunctionName="rate-limited-function-s1")
    lam.delete_provisioned_concurrency_config(FunctionName="layer-consumer-s1", Qualifier="PROD")


def _managed_policy() -> None:
    reference.deploy("s1", REGION)
    iam = boto3.client("iam", region_name=REGION)
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}],
    }
    arn = iam.create_policy(PolicyName="insights-logs", PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    role = "lambda-medium-role-s1"
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    iam.delete_role_policy(RoleName=role, PolicyName="lambda-medium")


def _no_triggers() -> None:
    """The mappings gone: their fixes read what the role may do (its policies and permissions boundary)."""
    reference.deploy("s1", REGION)
    lam = boto3.client("lambda", region_name=REGION)
    for mapping in lam.list_event_source_mappings()["EventSourceMappings"]:
        lam.delete_event_source_mapping(UUID=mapping["UUID"])


def _no_insights() -> None:
    """The Insights layer gone from layer-consumer: its fix reads whether the layers it keeps still exist."""
    reference.deploy("s1", REGION)
    lam = boto3.client("lambda", region_name=REGION)
    mine = [x["Arn"] for x in lam.get_function(FunctionName="layer-consumer-s1")["Configuration"]["Layers"]]
    reference.settled(lam, "layer-consumer-s1")
    lam.update_function_configuration(FunctionName="layer-consumer-s1", Layers=[a for a in mine if "Insights" not in a])


SCENARIOS: dict[str, Callable[[], None]] = {
    "no insights layer": _no_insights,
    "no triggers, one student read by name": _no_triggers,
    "reference": _reference,
    "reference, one student read by name": _reference,
    "versions, no aliases": _no_aliases,
    "empty": _empty,
    "unreserved": _unreserved,
    "managed_policy": _managed_policy,
}


def _grade(scenario: str, lambda_medium: Assessment, session: boto3.Session | None = None) -> tuple[Report, Account]:
    return grade_in_process(lambda_medium, "s1", session=session, targeted="by name" in scenario)


def _declared(lambda_medium: Assessment) -> dict[str, set[str]]:
    out = {c.id: set(c.reads) for c in lambda_medium.checks()}
    for t in lambda_medium.tasks:
        for n in t.notes:
            out[n.name] = set(n.reads)
    out["diagnosis"] = set(lambda_medium.diagnosis_reads)  # why every check fails: read once, for the report
    return out


@pytest.fixture(scope="session")  # plain data, no stand-in left running: each worker builds it once
def scenarios() -> dict[str, tuple[Report, set[tuple[str | None, str]]]]:
    """Each scenario's grade with every permission, and what it sent, put down to the check (or note) that sent it."""
    from moto import mock_aws

    found = {}
    assessment = load_assessment("lambda_medium")
    for name, setup in SCENARIOS.items():
        with mock_aws():
            setup()
            report, account = _grade(name, assessment)
            found[name] = (report, set(account.calls_by_asker))
    return found


@pytest.fixture(scope="session")
def used(
    scenarios: dict[str, tuple[Report, set[tuple[str | None, str]]]],
) -> dict[str, set[tuple[str | None, str]]]:
    return {name: calls for name, (_, calls) in scenarios.items()}


def test_every_request_is_a_read(used: dict[str, set[tuple[str | None, str]]]) -> None:
    actions = {a for calls in used.values() for _, a in calls}
    assert actions and all(a.split(":", 1)[1].startswith(("List", "Get", "Describe")) for a in actions)


def test_every_request_is_declared_by_the_check_that_sent_it(
    used: dict[str, set[tuple[str | None, str]]], lambda_medium: Assessment
) -> None:
    declared = _declared(lambda_medium)
    undeclared = sorted(
        (asker or "-", action)
        for calls in used.values()
        for asker, action in calls
        if action != PREFLIGHT and action not in declared.get(asker or "", set())
    )
    assert undeclared == []


def test_the_policy_is_exactly_what_the_checks_use(
    used: dict[str, set[tuple[str | None, str]]], lambda_medium: Assessment, capsys: pytest.CaptureFixture[str]
) -> None:
    actually = {a for calls in used.values() for _, a in calls} - {PREFLIGHT}
    assert set(lambda_medium.reads()) == actually
    assert main(["policy", "lambda_medium"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(policy_json(lambda_medium.reads()))
    statement = printed["Statement"][0]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    assert statement["Action"] == sorted(actually)


def _scenario_for(action: str) -> str:
    return {
        "lambda:GetAccountSettings": "unreserved",
        "ec2:DescribeRegions": "empty",
        "iam:GetPolicy": "managed_policy",
        "iam:GetPolicyVersion": "managed_policy",
        # the versions are listed only when no alias names one: whatever an alias names is published
        "lambda:ListVersionsByFunction": "versions, no aliases",
        # read only when one student's role is asked for by name; a class reads every role at once
        "iam:ListAttachedRolePolicies": "reference, one student read by name",
        "iam:ListRolePolicies": "reference, one student read by name",
        "iam:GetRolePolicy": "reference, one student read by name",
        # a role's permissions boundary is read for a fix that rests on what the role may do
        "iam:GetRole": "no triggers, one student read by name",
        "lambda:GetLayerVersion": "no insights layer",
    }.get(action, "reference")


@pytest.mark.parametrize("action", load_assessment("lambda_medium").reads())
def test_access_denied_on_each_action_errors_only_the_checks_that_read_it(
    scenarios: dict[str, tuple[Report, set[tuple[str | None, str]]]],
    aws: None,
    lambda_medium: Assessment,
    action: str,
) -> None:
    scenario = _scenario_for(action)
    SCENARIOS[scenario]()
    baseline = scenarios[scenario][0]
    session = new_session(region_name=REGION)
    deny_action(session, action)
    report, _ = _grade(scenario, lambda_medium, session)
    declared = {c.id for c in lambda_medium.checks() if action in c.reads}
    errored = {c.id for c in report.checks() if c.status.value == "error"}
    assert errored <= declared
    before = {c.id: c.status for c in baseline.checks()}
    assert all(c.status == before[c.id] for c in report.checks() if c.id not in errored)
    assert action in report.missing_actions
    for c in report.checks():
        if c.id in errored:
            assert action in c.message and "AccessDenied" in c.message
    if errored:
        assert not report.complete and action in (report.grant() or "")


def test_a_denied_note_still_names_the_missing_action(aws: None, lambda_medium: Assessment) -> None:
    _reference()
    session = new_session(region_name=REGION)
    deny_action(session, "ec2:DescribeRouteTables")
    report, _ = _grade("reference", lambda_medium, session)
    assert report.earned == 120 and report.complete
    assert report.missing_actions == ("ec2:DescribeRouteTables",)
