"""Bad input: one clear line naming the file and line, exit 2, and nothing half-written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import boto3
import pytest

from checks.assessments.lambda_medium import reference
from checks.cli import main
from checks.grading.roster import read_roster
from checks.outputs.report import FORMATS
from tests.conftest import REGION


@pytest.mark.parametrize(
    ("content", "line", "says"),
    [
        (b"name,region\ns1,us-east-1\n", 1, "no student_id column"),
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
    from checks.aws import NOT_KEPT
    from checks.grading.evidence import sanitize

    answer = {
        "Configuration": {"FunctionName": "rate-limited-function-s1"},
        "Code": {"RepositoryType": "S3", "Location": "https://x.s3.amazonaws.com/f?X-Amz-Signature=abc123"},
        "Concurrency": {"ReservedConcurrentExecutions": 5},
    }
    kept = sanitize(answer, NOT_KEPT["lambda"])  # what Lambda's reader declares
    assert kept["Code"] == {"RepositoryType": "S3", "Location": "<not kept>"}
    assert kept["Concurrency"] == {"ReservedConcurrentExecutions": 5}


@pytest.mark.parametrize(
    "flags",
    [
        ["--pass-mark", "nan"],
        ["--pass-mark", "inf"],
        ["--watch", "nan"],
        ["--watch", "inf"],
        ["--watch", "-1"],
        ["--watch", "0"],
        ["--account-timeout", "nan"],
        ["--account-timeout", "inf"],
        ["--account-timeout", "0"],
        ["--account-timeout", "-5"],
    ],
)
def test_numbers_on_the_command_line_are_finite_and_positive(
    flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lambda_medium", "--demo", *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("validate-tasks: ") and err.count("\n") == 1 and flags[0] in err


@pytest.mark.parametrize("flag", ["--gradebook", "--output"])
def test_an_output_naming_the_roster_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("student_id\ns1\n")
    link = tmp_path / "same.csv"
    link.symlink_to(roster)  # the same file under another name
    assert main(["lambda_medium", "--roster", str(roster), flag, str(link)]) == 2
    err = capsys.readouterr().err
    assert "is the file --roster names" in err and err.count("\n") == 1
    assert roster.read_text() == "student_id\ns1\n"


def _crafted(tmp_path: Path, content: str) -> Path:
    folder = tmp_path / "evidence"
    (folder / "students").mkdir(parents=True)
    (folder / "accounts").mkdir()
    (folder / "students" / "s1.json").write_text(content)
    return folder


@pytest.mark.parametrize(
    "pointer",
    [
        "[" * 100_000,  # nesting deeper than any parser keeps
        '{"schema_version": 1, "account": 7, "graded_at": "x", "duration_s": 1}',  # a wrong type
        '{"schema_version": 1, "graded_at": "x"}',  # fields missing
        '{"schema_version": 1, "account": "a.json", "graded_at": "x", "duration_s": 1}',  # names a missing file
    ],
)
def test_crafted_evidence_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pointer: str
) -> None:
    folder = _crafted(tmp_path, pointer)
    assert main(["lambda_medium", "--from-evidence", str(folder), "--student-id", "s1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("validate-tasks: ") and err.count("\n") == 1, err


@pytest.mark.parametrize(
    "account",
    [
        {"schema_version": 1, "account_id": "123456789012", "region": "us-east-1", "answers": {"k": 5}},
        {"schema_version": 1, "account_id": ["x"], "region": "us-east-1", "answers": {}},
        {"schema_version": 1, "account_id": "123456789012", "region": "us-east-1\n", "answers": {}},
    ],
)
def test_a_crafted_account_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], account: dict[str, object]
) -> None:
    pointer = {"schema_version": 1, "account": "a.json", "graded_at": "x", "duration_s": 1}
    folder = _crafted(tmp_path, json.dumps(pointer))
    (folder / "accounts" / "a.json").write_text(json.dumps(account))
    assert main(["lambda_medium", "--from-evidence", str(folder), "--student-id", "s1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("validate-tasks: ") and err.count("\n") == 1, err


@pytest.mark.parametrize(
    "report",
    [
        "{" * 100_000,
        '{"schema_version": 1, "student_id": "s1", "tasks": [{"number": "one"}]}',
        '{"schema_version": 1, "student_id": "s1", "tasks": [7]}',
        '{"schema_version": 1, "student_id": "s1", "tasks": [{"number": 1, "title": "t", "checks": [{"id": 1}]}]}',
        '{"schema_version": 1, "student_id": "s1", "assessment": "a", "account_id": "1", "region": "r", '
        '"graded_at": "g", "duration_s": "slow", "pass_mark": 70, '
        '"tasks": [{"number": 1, "title": "t", "checks": []}]}',
    ],
)
def test_a_crafted_merge_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], report: str
) -> None:
    folder = tmp_path / "shard"
    folder.mkdir()
    (folder / "s1.json").write_text(report)
    assert main(["merge", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("validate-tasks: ") and err.count("\n") == 1, err


def test_two_evidence_runs_into_one_folder_keep_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "evidence"
    live = {}
    for sid in ("a1", "b2"):
        main(["lambda_medium", "--demo", "--student-id", sid, "--evidence", str(folder), "--format", "json"])
        live[sid] = json.loads(capsys.readouterr().out)
    assert len(list((folder / "accounts").glob("*.json"))) == 2
    for sid in ("a1", "b2"):
        main(["lambda_medium", "--from-evidence", str(folder), "--student-id", sid, "--format", "json"])
        again = json.loads(capsys.readouterr().out)
        assert again["score"] == live[sid]["score"] and again["tasks"] == live[sid]["tasks"]


def test_a_file_is_never_written_through_a_planted_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The target replaced, never followed; a temporary name already taken (a planted link) is skipped."""
    import tempfile

    from checks.grading.roster import write_atomically

    victim = tmp_path / "victim"
    victim.write_text("keep")
    target = tmp_path / "grades.csv"
    target.symlink_to(victim)
    names = iter(["planted", "fresh"])
    monkeypatch.setattr(tempfile, "_get_candidate_names", lambda: names)
    (tmp_path / ".grades.csv.planted.tmp").symlink_to(victim)
    (tmp_path / f".grades.csv.tmp{os.getpid()}").symlink_to(victim)  # the name a predictable scheme would take
    write_atomically(target, "new")
    assert victim.read_text() == "keep"
    assert not target.is_symlink() and target.read_text() == "new"
