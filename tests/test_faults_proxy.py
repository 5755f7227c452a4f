"""A faulty network between the grader and AWS: answers cut short, HTML pages, 500s, silence, an
expired token, a bad identity answer for one account of a class, and SIGTERM mid-class.

The grader runs as a student or an instructor runs it (the command line, in a process of its
own) against moto's server behind a loopback proxy that breaks chosen answers. What rests on a
broken answer is ``error`` naming the operation, never a verdict; the grade exits 3; nothing
finished is lost.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from checks.assessments.lambda_medium import reference
from checks.aws import new_session
from tests.conftest import CACHE, REGION, ROOT
from tests.faults import Fault, FaultProxy, Request

pytestmark = [pytest.mark.server, pytest.mark.slow]


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    """Two students' reference solutions (s1, s2) in one account, behind moto's server on loopback."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    session = new_session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    for sid in ("s1", "s2"):
        reference.deploy(sid, REGION, endpoint_url=url, session=session)
    yield url
    server.stop()


@pytest.fixture
def proxy(moto_server: str) -> Iterator[FaultProxy]:
    found = FaultProxy(moto_server)
    yield found
    found.close()


def _env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config"
    config.write_text(
        "[profile a]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\naws_secret_access_key = a\n"
        "[profile b]\naws_access_key_id = AKIABBBBBBBBBBBBBBBB\naws_secret_access_key = b\n"
        "[profile failing]\ncredential_process = /bin/false\n"
        "[profile loop]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = loop2\n"
        "[profile loop2]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = loop\n"
    )
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "VALIDATE_TASKS_CACHE": CACHE,
    }


def _grade(proxy: FaultProxy, tmp_path: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "validate_tasks.py", "lambda_medium", "--endpoint-url", proxy.url, *args],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _checks(report: dict[str, object]) -> dict[str, dict[str, str]]:
    return {c["id"]: c for t in report["tasks"] for c in t["checks"]}  # type: ignore[attr-defined,index,misc]


def _is(operation: str) -> object:
    return lambda r: r.is_(operation)


@pytest.mark.parametrize(
    ("kind", "operation", "action", "rests_on_it"),
    [
        ("truncated", "GetFunction", "lambda:GetFunction", ("t2.memory", "t7.timeout", "t9.prod", "t11.not_public")),
        ("html", "DescribeAlarms", "cloudwatch:DescribeAlarms", ("t12.count", "t12.errors")),
        ("expired", "GetQueueAttributes", "sqs:GetQueueAttributes", ("t5.queue", "t6.retention")),
    ],
)
def test_a_broken_answer_makes_what_rests_on_it_error_and_the_grade_exit_3(
    proxy: FaultProxy, tmp_path: Path, kind: str, operation: str, action: str, rests_on_it: tuple[str, ...]
) -> None:
    proxy.faults = [Fault(_is(operation), kind)]  # type: ignore[arg-type]
    done = _grade(proxy, tmp_path, "--student-id", "s1", "--format", "json")
    assert done.returncode == 3, done.stderr
    report = json.loads(done.stdout)
    checks = _checks(report)
    assert report["complete"] is False
    for check_id in rests_on_it:
        assert checks[check_id]["status"] == "error", checks[check_id]
        assert action in checks[check_id]["message"], checks[check_id]
    verdicts = {c["status"] for c in checks.values()}
    assert verdicts <= {"pass", "error"}, verdicts  # a complete student: nothing broken is called a fail
    assert checks["t1.layer_exists"]["status"] == "pass"  # what does not rest on it is graded
    assert not any("does not exist" in c["message"] for c in checks.values())


