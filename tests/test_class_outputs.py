"""A class's outputs: every roster line in every one, natural order, regrades from partial evidence, Ctrl-C twice."""

from __future__ import annotations

import _thread
import json
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from checks.assessments.lambda_medium import reference
from checks.cli import main
from checks.grading import pipeline as roster_module
from checks.grading.pipeline import Hooks, Opened, grade_roster
from checks.grading.roster import Outcome, RosterRow, natural_key
from checks.registry import load_assessment
from tests.conftest import REGION
from tests.world import World, WorldAccount


def test_natural_order_counts_digits_as_numbers() -> None:
    ids = ["ux10", "UX3", "ux2", "ux1a", "ux1", "a"]
    assert sorted(ids, key=natural_key) == ["a", "ux1", "ux1a", "ux2", "UX3", "ux10"]


@pytest.fixture
def two_students(aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """ux2 and ux10 deployed and graded once, their evidence kept in ``tmp_path/ev``."""
    for sid in ("ux2", "ux10"):
        reference.deploy(sid, REGION)
    roster = tmp_path / "two.csv"
    roster.write_text("student_id\nux10\nux2\n")
    assert main(["lambda_medium", "--roster", str(roster), "--region", REGION, "--evidence", str(tmp_path / "ev")]) == 0
    capsys.readouterr()
    return tmp_path / "ev"


def test_every_roster_line_is_in_every_output(
    two_students: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("student_id\nux10\nux2\nbad id!\nux2\n")
    outputs: dict[str, str] = {}
    for fmt in ("json", "junit", "markdown", "text", "gradescope", "table"):
        code = main(
            ["lambda_medium", "--roster", str(roster), "--from-evidence", str(two_students), "--format", fmt]
            + (["--gradebook", str(tmp_path / "gb.csv")] if fmt == "json" else [])
            + (["--report-dir", str(tmp_path / "gradescope")] if fmt == "gradescope" else [])
        )
        assert code == 2  # a bad line; every student is graded
        out, err = capsys.readouterr()
        outputs[fmt] = out
        assert f"{roster}:5: ux2 again (first on line 3): one student, graded once" in err  # said, not a row
    students = json.loads(outputs["json"])["students"]
    assert [s["student_id"] for s in students] == ["bad id!", "ux2", "ux10"]  # natural order, one row a student
    assert students[1]["score"]["earned"] == 120 and students[2]["score"]["earned"] == 120
    assert students[0]["error"] == f"{roster}:4: bad student ID 'bad id!': use 1 to 42 letters, digits, '-' or '_'"
    gradebook = (tmp_path / "gb.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in gradebook] == ["student_id", "bad id!", "ux2", "ux10"]
    suites = [s.get("name") for s in ET.fromstring(outputs["junit"].encode()).iter("testsuite")]
    assert "bad id! / not graded" in suites
    assert ET.fromstring(outputs["junit"].encode()).get("errors") == "1"
    for fmt in ("markdown", "text", "table"):
        assert "bad id!" in outputs[fmt], fmt
    # Gradescope takes one results.json per student.
    for sid in ("ux2", "ux10"):
        assert json.loads((tmp_path / "gradescope" / sid / "results.json").read_text())["score"] == 120


def test_a_regrade_from_evidence_grades_those_it_has_and_says_so_of_the_others(
    two_students: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "more.csv"
    roster.write_text("student_id\nux2\nux3\nux10\n")
    code = main(["lambda_medium", "--roster", str(roster), "--from-evidence", str(two_students), "--format", "json"])
    students = {s["student_id"]: s for s in json.loads(capsys.readouterr().out)["students"]}
    assert code == 3  # a student could not be graded
    assert students["ux2"]["score"]["earned"] == students["ux10"]["score"]["earned"] == 120
    assert students["ux3"]["error"] == f"no evidence for ux3 in {two_students}"


def test_a_second_ctrl_c_stops_waiting_and_returns_what_is_finished(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first Ctrl-C lets the students under way finish; a second one does not wait for them."""
    release = threading.Event()
    real_grade = roster_module.grade

    def grade(assessment: Any, student: Any, **kwargs: Any) -> Any:
        if student.id == "slow":
            ctrl_c()  # the first Ctrl-C, while this student is under way
            threading.Timer(0.5, ctrl_c).start()  # and a second, while the grader waits for it
            release.wait(30)
        return real_grade(assessment, student, **kwargs)

    def ctrl_c() -> None:
        _thread.interrupt_main()  # as Ctrl-C in a terminal: KeyboardInterrupt in the main thread

    monkeypatch.setattr(roster_module, "grade", grade)
    monkeypatch.setattr(roster_module, "STUDENTS_AT_ONCE", 1)
    rows = [RosterRow(2, "done"), RosterRow(3, "slow"), RosterRow(4, "never")]
    started = time.monotonic()
    stop = threading.Event()
    try:
        outcomes: list[Outcome] = grade_roster(
            load_assessment("lambda_medium"), rows, Opened(lambda _: WorldAccount(World())), hooks=Hooks(stop=stop)
        )
    finally:
        release.set()
    assert time.monotonic() - started < 10
    assert stop.is_set()
    assert [o.student_id for o in outcomes] == ["done"]


def test_one_students_grade_stops_at_the_first_ctrl_c(monkeypatch: pytest.MonkeyPatch) -> None:
    """A roster of one has nobody else to finish: Ctrl-C ends the grade at once."""
    from checks.grading.pipeline import Opened, grade_student

    release = threading.Event()

    def grade(assessment: Any, student: Any, **kwargs: Any) -> Any:
        _thread.interrupt_main()  # as Ctrl-C in a terminal, while the student is under way
        release.wait(30)
        raise AssertionError("not reached in time")

    monkeypatch.setattr(roster_module, "grade", grade)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            grade_student(load_assessment("lambda_medium"), "s1", Opened(lambda _: WorldAccount(World())))
    finally:
        release.set()
    assert time.monotonic() - started < 10


def test_a_class_summary_counts_what_was_graded() -> None:
    """A student whose every check is an error is incomplete: not a miss, not in the mean, and said so."""
    import dataclasses
    import io
    import json as json_module

    from checks.grading.roster import ClassCounts, Outcome, summarize
    from checks.model import Report, Status, TaskStatus
    from checks.outputs import formats
    from checks.outputs.report import render_class_table
    from tests.conftest import ROOT

    sample = Report.from_dict(json_module.loads((ROOT / "tests" / "snapshots" / "sample.json").read_text()))
    read = tuple(  # the sample's one unread check read, as a fail
        dataclasses.replace(
            t,
            checks=tuple(
                dataclasses.replace(c, status=Status.FAIL) if c.status is Status.ERROR else c for c in t.checks
            ),
        )
        for t in sample.tasks
    )
    whole = dataclasses.replace(sample, student_id="s1", tasks=read)
    assert whole.complete
    errored = dataclasses.replace(
        sample,
        student_id="s2",
        tasks=tuple(
            dataclasses.replace(
                t,
                checks=tuple(dataclasses.replace(c, status=Status.ERROR, earned=0) for c in t.checks),
            )
            for t in sample.tasks
        ),
    )
    assert not errored.complete and all(t.status is TaskStatus.ERROR for t in errored.tasks)
    outcomes = [Outcome("s1", whole), Outcome("s2", errored), Outcome("s3", error="cannot assume the role")]
    summary = summarize(outcomes)
    for row, task in zip(summary, whole.tasks, strict=True):
        assert row.graded == 1  # s2's tasks were not read: no one's pass or miss
        fails = [c.id for c in task.checks if c.status is Status.FAIL]
        assert row.top_failure == ((fails[0], 1) if fails else None)
    counts = ClassCounts.of(outcomes)
    assert counts.title() == "1 graded completely, 1 incomplete, 1 not graded"
    assert counts.passing().endswith(f"mean score {whole.percent:.1f} % (of the 1 graded completely)")
    table = io.StringIO()
    render_class_table(summary, outcomes, table, color=False)
    assert "Class summary — 1 graded completely, 1 incomplete, 1 not graded" in " ".join(table.getvalue().split())
    assert "2 graded" not in table.getvalue()
    assert "## lambda_medium — 1 graded completely, 1 incomplete" in formats.markdown_class(
        "lambda_medium", outcomes, summary
    )
    assert "SUMMARY: 1 graded completely, 1 incomplete, 1 not graded;" in formats.text_class(outcomes, summary)
    whole_class = ClassCounts.of([Outcome("s1", whole)])
    assert whole_class.title() == "1 graded" and "(of the" not in whole_class.passing()
