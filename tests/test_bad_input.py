"""Bad input: one clear line naming the file and line, exit 2, and nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from checks.cli import main
from checks.lambda_medium import reference
from checks.report import FORMATS
from checks.roster import read_roster
from tests.conftest import REGION


@pytest.mark.parametrize(
    ("content", "line", "says"),
    [
        (b"name,region\ns1,us-east-1\n", 1, "no student_id column"),
        (b"student_id,colour\ns1,red\n", 1, "unknown column 'colour'"),
        (b"student_id,student_id\ns1,s1\n", 1, "a column is named twice"),
        (b"", None, "empty roster"),
        (b"\n\n  \n", None, "empty roster"),
        (b"student_id\ns1\n" + b"s" * (10 * 1024 * 1024) + b"\n", 3, "line of 10,485,760 characters"),
        (b"student_id\ns1\n\xff\xfe bad\n", 3, "not UTF-8 text"),
        (b'student_id\n"s1\n', 2, "not valid CSV"),
    ],
)
def test_a_broken_roster_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, line: int | None, says: str
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_bytes(content)
    gradebook = tmp_path / "gradebook.csv"
    reports = tmp_path / "reports"
    code = main(["lambda_medium", "--roster", str(roster), "--gradebook", str(gradebook), "--report-dir", str(reports)])
    err = capsys.readouterr().err
    assert code == 2
    where = f"{roster}:{line}:" if line else f"{roster}:"
    assert err.startswith(f"validate-tasks: {where}") and says in err and err.count("\n") == 1
    assert not gradebook.exists() and not reports.exists()


def test_an_unreadable_roster_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lambda_medium", "--roster", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv: cannot read it (No such file or directory)" in capsys.readouterr().err


def test_bom_crlf_and_blank_lines_are_fine(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_bytes(b"\xef\xbb\xbfStudent_ID , Region\r\n\r\ns1 , us-east-1\r\n\r\ns2,\r\n")
    rows, problems = read_roster(str(roster))
    assert problems == []
    assert [(r.student_id, r.region, r.line) for r in rows] == [("s1", "us-east-1", 3), ("s2", None, 5)]


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ("s 1,", "bad student ID 's 1'"),
        ("a/b,", "bad student ID 'a/b'"),
        ("é,", "bad student ID 'é'"),
        ("x" * 43 + ",", "bad student ID"),
        (",us-east-1", "bad student ID ''"),
        ("s1,mars-1", "bad region 'mars-1'"),
        ("s1,us-east-1,extra", "3 fields (header has 2)"),
    ],
)
def test_a_bad_row_is_named_and_the_rest_are_kept(tmp_path: Path, row: str, says: str) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(f"student_id,region\nok1,\n{row}\nok2,\n")
    rows, problems = read_roster(str(roster))
    assert [r.student_id for r in rows] == ["ok1", "ok2"]
    assert [p.line for p in problems] == [3] and says in problems[0].reason


def test_bad_role_arns_and_external_ids(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "student_id,role_arn,external_id\n"
        "s1,arn:aws:iam::12345:role/x,\n"
        "s2,,ext-123\n"
        "s3,arn:aws:iam::123456789012:role/grader,ext-123\n"
    )
    rows, problems = read_roster(str(roster))
    assert [r.student_id for r in rows] == ["s3"]
    assert [(p.line, p.reason.split(":")[0]) for p in problems] == [
        (2, "bad role_arn 'arn"),
        (3, "external_id without role_arn"),
    ]


def test_no_credential_leaves_in_any_output(
    aws: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    planted_credentials: tuple[str, ...],
) -> None:
    reference.deploy("s1", REGION)
    lam = boto3.client("lambda", region_name=REGION)
    lam.update_function_configuration(
        FunctionName="vpc-lambda-s1", MemorySize=128, Environment={"Variables": {"API_TOKEN": planted_credentials[2]}}
    )
    produced = []
    # One live grade keeps its evidence; every format is then rendered from it, which gives the same
    # report byte for byte (tests/test_formats.py) without grading the account six times over.
    live = ["lambda_medium", "--student-id", "s1", "--region", REGION]
    main([*live, "--format", "json", "--evidence", str(tmp_path / "ev-s1")])
    produced += list(capsys.readouterr())
    for fmt in FORMATS:
        main([*live, "--format", fmt, "--from-evidence", str(tmp_path / "ev-s1")])
        produced += list(capsys.readouterr())
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id\ns1\nnobody\n")
    main(
        [
            "lambda_medium",
            "--roster",
            str(roster),
            "--region",
            REGION,
            "--format",
            "json",
            "--gradebook",
            str(tmp_path / "gb.csv"),
            "--report-dir",
            str(tmp_path / "reports"),
            "--evidence",
            str(tmp_path / "ev"),
        ]
    )
    produced += list(capsys.readouterr())
    produced += [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file() and p != roster]
    everything = "\n".join(produced)
    assert "t3.env_vars" in everything and "update-function-configuration" in everything  # the env hint is there
    for secret in (*planted_credentials, "Signature=", "X-Amz-Security-Token"):
        assert secret not in everything, secret
    assert json.loads(produced[0])["score"]["earned"] < 120  # the live run graded for real


def test_evidence_never_keeps_the_presigned_url_of_a_functions_code() -> None:
    from checks.evidence import sanitize

    answer = {
        "Configuration": {"FunctionName": "rate-limited-function-s1"},
        "Code": {"RepositoryType": "S3", "Location": "https://x.s3.amazonaws.com/f?X-Amz-Signature=abc123"},
        "Concurrency": {"ReservedConcurrentExecutions": 5},
    }
    kept = sanitize(answer)
    assert kept["Code"] == {"RepositoryType": "S3", "Location": "<not kept>"}
    assert kept["Concurrency"] == {"ReservedConcurrentExecutions": 5}
