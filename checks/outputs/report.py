"""Reporters: render a finished :class:`~checks.model.Report`. Nothing else formats output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from checks.model import CheckResult, Report, Status, TaskStatus
from checks.outputs.howtofix import fix_block, fix_entries
from checks.text import json_text

FORMATS = ("table", "json", "junit", "markdown", "gradescope", "text", "html")  # the built-in renderers (RENDERERS)

_TASK_STYLE = {
    TaskStatus.PASS: ("PASS", "bold green"),
    TaskStatus.PARTIAL: ("PARTIAL", "bold yellow"),
    TaskStatus.FAIL: ("FAIL", "bold red"),
    TaskStatus.ERROR: ("ERROR", "bold magenta"),
}
_CHECK_MARK = {Status.FAIL: ("✗", "red"), Status.ERROR: ("!", "magenta"), Status.BLOCKED: ("⊘", "cyan")}


def render_json(report: Report) -> str:
    return json_text(report.to_dict())


def render_table(report: Report, out: IO[str], *, color: bool | None = None, width: int | None = None) -> None:
    """The table (task, check, status, points, a one-line finding), then "How to fix" at full width.

    Nothing a student may paste is inside the table: each fix command is printed on lines of its
    own, broken only with a trailing ``\\`` so that a pasted block still runs.
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(
        file=out, force_terminal=color, no_color=color is False, width=width, highlight=False, soft_wrap=False
    )
    title = f"{report.assessment} — student {report.student_id} — account {report.account_id} ({report.region})"
    if report.demo:
        title = "DEMO (built-in practice account, not AWS) — " + title
    if report.partial:
        title += " — only " + _tasks_named(report)
    if report.submission is not None:
        title += " — " + report.submission.said()
    table = Table(title=Text(title), show_lines=False, expand=False)
    table.add_column("Task", justify="right", no_wrap=True)
    table.add_column("Check", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Points", justify="right", no_wrap=True)
    collapsed = report.diagnosis is not None  # one cause: its line says it, not a row per check
    check_width = max([len(c.id) + 2 for c in report.checks() if c.status is not Status.PASS] + [5])
    # The finding takes what the other columns leave: each column has 2 of padding, 6 rules between.
    left = console.width - (4 + check_width + 7 + 6 + 4 * 2 + 6) - 2
    table.add_column("Finding", no_wrap=True, overflow="ellipsis", max_width=max(12, left))
    for task in report.tasks:
        label, style = _TASK_STYLE[task.status]
        shown = [] if collapsed else [c for c in task.checks if c.status is not Status.PASS]
        notes = () if collapsed else task.notes
        if (shown or notes) and table.rows:  # a task with rows of its own is ruled off from the one before
            table.rows[-1].end_section = True
        table.add_row(
            str(task.number),
            "",
            Text(label, style=style),
            Text(f"{task.earned}/{task.possible}"),
            Text(task.title, style="bold"),
        )
        for i, c in enumerate(shown):
            mark, cstyle = _CHECK_MARK[c.status]
            table.add_row(
                "",
                Text(f"{mark} {c.id}", style=cstyle),
                Text(c.status.value, style=cstyle),
                Text(f"0/{c.points}" if c.status is not Status.BLOCKED else "—"),
                Text(_finding(c)),
                end_section=(i == len(shown) - 1 and not notes),
            )
        for j, text in enumerate(notes):
            table.add_row("", Text("ℹ note", style="blue"), "", "", Text(text), end_section=j == len(notes) - 1)
    console.print(table)
    if report.diagnosis is not None:
        console.print(Text(report.diagnosis.message, style="bold yellow"))
    # A finding the table had to cut is said whole below it, where no hint says it (--no-hints, exam mode).
    width = max(12, left)
    cut = [
        c
        for c in ([] if collapsed else report.checks())
        if c.status is not Status.PASS and c.hint is None and len(_finding(c)) > width
    ]
    if cut:
        console.print(Text("Findings in full:", style="bold"))
        for c in cut:
            console.print(Text(f"  {c.id}: {c.message}"))
    _how_to_fix(report, console)
    console.print(_verdict(report))
    step = _next_line(report)
    if step:
        console.print(Text(step))  # wrapped to the terminal's width
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
            console.print(Text("Missing permissions: " + ", ".join(report.missing_actions)), soft_wrap=True)
            console.print("Grant them with this policy statement:")
            console.print(Text(f"  {report.grant()}"), soft_wrap=True)


def _tasks_named(report: Report) -> str:
    numbers = [str(t.number) for t in report.tasks]
    return ("task " if len(numbers) == 1 else "tasks ") + ", ".join(numbers)


def _finding(c: CheckResult) -> str:
    """A check's finding on one line: what was found, against what was wanted."""
    return c.message.splitlines()[0] if c.message else c.title


def _verdict(report: Report) -> Any:
    from rich.text import Text

    verdict = Text()
    if report.partial:  # some tasks only: their score, and whether they are done; no verdict on the whole
        verdict.append(f"Graded {_tasks_named(report)} only: {report.earned}/{report.possible}  ", style="bold")
        done = sum(t.status.value == "pass" for t in report.tasks)
        verdict.append(
            f"{done} of {len(report.tasks)} done" if not report.done else "done",
            style="bold green" if report.done else "bold yellow",
        )
        verdict.append("  (no verdict on the assessment: grade without --task for that)")
        return verdict
    verdict.append(f"Score: {report.earned}/{report.possible} ({report.percent:.1f} %)  ", style="bold")
    verdict.append(f"pass mark {report.pass_mark:g} %  ")
    verdict.append("PASSED" if report.passed else "NOT PASSED", style="bold green" if report.passed else "bold red")
    return verdict


def _next_line(report: Report) -> str | None:
    """``Next:`` the first unfinished task and its first fix, or the one rerun a diagnosis calls for."""
    d = report.diagnosis
    if d is not None and d.rerun:
        return f"Next: grade again with {d.rerun}."
    step = report.next_step()
    if step is None:
        return None
    task, check = step
    if all(c.status is Status.ERROR for c in report.checks() if c.status is not Status.PASS):
        return "Next: grade again once AWS answers: what is left could not be read (see INCOMPLETE below)."
    head = f"Next: Task {task.number}, {task.title}"
    if check is None:
        return head + "."
    if check.status is Status.ERROR:
        return f"{head}: {check.id} could not be read; grade again once AWS answers."
    if check.fix:
        first = next((e for e in fix_entries(report) if e.task == task.number and e.remedy is not None), None)
        where = "the first command" if first is not None and check in first.checks else "the command"
        return f"{head}: run {where} under Task {task.number} above, then grade again ({check.id})."
    return f"{head}: {check.id}, see above."


def _how_to_fix(report: Report, console: Any) -> None:
    """Every fix, full width, as a block that runs in bash as it is: commands, and ``#`` lines around them."""
    from rich.text import Text

    block = fix_block(report, console.width)
    if not block:
        return
    console.print()
    console.print(Text("# How to fix", style="bold") + Text("  (this block runs as it is in bash)", style="dim"))
    for line, is_command in block:
        console.print(Text(line, style="" if is_command else "dim"), soft_wrap=True)
    console.print()


@dataclass(frozen=True)
class Renderer:
    """An output format: how it shows one student's report and a class's. ``about``: what it is for."""

    name: str
    one: Callable[[Report, IO[str], bool | None], None]
    many: Callable[[str, list[Any], list[Any], IO[str], bool | None], None]
    about: str = ""


RENDERERS: dict[str, Renderer] = {}
# Formats of another installed package: ``name = "module:RENDERER"`` (a :class:`Renderer`).
ENTRY_POINTS = "validate_tasks.formats"


def register(renderer: Renderer) -> Renderer:
    RENDERERS[renderer.name] = renderer
    return renderer


def renderer_for(fmt: str) -> Renderer:
    """The format's renderer: built in, or another package's entry point; a ValueError names the known."""
    if fmt not in RENDERERS:
        from importlib.metadata import entry_points

        for point in entry_points(group=ENTRY_POINTS):
            if point.name == fmt:
                try:
                    found = point.load()
                except Exception as exc:  # another package's code: one line, as an assessment's is
                    from checks.errors import RegistryError

                    said = " ".join(str(exc).split())[:160]
                    raise RegistryError(
                        f"format {fmt!r} (entry point {point.value}) cannot load: {type(exc).__name__}: {said}"
                    ) from None
                if isinstance(found, Renderer):
                    register(found)
    if fmt not in RENDERERS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(RENDERERS)}")
    return RENDERERS[fmt]


