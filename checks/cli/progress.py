"""The two progress widgets on stderr: a class's bar and one student's spinner (terminals only)."""

from __future__ import annotations

import os
import sys
from typing import Any


def _shown(color: bool | None) -> bool:
    """A widget is drawn on a terminal only; with --no-color or $NO_COLOR no ESC byte reaches either stream."""
    return sys.stderr.isatty() and color is not False and not os.environ.get("NO_COLOR")


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


class _class_progress:
    """A progress bar on stderr (on a terminal) while a class is graded."""

    def __init__(self, total: int, color: bool | None = None) -> None:
        self.total = total
        self.color = color
        self.progress: Any = None

    def __enter__(self) -> Any:
        if not _shown(self.color):
            return lambda: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.progress = Progress(
            "grading",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=_console(),
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
        if _shown(self.color):
            self.status = _console().status(self.text + "…")
            self.status.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.__exit__(*exc)
