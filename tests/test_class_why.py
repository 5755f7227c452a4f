"""A class's outputs say why a student scored what they did, and a class is never lost to its inputs.

Graded in memory (``tests/world.py``): one student's work is in another region, one has nothing
deployed, one is complete. The gradebook, the class table, Markdown, text, JUnit and Gradescope
each carry the diagnosis; an LMS export's columns and a repeated line are kept as an LMS needs them.
"""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checks.cli import main
from checks.grading.pipeline import Hooks, Opened, grade_roster
from checks.grading.roster import read_roster_lines, summarize, write_gradebook
from checks.outputs.report import write_class
from checks.registry import load_assessment
from tests.world import WorldAccount, reference_world

ASSESSMENT = load_assessment("lambda_medium")
SNAPSHOTS = Path(__file__).parent / "snapshots"
LMS_ROSTER = (
    "Student_ID,Name,Email,Section\n"
    "s1,Ada Lovelace,ada@example.edu,A\n"
    "away,Grace Hopper,grace@example.edu,B\n"
    'new,=HYPERLINK("x"),new@example.edu,B\n'
    "s1,Ada Lovelace,ada@example.edu,A\n"
)


def _snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.fixture
def outcomes(tmp_path: Path) -> list:  # type: ignore[type-arg]
    world = reference_world()
    world.elsewhere["eu-west-1"] = ["layer-consumer-away", "vpc-lambda-away"]  # away's work: another region
    roster = tmp_path / "class.csv"
    roster.write_text(LMS_ROSTER)
    rows, problems, repeats = read_roster_lines(str(roster))
    assert problems == [] and [(r.line, r.student_id, r.first) for r in repeats] == [(5, "s1", 2)]
    graded = grade_roster(
        ASSESSMENT, rows, Opened(lambda row: WorldAccount(world)), hooks=Hooks(finish_under_way=False)
    )
    extra = {r.student_id: r.extra for r in rows}
    from dataclasses import replace

    return [replace(o, extra=extra[o.student_id]) for o in graded]


