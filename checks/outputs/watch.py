"""``--watch``: regrade in place on a terminal while the student works, showing what changed.

Each round is a whole new grade (nothing is remembered from the round before but its
report, to compare with). Ctrl-C stops between or during rounds and leaves the last report.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from typing import IO

from checks.model import Report, Status

CLEAR = "\x1b[H\x1b[2J"  # cursor home, clear the screen


def pause(seconds: float) -> None:
    """The wait between rounds (a name of its own, so that a test can stand in for the student's work)."""
    time.sleep(seconds)


def changes(before: Report | None, after: Report) -> list[str]:
    """What changed between two grades, a line per check whose status moved, passes first."""
    if before is None:
        return []
    old = {c.id: c for c in before.checks()}
    gained, lost = [], []
    for c in after.checks():
        was = old.get(c.id)
        if was is None or was.status is c.status:
            continue
        if c.status is Status.PASS:
            gained.append(f"✓ {c.id} now passes (+{c.points})")
        elif was.status is Status.PASS:
            lost.append(f"✗ {c.id} no longer passes (-{c.points}): {c.message}")
        else:
            lost.append(f"• {c.id} is now {c.status.value} (was {was.status.value})")
    return gained + lost


_SGR = re.compile(r"\x1b\[[0-9;]*m")


def fitted(top: list[str], report_text: str, height: int | None) -> str:
    """A frame of at most ``height`` lines: ``top`` (what changed), the report's body cut to what fits,
    and its last lines (the score, ``Next:``) always whole: nothing that matters scrolls off the screen."""
    lines = report_text.rstrip("\n").splitlines()
    verdict = next(
        (i for i, line in enumerate(lines) if _SGR.sub("", line).startswith(("Score:", "Graded "))), len(lines)
    )
    body, tail = lines[:verdict], lines[verdict:]
    if height is not None:
        room = height - len(top) - len(tail) - 1  # one line for the cursor's own
        if len(body) > room:
            keep = max(room - 1, 0)
            body = [*body[:keep], f"… {len(body) - keep} more lines: grade once without --watch for the whole report"]
    return "\n".join([*top, *body, *tail]) + "\n"


def watch(
    grade_once: Callable[[], Report],
    render: Callable[[Report, IO[str]], None],
    out: IO[str],
    interval: float,
    *,
    rounds: int | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], str] = lambda: time.strftime("%H:%M:%S"),
    height: Callable[[], int | None] = lambda: None,
) -> Report | None:
    """Grade, show, wait ``interval`` seconds, again; ``rounds`` bounds it (None: until Ctrl-C).

    Each frame fits the terminal's ``height`` (asked each round: the window may change). Returns the
    last report shown (None when Ctrl-C came before the first).
    """
    last: Report | None = None
    done = 0
    try:
        while rounds is None or done < rounds:
            report = grade_once()
            moved = changes(last, report)
            top = [f"Watching: graded at {clock()}, again every {interval:g} s (Ctrl-C stops)."]
            if last is not None:
                top.append("Since the last grade:" + (" nothing changed." if not moved else ""))
            shown = io.StringIO()
            render(report, shown)
            out.write(CLEAR + fitted([*top, *(f"  {line}" for line in moved), ""], shown.getvalue(), height()))
            out.flush()
            last = report
            done += 1
            if rounds is None or done < rounds:
                (sleep or pause)(interval)
    except KeyboardInterrupt:
        out.write("\nstopped watching; the report above is the last grade\n")
    return last
