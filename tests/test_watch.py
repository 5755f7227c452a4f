"""--watch: regrade in place while the student works, saying what changed; Ctrl-C leaves the last report."""

from __future__ import annotations

import io
from typing import Any

import boto3
import pytest

from checks.assessments.lambda_medium import reference
from checks.cli import main
from checks.outputs.watch import CLEAR, changes, watch
from tests.conftest import REGION
from tests.test_formats import sample_report


def _fixed(report: Any) -> Any:
    """The sample report with its failing t1.runtime passing."""
    from dataclasses import replace

    from checks.model import Status

    t1 = report.tasks[0]
    check = replace(t1.checks[1], status=Status.PASS, earned=t1.checks[1].points, hint=None)
    return replace(report, tasks=(replace(t1, checks=(t1.checks[0], check)), *report.tasks[1:]))


def test_changes_name_what_moved_passes_first() -> None:
    before, after = sample_report(), _fixed(sample_report())
    assert changes(None, after) == []
    assert changes(before, after) == ["✓ t1.runtime now passes (+4)"]
    assert changes(after, before) == ["✗ t1.runtime no longer passes (-4): MemorySize 128 (want 256)"]
    assert changes(before, before) == []


def test_each_round_clears_the_screen_and_ctrl_c_keeps_the_last_report() -> None:
    reports = iter([sample_report(), _fixed(sample_report())])
    slept: list[float] = []

    def grade_once() -> Any:
        try:
            return next(reports)
        except StopIteration:
            raise KeyboardInterrupt from None

    out = io.StringIO()
    last = watch(
        grade_once, lambda r, o: o.write(f"[report {r.earned}]\n"), out, 5, sleep=slept.append, clock=lambda: "T"
    )
    text = out.getvalue()
    assert last is not None and last.earned == 9
    assert text.count(CLEAR) == 2 and slept == [5, 5]
    assert "Since the last grade:\n  ✓ t1.runtime now passes (+4)\n\n[report 9]" in text
    assert text.endswith("stopped watching; the report above is the last grade\n")


def test_the_command_watches_a_fix_land(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reference.deploy("s1", REGION)
    lam = boto3.client("lambda", region_name=REGION)
    lam.update_function_configuration(FunctionName="layer-consumer-s1", MemorySize=128)
    naps: list[float] = []

    def student_works(seconds: float) -> None:  # between rounds, the student runs the printed fix
        naps.append(seconds)
        if len(naps) == 1:
            lam.update_function_configuration(FunctionName="layer-consumer-s1", MemorySize=256)
        else:
            raise KeyboardInterrupt

    monkeypatch.setattr("checks.outputs.watch.pause", student_works)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    code = main(["lambda_medium", "--student-id", "s1", "--region", REGION, "--watch", "3"])
    out = capsys.readouterr().out
    assert code == 0 and naps == [3, 3]
    assert "✓ t2.memory now passes (+2)" in out
    assert out.rstrip().endswith("stopped watching; the report above is the last grade")
    assert out.rsplit(CLEAR, 1)[1].count("Score: 120/120") == 1


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--watch"], "--watch regrades in place on a terminal; stdout is not one (grade once instead)"),
        (["--watch", "1"], "--watch SECONDS must be at least 2"),
        (["--watch", "5", "--format", "json"], "--watch shows the table: leave out --format"),
        (["--watch", "5", "--output", "r.txt"], "--watch regrades your account on the terminal: leave out --output"),
    ],
)
def test_watch_is_refused_in_one_line_where_it_cannot_work(
    flags: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lambda_medium", "--student-id", "s1", *flags]) == 2
    assert capsys.readouterr().err == f"validate-tasks: {says}\n"


def test_watch_finds_credentials_once_and_says_in_one_line_when_there_are_none(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from checks.aws import transport

    made: list[object] = []
    real = transport.session_for

    def counted(*args: object, **kwargs: object) -> object:
        made.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(transport, "session_for", counted)
    monkeypatch.setattr("checks.aws.session_for", counted)
    rounds: list[float] = []

    def two_rounds(seconds: float) -> None:
        rounds.append(seconds)
        if len(rounds) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("checks.outputs.watch.pause", two_rounds)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert main(["lambda_medium", "--student-id", "s1", "--region", REGION, "--watch", "3"]) == 1
    assert len(rounds) == 2 and len(made) == 1  # two grades, one session (an SSO or MFA prompt once)
    capsys.readouterr()
    assert main(["lambda_medium", "--student-id", "s1", "--profile", "nope", "--watch", "3"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("validate-tasks: AWS profile nope (from --profile) not found")


def test_an_80_by_24_frame_keeps_what_changed_the_score_and_next_on_screen() -> None:
    """Two rounds on a 24-line terminal: each frame fits, with what changed, the score and Next: all on it."""
    import io
    import os
    from pathlib import Path

    from checks.grading.runner import grade
    from checks.outputs.report import render_table
    from checks.outputs.watch import CLEAR, watch
    from checks.registry import load_assessment
    from tests.world import reference_world, student_of

    assessment = load_assessment("lambda_medium")
    worlds = [reference_world(), reference_world()]
    for world in worlds:  # many misses: a report far longer than the screen
        world.fn("layer-consumer")["MemorySize"] = 128
        world.fn("rate-limited-function")["Timeout"] = 3
        world.alarms.clear()
        world.invoke_configs.clear()
    worlds[1].fn("layer-consumer")["MemorySize"] = 256  # the student's fix between the rounds
    reports = iter([grade(assessment, student_of(w)) for w in worlds])
    out = io.StringIO()
    watch(
        lambda: next(reports),
        lambda r, o: render_table(r, o, color=False, width=80),
        out,
        10,
        rounds=2,
        sleep=lambda _: None,
        clock=lambda: "12:00:00",
        height=lambda: 24,
    )
    frames = [f for f in out.getvalue().split(CLEAR) if f]
    assert len(frames) == 2
    for frame in frames:
        lines = frame.rstrip("\n").splitlines()
        assert len(lines) <= 23 and all(len(line) <= 80 for line in lines), frame
        assert any(line.startswith("Score:") for line in lines) and any(line.startswith("Next:") for line in lines)
    assert "✓ t2.memory now passes (+2)" in frames[1] and "more lines: grade once without --watch" in frames[1]
    path = Path(__file__).parent / "snapshots" / "watch.80x24"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(frames[1], encoding="utf-8")
    assert frames[1] == path.read_text(encoding="utf-8")
