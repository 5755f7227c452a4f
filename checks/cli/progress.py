"""The two progress widgets on stderr: a class's bar and one student's spinner (terminals only)."""

from __future__ import annotations

import sys
from typing import Any


class _class_progress:
    """A progress bar on stderr (on a terminal) while a class is graded."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.progress: Any = None

    def __enter__(self) -> Any:
        if not sys.stderr.isatty():
            return lambda: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.progress = Progress(
            "grading",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=__import__("rich.console").console.Console(stderr=True),
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

    def __init__(self, text: str) -> None:
        self.text = text
        self.status: object | None = None

    def __enter__(self) -> _progress:
        if sys.stderr.isatty():
            from rich.console import Console

            self.status = Console(stderr=True).status(self.text + "…")
            self.status.__enter__()  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.__exit__(*exc)  # type: ignore[attr-defined]
