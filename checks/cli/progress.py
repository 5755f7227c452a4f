"""The two progress widgets on stderr: a class's bar and one student's spinner (terminals only)."""

from __future__ import annotations

import os
import sys
from typing import Any


def _console(color: bool | None) -> Any:
    """stderr's console: no colour (and no ESC byte but the cursor's own) with --no-color or $NO_COLOR."""
    from rich.console import Console

    plain = color is False or bool(os.environ.get("NO_COLOR"))
    return Console(stderr=True, no_color=plain, color_system=None if plain else "auto")


class _class_progress:
    """A progress bar on stderr (on a terminal) while a class is graded."""

    def __init__(self, total: int, color: bool | None = None) -> None:
        self.total = total
        self.color = color
        self.progress: Any = None

    def __enter__(self) -> Any:
        if not sys.stderr.isatty() or self.color is False or os.environ.get("NO_COLOR"):
            return lambda: None  # with --no-color, no ESC byte reaches either stream
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.progress = Progress(
            "grading",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=_console(self.color),
            transient=True,
        )
        self.progress.__enter__()
        task = self.progress.add_task("grading", total=self.total)
        return lambda: self.progress.advance(task)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)


class _progress:
    """A spinner on stderr while grading, only when stderr is a terminal."""

    def __init__(self, text: str, color: bool | None = None) -> None:
        self.text = text
        self.color = color
        self.status: Any = None

    def __enter__(self) -> _progress:
        if sys.stderr.isatty() and self.color is not False and not os.environ.get("NO_COLOR"):
            self.status = _console(self.color).status(self.text + "…")
            self.status.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.__exit__(*exc)