def write(report: Report, fmt: str, out: IO[str], *, color: bool | None = None) -> None:
    """Render one student's report in ``fmt``."""
    renderer_for(fmt).one(report, out, color)


def write_class(
    assessment: str, outcomes: list[Any], summary: list[Any], fmt: str, out: IO[str], *, color: bool | None = None
) -> None:
    """Render a class (roster) in ``fmt``."""
    renderer_for(fmt).many(assessment, outcomes, summary, out, color)


OneText = Callable[[Report], str]
ClassText = Callable[[str, list[Any], list[Any]], str]


def _text(one: OneText, many: ClassText, name: str, about: str) -> Renderer:
    """A format that is text: what it renders is written as it is."""

    def write_one(report: Report, out: IO[str], color: bool | None) -> None:
        out.write(one(report))

    def write_many(assessment: str, outcomes: list[Any], summary: list[Any], out: IO[str], color: bool | None) -> None:
        out.write(many(assessment, outcomes, summary))

    return Renderer(name, write_one, write_many, about)


def _table_one(report: Report, out: IO[str], color: bool | None) -> None:
    render_table(report, out, color=color)


def _table_many(assessment: str, outcomes: list[Any], summary: list[Any], out: IO[str], color: bool | None) -> None:
    render_class_table(summary, outcomes, out, color=color)


