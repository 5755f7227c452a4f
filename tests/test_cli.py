"""The command line: exit codes, one-line errors, formats, and never a traceback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from checks.cli import main
from tests.conftest import CACHE, ROOT


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": "/usr/bin:/bin",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "VALIDATE_TASKS_CACHE": CACHE,
    }
    return subprocess.run(
        [sys.executable, "validate_tasks.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=base if env is None else env,
    )


@pytest.mark.parametrize("student_id", ["has space", "a/b", "é", "x" * 43, "", "s1;rm", "s1\n", "s1\r\n", " s1"])
def test_a_bad_student_id_is_refused_in_one_line(capsys: pytest.CaptureFixture[str], student_id: str) -> None:
    assert main(["lambda_medium", "--student-id", student_id]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad student ID" in err


def test_a_student_id_with_a_newline_is_refused_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STUDENT_ID", "s1\n")
    assert main(["lambda_medium"]) == 2
    assert "bad student ID 's1\\n'" in capsys.readouterr().err


def test_the_longest_student_id_is_accepted() -> None:
    from checks.cli import resolve_student_id

    assert resolve_student_id("x" * 42) == "x" * 42


def test_an_unknown_assessment_lists_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lambda_hard", "--student-id", "s1"]) == 2
    assert "unknown assessment 'lambda_hard'; known: lambda_medium, sqs_queues" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--format", "xml"], "unknown format 'xml'"),
        (["--task", "13"], "no task 13"),
        (["--pass-mark", "120"], "not a percentage"),
        (["--bogus"], "unrecognized arguments"),
        (["--task", "one"], "invalid int value"),
    ],
)
def test_bad_flags_exit_2_in_one_line(capsys: pytest.CaptureFixture[str], flags: list[str], message: str) -> None:
    try:
        code = main(["lambda_medium", "--student-id", "s1", *flags])
    except SystemExit as exc:  # argparse's own refusals
        code = int(exc.code or 0)
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_argparse_errors_exit_2() -> None:
    done = run("lambda_medium", "--bogus")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_no_student_id_and_no_terminal_exits_2() -> None:
    done = run("lambda_medium")
    assert done.returncode == 2
    assert "no student ID: pass --student-id or set STUDENT_ID" in done.stderr


def test_student_id_from_the_environment_and_no_credentials_exits_3() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "STUDENT_ID": "s1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "VALIDATE_TASKS_CACHE": CACHE,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    done = run("lambda_medium", env=env)
    assert done.returncode == 3
    assert done.stderr.strip().splitlines() == [
        "validate-tasks: no AWS credentials: run `aws configure`, set AWS_PROFILE, or pass --profile"
    ]


def test_an_unknown_profile_exits_3() -> None:
    done = run("lambda_medium", "--student-id", "s1", "--profile", "nope")
    assert done.returncode == 3 and "profile nope (from --profile) not found" in done.stderr


@pytest.mark.parametrize("flags", [["--student-id", "s1"], ["--roster", "ROSTER"]], ids=["student", "class"])
def test_an_unknown_aws_profile_variable_is_named(
    flags: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id\nux1\n")
    monkeypatch.setenv("AWS_PROFILE", "nosuch")
    code = main(["lambda_medium", "--region", "us-east-1", *[str(roster) if f == "ROSTER" else f for f in flags]])
    out, err = capsys.readouterr()
    assert code == 3
    assert "AWS profile nosuch (from $AWS_PROFILE) not found" in out + err
    assert "None" not in out + err and "Traceback" not in err


def test_no_region_exits_3() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "VALIDATE_TASKS_CACHE": CACHE,
    }
    done = run("lambda_medium", "--student-id", "s1", env=env)
    assert done.returncode == 3 and "no AWS region" in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_endpoint_that_refuses_connections_exits_3_quickly() -> None:
    started = time.monotonic()
    done = run("lambda_medium", "--student-id", "s1", "--endpoint-url", f"http://127.0.0.1:{_free_port()}")
    assert done.returncode == 3
    assert "cannot reach http://127.0.0.1:" in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < 15


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """Accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for s in held:
        s.close()
    server.close()


