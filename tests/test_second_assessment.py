"""A second assessment, sqs_queues (tests/assessments: another package, found by its entry point), graded
through every path the command line has: the demo, one student, a roster, every format, evidence and
replay, policy, and cleanup pasted into bash against the sandbox. No engine file names it or Lambda.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tokenize
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from checks.aws import new_session
from checks.cli import main
from checks.registry import load_assessment
from tests.conftest import REGION, ROOT
from tests.test_hint_replay import student_shell  # noqa: F401  (the fixture)
from tests.test_readme_replay import sandbox  # noqa: F401  (the fixture)

NAME = "sqs_queues"


def deploy(student: str, *, visibility: int = 60) -> None:
    """The student's work as the text asks, with ``visibility`` for the orders queue."""
    assessment = load_assessment(NAME)
    assert assessment.demo is not None
    assessment.demo(student, REGION, new_session(region_name=REGION))
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=f"orders-{student}")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": str(visibility)})


def test_the_demo_grades_with_its_own_fix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([NAME, "--demo", "--format", "json"]) == 0  # 10 of 12: above the pass mark
    report = json.loads(capsys.readouterr().out)
    misses = {c["id"]: c for t in report["tasks"] for c in t["checks"] if c["status"] != "pass"}
    assert list(misses) == ["t1.visibility"]
    assert misses["t1.visibility"]["fix"]["steps"][0]["argv"][:3] == [["aws"], ["sqs"], ["set-queue-attributes"]]


def test_one_student_is_graded_on_the_account(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    deploy("s1")
    deploy("s10", visibility=30)  # a classmate whose ID starts like s1's
    assert main([NAME, "--student-id", "s1", "--region", REGION, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["score"] == {"earned": 12, "possible": 12, "percent": 100.0}
    assert main([NAME, "--student-id", "s10", "--region", REGION, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["score"]["earned"] == 10


def test_its_student_id_rule_is_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([NAME, "--demo", "--student-id", "S1"]) == 2
    assert "bad student ID 'S1': use 1 to 40 lower-case letters, digits or '-'" in capsys.readouterr().err
    assert main(["lambda_medium", "--demo", "--student-id", "S1", "--format", "json"]) in (0, 1)  # lambda's allows it


def test_a_class_in_every_format_with_evidence_and_a_regrade(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy("s1")
    deploy("s2", visibility=30)
    roster = tmp_path / "class.csv"
    roster.write_text("student_id,email\ns1,a@x\ns2,b@x\nS3,c@x\ns4,d@x\n")
    gradebook, reports, evidence = tmp_path / "grades.csv", tmp_path / "reports", tmp_path / "evidence"
    args = [NAME, "--roster", str(roster), "--region", REGION, "--gradebook", str(gradebook)]
    assert main([*args, "--report-dir", str(reports), "--evidence", str(evidence), "--format", "json"]) == 2
    out = capsys.readouterr()
    assert "class.csv:4: bad student ID 'S3': use 1 to 40 lower-case letters, digits or '-'" in out.err
    rows = {r["student_id"]: r for r in csv.DictReader(io.StringIO(gradebook.read_text()))}
    assert {k: (r["earned"], r["task_1"], r["task_2"], r["email"]) for k, r in rows.items()} == {
        "s1": ("12", "6", "6", "a@x"),
        "s2": ("10", "4", "6", "b@x"),
        "S3": ("", "", "", "c@x"),
        "s4": ("0", "0", "0", "d@x"),
    }
    assert "Nothing of s4's is deployed" in rows["s4"]["note"]
    assert sorted(p.name for p in reports.glob("*.json")) == ["s1.json", "s2.json", "s4.json"]
    for fmt in ("table", "junit", "markdown", "text", "gradescope"):
        extra = ["--report-dir", str(tmp_path / fmt)] if fmt == "gradescope" else []
        assert main([*args[:5], "--format", fmt, *extra]) == 2, fmt
        assert "s2" in capsys.readouterr().out
    # The evidence regrades offline to the same reports.
    regraded = tmp_path / "regraded"
    assert main([NAME, "--roster", str(roster), "--from-evidence", str(evidence), "--report-dir", str(regraded)]) == 2
    capsys.readouterr()
    for name in ("s1.json", "s2.json", "s4.json"):
        assert json.loads((regraded / name).read_text()) == json.loads((reports / name).read_text())


def test_its_policy_is_what_its_checks_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", NAME]) == 0
    statement = json.loads(capsys.readouterr().out)["Statement"][0]
    assert statement["Action"] == ["ec2:DescribeRegions", "sqs:GetQueueAttributes", "sqs:ListQueues"]


@pytest.mark.server
def test_cleanup_pasted_removes_exactly_one_students_queues(
    sandbox: tuple[str, io.StringIO],  # noqa: F811
    student_shell: Callable[[str], None],  # noqa: F811
    aws: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deploy("s1")
    deploy("s10")
    assert main(["cleanup", NAME, "--student-id", "s1", "--region", REGION]) == 0
    block = capsys.readouterr().out
    assert "aws sqs delete-queue" in block and "orders-s10" not in block
    student_shell(block)
    queues = sorted(u.rsplit("/", 1)[-1] for u in boto3.client("sqs", region_name=REGION).list_queues()["QueueUrls"])
    assert queues == ["orders-dlq-s10", "orders-s10"]
    assert main([NAME, "--student-id", "s1", "--region", REGION, "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["diagnosis"]["kind"] == "nothing_deployed"


# -- the engine names neither assessment nor the service one of them grades ------------------------------
# Service knowledge lives with its reader (checks/aws/readers.py) and the kit for assessments over a service
# (checks/kit/); the stand-in's gap fills (checks/standin/gap_fills.py) and the benchmark (checks/bench*.py,
# which measures lambda_medium) are not the engine, nor are the assessments (checks/assessments/).
NOT_ENGINE = {"checks/aws/readers.py", "checks/standin/gap_fills.py", "checks/bench.py", "checks/bench_accounts.py"}
NOT_ENGINE_FOLDERS = {ROOT / "checks" / "assessments", ROOT / "checks" / "kit"}


def engine_files() -> list[Path]:
    return [
        p
        for p in sorted((ROOT / "checks").rglob("*.py"))
        if str(p.relative_to(ROOT)) not in NOT_ENGINE and not NOT_ENGINE_FOLDERS & set(p.parents)
    ]


def test_no_engine_file_names_an_assessment_or_lambda() -> None:
    found = []
    for path in engine_files():
        with path.open(encoding="utf-8") as f:
            for tok in tokenize.generate_tokens(f.readline):
                if tok.type == tokenize.NAME and tok.string == "lambda":
                    continue  # Python's keyword
                if re.search(r"lambda|sqs_queues", tok.string, re.I):
                    found.append(f"{path.relative_to(ROOT)}:{tok.start[0]}: {tok.string[:60]}")
    assert found == []
    assert len(engine_files()) > 20
