"""``--watch``: regrade in place on a terminal while the student works, showing what changed.

Each round is a whole new grade (nothing is remembered from the round before but its
report, to compare with). Ctrl-C stops between or during rounds and leaves the last report.
"""

from __future__ import annotations

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


def watch(
    grade_once: Callable[[], Report],
    render: Callable[[Report, IO[str]], None],
    out: IO[str],
    interval: float,
    *,
    rounds: int | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], str] = lambda: time.strftime("%H:%M:%S"),
) -> Report | None:
    """Grade, show, wait ``interval`` seconds, again; ``rounds`` bounds it (None: until Ctrl-C).

    Returns the last report shown (None when Ctrl-C came before the first).
    """
    last: Report | None = None
    done = 0
    try:
        while rounds is None or done < rounds:
            report = grade_once()
            moved = changes(last, report)
            out.write(CLEAR)
            head = f"Watching: graded at {clock()}, again every {interval:g} s (Ctrl-C stops)."
            if last is not None:
                head += " Since the last grade:" + (" nothing changed." if not moved else "")
            out.write(head + "\n")
            for line in moved:
                out.write(f"  {line}\n")
            out.write("\n")
            render(report, out)
            out.flush()
            last = report
            done += 1
            if rounds is None or done < rounds:
                (sleep or pause)(interval)
    except KeyboardInterrupt:
        out.write("\nstopped watching; the report above is the last grade\n")
    return last