def test_an_endpoint_that_never_answers_exits_3_in_one_line(
    silent_endpoint: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The quick loop's version: the first call's timeouts shortened, the verdict the same."""
    import botocore.config

    from checks.aws import transport as aws

    short = aws.PREFLIGHT_CONFIG.merge(botocore.config.Config(connect_timeout=0.3, read_timeout=0.3))
    monkeypatch.setattr(aws, "PREFLIGHT_CONFIG", short)
    assert main(["lambda_medium", "--student-id", "s1", "--endpoint-url", silent_endpoint]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach http://127.0.0.1:" in err


@pytest.mark.slow
def test_an_endpoint_that_never_answers_exits_3_within_15_seconds(silent_endpoint: str) -> None:
    started = time.monotonic()
    done = run("lambda_medium", "--student-id", "s1", "--endpoint-url", silent_endpoint)
    elapsed = time.monotonic() - started
    assert done.returncode == 3, done.stderr
    assert "cannot reach" in done.stderr
    assert elapsed < 15, elapsed


def _refusing(code: str) -> type[BaseHTTPRequestHandler]:
    class Refuse(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = (
                f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
                "<Message>refused</Message></Error></ErrorResponse>"
            ).encode()
            self.send_response(403)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    return Refuse


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (
            "InvalidClientTokenId",
            "refresh them (`aws sso login`, `aws configure`) or check that region us-east-1 is "
            "enabled (opt-in regions must be enabled in the account first)",
        ),
        ("ExpiredToken", "they have expired: get new ones (`aws sso login`, or a new session token)"),
        ("SignatureDoesNotMatch", "the secret access key does not match the key ID: check `aws configure`"),
    ],
)
def test_refused_credentials_exit_3_with_one_line(code: str, says: str) -> None:
    server = HTTPServer(("127.0.0.1", 0), _refusing(code))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        done = run(
            "lambda_medium", "--student-id", "s1", "--endpoint-url", f"http://127.0.0.1:{server.server_address[1]}"
        )
    finally:
        server.shutdown()
    assert done.returncode == 3
    assert done.stderr.strip().splitlines() == [f"validate-tasks: AWS refused the credentials ({code}): {says}"]
    assert "testing" not in done.stderr


def test_demo_grades_the_built_in_account_with_no_aws_at_all(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_PROFILE": "missing"}
    done = run("lambda_medium", "--demo", "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["demo"] is True and report["student_id"] == "demo"
    assert report["score"] == {"earned": 113, "possible": 120, "percent": 94.2}
    statuses = {t["number"]: t["status"] for t in report["tasks"]}
    assert statuses[2] == statuses[7] == statuses[10] == "partial"
    failed = [c for t in report["tasks"] for c in t["checks"] if c["status"] == "fail"]
    assert sorted(c["id"] for c in failed) == ["t10.scaling_policy", "t2.memory", "t7.timeout"]
    assert all(c["hint"] and "Fix: aws " in c["hint"] for c in failed)


def test_demo_table_says_it_is_a_demo_and_output_goes_to_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.txt"
    assert main(["lambda_medium", "--demo", "--output", str(out), "--pass-mark", "95"]) == 1
    assert capsys.readouterr().out == ""
    text = out.read_text()
    assert "DEMO" in text and "Score: 113/120 (94.2 %)" in text and "NOT PASSED" in text
    assert "\x1b[" not in text


def test_task_filter_grades_only_those_tasks(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["lambda_medium", "--demo", "--format", "json", "--task", "2", "--task", "7"])
    report = json.loads(capsys.readouterr().out)
    assert [t["number"] for t in report["tasks"]] == [2, 7]
    assert report["score"] == {"earned": 16, "possible": 20, "percent": 80.0}
    assert report["tasks_graded"] == [2, 7] and report["tasks_done"] is False
    assert report["passed"] is True and code == 0  # the graded tasks' 80 % reaches the pass mark (contract.md)


def test_some_tasks_graded_say_so_and_give_no_verdict_on_the_assessment(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["lambda_medium", "--demo", "--format", "table", "--task", "2", "--pass-mark", "90"])
    out = capsys.readouterr().out
    assert code == 1  # 8/10 is under a 90 % pass mark: the exit code follows the graded tasks' score
    assert "only task 2" in out and "Graded task 2 only: 8/10" in out and "0 of 1 done" in out
    assert "PASSED" not in out and "pass mark" not in out
    assert main(["lambda_medium", "--demo", "--format", "text", "--task", "1", "--task", "3"]) == 0
    out = capsys.readouterr().out
    assert "only tasks 1, 3 graded: DONE" in out and "PASSED" not in out
    assert main(["lambda_medium", "--demo", "--format", "json"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert whole["tasks_graded"] is None and whole["tasks_done"] is None  # the whole assessment


def test_help_is_fast_and_imports_no_aws_library() -> None:
    code = (
        "import sys, contextlib, io\nfrom checks.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main(['--help'])\n    except SystemExit:\n        pass\n"
        "print(sorted(m for m in ('boto3', 'botocore', 'moto', 'rich') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("flags", "environment", "says"),
    [
        (["--region", "us-east1"], {}, "unknown region 'us-east1' (--region): did you mean us-east-1?"),
        ([], {"AWS_REGION": "eu-west-9"}, "unknown region 'eu-west-9' (AWS_REGION): did you mean eu-west-3?"),
        (["--region", "mars"], {}, "unknown region 'mars' (--region)"),
    ],
)
def test_an_unknown_region_exits_2_before_any_call(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    environment: dict[str, str],
    says: str,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # any call would fail with exit 3
    assert main(["lambda_medium", "--student-id", "s1", *flags]) == 2
    assert capsys.readouterr().err == f"validate-tasks: {says}\n"


def test_aws_region_is_honoured_before_aws_default_region(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from checks.assessments.lambda_medium import reference

    reference.deploy("s1", "eu-west-1")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # AWS_DEFAULT_REGION stays us-east-1
    main(["lambda_medium", "--student-id", "s1", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert report["region"] == "eu-west-1" and report["score"]["earned"] == 120


@pytest.mark.parametrize(
    ("argv0", "name"),
    [("/home/me/lab/validate_tasks.py", "python validate_tasks.py"), ("/venv/bin/validate-tasks", "validate-tasks")],
)
def test_help_lists_the_commands_groups_the_options_and_uses_the_name_typed(argv0: str, name: str) -> None:
    from checks.cli import build_parser, invoked_as

    assert invoked_as(argv0) == name
    text = build_parser(invoked_as(argv0)).format_help()
    assert text.startswith(f"usage: {name} ASSESSMENT [options]\n")
    for command in ("sandbox", "merge", "policy"):
        assert f"       {name} {command}" in text and f"\n  {command} " in text
    for group in ("student:", "AWS access:", "class:", "output:"):
        assert f"\n{group}\n" in text
    assert text.index("--roster") > text.index("class:") > text.index("--student-id")
    assert f"  {name} lambda_medium --demo" in text


def test_no_assessment_is_one_line_that_names_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "validate-tasks: error: name the assessment to grade, e.g. lambda_medium (see --help)\n"
    )


def test_output_json_as_the_aws_cli_writes_it_says_what_output_means(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lambda_medium", "--demo", "--output", "json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--output json names the file to write" in err and "--format json" in err


def test_the_student_id_prompt_trims_spaces_and_asks_again(capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from checks.cli import resolve_student_id

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert resolve_student_id(None, Terminal("  s1  \n")) == "s1"
    assert resolve_student_id(None, Terminal("not an id!\ns2\n")) == "s2"
    err = capsys.readouterr().err
    assert err.count("Student ID: ") == 3 and "not a student ID: use" in err


def test_no_color_sends_no_escape_byte_to_either_stream() -> None:
    """--no-color on a terminal: the spinner too (a pseudo-terminal for both streams)."""
    import os
    import pty
    import subprocess
    import sys

    from tests.conftest import ROOT

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "validate_tasks.py", "lambda_medium", "--demo", "--no-color"],
        cwd=ROOT,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    os.close(follower)
    chunks = []
    while True:  # read while it writes: a full terminal would stop it
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end closed: it has exited
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=120) == 0
    seen = b"".join(chunks)
    assert b"Score:" in seen
    assert b"\x1b" not in seen
