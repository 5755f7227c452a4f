"""Reading policies as IAM evaluates them (checks/iam.py), one row per rule of IAM's evaluation logic."""

from __future__ import annotations

from typing import Any

import pytest

from checks import iam

LOG = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:log-stream:x"
CONTEXT = {"aws:SecureTransport": "true", "aws:RequestedRegion": "us-east-1", "aws:PrincipalAccount": "123456789012"}
ALLOW_LOGS = {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def deny(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": "logs:PutLogEvents", "Resource": "*", **fields}


DECISIONS = [
    # (case, statements, resource, allowed)
    ("nothing is allowed by default", [], LOG, False),
    ("an Allow on *", [ALLOW_LOGS], LOG, True),
    ("a single statement, not in a list", ALLOW_LOGS, LOG, True),
    ("action names ignore case", [{**ALLOW_LOGS, "Action": "LOGS:putlogevents"}], LOG, True),
    ("an action wildcard", [{**ALLOW_LOGS, "Action": "logs:Put*"}], LOG, True),
    ("a ? wildcard is one character", [{**ALLOW_LOGS, "Action": "logs:PutLogEvent?"}], LOG, True),
    ("a ? wildcard is not two", [{**ALLOW_LOGS, "Action": "logs:PutLogEven?"}], LOG, False),
    ("another action", [{**ALLOW_LOGS, "Action": "logs:CreateLogStream"}], LOG, False),
    ("NotAction leaving it in", [{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}], LOG, True),
    ("NotAction leaving it out", [{"Effect": "Allow", "NotAction": "logs:*", "Resource": "*"}], LOG, False),
    ("a resource pattern that matches", [{**ALLOW_LOGS, "Resource": "arn:aws:logs:*:*:*"}], LOG, True),
    ("a resource pattern that does not", [{**ALLOW_LOGS, "Resource": "arn:aws:logs:*:*:log-group:other*"}], LOG, False),
    ("[ is no wildcard", [{**ALLOW_LOGS, "Resource": "arn:aws:logs:[u]s-east-1:*"}], LOG, False),
    ("resource names keep their case", [{**ALLOW_LOGS, "Resource": LOG.upper()}], LOG, False),
    ("NotResource leaving it in", [{**ALLOW_LOGS, "Resource": None, "NotResource": "arn:aws:s3:::*"}], LOG, True),
    (
        "NotResource leaving it out",
        [{"Effect": "Allow", "Action": "logs:*", "NotResource": "arn:aws:logs:*"}],
        LOG,
        False,
    ),
    ("an explicit Deny on *", [ALLOW_LOGS, deny()], LOG, False),
    ("a Deny first, the Allow after", [deny(), ALLOW_LOGS], LOG, False),
    ('a Deny on ["*"]', [ALLOW_LOGS, deny(Resource=["*"])], LOG, False),
    ("a Deny on the log group", [ALLOW_LOGS, deny(Resource="arn:aws:logs:*:*:log-group:/aws/lambda/f:*")], LOG, False),
    (
        "a Deny on another log group",
        [ALLOW_LOGS, deny(Resource="arn:aws:logs:*:*:log-group:/aws/lambda/g:*")],
        LOG,
        True,
    ),
    ("a Deny of another action", [ALLOW_LOGS, deny(Action="logs:CreateLogGroup")], LOG, True),
    (
        "a Deny with NotResource leaving it in",
        [ALLOW_LOGS, deny(Resource=None, NotResource="arn:aws:s3:::*")],
        LOG,
        False,
    ),
    ("a Deny with NotResource leaving it out", [ALLOW_LOGS, deny(NotResource="arn:aws:logs:*")], LOG, True),
    ("a Deny effect spelt otherwise is no Deny", [ALLOW_LOGS, deny(Effect="deny")], LOG, True),
    ("an Allow spelt otherwise is no Allow", [{**ALLOW_LOGS, "Effect": "allow"}], LOG, False),
    # Conditions, against CONTEXT.
    ("a Deny without TLS", [ALLOW_LOGS, deny(Condition={"Bool": {"aws:SecureTransport": "false"}})], LOG, True),
    (
        "a Deny without TLS, as a JSON bool",
        [ALLOW_LOGS, deny(Condition={"Bool": {"aws:SecureTransport": False}})],
        LOG,
        True,
    ),
    ("a Deny over TLS", [ALLOW_LOGS, deny(Condition={"Bool": {"aws:securetransport": ["true"]}})], LOG, False),
    (
        "a Deny outside the region",
        [ALLOW_LOGS, deny(Condition={"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}})],
        LOG,
        True,
    ),
    (
        "a Deny outside two regions",
        [ALLOW_LOGS, deny(Condition={"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "us-west-2"]}})],
        LOG,
        False,
    ),
    (
        "a Deny in the region",
        [ALLOW_LOGS, deny(Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}})],
        LOG,
        False,
    ),
    (
        "StringEquals keeps case",
        [ALLOW_LOGS, deny(Condition={"StringEquals": {"aws:RequestedRegion": "US-EAST-1"}})],
        LOG,
        True,
    ),
    (
        "StringEqualsIgnoreCase does not",
        [ALLOW_LOGS, deny(Condition={"StringEqualsIgnoreCase": {"aws:RequestedRegion": "US-EAST-1"}})],
        LOG,
        False,
    ),
    (
        "StringNotEqualsIgnoreCase",
        [ALLOW_LOGS, deny(Condition={"StringNotEqualsIgnoreCase": {"aws:RequestedRegion": "US-EAST-1"}})],
        LOG,
        True,
    ),
    ("StringLike matching", [ALLOW_LOGS, deny(Condition={"StringLike": {"aws:RequestedRegion": "us-*"}})], LOG, False),
    (
        "StringLike not matching",
        [ALLOW_LOGS, deny(Condition={"StringLike": {"aws:RequestedRegion": "eu-*"}})],
        LOG,
        True,
    ),
    ("StringNotLike", [ALLOW_LOGS, deny(Condition={"StringNotLike": {"aws:RequestedRegion": "eu-*"}})], LOG, False),
    (
        "two operators, both holding",
        [
            ALLOW_LOGS,
            deny(
                Condition={
                    "StringEquals": {"aws:RequestedRegion": "us-east-1"},
                    "Bool": {"aws:SecureTransport": "true"},
                }
            ),
        ],
        LOG,
        False,
    ),
    (
        "two operators, one not holding",
        [
            ALLOW_LOGS,
            deny(
                Condition={
                    "StringEquals": {"aws:RequestedRegion": "us-east-1"},
                    "Bool": {"aws:SecureTransport": "false"},
                }
            ),
        ],
        LOG,
        True,
    ),
    (
        "ForAnyValue: on a single value",
        [ALLOW_LOGS, deny(Condition={"ForAnyValue:StringEquals": {"aws:RequestedRegion": "us-east-1"}})],
        LOG,
        False,
    ),
    (
        "IfExists on a known key",
        [ALLOW_LOGS, deny(Condition={"StringEqualsIfExists": {"aws:RequestedRegion": "eu-west-1"}})],
        LOG,
        True,
    ),
    (
        "IfExists on an absent key",
        [ALLOW_LOGS, deny(Condition={"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}})],
        LOG,
        False,
    ),
    ("Null: the key is present", [ALLOW_LOGS, deny(Condition={"Null": {"aws:RequestedRegion": "true"}})], LOG, True),
    (
        "Null: the key is present, asked so",
        [ALLOW_LOGS, deny(Condition={"Null": {"aws:RequestedRegion": "false"}})],
        LOG,
        False,
    ),
    (
        "an Allow in another region only",
        [{**ALLOW_LOGS, "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}],
        LOG,
        False,
    ),
    ("an Allow over TLS only", [{**ALLOW_LOGS, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}], LOG, True),
    # Conditions that cannot be decided are read in the student's favour.
    (
        "a Deny on an unknown key",
        [ALLOW_LOGS, deny(Condition={"StringEquals": {"aws:PrincipalTag/team": "red"}})],
        LOG,
        True,
    ),
    (
        "a Deny with an unknown operator",
        [ALLOW_LOGS, deny(Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}})],
        LOG,
        True,
    ),
    (
        "a Deny with Null on an unknown key",
        [ALLOW_LOGS, deny(Condition={"Null": {"aws:SourceVpc": "true"}})],
        LOG,
        True,
    ),
    ("a Deny with a malformed condition", [ALLOW_LOGS, deny(Condition={"StringEquals": "x"})], LOG, True),
    (
        "an Allow on an unknown key",
        [{**ALLOW_LOGS, "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}}}],
        LOG,
        True,
    ),
    # "On every resource" (resource None), for the notes that ask about an action at all.
    ("somewhere: an Allow on one resource is enough", [{**ALLOW_LOGS, "Resource": LOG}], None, True),
    ("somewhere: an Allow with NotResource", [{**ALLOW_LOGS, "Resource": None, "NotResource": LOG}], None, True),
    ("somewhere: an Allow on no resource", [{**ALLOW_LOGS, "Resource": []}], None, False),
    ("somewhere: a Deny on one resource does not deny everywhere", [ALLOW_LOGS, deny(Resource=LOG)], None, True),
    (
        "somewhere: a Deny with NotResource does not deny everywhere",
        [ALLOW_LOGS, deny(Resource=None, NotResource=LOG)],
        None,
        True,
    ),
    ("somewhere: a Deny on *", [ALLOW_LOGS, deny(Resource=["*"])], None, False),
]


@pytest.mark.parametrize(
    ("statements", "resource", "allowed"), [d[1:] for d in DECISIONS], ids=[d[0] for d in DECISIONS]
)
def test_decision(statements: Any, resource: str | None, allowed: bool) -> None:
    cleaned = [
        {k: v for k, v in st.items() if v is not None}
        for st in ([statements] if isinstance(statements, dict) else statements)
    ]
    document = {"Statement": cleaned[0]} if isinstance(statements, dict) else doc(*cleaned)
    assert iam.evaluate([document], "logs:PutLogEvents", resource, CONTEXT).allowed is allowed
    assert iam.allows([document], "logs:PutLogEvents", resource, CONTEXT) is allowed


def test_a_deciding_deny_is_returned_with_what_else_was_found() -> None:
    lifted = deny(Condition={"Bool": {"aws:SecureTransport": "false"}})
    unknown = deny(Condition={"StringEquals": {"aws:PrincipalTag/team": "red"}})
    decisive = deny(Resource=["*"])
    decision = iam.evaluate([doc(ALLOW_LOGS, lifted, unknown, decisive)], "logs:PutLogEvents", LOG, CONTEXT)
    assert decision == iam.Decision(
        False,
        decisive,
        ('{"StringEquals": {"aws:PrincipalTag/team": "red"}}',),
        ('{"Bool": {"aws:SecureTransport": "false"}}',),
    )
    assert iam.evaluate([doc(ALLOW_LOGS, lifted)], "logs:PutLogEvents", LOG, CONTEXT) == iam.Decision(
        True, None, (), ('{"Bool": {"aws:SecureTransport": "false"}}',)
    )


def test_without_a_context_a_condition_cannot_be_decided() -> None:
    guarded = deny(Condition={"Bool": {"aws:SecureTransport": "false"}})
    decision = iam.evaluate([doc(ALLOW_LOGS, guarded)], "logs:PutLogEvents", LOG)
    assert decision.allowed and decision.assumed == ('{"Bool": {"aws:SecureTransport": "false"}}',)


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        ({"Action": "logs:*", "Resource": "*"}, "logs:* on *"),
        ({"Action": ["a:B", "c:D"], "Resource": ["r1", "r2"]}, "a:B, c:D on r1, r2"),
        ({"NotAction": "s3:*", "Resource": "*"}, "every action but s3:* on *"),
        ({"Action": "logs:*", "NotResource": ["x", "y"]}, "logs:* on every resource but x, y"),
        ({"Action": "logs:*"}, "logs:* on *"),
    ],
)
def test_a_statement_in_words(statement: dict[str, Any], words: str) -> None:
    assert iam.describe(statement) == words


@pytest.mark.parametrize(
    ("principal", "found"),
    [
        ("*", ["*"]),
        ({"AWS": "*"}, ["*"]),
        (
            {"AWS": ["111122223333", "arn:aws:iam::444455556666:root"]},
            ["111122223333", "arn:aws:iam::444455556666:root"],
        ),
        ({"Service": "sns.amazonaws.com"}, ["sns.amazonaws.com"]),
        ("111122223333", ["111122223333"]),
        (None, []),
    ],
)
def test_principals(principal: Any, found: list[str]) -> None:
    assert iam.principals({"Principal": principal}) == found


@pytest.mark.parametrize(
    ("principal", "account"),
    [
        ("111122223333", "111122223333"),
        ("arn:aws:iam::111122223333:root", "111122223333"),
        ("arn:aws:iam::111122223333:role/x", "111122223333"),
        ("11112222333", None),
        ("1111222233334", None),
        ("arn:aws:sts::111122223333:assumed-role/x", None),
        ("arn:aws:iam::11112222333x:root", None),
        ("arn:aws:iam", None),
        ("sns.amazonaws.com", None),
        ("*", None),
    ],
)
def test_account_of(principal: str, account: str | None) -> None:
    assert iam.account_of(principal) == account


def test_statements_ignores_what_is_not_a_statement() -> None:
    assert iam.statements({"Statement": [ALLOW_LOGS, "junk", 3]}) == [ALLOW_LOGS]
    assert iam.statements({}) == []
