"""Reporters: render a finished :class:`~checks.model.Report`. Nothing else formats output."""

from __future__ import annotations

import json
from typing import IO, Any

from checks.model import Report, Status, TaskStatus

FORMATS = ("table", "json", "junit", "markdown", "gradescope", "text")

_TASK_STYLE = {
    TaskStatus.PASS: ("PASS", "bold green"),
    TaskStatus.PARTIAL: ("PARTIAL", "bold yellow"),
    TaskStatus.FAIL: ("FAIL", "bold red"),
    TaskStatus.ERROR: ("ERROR", "bold magenta"),
}
_CHECK_MARK = {Status.FAIL: ("✗", "red"), Status.ERROR: ("!", "magenta"), Status.BLOCKED: ("⊘", "cyan")}


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_table(report: Report, out: IO[str], *, color: bool | None = None, width: int | None = None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(
        file=out, force_terminal=color, no_color=color is False, width=width, highlight=False, soft_wrap=False
    )
    title = f"{report.assessment} — student {report.student_id} — account {report.account_id} ({report.region})"
    if report.demo:
        title = "DEMO (built-in practice account, not AWS) — " + title
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("Task", justify="right", no_wrap=True)
    table.add_column("Title / check", overflow="fold")  # a long command is folded, never cut short
    table.add_column("Status", no_wrap=True)
    table.add_column("Points", justify="right", no_wrap=True)
    for task in report.tasks:
        label, style = _TASK_STYLE[task.status]
        table.add_row(
            str(task.number),
            Text(task.title, style="bold"),
            Text(label, style=style),
            f"{task.earned}/{task.possible}",
            end_section=not any(c.status is not Status.PASS for c in task.checks) and not task.notes,
        )
        shown = [c for c in task.checks if c.status is not Status.PASS]
        for i, c in enumerate(shown):
            mark, cstyle = _CHECK_MARK[c.status]
            body = Text()
            body.append(f"{mark} {c.id} ", style=cstyle)
            body.append(c.title)
            if c.hint:
                body.append("".join("\n  " + line for line in c.hint.splitlines()), style="dim")
            table.add_row(
                "",
                body,
                Text(c.status.value, style=cstyle),
                f"0/{c.points}" if c.status is not Status.BLOCKED else "—",
                end_section=(i == len(shown) - 1 and not task.notes),
            )
        for j, text in enumerate(task.notes):
            table.add_row(
                "",
                Text(f"ℹ {text}", style="italic"),
                Text("note", style="blue"),
                "",
                end_section=j == len(task.notes) - 1,
            )
    console.print(table)
    verdict = Text()
    verdict.append(f"Score: {report.earned}/{report.possible} ({report.percent:.1f} %)  ", style="bold")
    verdict.append(f"pass mark {report.pass_mark:g} %  ")
    verdict.append("PASSED" if report.passed else "NOT PASSED", style="bold green" if report.passed else "bold red")
    console.print(verdict)
    if report.demo:
        console.print(
            "This is the built-in DEMO account (moto, in memory), not your AWS account. Grade yours without --demo."
        )
    blocked = [c for c in report.checks() if c.status is Status.BLOCKED]
    if blocked:
        console.print(f"{len(blocked)} check(s) blocked by the account's concurrency quota: left out of the score.")
    if not report.complete:
        console.print(
            Text(
                "INCOMPLETE: some checks could not be read (status error); the score may rise once they can.",
                style="bold magenta",
            )
        )
        if report.missing_actions:
            console.print("Missing permissions: " + ", ".join(report.missing_actions))
            console.print(f"Grant them with this policy statement: {report.grant()}", soft_wrap=True)


def write(report: Report, fmt: str, out: IO[str], *, color: bool | None = None) -> None:
    """Render one student's report in ``fmt``."""
    from checks import formats

    if fmt == "table":
        render_table(report, out, color=color)
        return
    renderers = {
        "json": render_json,
        "junit": lambda r: formats.junit([r], r.assessment),
        "markdown": formats.markdown,
        "gradescope": formats.gradescope_json,
        "text": formats.text,
    }
    if fmt not in renderers:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    out.write(renderers[fmt](report))


def write_class(
    assessment: str, outcomes: list[Any], summary: list[Any], fmt: str, out: IO[str], *, color: bool | None = None
) -> None:
    """Render a class (roster) in ``fmt``."""
    from checks import formats

    if fmt == "table":
        render_class_table(summary, outcomes, out, color=color)
    elif fmt == "json":
        out.write(render_class_json(assessment, summary, outcomes))
    elif fmt == "junit":
        out.write(formats.junit([o.report for o in outcomes if o.report], assessment))
    elif fmt == "markdown":
        out.write(formats.markdown_class(assessment, outcomes, summary))
    elif fmt == "gradescope":
        out.write(formats.gradescope_class(assessment, outcomes))
    elif fmt == "text":
        out.write(formats.text_class(outcomes, summary))
    else:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")


def render_class_table(summary: list[Any], outcomes: list[Any], out: IO[str], *, color: bool | None = None) -> None:
    """The class summary: per task how many passed, and the most common failing check."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, force_terminal=color, no_color=color is False, highlight=False)
    graded = [o for o in outcomes if o.report is not None]
    students = Table(title="Students")
    for name, justify in (("Student", "left"), ("Account", "left"), ("Score", "right"), ("Result", "left")):
        students.add_column(name, justify=justify)  # type: ignore[arg-type]
    for o in outcomes:
        if o.report is None:
            students.add_row(o.student_id, o.account_id or "—", "—", f"not graded: {o.error}")
        else:
            r = o.report
            result = ("passed" if r.passed else "not passed") + ("" if r.complete else " (incomplete)")
            students.add_row(r.student_id, r.account_id, f"{r.earned}/{r.possible} ({r.percent:.1f} %)", result)
    console.print(students)
    table = Table(title=f"Class summary — {len(graded)} graded, {len(outcomes) - len(graded)} not graded")
    table.add_column("Task", justify="right")
    table.add_column("Title")
    table.add_column("Passed", justify="right")
    table.add_column("Most common miss")
    for row in summary:
        miss = f"{row.top_failure[0]} ({row.top_failure[1]})" if row.top_failure else "—"
        table.add_row(str(row.number), row.title, f"{row.passed}/{row.graded}", miss)
    console.print(table)
    if graded:
        passing = sum(o.report.passed for o in graded)
        mean = sum(o.report.percent for o in graded) / len(graded)
        console.print(f"{passing}/{len(graded)} passed the pass mark; mean score {mean:.1f} %")
    for o in outcomes:
        if o.report is None:
            console.print(f"not graded: {o.student_id}: {o.error}")


def render_class_json(assessment: str, summary: list[Any], outcomes: list[Any]) -> str:
    from checks.roster import outcome_json

    data = {
        "schema_version": 1,
        "assessment": assessment,
        "students": [outcome_json(o, assessment) for o in outcomes],
        "summary": [
            {
                "task": s.number,
                "title": s.title,
                "passed": s.passed,
                "graded": s.graded,
                "most_common_miss": ({"check": s.top_failure[0], "count": s.top_failure[1]} if s.top_failure else None),
            }
            for s in summary
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