def test_the_gradebook_of_an_lms_roster_keeps_its_columns_and_says_why(outcomes: list, tmp_path: Path) -> None:  # type: ignore[type-arg]
    path = tmp_path / "grades.csv"
    write_gradebook(path, outcomes, [t.number for t in ASSESSMENT.tasks])
    text = path.read_text()
    _snapshot("lms-roster.gradebook.csv", text)
    rows = {r["student_id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {"s1", "away", "new"}  # the repeated line is one student: one row
    assert rows["away"]["note"] == "Nothing of away's is in us-east-1: your functions are in eu-west-1."
    assert rows["new"]["note"] == "Nothing of new's is deployed in us-east-1 yet: start at Task 1."
    assert rows["s1"]["note"] == "" and rows["s1"]["earned"] == "120"
    assert rows["away"]["Name"] == "Grace Hopper" and rows["s1"]["Section"] == "A"
    assert rows["new"]["Name"].startswith("'=")  # an LMS column is a cell like any other: never a formula


def test_every_class_format_says_why(outcomes: list) -> None:  # type: ignore[type-arg]
    away = "Nothing of away's is in us-east-1: your functions are in eu-west-1."
    rendered = {}
    for fmt in ("table", "markdown", "text", "junit", "gradescope", "json"):
        out = io.StringIO()
        write_class(ASSESSMENT.name, outcomes, summarize(outcomes), fmt, out, color=False)
        rendered[fmt] = out.getvalue()
    _snapshot("class-diagnoses.table", rendered["table"])
    assert "in eu-west-1" in rendered["table"] and "start at Task 1" in rendered["table"]
    assert away.replace("'", "'") in rendered["markdown"].replace("\\", "")
    assert f"DIAGNOSIS: {away}" in rendered["text"]
    junit = ET.fromstring(rendered["junit"].split("\n", 1)[1])
    said = {p.get("value") for p in junit.iter("property") if p.get("name") == "diagnosis"}
    assert away in said
    assert away in json.dumps(json.loads(rendered["gradescope"]))
    assert away in rendered["json"]


def test_junit_names_are_stable_from_run_to_run(outcomes: list) -> None:  # type: ignore[type-arg]
    out = io.StringIO()
    write_class(ASSESSMENT.name, outcomes, summarize(outcomes), "junit", out, color=False)
    root = ET.fromstring(out.getvalue().split("\n", 1)[1])

    def names(sid: str) -> list[str]:
        return [str(c.get("name")) for c in root.iter("testcase") if str(c.get("classname")).split(".")[1] == sid]

    # A complete student and one with nothing deployed: the same names, no points or verdicts in them.
    assert names("s1") == names("new") and "t2.memory: MemorySize 256" in names("s1")


def test_a_bad_region_in_a_roster_line_gets_did_you_mean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("student_id,region\ns1,us-east1\n")
    gradebook = tmp_path / "grades.csv"
    assert main(["lambda_medium", "--roster", str(roster), "--gradebook", str(gradebook)]) == 2
    err = capsys.readouterr().err
    assert f"{roster}:2: unknown region 'us-east1' (region column): did you mean us-east-1?" in err
    assert "did you mean us-east-1?" in next(csv.DictReader(gradebook.open()))["error"]


def test_merge_names_a_missing_shard(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from checks.grading.roster import SHARD_FILE

    for k in (1, 3):
        folder = tmp_path / f"shard{k}"
        folder.mkdir()
        (folder / SHARD_FILE).write_text(json.dumps({"shard": k, "of": 3}))
        (folder / f"x{k}.json").write_text(
            json.dumps({"schema_version": 1, "student_id": f"x{k}", "error": "not graded", "tasks": []})
        )
    code = main(["merge", str(tmp_path / "shard1"), str(tmp_path / "shard3")])
    assert code == 3
    assert "incomplete merge: shard 2 of 3 missing" in capsys.readouterr().err


def test_every_place_a_class_writes_is_ready_before_grading(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("student_id\ns1\n")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code = main(["lambda_medium", "--roster", str(roster), "--gradebook", str(blocker / "grades.csv")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--gradebook" in err  # said before any grading
    nested = tmp_path / "new" / "folder"
    assert main(["lambda_medium", "--demo", "--output", str(nested / "report.txt"), "--format", "text"]) == 0
    assert (nested / "report.txt").read_text().startswith("lambda_medium validation report")


FAILURES = [
    (["nope"], 2),
    (["lambda_medium", "--student-id", "bad id"], 2),
    (["lambda_medium", "--demo", "--region", "us-east1"], 2),
    (["lambda_medium", "--demo", "--pass-mark", "nan"], 2),
    (["lambda_medium", "--demo", "--task", "99"], 2),
    (["lambda_medium", "--demo", "--format", "pdf"], 2),
    (["lambda_medium", "--student-id", "s1", "--endpoint-url", "127.0.0.1:4566"], 2),
    (["lambda_medium", "--roster", "/nonexistent/class.csv"], 2),
    (["lambda_medium", "--roster", "class.csv", "--watch"], 2),
    (["lambda_medium", "--demo", "--watch"], 2),
    (["lambda_medium", "--demo", "--output", "/"], 2),
    (["lambda_medium", "--evidence", "x", "--from-evidence", "x", "--demo"], 2),
    (["lambda_medium", "--from-evidence", "/nonexistent"], 2),
    (["lambda_medium", "--gradebook", "g.csv", "--demo"], 2),
    (["lambda_medium", "--student-id", "s1", "--profile", "no-such-profile", "--region", "us-east-1"], 3),
    (["merge", "/nonexistent"], 2),
    (["policy", "nope"], 2),
    (["sandbox", "--port", "70000"], 2),
    (["lambda_medium", "--bogus"], 2),
]


@pytest.mark.parametrize(("argv", "code"), FAILURES, ids=[" ".join(a) for a, _ in FAILURES])
def test_every_failure_the_command_line_knows_is_one_line(
    argv: list[str], code: int, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "class.csv").write_text("student_id\ns1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    try:
        found = main(argv)
    except SystemExit as exit:  # argparse's own refusals
        found = int(exit.code or 0)
    err = capsys.readouterr().err
    assert found == code and found != 1, (found, err)
    assert err.count("\n") == 1 and "Traceback" not in err, err


def test_an_unreadable_aws_config_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.write_text("[default\nregion = us")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert main(["lambda_medium", "--student-id", "s1", "--region", "us-east-1"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot read {config}" in err


def test_running_without_the_requirements_is_one_line() -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    stub = "import sys, runpy; sys.modules['boto3'] = None; runpy.run_path('validate_tasks.py', run_name='__main__')"
    done = subprocess.run(
        [sys.executable, "-c", stub, "lambda_medium", "--demo"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3 and done.stderr.count("\n") == 1, done.stderr
    assert "boto3 is not installed here: run `pip install -r requirements.txt`" in done.stderr


def test_a_moto_older_than_the_demo_needs_is_one_line_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import moto

    from checks.standin import gap_fills as moto_gaps

    monkeypatch.setattr(moto, "__version__", "5.1.9")
    monkeypatch.setattr(moto_gaps, "_installed", False)
    assert main(["lambda_medium", "--demo"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "moto 5.1.9 is older than the 5.2 the demo and the sandbox need" in err


def test_the_demo_without_the_stand_in_says_which_extra_brings_it() -> None:
    """A student who installed the package alone (no "sandbox" extra) grades real accounts; --demo says how."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    stub = "import sys, runpy; sys.modules['moto'] = None; runpy.run_path('validate_tasks.py', run_name='__main__')"
    done = subprocess.run(
        [sys.executable, "-c", stub, "lambda_medium", "--demo"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3 and done.stderr.count("\n") == 1, done.stderr
    assert 'pip install "validate-tasks[sandbox]"' in done.stderr


def test_a_sharded_and_merged_lms_roster_is_the_one_run_gradebook_byte_for_byte(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every roster line (a bad ID's too) and every column (the LMS's own) survive the shards and the merge."""
    from checks.assessments.lambda_medium import reference

    reference.deploy("s1", "us-east-1")  # graded on task 1 alone: the lines and columns are what is compared
    roster = tmp_path / "class.csv"
    roster.write_text("student_id,SIS User ID,Section\ns1,1001,A\nbad id!,1002,A\ns2,1003,B\ns3,1004,B\n")
    run = ["lambda_medium", "--roster", str(roster), "--region", "us-east-1", "--format", "json", "--task", "1"]
    assert main([*run, "--gradebook", str(tmp_path / "one.csv")]) == 2  # the bad line, said as in any run
    for k in (1, 2):
        main([*run, "--shard", f"{k}/2", "--report-dir", str(tmp_path / f"shard{k}")])
    merged = tmp_path / "merged.csv"
    argv = ["merge", str(tmp_path / "shard1"), str(tmp_path / "shard2"), "--roster", str(roster)]
    assert main([*argv, "--gradebook", str(merged), "--format", "json"]) == 2
    capsys.readouterr()
    assert merged.read_bytes() == (tmp_path / "one.csv").read_bytes()
    rows = list(csv.DictReader(io.StringIO(merged.read_text())))
    by_id = {r["student_id"]: r for r in rows}
    assert sorted(by_id) == ["bad id!", "s1", "s2", "s3"]
    assert by_id["s1"]["SIS User ID"] == "1001" and by_id["bad id!"]["Section"] == "A"
    assert by_id["bad id!"]["error"].startswith(f"{roster}:3: ")  # said once: no "not graded: not graded"


def test_merge_without_the_roster_writes_no_gradebook_when_a_shard_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from checks.grading.roster import SHARD_FILE

    folder = tmp_path / "shard1"
    folder.mkdir()
    (folder / SHARD_FILE).write_text(json.dumps({"shard": 1, "of": 2}))
    (folder / "x1.json").write_text(json.dumps({"schema_version": 1, "student_id": "x1", "error": "e", "tasks": []}))
    gradebook = tmp_path / "grades.csv"
    assert main(["merge", str(folder), "--gradebook", str(gradebook)]) == 3
    assert not gradebook.exists()
    assert "no gradebook written (merge with --roster to name who is missing)" in capsys.readouterr().err
    roster = tmp_path / "class.csv"
    roster.write_text("student_id\nx1\nx2\n")
    assert main(["merge", str(folder), "--gradebook", str(gradebook), "--roster", str(roster)]) == 3
    rows = {r["student_id"]: r for r in csv.DictReader(io.StringIO(gradebook.read_text()))}
    assert rows["x2"]["error"] == "missing from the shards"
