"""What a hostile classmate can put in a shared account reaches every output as data.

Hostile text (newlines, ESC and OSC sequences, rich markup, quotes, ``$( )``, backticks, ``;``,
``|``, ``<img>``, formula prefixes, non-ASCII, a bidi override) goes into every field of the
account the grader prints: environment variables, alarm, group, policy and statement names, a
layer's description, and a class's error line. One student and a class are graded (in memory)
and rendered in every format: each parses, no ESC byte of the account's reaches any of them,
rich markup prints as written, and the pasted "How to fix" block runs nothing but ``aws``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checks.aws import CannotGrade
from checks.grading.pipeline import Hooks, Opened, grade_roster
from checks.grading.roster import FORMULA_START, RosterRow, summarize, write_gradebook
from checks.grading.runner import grade
from checks.model import Report
from checks.outputs.report import FORMATS, render_table, write, write_class
from checks.registry import load_assessment
from tests.world import SG, SID, WorldAccount, reference_world, student_of

ASSESSMENT = load_assessment("lambda_medium")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # colour and weight: the only escape sequence the grader writes


def hostile(where: Path) -> str:
    """Everything a value can carry to do harm, with commands that would leave a file in ``where``."""
    return (
        "v\n# [/]\x1b]0;pwned\x07\x1b[31m[bold green]PASS [link=file:///etc/passwd]x[/] "
        f"$(echo pwned > {where}/dollar) `echo pwned > {where}/backtick`; echo pwned > {where}/semicolon | "
        "<img src=x onerror=alert(1)> =1+2 'q\" é\r\nSUMMARY: 120/120\u202e\n[PASS] Task 99: forged\x9b31m"
    )


def hostile_world(value: str):  # type: ignore[no-untyped-def]
    world = reference_world()
    world.fn("vpc-lambda")["Environment"]["Variables"]["VPC_ID"] = value  # t3.env_vars: a finding
    world.alarms[0]["AlarmName"] = "oops[/]" + value  # t12: passing messages, the thresholds note
    world.alarms[0]["Threshold"] = 7.0
    world.layers[f"common-utils-layer-{SID}"]["Description"] = value  # t1.description: a passing message
    world.security_groups[SG]["GroupName"] = value  # t3.security_group: a finding
    world.add_permission(f"layer-consumer-{SID}", value, "*")  # t11.not_public: a finding and its fix
    world.scaling_policies[0]["PolicyName"] = value  # t10.scaling_policy: a finding
    world.scaling_policies[0]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] = 0.5
    return world


@pytest.fixture
def report(tmp_path: Path) -> Report:
    return grade(ASSESSMENT, student_of(hostile_world(hostile(tmp_path))))


def _single(report: Report, fmt: str, color: bool | None = False) -> str:
    out = io.StringIO()
    if fmt == "table":
        render_table(report, out, color=color, width=200)
    else:
        write(report, fmt, out, color=color)
    return out.getvalue()


def _no_escape_of_theirs(text: str, *, color: bool) -> None:
    left = SGR.sub("", text) if color else text
    assert "\x1b" not in left and "\x07" not in left and "\x9b" not in left and "\u202e" not in left


def test_the_hostile_values_reach_the_report(report: Report) -> None:
    failing = {c.id for c in report.checks() if c.status.value == "fail"}
    assert {"t3.env_vars", "t3.security_group", "t11.not_public", "t10.scaling_policy"} <= failing
    messages = " ".join(c.message for c in report.checks())
    assert "pwned" in messages and "oops[/]" in messages


def _parses(text: str, fmt: str) -> None:
    """No escape of the account's in the output, and a machine format still parses as its kind."""
    _no_escape_of_theirs(text, color=False)
    if fmt in ("json", "gradescope"):
        json.loads(text)
    if fmt == "junit":
        ET.fromstring(text.split("\n", 1)[1])


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_of_one_student_parses_and_carries_no_escape_of_theirs(report: Report, fmt: str) -> None:
    text = _single(report, fmt)
    _parses(text, fmt)
    if fmt == "markdown":
        _markdown_holds(text)
    if fmt == "text":
        _text_holds(text)
    if fmt == "table":
        assert "[bold green]PASS" in text and "[link=file:///etc/passwd]x[/]" in text  # printed as written
        assert "oops[/]" in text


def test_the_coloured_table_has_no_escape_but_its_own_colours(report: Report) -> None:
    text = _single(report, "table", color=True)
    assert SGR.search(text)  # it is coloured
    _no_escape_of_theirs(text, color=True)
    assert "\x1b]8;" not in text  # no hyperlink made of [link=...]


def test_the_json_report_reads_back_whole(report: Report) -> None:
    assert Report.from_dict(json.loads(_single(report, "json"))) == report


