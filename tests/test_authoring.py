"""What a course author meets: README "Add an assessment" followed as written, the kit, and an assessment's
rules travelling with it rather than living in the process.

The README's ``hello_lambda`` (built on the kit: a function with a variable, and a queue) is written out
as printed, installed by its entry point, and graded every way: its contract, --demo, one student, a
roster, every format, policy, and an empty account followed to full marks through bash, the AWS CLI
and the sandbox.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from checks.cli import main
from tests.conftest import REGION, ROOT
from tests.test_hint_catalogue import managed_policies  # noqa: F401  (the fixture)
from tests.test_hint_replay import student_shell  # noqa: F401  (the fixture)
from tests.test_readme_replay import sandbox  # noqa: F401  (the fixture)

TEXT = "# Hello, Lambda\n\n## Task 1: The function\n\nMake hello-<id>.\n\n## Task 2: The inbox\n\nMake inbox-<id>.\n"


def _section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme[readme.index("### Add an assessment") : readme.index("## Tests\n")]


def write_course(folder: Path) -> Path:
    """The course's package as README "Add an assessment" prints it, installed as ``pip install -e .`` would."""
    section = _section()
    files = re.findall(r"^`([\w/]+\.py)`:\n\n```python\n(.*?)```", section, re.S | re.M)
    assert [name for name, _ in files] == [
        "hello_lambda/__init__.py",
        "hello_lambda/common.py",
        "hello_lambda/task1_function.py",
        "hello_lambda/task2_inbox.py",
    ]
    for name, code in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(code)
    (folder / "README_hello_lambda.md").write_text(TEXT)
    toml = re.search(r"```toml\n(.*?)```", section, re.S)
    assert toml is not None
    found = re.fullmatch(r'\[project\.entry-points\."([\w.]+)"\]\n(\w+ = "[\w.:]+")\n', toml.group(1))
    assert found is not None
    group, point = found.groups()
    info = folder / "hello_lambda-1.0.dist-info"  # what `pip install -e .` leaves
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hello-lambda\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n{point.replace(chr(34), '')}\n")
    return folder


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = write_course(tmp_path / "course")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.chdir(folder)
    importlib.invalidate_caches()
    yield folder
    for name in [m for m in sys.modules if m == "hello_lambda" or m.startswith("hello_lambda.")]:
        del sys.modules[name]


def test_the_readme_uses_only_the_authoring_api_and_the_kit() -> None:
    imported = set(re.findall(r"^from (checks[\w.]*) import", _section(), re.M))
    api = {"checks.registry", "checks.student", "checks.model", "checks.fix", "checks.iam", "checks.teardown"}
    assert imported <= api | {"checks.kit", "checks.kit.functions", "checks.kit.queues"}, imported


@pytest.mark.slow
def test_its_contract_holds_from_the_courses_own_folder(course: Path) -> None:
    import os

    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{course}"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "validate_tasks.py"), "contract", "hello_lambda"],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 passed" in done.stdout and "lambda_medium" not in done.stdout  # that assessment alone


