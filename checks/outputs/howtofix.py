"""The "How to fix" block: per task, each failing check's finding and the commands that fix it, settled as
they run in a row (the assessment's busy rules), with ``#`` lines around them. The table prints it under
the report; the page shows it to copy."""

from __future__ import annotations

from dataclasses import dataclass

from checks.fix import Fix, pasteable, settled
from checks.model import CheckResult, Report, Status


@dataclass
class FixEntry:
    """One item of "How to fix": the checks it fixes, what to say of them, and the command (or None)."""

    task: int
    checks: list[CheckResult]
    lines: list[str]  # the hint's lines other than its command and its "See" line
    remedy: Fix | None


def fix_entries(report: Report) -> list[FixEntry]:
    """What "How to fix" lists: per task, the checks with one advice each (a shared command once).

    A check whose fix makes what another needs is listed for both; a check that needs another
    check's fix is left to that one. A diagnosis with a rerun leaves nothing to fix here, and
    "nothing deployed" lists the first task's fixes only.
    """
    d = report.diagnosis
    if d is not None and d.rerun:
        return []
    tasks = report.tasks
    if d is not None:
        tasks = tasks[:1]
    pointed: dict[str, list[str]] = {}
    for c in report.checks():
        if c.needs:
            pointed.setdefault(c.needs, []).append(c.id)
    entries: list[FixEntry] = []
    by_command: dict[str, FixEntry] = {}  # a command is printed once in the report
    for task in tasks:
        for c in task.checks:
            if c.status is Status.PASS or c.needs or not c.hint:
                continue
            command = c.fix
            if command is not None and command in by_command:
                first = by_command[command]
                if first.task == task.number:
                    first.checks.append(c)
                else:  # another task's check: said where it belongs, fixed by the command already above
                    entries.append(
                        FixEntry(
                            task.number, [c], [c.message + f"; the command for {first.checks[0].id} fixes it"], None
                        )
                    )
                continue
            entry = FixEntry(task.number, [c], [c.finding, *c.said], c.remedy)
            entries.append(entry)
            if command is not None:
                by_command[command] = entry
    for entry in entries:
        also = [i for c in entry.checks for i in pointed.get(c.id, [])]
        if also:
            entry.lines.append("It also makes what " + ", ".join(also) + " need.")
    # Run in a row, a resource changed twice is waited for between, where the assessment says AWS refuses a
    # change while one is under way (its busy rules).
    with_fix = [e for e in entries if e.remedy is not None]
    for entry, remedy in zip(
        with_fix, settled([e.remedy for e in with_fix if e.remedy is not None], report.busy), strict=True
    ):
        entry.remedy = remedy
    return entries


def fix_block(report: Report, width: int) -> list[tuple[str, bool]]:
    """The lines of "How to fix", each with whether it is part of a command (else a ``#`` note)."""
    import textwrap

    def note(text: str) -> list[tuple[str, bool]]:
        # Wrapped between words only: an ARN or a name is never split across lines.
        parts = textwrap.wrap(
            text,
            width - 1,
            initial_indent="# ",
            subsequent_indent="#   ",
            break_long_words=False,
            break_on_hyphens=False,
        )
        return [(part, False) for part in parts]

    entries = fix_entries(report)
    titles = {t.number: t.title for t in report.tasks}
    lines: list[tuple[str, bool]] = []
    for k, entry in enumerate(entries):
        if k == 0 or entries[k - 1].task != entry.task:
            lines += note(f"Task {entry.task}: {titles[entry.task]}")
        # Each check the entry fixes, with its own finding in full; then what else the hint says.
        for i, c in enumerate(entry.checks):
            said = entry.lines[0] if i == 0 and entry.lines else c.message + "."
            lines += note(f"{c.id} ({c.points} pt{'s' if c.points != 1 else ''}): {said}")
        for line in entry.lines[1:]:
            lines += note("  " + line)
        if entry.remedy is not None and entry.remedy.steps:
            lines += [(part, True) for part in pasteable(entry.remedy.words(), width, indent="")]
        elif entry.remedy is not None:
            lines += note("  Its commands are in the block above already.")
        last = k == len(entries) - 1 or entries[k + 1].task != entry.task
        see = entry.checks[0].see
        if last and see:
            lines += note(see)
    return lines
