"""The registry matches the rubric, and is built safely."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

from checks.registry import RegistryError, TaskInfo, assessment, check, known_assessments, load_assessment
from tests.conftest import ROOT

# Every check id of lambda_medium_rubric.md with its points: the product's contract.
RUBRIC = {
    "t1.layer_exists": 5,
    "t1.runtime": 4,
    "t1.description": 1,
    "t2.function_exists": 3,
    "t2.runtime": 1,
    "t2.memory": 2,
    "t2.uses_layer": 4,
    "t3.function_exists": 2,
    "t3.memory": 1,
    "t3.in_vpc": 2,
    "t3.multi_az": 2,
    "t3.security_group": 2,
    "t3.env_vars": 1,
    "t4.function_exists": 1,
    "t4.memory": 1,
    "t4.max_event_age": 1,
    "t4.retry_attempts": 1,
    "t4.on_success": 2,
    "t4.on_failure": 2,
    "t4.queues": 2,
    "t5.queue": 2,
    "t5.queue_settings": 1,
    "t5.function_exists": 1,
    "t5.memory": 1,
    "t5.mapping": 2,
    "t5.batching": 1,
    "t5.partial_failures": 2,
    "t6.queue": 2,
    "t6.retention": 1,
    "t6.attached": 3,
    "t6.processor": 2,
    "t6.processor_trigger": 2,
    "t7.function_exists": 3,
    "t7.reserved": 5,
    "t7.timeout": 2,
    "t8.layer": 6,
    "t8.role_policy": 4,
    "t9.version": 2,
    "t9.prod": 3,
    "t9.staging": 3,
    "t9.canary": 2,
    "t10.provisioned": 4,
    "t10.scalable_target": 3,
    "t10.scaling_policy": 3,
    "t11.cross_account": 8,
    "t11.not_public": 2,
    "t12.count": 4,
    "t12.errors": 2,
    "t12.duration": 2,
    "t12.throttles": 2,
}


def test_lambda_medium_has_every_rubric_check_with_its_points() -> None:
    a = load_assessment("lambda_medium")
    assert {c.id: c.points for c in a.checks()} == RUBRIC
    assert a.points == 120
    assert [t.number for t in a.tasks] == list(range(1, 13))
    assert all(t.points == 10 for t in a.tasks)
    for t in a.tasks:
        assert all(c.id.startswith(f"t{t.number}.") for c in t.checks)


def test_assessments_are_discovered_by_folder_and_by_entry_point() -> None:
    from checks import assessment_folders

    assert assessment_folders() == ["lambda_medium"]
    assert known_assessments() == ["lambda_medium", "sqs_queues"]  # sqs_queues: another package's entry point
    assert load_assessment("sqs_queues").name == "sqs_queues"
    with pytest.raises(KeyError):
        load_assessment("lambda_hard")


def test_an_entry_point_that_cannot_load_is_one_line_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from checks.cli import main

    info = tmp_path / "broken-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[validate_tasks.assessments]\nbroken = no_such_module:ASSESSMENT\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["broken", "--demo"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the assessment broken (no_such_module:ASSESSMENT) cannot be loaded" in err


def _module(name: str, number: int, *ids: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.TASK = TaskInfo(number, name, name)  # type: ignore[attr-defined]
    for i, check_id in enumerate(ids):
        setattr(module, f"c{i}", check(check_id, 1, check_id, reads=("lambda:ListFunctions",))(lambda s: None))
    return module


def test_a_duplicate_check_id_is_refused() -> None:
    with pytest.raises(RegistryError, match=r"duplicate check id 't1\.a'"):
        assessment("x", "x", "README.md", [_module("one", 1, "t1.a"), _module("two", 2, "t1.a")])


def test_a_task_without_checks_is_refused() -> None:
    with pytest.raises(RegistryError, match="defines no checks"):
        assessment("x", "x", "README.md", [_module("empty", 1)])


def test_importing_the_checks_makes_no_aws_call() -> None:
    code = (
        "import botocore.endpoint\n"
        "def refuse(*a, **k):\n    raise SystemExit('an AWS request was sent on import')\n"
        "botocore.endpoint.Endpoint.make_request = refuse\n"
        "from checks.registry import load_assessment\n"
        "a = load_assessment('lambda_medium')\n"
        "import checks.cli, checks.grading.runner, checks.outputs.report\n"
        "print(len(a.checks()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "50"


def test_the_readmes_add_a_check_example_runs_as_written() -> None:
    """README "Add a check": its code, in its task's module, is a check that passes and fails with a fix."""
    import re

    from checks.assessments.lambda_medium import task05_sqs_trigger
    from checks.registry import CheckSpec
    from tests.conftest import ROOT
    from tests.world import reference_world, student_of

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Add a check") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    namespace = dict(vars(task05_sqs_trigger))
    exec(re.sub(r"^ {3}", "", code.group(1), flags=re.M), namespace)  # the README indents it in a list item
    visibility = namespace["visibility"]
    assert isinstance(visibility.__check__, CheckSpec) and visibility.__check__.reads
    world = reference_world()
    assert visibility(student_of(world)).passed
    world.queue("task-queue")["VisibilityTimeout"] = "30"
    verdict = visibility(student_of(world))
    assert not verdict.passed and verdict.fix is not None
    assert "set-queue-attributes" in verdict.fix.render() and "VisibilityTimeout=300" in verdict.fix.render()


def test_the_readmes_map_of_the_code_names_every_module() -> None:
    """README "How it is built": every file it draws exists, and every module of the engine is drawn."""
    import re

    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## How it is built") : readme.index("### Add a check")]
    drawn = re.search(r"```\n(.*?)```", section, re.S)
    assert drawn is not None
    named: set[str] = set()
    folder = ""
    for line in drawn.group(1).splitlines():
        head = line[:29].strip()
        if not head:
            continue
        for part in [p.strip() for p in head.split(",") if p.strip()]:
            if part.endswith("/") and line.startswith("  "):
                named.add(folder + part)  # a folder within the folder above
            elif part.endswith("/"):
                folder = part
                named.add(part)
            elif line.startswith("  "):
                named.add(folder + part)
            else:
                named.add(part if "/" in part or (ROOT / part).exists() else f"checks/{part}")
                folder = part.rsplit("/", 1)[0] + "/" if "/" in part else folder
    assert all((ROOT / n).exists() for n in named), sorted(n for n in named if not (ROOT / n).exists())
    engine = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "checks").rglob("*.py")
        if p.name != "__init__.py" and "assessments" not in p.relative_to(ROOT).parts
    }
    assert engine - named == set()
    folders = {str(p.parent.relative_to(ROOT)) + "/" for p in (ROOT / "checks").glob("*/__init__.py")}
    assert folders - named == set()  # every folder of the package is drawn