def test_it_is_graded_every_way(course: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from moto import mock_aws

    with mock_aws():
        grade = ["hello_lambda", "--student-id", "s1", "--region", REGION]
        assert main([*grade, "--format", "json"]) == 1
        empty = json.loads(capsys.readouterr().out)
        assert empty["score"]["earned"] == 0 and empty["diagnosis"]["kind"] == "nothing_deployed"
        assert main([*grade, "--format", "table", "--no-color"]) == 1  # every format of it: its contract
        assert "s1" in capsys.readouterr().out
        roster = course / "class.csv"
        roster.write_text("student_id\ns1\ns2\n")
        gradebook = course / "grades.csv"
        argv = ["hello_lambda", "--roster", str(roster), "--gradebook", str(gradebook), "--region", REGION]
        assert main([*argv, "--format", "json"]) == 0  # every student graded completely
        capsys.readouterr()
        rows = list(csv.DictReader(io.StringIO(gradebook.read_text())))
        assert [(r["student_id"], r["earned"], r["possible"]) for r in rows] == [("s1", "0", "10"), ("s2", "0", "10")]
    assert main(["hello_lambda", "--demo", "--student-id", "s1", "--format", "json"]) == 1
    demo = json.loads(capsys.readouterr().out)
    assert [c["id"] for t in demo["tasks"] for c in t["checks"] if c["status"] == "pass"] == ["t1.function"]
    assert main(["policy", "hello_lambda"]) == 0
    actions = json.loads(capsys.readouterr().out)["Statement"][0]["Action"]
    assert "lambda:GetFunction" in actions and "sqs:GetQueueAttributes" in actions and "iam:GetRole" in actions


def test_a_missing_function_is_made_whole_with_the_kit(course: Path) -> None:
    """create_function gives every setting the assessment checks: one fix, not a fix and then two more."""
    from moto import mock_aws

    from checks.aws import new_session
    from checks.grading.runner import grade
    from checks.registry import load_assessment

    assessment = load_assessment("hello_lambda")
    with mock_aws():
        account = assessment.account_type()(new_session(region_name=REGION), REGION)
        account.identify()
        report = grade(assessment, assessment.student(account, "s1"))
    (missing,) = [c for c in report.checks() if c.id == "t1.function"]
    assert missing.remedy is not None
    made = missing.remedy.render()
    for needed in ("iam create-role", "lambda create-function", "--memory-size 256", "Variables={GREETING=hello}"):
        assert needed in made, made


def _every_fix(report: Any) -> str:
    from tests.test_hint_catalogue import _how_to_fix

    return _how_to_fix(dataclasses.replace(report, diagnosis=None), {})


@pytest.mark.slow
@pytest.mark.server
def test_an_empty_account_reaches_full_marks_by_its_printed_fixes(
    course: Path,
    sandbox: tuple[str, io.StringIO],  # noqa: F811
    student_shell: Callable[[str], None],  # noqa: F811
    managed_policies: None,  # noqa: F811
    aws: None,
) -> None:
    from checks.registry import load_assessment
    from tests.conftest import grade_in_process
    from tests.test_hint_catalogue import _two_rounds_to_full_marks

    assessment = load_assessment("hello_lambda")
    report, _ = grade_in_process(assessment, "s1")
    assert report.earned == 0
    _two_rounds_to_full_marks(report, _every_fix, student_shell, assessment)


# -- what an assessment brings travels with it ---------------------------------------------------------
def test_busy_rules_are_the_assessments_not_the_processs() -> None:
    """Loading lambda_medium changes no other report's block: the waits come from the report's own rules."""
    from checks.fix import aws, settled
    from checks.kit.functions import FUNCTION_BUSY
    from checks.registry import load_assessment

    load_assessment("lambda_medium")  # once, the rules were declared into the process here
    timeout = aws("lambda", "update-function-configuration", "--function-name", "f", "--timeout", 5)
    memory = aws("lambda", "update-function-configuration", "--function-name", "f", "--memory-size", 256)
    assert [f.render() for f in settled([timeout, memory])] == [timeout.render(), memory.render()]
    waited = settled([timeout, memory], (FUNCTION_BUSY,))
    assert all(f.render().startswith("aws lambda wait function-updated-v2 --function-name f && ") for f in waited)


def test_an_assessment_brings_a_reader_for_a_service_the_engine_does_not_read() -> None:
    from checks.aws import account_type
    from checks.aws.transport import Transport

    class KinesisReader(Transport, service="kinesis", not_found=("ResourceNotFoundException",)):
        def streams(self) -> list[str]:
            return list(self.paginate("kinesis", "ListStreams", "StreamNames"))

    with pytest.raises(ValueError, match="no reader reads 'kinesis'"):
        account_type({"kinesis", "sqs"}, ())  # the engine's own readers alone: none for it
    composed = account_type({"kinesis", "sqs"}, (KinesisReader,))
    assert issubclass(composed, KinesisReader) and hasattr(composed, "queues")