def test_an_html_page_after_the_identity_call_is_no_advice_to_start_over(proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.faults = [Fault(lambda r: r.target != "GetCallerIdentity", "html")]
    done = _grade(proxy, tmp_path, "--student-id", "s1", "--no-color")
    assert done.returncode == 3, done.stderr
    tail = done.stdout.split("Score:")[1]
    assert "Task 1" not in tail and "start at" not in done.stdout  # no advice to start over
    assert "Next: grade again once AWS answers" in tail and "INCOMPLETE" in tail
    assert not [line for line in done.stdout.splitlines() if line.startswith("aws ")]  # no fix to run
    assert "check the network or endpoint" in done.stdout


def test_a_burst_of_500s_is_retried_and_graded_as_usual(proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.faults = [Fault(_is("DescribeAlarms"), "500", times=2)]
    done = _grade(proxy, tmp_path, "--student-id", "s1", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["score"]["earned"] == 120


def test_silence_mid_grade_ends_within_the_grade_s_bound(proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.faults = [Fault(_is("DescribeAlarms"), "silence")]
    started = time.monotonic()
    done = _grade(proxy, tmp_path, "--student-id", "s1", "--format", "json", "--account-timeout", "6")
    took = time.monotonic() - started
    assert done.returncode == 3, done.stderr
    checks = _checks(json.loads(done.stdout))
    assert checks["t12.count"]["status"] == "error" and checks["t2.memory"]["status"] == "pass"
    assert took < 6 + 5, took  # the bound, and the process's own start


def test_a_bad_identity_answer_for_one_account_errors_its_students_alone(proxy: FaultProxy, tmp_path: Path) -> None:
    def bad_identity(r: Request) -> bool:
        return r.target == "GetCallerIdentity" and r.key.startswith("AKIAB")

    proxy.faults = [Fault(bad_identity, "html")]
    roster = tmp_path / "class.csv"
    roster.write_text("student_id,profile\ns1,a\ns2,b\nnobody,a\nc3,failing\nl4,loop\n")
    gradebook = tmp_path / "grades.csv"
    done = _grade(proxy, tmp_path, "--roster", str(roster), "--gradebook", str(gradebook), "--format", "json")
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    rows = {r["student_id"]: r for r in csv.DictReader(gradebook.open())}
    assert set(rows) == {"s1", "s2", "nobody", "c3", "l4"}
    assert rows["c3"]["earned"] == "" and rows["c3"]["error"]  # a failing credential_process: its account alone
    assert rows["l4"]["earned"] == "" and rows["l4"]["error"]  # a source_profile loop: its account alone
    assert rows["s1"]["earned"] == "120" and rows["s1"]["error"] == ""
    assert rows["s2"]["earned"] == "" and "did not answer as AWS does" in rows["s2"]["error"]
    assert rows["nobody"]["earned"] == "0"


def test_one_bad_answer_for_a_class_fills_the_error_column_and_exits_3(proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.faults = [Fault(_is("DescribeAlarms"), "truncated")]
    roster = tmp_path / "class.csv"
    roster.write_text("student_id\ns1\ns2\n")
    gradebook = tmp_path / "grades.csv"
    done = _grade(proxy, tmp_path, "--roster", str(roster), "--gradebook", str(gradebook), "--format", "text")
    assert done.returncode == 3, done.stderr
    for row in csv.DictReader(gradebook.open()):
        assert row["complete"] == "false" and row["task_12"] == "0"
        assert row["error"].startswith("incomplete: 4 check(s) could not be read, first t12.count"), row


def test_sigterm_writes_every_roster_line_and_exits_130(proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.delay = 0.5  # every answer slow: the class is under way when it is stopped
    students = [f"p{i}" for i in range(40)]
    roster = tmp_path / "class.csv"
    roster.write_text("student_id\n" + "\n".join(students) + "\n")
    gradebook = tmp_path / "grades.csv"
    running = subprocess.Popen(
        [
            sys.executable,
            "validate_tasks.py",
            "lambda_medium",
            "--endpoint-url",
            proxy.url,
            "--roster",
            str(roster),
            "--gradebook",
            str(gradebook),
            "--format",
            "text",
        ],
        cwd=ROOT,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)
    running.send_signal(signal.SIGTERM)
    out, err = running.communicate(timeout=90)
    assert running.returncode == 130, err
    rows = {r["student_id"]: r for r in csv.DictReader(gradebook.open())}
    assert set(rows) == set(students)
    interrupted = [s for s, r in rows.items() if r["error"] == "interrupted"]
    graded = [s for s, r in rows.items() if r["earned"] == "0"]
    assert interrupted and graded and len(interrupted) + len(graded) == len(students), rows
    assert f"{len(interrupted)} not graded" in err
    assert f"{len(interrupted)} not graded" in out  # the class summary says it too