def _formats() -> Any:
    """The other formats' module, loaded when one of them is written (a table or JSON does not need it)."""
    from checks.outputs import formats

    return formats


def _html() -> Any:
    """The page's module, loaded when a page is written."""
    from checks.outputs import html

    return html


def _builtin() -> None:
    def junit_class(assessment: str, outcomes: list[Any], summary: list[Any]) -> str:
        errors = [(o.student_id, o.error or "not graded") for o in outcomes if o.report is None]
        return str(_formats().junit([o.report for o in outcomes if o.report], assessment, errors))

    def one(name: str) -> OneText:
        return lambda report: str(getattr(_formats(), name)(report))

    register(Renderer("table", _table_one, _table_many, "a terminal (rich)"))
    register(_text(render_json, lambda a, o, s: render_class_json(a, s, o), "json", "scripts: the JSON report"))
    register(_text(lambda r: str(_formats().junit([r], r.assessment)), junit_class, "junit", "CI test reporters"))
    register(
        _text(one("markdown"), lambda a, o, s: str(_formats().markdown_class(a, o, s)), "markdown", "job summaries")
    )
    register(
        _text(
            one("gradescope_json"), lambda a, o, s: str(_formats().gradescope_class(a, o)), "gradescope", "Gradescope"
        )
    )
    register(_text(one("text"), lambda a, o, s: str(_formats().text_class(o, s)), "text", "the course's plain layout"))
    register(_text(lambda r: _html().one(r), lambda a, o, s: str(_html().many(a, o, s)), "html", "a page to open"))


def render_class_table(summary: list[Any], outcomes: list[Any], out: IO[str], *, color: bool | None = None) -> None:
    """The class summary: per task how many passed, and the most common failing check."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from checks.grading.roster import ClassCounts

    console = Console(file=out, force_terminal=color, no_color=color is False, highlight=False)
    graded = [o for o in outcomes if o.report is not None]
    students = Table(title="Students")  # every cell a Text: what an account or a roster says is never markup
    for name, justify in (("Student", "left"), ("Account", "left"), ("Score", "right"), ("Result", "left")):
        students.add_column(name, justify=justify)  # type: ignore[arg-type]
    for o in outcomes:
        if o.report is None:
            students.add_row(*map(Text, (o.student_id, o.account_id or "—", "—", f"not graded: {o.error}")))
        else:
            r = o.report
            result = ("passed" if r.passed else "not passed") + ("" if r.complete else " (incomplete)")
            if r.diagnosis is not None:  # the one cause behind a score: said where the class reads it
                result += f": {r.diagnosis.message}"
            score = f"{r.earned}/{r.possible} ({r.percent:.1f} %)"
            students.add_row(*map(Text, (r.student_id, r.account_id, score, result)))
    console.print(students)
    counts = ClassCounts.of(outcomes)
    table = Table(title=Text(f"Class summary — {counts.title()}"))
    table.add_column("Task", justify="right")
    table.add_column("Title")
    table.add_column("Passed", justify="right")
    table.add_column("Most common miss")
    for row in summary:
        miss = f"{row.top_failure[0]} ({row.top_failure[1]})" if row.top_failure else "—"
        table.add_row(*map(Text, (str(row.number), row.title, f"{row.passed}/{row.graded}", miss)))
    console.print(table)
    if graded:
        console.print(Text(counts.passing()))
    for o in outcomes:
        if o.report is None:
            console.print(Text(f"not graded: {o.student_id}: {o.error}"))


def render_class_json(assessment: str, summary: list[Any], outcomes: list[Any]) -> str:
    from checks.grading.roster import outcome_json

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
    return json_text(data)


_builtin()