def _markdown_holds(text: str) -> None:
    assert "<img" not in text and "<br>" not in text.split("<details>")[0]
    for line in text.splitlines():
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) in (5, 6), line  # no table broken by a value's |
        if line.startswith(("- ", "  <br>")):
            assert not re.search(r"(?<!\\)[<>]", line.replace("<br>", "")), line


def _text_holds(text: str) -> None:
    tagged = [line for line in text.splitlines() if re.match(r"\s*\[(PASS|FAIL|ERROR|SKIP|NOTE)\]", line)]
    for line in tagged:
        assert re.match(r"(\[\w+\] Task \d+: |    \[\w+\] t\d+\.\w+: |    \[NOTE\] )", line), line
    assert [line for line in text.splitlines() if line.startswith("SUMMARY:")] == [text.splitlines()[-1]]


def _how_to_fix(report: Report) -> str:
    out = io.StringIO()
    render_table(report, out, color=False, width=100)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# How to fix"))
    return "\n".join(lines[start : lines.index("", start)]) + "\n"


def test_the_pasted_block_runs_nothing_but_aws(report: Report, tmp_path: Path) -> None:
    """The block pasted into bash, with `aws` the only command there is: it records its arguments."""
    block = _how_to_fix(report)
    assert "\x1b" not in block
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "aws.log"
    (bin_dir / "aws").write_text(f'#!/bin/bash\nprintf "%s\\0" "$@" >> {log}\nprintf "\\n\\0" >> {log}\necho x\n')
    (bin_dir / "aws").chmod(0o755)
    variables = {
        "PATH": str(bin_dir),
        "TRUSTED_ACCOUNT_ID": "111122223333",
        "ROLE_ARN": "arn:aws:iam::123456789012:role/r",
        "VPC_ID": "vpc-1",
        "SUBNET_A": "subnet-1",
        "SUBNET_B": "subnet-2",
        "SG_ID": "sg-1",
    }
    ran = subprocess.run(
        ["/bin/bash", "--noprofile", "--norc"], input=block, env=variables, text=True, capture_output=True
    )
    assert ran.returncode == 0, (ran.stderr, block)
    assert not list(tmp_path.glob("dollar")) and not list(tmp_path.glob("backtick"))
    assert not list(tmp_path.glob("semicolon"))
    commands = [c.split("\0")[:-1] for c in log.read_bytes().decode().split("\n\0") if c]
    removed = next(c for c in commands if c[:2] == ["lambda", "remove-permission"])
    assert removed[removed.index("--statement-id") + 1] == hostile(tmp_path)  # the statement's ID, one word, exact


def test_a_class_in_every_format_and_its_gradebook(tmp_path: Path) -> None:
    value = hostile(tmp_path)
    world = hostile_world(value)

    def opener(row: RosterRow) -> WorldAccount:
        if row.profile == "broken":
            raise CannotGrade("cannot assume a role: " + value)
        return WorldAccount(world)

    rows = [RosterRow(2, SID, profile="ok"), RosterRow(3, "s2", profile="broken")]
    outcomes = grade_roster(ASSESSMENT, rows, Opened(opener), hooks=Hooks(finish_under_way=False))
    assert outcomes[1].error and "pwned" in outcomes[1].error and "\n" not in outcomes[1].error
    for fmt in FORMATS:
        out = io.StringIO()
        write_class(ASSESSMENT.name, outcomes, summarize(outcomes), fmt, out, color=False)
        text = out.getvalue()
        _parses(text, fmt)
        if fmt == "markdown":
            assert "<img" not in text
        if fmt == "text":
            summaries = [line for line in text.splitlines() if line.startswith("SUMMARY:")]
            assert len(summaries) == 2  # the student's own, and the class's: none of the account's
    gradebook = tmp_path / "grades.csv"
    write_gradebook(gradebook, outcomes, [t.number for t in ASSESSMENT.tasks])
    raw = gradebook.read_text()
    _no_escape_of_theirs(raw, color=False)
    rows_read = list(csv.reader(io.StringIO(raw)))
    assert len(rows_read) == 3  # the header and one line a student: no value started a line of its own
    for row in rows_read[1:]:
        assert not any(cell.startswith(FORMULA_START) for cell in row), row


def test_a_cell_that_would_start_a_formula_is_text_in_the_gradebook(tmp_path: Path) -> None:
    from checks.grading.roster import Outcome

    outcomes = [Outcome(f"s{i}", error=start + 'HYPERLINK("x")') for i, start in enumerate(FORMULA_START)]
    path = tmp_path / "grades.csv"
    write_gradebook(path, outcomes, [1])
    for row in csv.DictReader(path.open()):
        assert not row["error"].startswith(FORMULA_START), row  # = + - @: prefixed; tab, CR: shown escaped
        assert row["error"].startswith(("'", "\\t", "\\r")), row
