"""Grading a class: a roster over one shared account and two assumed-role accounts."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from checks.assessments.lambda_medium import reference
from checks.aws import Account, CannotGrade, new_session
from checks.cli import main
from checks.grading.pipeline import Hooks, Live, Opened, grade_roster
from checks.grading.roster import (
    Outcome,
    RosterRow,
    in_shard,
    outcomes_from_reports,
    read_roster,
    read_roster_lines,
    summarize,
    write_gradebook,
    write_reports,
)
from checks.registry import Assessment, load_assessment
from tests.conftest import REGION

SHARED = [f"s{n:02d}" for n in range(1, 51)]  # 48 deployed, s49 and s50 with nothing
ROLE_A = "arn:aws:iam::111111111111:role/grader"
ROLE_B = "arn:aws:iam::222222222222:role/grader"
ROLE_DENIED = "arn:aws:iam::333333333333:role/grader"
MISTAKES = {  # student -> (what is broken, points lost)
    "s03": ("layer-consumer at 128 MB", 2),
    "s07": ("no alarms", 10),
    "s11": ("3 s timeout", 2),
    "s20": ("no rate-limited function", 10),
    "a2": ("layer-consumer at 128 MB", 2),
}


def _assumed(role_arn: str) -> boto3.Session:
    creds = boto3.client("sts", region_name=REGION).assume_role(RoleArn=role_arn, RoleSessionName="setup")[
        "Credentials"
    ]
    return new_session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


def _break(session: boto3.Session, sid: str) -> None:
    lam = session.client("lambda", region_name=REGION)
    if sid in ("s03", "a2"):
        lam.update_function_configuration(FunctionName=f"layer-consumer-{sid}", MemorySize=128)
    elif sid == "s07":
        session.client("cloudwatch", region_name=REGION).delete_alarms(
            AlarmNames=[f"Lambda-{x}-{sid}" for x in ("HighErrorRate", "HighDuration", "Throttles")]
        )
    elif sid == "s11":
        lam.update_function_configuration(FunctionName=f"rate-limited-function-{sid}", Timeout=3)
    elif sid == "s20":
        lam.delete_function(FunctionName=f"rate-limited-function-{sid}")


@pytest.fixture(scope="module")
def classroom() -> Iterator[None]:
    from moto import mock_aws

    from checks.standin import gap_fills as moto_gaps

    moto_gaps.install()
    with mock_aws():
        shared = new_session(region_name=REGION)
        for sid in SHARED[:48]:
            reference.deploy(sid, REGION, session=shared)
        for role, students in ((ROLE_A, ["a1", "a2", "a3"]), (ROLE_B, ["b1", "b2"])):
            session = _assumed(role)
            for sid in students:
                reference.deploy(sid, REGION, session=session)
        for sid in MISTAKES:
            _break(_assumed(ROLE_A) if sid.startswith("a") else shared, sid)
        yield


ROSTER = (
    "\ufeffstudent_id,role_arn,region\r\n"
    + "".join(f"{s},,\r\n" for s in SHARED)
    + (
        f"a1,{ROLE_A},\r\na2,{ROLE_A},{REGION}\r\na3,{ROLE_A},\r\n\r\n"
        f"b1,{ROLE_B},\r\nb2,{ROLE_B},\r\nc1,{ROLE_DENIED},\r\n"
        "s05,,\r\nbad id!,,\r\n"
    )
)


def _session_factory(profile: str | None, region: str | None) -> boto3.Session:
    session = new_session(region_name=region or REGION)

    def refuse(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if ROLE_DENIED.encode() in str(params.get("body", "")).encode() or ROLE_DENIED in str(params):
            body = {
                "Error": {"Code": "AccessDenied", "Message": "not authorized to perform sts:AssumeRole"},
                "ResponseMetadata": {"HTTPStatusCode": 403},
            }
            return AWSResponse("https://sts.invalid", 403, {}, None), body
        return None

    session.events.register("before-call.sts.AssumeRole", refuse)
    return session


def _roster_file(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER.encode("utf-8"))
    return path


def _grade(rows: list[RosterRow], lambda_medium: Assessment, seen: list[Account] | None = None) -> list[Outcome]:
    return grade_roster(
        lambda_medium,
        rows,
        Live(region=REGION, sessions=_session_factory),
        hooks=Hooks(accounts_seen=seen, keep_accounts=True),  # the shards below regrade on the same answers
    )


def _expected_earned() -> dict[str, int | None]:
    expected: dict[str, int | None] = {s: 120 for s in SHARED[:48]}
    expected.update({"s49": 0, "s50": 0, "a1": 120, "a2": 120, "a3": 120, "b1": 120, "b2": 120, "c1": None})
    for sid, (_, lost) in MISTAKES.items():
        expected[sid] = 120 - lost
    return expected


@pytest.fixture(scope="module")
def graded(classroom: None, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Outcome], list[Account], list]:
    rows, problems = read_roster(str(_roster_file(tmp_path_factory.mktemp("roster"))))
    seen: list[Account] = []
    return _grade(rows, load_assessment("lambda_medium"), seen), seen, problems


def test_the_roster_is_read_with_its_bom_crlf_and_blank_line(tmp_path: Path) -> None:
    rows, problems = read_roster(str(_roster_file(tmp_path)))
    assert [r.student_id for r in rows] == [*SHARED, "a1", "a2", "a3", "b1", "b2", "c1"]
    assert rows[SHARED.index("s01")].role_arn is None and rows[-1].role_arn == ROLE_DENIED
    assert rows[51].region == REGION and rows[50].region is None
    assert [(p.line, p.student_id) for p in problems] == [(60, "bad id!")]
    assert "bad student ID" in problems[0].reason
    _, _, repeats = read_roster_lines(str(_roster_file(tmp_path)))  # a repeated line is the same student
    assert [(r.line, r.student_id, r.first) for r in repeats] == [(59, "s05", 6)]


def test_the_class_gradebook_is_exactly_as_expected(
    graded: tuple[list[Outcome], list[Account], list], tmp_path: Path
) -> None:
    outcomes, _, _ = graded
    assert {o.student_id: (o.report.earned if o.report else None) for o in outcomes} == _expected_earned()
    denied = next(o for o in outcomes if o.student_id == "c1")
    assert denied.error == f"cannot assume {ROLE_DENIED}: AccessDenied"
    accounts = {o.student_id: o.account_id for o in outcomes}
    assert accounts["s01"] == "123456789012" and accounts["a1"] == "111111111111" and accounts["b2"] == "222222222222"
    write_gradebook(tmp_path / "gradebook.csv", outcomes, list(range(1, 13)))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "gradebook.csv").read_text())))
    assert list(rows[0]) == [
        "student_id",
        "account_id",
        "region",
        "earned",
        "possible",
        "percent",
        "passed",
        "complete",
        *[f"task_{n}" for n in range(1, 13)],
        "error",
        "note",
    ]
    by_id = {r["student_id"]: r for r in rows}
    assert by_id["s03"]["earned"] == "118" and by_id["s03"]["task_2"] == "8" and by_id["s03"]["passed"] == "true"
    assert by_id["s20"]["task_7"] == "0" and by_id["s49"]["percent"] == "0.0" and by_id["s49"]["passed"] == "false"
    assert by_id["c1"]["earned"] == "" and by_id["c1"]["complete"] == "false" and "AccessDenied" in by_id["c1"]["error"]
    assert len(rows) == 56


def test_reports_and_class_summary(graded: tuple[list[Outcome], list[Account], list], tmp_path: Path) -> None:
    outcomes, _, _ = graded
    write_reports(tmp_path, outcomes, "lambda_medium")
    assert len(list(tmp_path.glob("*.json"))) == 56
    s07 = json.loads((tmp_path / "s07.json").read_text())
    assert s07["score"]["earned"] == 110 and s07["student_id"] == "s07"
    summary = {s.number: s for s in summarize(outcomes)}
    assert (summary[12].passed, summary[12].graded) == (52, 55)
    assert summary[12].top_failure == ("t12.count", 3)
    assert summary[7].top_failure is not None and summary[7].top_failure[1] == 4


def test_a_shared_account_pays_for_its_lists_once(graded: tuple[list[Outcome], list[Account], list]) -> None:
    _, seen, _ = graded
    shared = next(a for a in seen if a.account_id == "123456789012")
    repeated = [r for r, n in Counter(shared.requests).items() if n > 1]
    assert repeated == []
    functions = sum(
        len(p["Functions"])
        for p in boto3.client("lambda", region_name=REGION).get_paginator("list_functions").paginate()
    )
    home = Counter(action for action, where in shared.requests if f".{REGION}." in where)
    alarms = len(boto3.client("cloudwatch", region_name=REGION).describe_alarms(MaxRecords=100)["MetricAlarms"])
    policies = sum(
        len(p["ScalingPolicies"])
        for p in boto3.client("application-autoscaling", region_name=REGION)
        .get_paginator("describe_scaling_policies")
        .paginate(ServiceNamespace="lambda")
    )
    assert (functions, policies) == (287, 48) and alarms == 100
    assert home["lambda:ListFunctions"] == 6  # every page once: 50 a page
    assert home["cloudwatch:DescribeAlarms"] == 2  # 141 alarms, 100 a page
    assert home["application-autoscaling:DescribeScalingPolicies"] == 5  # 10 a page
    for action in (
        "lambda:ListLayers",
        "lambda:ListEventSourceMappings",
        "sqs:ListQueues",
        "application-autoscaling:DescribeScalableTargets",
        "sts:GetCallerIdentity",
    ):
        assert home[action] == 1, action
    # The one-off look into other regions (for the two students with nothing here) included.
    per_student = len(shared.calls) / 50
    assert per_student <= 25, per_student


def test_three_shards_merge_into_the_same_gradebook(
    graded: tuple[list[Outcome], list[Account], list], tmp_path: Path, lambda_medium: Assessment
) -> None:
    outcomes, _, _ = graded
    write_gradebook(tmp_path / "one-run.csv", outcomes, list(range(1, 13)))
    rows, _ = read_roster(str(_roster_file(tmp_path)))
    # Each shard grades its students among its own classmates, on the accounts the whole run read
    # (their answers are kept: the shards are about partitioning and merging, not about reading AWS again).
    by_student = {o.student_id: o for o in outcomes}

    def opened(row: RosterRow) -> Account:
        account = by_student[row.student_id].account
        if account is None:
            raise CannotGrade(str(by_student[row.student_id].error))
        return account

    sizes = []
    for k in (1, 2, 3):
        part = [r for r in rows if in_shard(r.student_id, k, 3)]
        sizes.append(len(part))
        graded = grade_roster(lambda_medium, part, Opened(opened, region=REGION))
        write_reports(tmp_path / f"shard{k}", graded, "lambda_medium")
    assert sum(sizes) == len(rows) and all(sizes)
    merged = outcomes_from_reports([str(tmp_path / f"shard{k}") for k in (1, 2, 3)])
    write_gradebook(tmp_path / "merged.csv", merged, list(range(1, 13)))
    assert (tmp_path / "merged.csv").read_text() == (tmp_path / "one-run.csv").read_text()


def test_sharding_is_stable_and_partitions() -> None:
    ids = [f"x{n}" for n in range(200)]
    shards = [[i for i in ids if in_shard(i, k, 4)] for k in range(1, 5)]
    assert sorted(i for shard in shards for i in shard) == sorted(ids)
    assert all(25 <= len(s) <= 75 for s in shards)
    assert in_shard("s01", 2, 3) == in_shard("s01", 2, 3)


def test_the_command_line_grades_a_roster(classroom: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "small.csv"
    roster.write_text("student_id\ns01\ns03\ns49\ns03\n")
    code = main(
        [
            "lambda_medium",
            "--roster",
            str(roster),
            "--region",
            REGION,
            "--gradebook",
            str(tmp_path / "gb.csv"),
            "--report-dir",
            str(tmp_path / "reports"),
            "--format",
            "json",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0  # a repeated line is the same student, graded once: every student graded whole
    assert f"{roster}:5: s03 again (first on line 3): one student, graded once" in err
    data = json.loads(out)
    # One row per student: the repeat adds no second row an LMS could take for the grade.
    assert [s["student_id"] for s in data["students"]] == ["s01", "s03", "s49"]
    assert [s.get("score", {}).get("earned") for s in data["students"]] == [120, 118, 0]
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["s01.json", "s03.json", "s49.json"]
    gradebook = (tmp_path / "gb.csv").read_text().splitlines()
    assert len(gradebook) == 4 and [line.split(",")[0] for line in gradebook[1:]] == ["s01", "s03", "s49"]
    code = main(["merge", str(tmp_path / "reports"), "--gradebook", str(tmp_path / "merged.csv")])
    assert code == 0
    assert (tmp_path / "merged.csv").read_text().splitlines() == gradebook


@pytest.mark.parametrize(
    ("encoding", "separator", "header"),
    [
        ("utf-16", "\t", "Student ID"),  # Excel's "Unicode text"
        ("utf-8-sig", ";", "SIS Login ID"),  # a European spreadsheet's CSV
        ("utf-8", ",", "Username"),
    ],
)
def test_rosters_are_read_as_lmss_export_them(tmp_path: Path, encoding: str, separator: str, header: str) -> None:
    from checks.grading.roster import read_roster_lines

    roster = tmp_path / "export.csv"
    lines = [["Name", header, "Section"], ["Ada Łovelace", "s1", "A"], ["Grace", "s2", "B"]]
    text = "".join(separator.join(cells) + "\n" for cells in lines)
    roster.write_bytes(text.encode(encoding))
    rows, problems, _ = read_roster_lines(str(roster))
    assert problems == [] and [r.student_id for r in rows] == ["s1", "s2"]
    assert dict(rows[0].extra) == {"Name": "Ada Łovelace", "Section": "A"}


def test_the_id_column_can_be_named(tmp_path: Path) -> None:
    from checks.grading.roster import RosterError, read_roster_lines

    roster = tmp_path / "export.csv"
    roster.write_text("Name,Email,Handle\nAda,a@x,s1\n")
    with pytest.raises(RosterError, match="--id-column"):
        read_roster_lines(str(roster))
    rows, _, _ = read_roster_lines(str(roster), id_column="handle")
    assert [r.student_id for r in rows] == ["s1"]
    with pytest.raises(RosterError, match="no column 'Login'"):
        read_roster_lines(str(roster), id_column="Login")


def test_ids_that_differ_only_by_case_are_named_and_their_files_never_collide(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from checks.grading.roster import Outcome, case_twins, write_reports

    assert case_twins(["s1", "S2", "s2", "s3"]) == [("S2", "s2")]
    write_reports(tmp_path, [Outcome("S2", error="x"), Outcome("s2", error="y")], "lambda_medium")
    assert sorted(p.name.casefold() for p in tmp_path.iterdir()) == ["s2.json", "s2~2.json"]
    roster = tmp_path / "class.csv"
    roster.write_text("student_id\nS2\ns2\n")
    from moto import mock_aws

    with mock_aws():
        main(["lambda_medium", "--roster", str(roster), "--region", "us-east-1", "--format", "json"])
    err = capsys.readouterr().err
    assert f"{roster}:3: s2 and S2 (line 2) differ only by case: probably one student typed twice" in err
