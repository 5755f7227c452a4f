"""Plain-text report formats: JUnit XML, Markdown, Gradescope JSON, and the course's text layout.

Each renders the finished result model (one :class:`~checks.model.Report`, or a
class of :class:`~checks.grading.roster.Outcome`) to a string; none talks to AWS.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree as ET

from checks.model import CheckResult, Report, Status, TaskResult
from checks.text import json_text

MARKDOWN_LIMIT = 1024 * 1024 - 4096  # GitHub's step summary takes at most 1 MiB


# -- JUnit XML ----------------------------------------------------------------------------
# What XML 1.0 cannot carry at all, even escaped: replaced, so that every report parses.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(element: ET.Element) -> None:
    """Every attribute and text of ``element`` and below, with characters XML cannot carry replaced."""
    for node in element.iter():
        for key, value in node.attrib.items():
            node.set(key, _NOT_XML.sub("\ufffd", value))
        if node.text:
            node.text = _NOT_XML.sub("\ufffd", node.text)


def _suite(parent: ET.Element, report: Report, task: TaskResult) -> None:
    counts = {s: sum(c.status is s for c in task.checks) for s in Status}
    suite = ET.SubElement(
        parent,
        "testsuite",
        {
            "name": f"{report.student_id} / Task {task.number}: {task.title}",
            "tests": str(len(task.checks)),
            "failures": str(counts[Status.FAIL]),
            "errors": str(counts[Status.ERROR]),
            "skipped": str(counts[Status.BLOCKED]),
            "time": "0",
        },
    )
    if report.diagnosis is not None:  # the one cause behind every miss, beside each task's cases
        ET.SubElement(suite, "properties").append(
            ET.Element("property", {"name": "diagnosis", "value": report.diagnosis.message})
        )
    for c in task.checks:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"{report.assessment}.{report.student_id}.task{task.number:02d}",
                "name": f"{c.id}: {c.title}",  # stable from run to run: CI history follows a check
                "time": "0",
            },
        )
        if c.status is Status.FAIL:
            ET.SubElement(case, "failure", {"message": c.message, "type": "fail"}).text = c.hint or c.message
        elif c.status is Status.ERROR:
            ET.SubElement(case, "error", {"message": c.message, "type": "error"}).text = c.hint or c.message
        elif c.status is Status.BLOCKED:
            ET.SubElement(case, "skipped", {"message": c.message})
        else:
            ET.SubElement(case, "system-out").text = c.message
    if report.diagnosis is not None:  # after the cases, as JUnit's schema orders a suite
        ET.SubElement(suite, "system-out").text = report.diagnosis.message


def junit(reports: Sequence[Report], name: str, not_graded: Sequence[tuple[str, str]] = ()) -> str:
    """One suite per task of each report; a student not graded is a suite with one errored case saying why."""
    root = ET.Element("testsuites", {"name": name})
    for report in reports:
        for task in report.tasks:
            _suite(root, report, task)
    for student_id, why in not_graded:
        suite = ET.SubElement(
            root,
            "testsuite",
            {"name": f"{student_id} / not graded", "tests": "1", "failures": "0", "errors": "1", "skipped": "0"},
        )
        case = ET.SubElement(suite, "testcase", {"classname": f"{name}.{student_id}", "name": "graded", "time": "0"})
        ET.SubElement(case, "error", {"message": why, "type": "not graded"}).text = why
    suites = list(root)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in suites)))
    root.set("time", f"{sum(r.duration_s for r in reports):.2f}")
    _xml_text(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -- Markdown (GitHub step summary) ----------------------------------------------------------
_ICON = {"pass": "✅", "partial": "🟡", "fail": "❌", "error": "⚠️", "blocked": "⏸️"}


_MARKDOWN_ACTIVE = re.compile(r"([\\`\[\]|<>&])")


def _cell(text: str) -> str:
    """Account text as Markdown data: no table break, no HTML, no link, no emphasis; one line."""
    from checks.text import printable

    return (
        _MARKDOWN_ACTIVE.sub(r"\\\1", printable(text))
        .replace("\\<", "&lt;")
        .replace("\\>", "&gt;")
        .replace("\\&", "&amp;")
    )


def _verdict_words(report: Report) -> str:
    if report.partial:
        graded = ", ".join(str(t.number) for t in report.tasks)
        return (
            f"only task{'s' if len(report.tasks) > 1 else ''} {graded} graded: {'done' if report.done else 'not done'}"
        )
    return f"{'passed' if report.passed else 'not passed'} (pass mark {report.pass_mark:g} %)"


def markdown(report: Report) -> str:
    lines = [
        f"## {_cell(report.assessment)} — {_cell(report.student_id)}" + (" (demo)" if report.demo else ""),
        "",
        f"**{report.earned}/{report.possible} ({report.percent:.1f} %)** — {_verdict_words(report)}"
        + ("" if report.complete else " — **incomplete**: some checks could not be read")
        + (f"; grant {_cell(report.grant() or '')}" if report.missing_actions else ""),
        "",
        "| Task | Title | Status | Points |",
        "|---:|---|---|---:|",
    ]
    if report.diagnosis is not None:
        lines[3:3] = [f"> {_cell(report.diagnosis.message)}", ""]
    if report.submission is not None:
        lines[1:1] = ["", _cell(report.submission.said())]
    for t in report.tasks:
        lines.append(
            f"| {t.number} | {_cell(t.title)} | {_ICON[t.status.value]} {t.status.value} | {t.earned}/{t.possible} |"
        )
    misses = [(t, c) for t in report.tasks for c in t.checks if c.status is not Status.PASS]
    if misses:
        lines += ["", "<details><summary>What to fix</summary>", ""]
        for _, c in misses:
            lines.append(f"- {_ICON[c.status.value]} `{c.id}` {_cell(c.title)} — {_cell(c.message)}")
            if c.advice:
                lines.append("  <br>" + "<br>".join(_cell(line) for line in c.advice))
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def markdown_class(assessment: str, outcomes: Sequence[Any], summary: Sequence[Any]) -> str:
    from checks.grading.roster import ClassCounts

    counts = ClassCounts.of(outcomes)
    head = [
        f"## {_cell(assessment)} — {counts.title()}",
        "",
        "| Task | Title | Passed | Most common miss |",
        "|---:|---|---:|---|",
    ]
    for s in summary:
        miss = f"`{s.top_failure[0]}` ({s.top_failure[1]})" if s.top_failure else "—"
        head.append(f"| {s.number} | {_cell(s.title)} | {s.passed}/{s.graded} | {miss} |")
    head += ["", "| Student | Score | Result |", "|---|---:|---|"]
    parts = ["\n".join(head) + "\n"]
    size = len(parts[0].encode())
    for i, o in enumerate(outcomes):
        if o.report is None:
            row = f"| {_cell(o.student_id)} | — | ⚠️ not graded: {_cell(o.error or '')} |\n"
        else:
            r = o.report
            why = f": {_cell(r.diagnosis.message)}" if r.diagnosis is not None else ""
            row = (
                f"| {_cell(r.student_id)} | {r.earned}/{r.possible} ({r.percent:.1f} %) | "
                f"{'✅ passed' if r.passed else '❌ not passed'}{'' if r.complete else ' (incomplete)'}{why} |\n"
            )
        size += len(row.encode())
        if size > MARKDOWN_LIMIT:
            return "".join(parts) + f"\n… {len(outcomes) - i} more students: see the gradebook.\n"
        parts.append(row)
    return "".join(parts)


# -- Gradescope ---------------------------------------------------------------------------------
def gradescope(report: Report) -> dict[str, Any]:
    """Gradescope's autograder results.json: a score, and one test per check."""
    tests = []
    for t in report.tasks:
        for c in t.checks:
            test: dict[str, Any] = {
                "name": f"Task {t.number} — {c.id}: {c.title}",
                "number": c.id,
                "score": c.earned,
                "max_score": 0 if c.status is Status.BLOCKED else c.points,
                "output": c.message + (f"\n{c.hint}" if c.hint else ""),
                "visibility": "visible",
            }
            if c.status is not Status.BLOCKED:
                test["status"] = "passed" if c.status is Status.PASS else "failed"
            tests.append(test)
    output = f"{report.earned}/{report.possible} ({report.percent:.1f} %)"
    if report.diagnosis is not None:
        output += f" — {report.diagnosis.message}"
    if not report.complete:
        output += " — incomplete: some checks could not be read; ask your instructor to regrade"
    return {
        "score": report.earned,
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def gradescope_json(report: Report) -> str:
    return json_text(gradescope(report))


def gradescope_class(assessment: str, outcomes: Sequence[Any]) -> str:
    students = [
        {"student_id": o.student_id, "results": gradescope(o.report) if o.report else None, "error": o.error}
        for o in outcomes
    ]
    return json_text({"assessment": assessment, "students": students})


# -- The course's text layout -------------------------------------------------------------------
def _tag(status: str) -> str:
    return {"pass": "[PASS]", "fail": "[FAIL]", "partial": "[FAIL]", "error": "[ERROR]", "blocked": "[SKIP]"}[status]


def text(report: Report) -> str:
    out = [
        f"{report.assessment} validation report" + (" (DEMO account)" if report.demo else ""),
        f"Student: {report.student_id}  Account: {report.account_id}  Region: {report.region}  "
        f"Graded: {report.graded_at}",
        *([report.submission.said()] if report.submission else []),
        "",
    ]
    for t in report.tasks:
        out.append(f"{_tag(t.status.value)} Task {t.number}: {t.title} ({t.earned}/{t.possible})")
        for c in t.checks:
            out.append(f"    {_tag(c.status.value)} {c.id}: {c.message}")
            out.extend(f"           {line}" for line in _hint_lines(c))
        out.extend(f"    [NOTE] {n}" for n in t.notes)
    passed_tasks = sum(t.status.value == "pass" for t in report.tasks)
    out += [
        "",
        f"SUMMARY: {report.earned}/{report.possible} points ({report.percent:.1f}%), "
        f"{passed_tasks}/{len(report.tasks)} tasks passed - "
        + (
            f"only {'task' if len(report.tasks) == 1 else 'tasks'} {', '.join(str(t.number) for t in report.tasks)} "
            f"graded: {'DONE' if report.done else 'NOT DONE'}"
            if report.partial
            else f"{'PASSED' if report.passed else 'NOT PASSED'} (pass mark {report.pass_mark:g}%)"
        )
        + ("" if report.complete else " - INCOMPLETE"),
    ]
    if report.diagnosis is not None:
        out.insert(3, f"DIAGNOSIS: {report.diagnosis.message}")
    if report.missing_actions:
        out.insert(-1, f"MISSING PERMISSIONS: {', '.join(report.missing_actions)}; grant: {report.grant()}")
    return "\n".join(out) + "\n"


def _hint_lines(c: CheckResult) -> list[str]:
    return c.advice if c.status is not Status.PASS else []


def text_class(outcomes: Sequence[Any], summary: Sequence[Any]) -> str:
    parts = [text(o.report) if o.report else f"[ERROR] {o.student_id}: not graded: {o.error}\n" for o in outcomes]
    lines = ["CLASS SUMMARY"]
    for s in summary:
        miss = f"; most common miss {s.top_failure[0]} ({s.top_failure[1]})" if s.top_failure else ""
        lines.append(f"  Task {s.number}: {s.passed}/{s.graded} passed{miss}")
    from checks.grading.roster import ClassCounts

    counts = ClassCounts.of(outcomes)
    lines.append(f"SUMMARY: {counts.title()}; {counts.passing()}")
    return "\n".join(parts) + "\n" + "\n".join(lines) + "\n"
