"""Every report format, parsed back by a real parser; snapshots; --no-hints; evidence and regrade."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import boto3
import pytest

from checks.assessments.lambda_medium import reference
from checks.cli import main
from checks.fix import aws, json_word
from checks.grading.roster import Outcome, summarize
from checks.kit.functions import FUNCTION_BUSY
from checks.model import CheckResult, Report, Status, TaskResult
from checks.outputs import formats
from checks.outputs.report import FORMATS, write, write_class
from checks.registry import Assessment
from tests.conftest import REGION, grade_in_process

SNAPSHOTS = Path(__file__).parent / "snapshots"


def sample_report() -> Report:
    """A fixed report with every status, for snapshots."""
    hint = "MemorySize 128 (want 256).\nFix: aws lambda update-function-configuration --memory-size 256\nSee X."
    t1 = TaskResult(
        1,
        "Lambda layer",
        "Task 1: Layer",
        (
            CheckResult("t1.layer_exists", "Layer exists", 5, 5, Status.PASS, "layer common-utils-layer-s1", None),
            CheckResult(
                "t1.runtime",
                "python3.12",
                4,
                0,
                Status.FAIL,
                "MemorySize 128 (want 256)",
                hint,
                aws("lambda", "update-function-configuration", "--memory-size", 256),
                see="See X.",
            ),
        ),
        ("subnets are public",),
    )
    t7 = TaskResult(
        7,
        "Reserved concurrency",
        "Task 7: Reserved",
        (
            CheckResult(
                "t7.reserved",
                "Reserved 5",
                5,
                0,
                Status.BLOCKED,
                "account concurrency quota is 10",
                "account concurrency quota is 10.\nSee X.",
                see="See X.",
            ),
            CheckResult(
                "t7.timeout",
                "Timeout",
                2,
                0,
                Status.ERROR,
                "lambda:ListFunctions: AccessDeniedException",
                "The grader could not read this: lambda:ListFunctions: AccessDeniedException.\nSee X.",
                lead="The grader could not read this: lambda:ListFunctions: AccessDeniedException.",
                see="See X.",
            ),
        ),
    )
    return Report(
        "lambda_medium",
        "s1",
        "123456789012",
        "us-east-1",
        "2026-11-28T13:00:00Z",
        1.42,
        70.0,
        (t1, t7),
        missing_actions=("lambda:ListFunctions",),
    )


def render(report: Report, fmt: str) -> str:
    out = io.StringIO()
    write(report, fmt, out, color=False)
    return out.getvalue()


@pytest.mark.parametrize("fmt", FORMATS)
def test_snapshot(fmt: str) -> None:
    text = render(sample_report(), fmt) if fmt != "table" else _table(sample_report())
    path = SNAPSHOTS / f"sample.{fmt}"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def _table(report: Report) -> str:
    from checks.outputs.report import render_table

    out = io.StringIO()
    render_table(report, out, color=False, width=110)
    return out.getvalue()


def check_junit(text: str, report: Report) -> None:
    root = ET.fromstring(text.encode())
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == len(report.tasks)
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(report.checks()) == int(root.get("tests", "-1"))
    by_status = {s: [c for c in report.checks() if c.status is s] for s in Status}
    assert len(root.findall(".//failure")) == len(by_status[Status.FAIL]) == int(root.get("failures", "-1"))
    assert len(root.findall(".//error")) == len(by_status[Status.ERROR]) == int(root.get("errors", "-1"))
    assert len(root.findall(".//skipped")) == len(by_status[Status.BLOCKED]) == int(root.get("skipped", "-1"))
    for suite in suites:
        assert int(suite.get("tests", "0")) == len(suite.findall("testcase"))
        assert int(suite.get("failures", "0")) == len(suite.findall(".//failure"))
    for case, check in zip(cases, report.checks(), strict=True):
        assert case.get("classname", "").startswith(f"{report.assessment}.{report.student_id}.task")
        assert case.get("name", "").startswith(check.id + ":")
        failure = case.find("failure")
        if failure is not None:
            assert failure.get("message") == check.message and failure.text == check.hint


def check_gradescope(text: str, report: Report) -> None:
    data = json.loads(text)
    assert isinstance(data["score"], int | float) and data["score"] == report.earned
    assert data["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
    assert len(data["tests"]) == len(report.checks())
    for test in data["tests"]:
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["score"], int | float) and isinstance(test["max_score"], int | float)
        assert 0 <= test["score"] <= test["max_score"] or test["max_score"] == 0
        assert test.get("status", "passed") in ("passed", "failed")
        assert test["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
        assert isinstance(test["output"], str)
    assert sum(t["score"] for t in data["tests"]) == data["score"]
    assert sum(t["max_score"] for t in data["tests"]) == report.possible


def test_sample_report_parses_back() -> None:
    report = sample_report()
    check_junit(render(report, "junit"), report)
    check_gradescope(render(report, "gradescope"), report)
    assert json.loads(render(report, "json")) == report.to_dict()


@pytest.mark.parametrize("broken", [None, "memory"])
def test_real_reports_parse_back(aws: None, lambda_medium: Assessment, broken: str | None) -> None:
    reference.deploy("s1", REGION)
    if broken:
        boto3.client("lambda", region_name=REGION).update_function_configuration(
            FunctionName="layer-consumer-s1", MemorySize=128
        )
    report, _ = grade_in_process(lambda_medium, "s1")
    check_junit(render(report, "junit"), report)
    check_gradescope(render(report, "gradescope"), report)
    md = render(report, "markdown")
    assert md.startswith("## lambda_medium — s1") and f"**{report.earned}/120" in md
    assert ("t2.memory" in md) == bool(broken)
    text = render(report, "text")
    assert "\x1b[" not in text
    assert text.strip().splitlines()[-1].startswith(f"SUMMARY: {report.earned}/120 points")
    assert text.count("[PASS]") + text.count("[FAIL]") == len(report.tasks) + len(report.checks())


def test_no_hints_leaves_every_hint_and_note_out() -> None:
    bare = sample_report().without_hints()
    for fmt in FORMATS:
        text = render(bare, fmt) if fmt != "table" else _table(bare)
        assert "Fix:" not in text and "See X" not in text and "subnets are public" not in text, fmt
        assert "update-function-configuration" not in text, fmt  # nor the fix's command, as data
    assert all(c.hint is None for c in bare.checks())
    assert [c.message for c in bare.checks()] == [c.message for c in sample_report().checks()]


def test_markdown_for_a_large_class_stays_under_one_mebibyte() -> None:
    report = sample_report()
    outcomes = [
        Outcome(sid, replace(report, student_id=sid)) for sid in (f"student-{n:05d}-{'x' * 30}" for n in range(20000))
    ]
    text = formats.markdown_class("lambda_medium", outcomes, summarize(outcomes))
    assert len(text.encode()) < 1024 * 1024
    assert "more students: see the gradebook" in text
    small = formats.markdown_class("lambda_medium", outcomes[:3], summarize(outcomes[:3]))
    assert small.count("student-") == 3


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_a_class(fmt: str) -> None:
    outcomes = [Outcome("s1", sample_report()), Outcome("s2", error="cannot assume arn:...: AccessDenied")]
    out = io.StringIO()
    write_class("lambda_medium", outcomes, summarize(outcomes), fmt, out, color=False)
    text = out.getvalue()
    assert "s1" in text and ("s2" in text or fmt == "junit")
    if fmt == "junit":
        ET.fromstring(text.encode())
    if fmt in ("json", "gradescope"):
        json.loads(text)


def test_text_report_goes_where_the_old_workflow_expects_it(tmp_path: Path) -> None:
    log = tmp_path / "test_report.log"
    assert main(["lambda_medium", "--demo", "--format", "text", "--output", str(log)]) == 0
    content = log.read_text()
    assert content.startswith("lambda_medium validation report (DEMO account)")
    assert "[FAIL] Task 2: Function using the layer (8/10)" in content
    assert "SUMMARY: 113/120 points (94.2%), 9/12 tasks passed - PASSED (pass mark 70%)" in content


def test_evidence_regrades_offline_to_the_same_report(
    aws: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    planted_credentials: tuple[str, ...],
) -> None:
    reference.deploy("s1", REGION)
    lam = boto3.client("lambda", region_name=REGION)
    lam.update_function_configuration(FunctionName="vpc-lambda-s1", MemorySize=128)
    config = lam.get_function_configuration(FunctionName="vpc-lambda-s1")
    lam.update_function_configuration(
        FunctionName="vpc-lambda-s1",
        Environment={"Variables": {**config["Environment"]["Variables"], "DB_PASSWORD": "hunter2-very-secret"}},
    )
    evidence = tmp_path / "evidence"
    assert (
        main(
            ["lambda_medium", "--student-id", "s1", "--region", REGION, "--format", "json", "--evidence", str(evidence)]
        )
        == 0
    )
    live = capsys.readouterr().out
    # Offline: any AWS request now fails loudly.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    assert main(["lambda_medium", "--from-evidence", str(evidence), "--format", "json"]) == 0
    regraded = capsys.readouterr().out
    assert regraded == live
    assert json.loads(live)["score"]["earned"] == 119
    kept = "".join(p.read_text() for p in evidence.rglob("*.json"))
    for secret in (*planted_credentials, "hunter2-very-secret", "Signature=", "Authorization"):
        assert secret not in kept and secret not in live


def test_evidence_of_a_roster_regrades_every_student(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for sid in ("s1", "s2"):
        reference.deploy(sid, REGION)
    boto3.client("lambda", region_name=REGION).delete_function(FunctionName="dlq-processor-s2")
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id\ns1\ns2\ns3\n")
    args = ["lambda_medium", "--roster", str(roster), "--region", REGION, "--format", "json"]
    assert main([*args, "--evidence", str(tmp_path / "ev")]) == 0
    live = capsys.readouterr().out
    assert len(list((tmp_path / "ev" / "accounts").glob("*.json"))) == 1
    assert main([*args, "--from-evidence", str(tmp_path / "ev")]) == 0
    assert capsys.readouterr().out == live
    assert [s["score"]["earned"] for s in json.loads(live)["students"]] == [120, 116, 0]


def test_missing_evidence_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lambda_medium", "--from-evidence", str(tmp_path), "--student-id", "s1"]) == 2
    assert f"{tmp_path}: no evidence here" in capsys.readouterr().err


def test_evidence_that_lacks_the_student_or_their_answers_is_one_line_and_exit_2(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference.deploy("s1", REGION)
    evidence = tmp_path / "ev"
    assert main(["lambda_medium", "--student-id", "s1", "--region", REGION, "--evidence", str(evidence)]) == 0
    capsys.readouterr()
    assert main(["lambda_medium", "--from-evidence", str(evidence), "--student-id", "s9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{evidence}: no evidence for student s9" in err
    for kept in (evidence / "accounts").glob("*.json"):
        kept.unlink()
    assert main(["lambda_medium", "--from-evidence", str(evidence), "--student-id", "s1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read it" in err


def long_fix_report() -> Report:
    """The sample report, one of whose fixes is a chain with a long quoted document no space can break."""
    document = {"OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:123456789012:lambda-success-queue-s1"}}
    remedy = aws(
        "lambda", "publish-version", "--function-name", "async-processor-s1", "--description", "the one to keep"
    ).then(
        aws(
            "lambda",
            "put-function-event-invoke-config",
            "--function-name",
            "async-processor-s1",
            "--maximum-retry-attempts",
            1,
            "--maximum-event-age-in-seconds",
            3600,
            "--destination-config",
            json_word(document),
        )
    )
    report = sample_report()
    check = replace(
        report.tasks[0].checks[1], hint=f"MemorySize 128 (want 256).\nFix: {remedy.render()}\nSee X.", remedy=remedy
    )
    tasks = (replace(report.tasks[0], checks=(report.tasks[0].checks[0], check)), report.tasks[1])
    return replace(report, tasks=tasks, busy=(FUNCTION_BUSY,))  # lambda_medium's rule: its block waits by it


def _rendered(report: Report, width: int | None) -> str:
    """The table at a terminal's width, or piped (``None``: no terminal, rich's own width)."""
    from checks.outputs.report import render_table, write

    out = io.StringIO()
    if width is None:
        write(report, "table", out)
    else:
        render_table(report, out, color=False, width=width)
    return out.getvalue()


def _how_to_fix_block(text: str) -> str:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# How to fix"))
    end = lines.index("", start)
    return "\n".join(lines[start + 1 : end]) + "\n"


@pytest.mark.parametrize("width", [80, 120, None], ids=["80-columns", "120-columns", "piped"])
def test_every_fix_is_whole_lines_outside_the_table_at_any_width(width: int | None) -> None:
    """Each fix command is a line of its own, or lines continued with `` \\``; bash parses the block whole."""
    report = long_fix_report()
    text = _rendered(report, width)
    path = SNAPSHOTS / f"long-fix.table.{width or 'piped'}"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert all("aws " not in line for line in text.splitlines() if "│" in line)  # no command in a cell
    block = _how_to_fix_block(text)
    joined = re.sub(r"\s+", " ", block.replace(" \\\n", " "))
    for check in report.checks():
        if check.fix:
            assert check.fix in joined, (check.id, block)
    for line in block.splitlines():
        assert line.startswith("#") or line.startswith("aws ") or line.startswith("    "), line
        if width:
            assert len(line) <= width or "'" in line, line  # only a quoted document longer than the width
    parsed = subprocess.run(["bash", "-n"], input=block, text=True, capture_output=True)
    assert parsed.returncode == 0, parsed.stderr


def test_piped_output_is_the_80_column_rendering() -> None:
    assert _rendered(long_fix_report(), None) == _rendered(long_fix_report(), 80)


def test_pasteable_breaks_only_between_words_outside_quotes() -> None:
    from checks.fix import pasteable

    remedy = aws("lambda", "publish-layer-version", "--layer-name", "l-s1").keep("LayerVersionArn", "LAYER")
    fix = remedy.then(aws("x", "y", "--a", "b --c d", "--e", "f")).render()
    lines = pasteable(remedy.then(aws("x", "y", "--a", "b --c d", "--e", "f")).words(), 30, indent="")
    assert (
        lines[0]
        == "LAYER=$(aws lambda publish-layer-version --layer-name l-s1 --query LayerVersionArn --output text) && \\"
    )
    assert lines[1:] == ["    aws x y --a 'b --c d' \\", "    --e f > /dev/null"]
    assert re.sub(r" \\\n\s*", " ", "\n".join(lines)) == fix


def test_the_command_line_knows_the_built_in_formats_without_loading_the_reporters() -> None:
    from checks.cli import BUILT_IN_FORMATS

    assert BUILT_IN_FORMATS == FORMATS


def test_no_hints_keeps_every_finding_whole_in_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    """Exam mode leaves hints out, never the findings: what the table cuts is said whole below it."""
    import html

    assert main(["lambda_medium", "--demo", "--no-hints", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    findings = [c["message"] for t in report["tasks"] for c in t["checks"] if c["status"] != "pass"]
    assert any(len(f) > 40 for f in findings)  # long enough for an 80-column table to cut
    for fmt in FORMATS:
        assert main(["lambda_medium", "--demo", "--no-hints", "--no-color", "--format", fmt]) == 0
        out = capsys.readouterr().out
        shown = " ".join(html.unescape(out).split())  # a terminal's lines wrap where they must
        for finding in findings:
            assert " ".join(finding.split()) in shown or json.dumps(finding)[1:-1] in out, (fmt, finding)
