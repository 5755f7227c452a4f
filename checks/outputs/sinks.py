"""Sinks: where the grader's outcomes go. The report on stdout or in a file, a class's report,
the gradebook, the report folder, and the evidence folder.

Each write is whole or not at all (a temporary file renamed into place); a place that cannot
be written is the user's input to fix (:class:`~checks.errors.BadInput`, exit 2).
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from checks import PROG
from checks.errors import BadInput
from checks.grading.roster import SHARD_FILE, Outcome, TaskSummary, write_atomically, write_gradebook, write_reports
from checks.model import Report
from checks.outputs import report as reporters

if TYPE_CHECKING:  # evidence is loaded when it is kept: writing a report loads no AWS access
    from checks.aws import Account


def write_report(report: Report, fmt: str, output: str | None, *, color: bool | None) -> None:
    """One student's report: on stdout, or in ``output``."""
    if output is None:
        reporters.write(report, fmt, sys.stdout, color=color)
        return
    buf = io.StringIO()
    reporters.write(report, fmt, buf, color=False if fmt == "table" else color)
    try:
        write_atomically(output, buf.getvalue())
    except OSError as exc:
        raise BadInput(f"cannot write {output}: {exc.strerror}") from exc
    print(f"{PROG}: report written to {output}", file=sys.stderr)


def write_class_report(
    assessment: str,
    outcomes: list[Outcome],
    summary: list[TaskSummary],
    fmt: str,
    output: str | None,
    *,
    color: bool | None,
) -> None:
    """A class's report: on stdout, or in ``output``."""
    if output is None:
        reporters.write_class(assessment, outcomes, summary, fmt, sys.stdout, color=color)
        return
    buf = io.StringIO()
    reporters.write_class(assessment, outcomes, summary, fmt, buf, color=False)
    write_atomically(output, buf.getvalue())


def write_class_files(
    outcomes: list[Outcome],
    task_numbers: list[int],
    assessment: str,
    *,
    gradebook: str | None,
    report_dir: str | None,
    fmt: str = "json",
    shard: tuple[int, int] | None = None,
) -> None:
    """The gradebook (one CSV row per student) and the report folder (one JSON report per student; with
    ``--format gradescope``, each student's ``<id>/results.json`` too, the file Gradescope takes; with
    ``--shard``, which shard of how many it holds, for ``merge`` to count)."""
    if gradebook:
        write_gradebook(gradebook, outcomes, task_numbers)
    if not report_dir:
        return
    write_reports(report_dir, outcomes, assessment)
    if fmt == "gradescope":
        from checks.outputs.formats import gradescope
        from checks.text import json_text

        for o in outcomes:
            if o.bad_row:
                continue
            os.makedirs(os.path.join(report_dir, o.student_id), exist_ok=True)
            results = gradescope(o.report) if o.report else {"score": 0, "output": o.error or "not graded", "tests": []}
            write_atomically(os.path.join(report_dir, o.student_id, "results.json"), json_text(results))
    if shard is not None:
        import json

        write_atomically(os.path.join(report_dir, SHARD_FILE), json.dumps({"shard": shard[0], "of": shard[1]}) + "\n")


def ready_to_write(files: list[tuple[str, str | None]], folders: list[tuple[str, str | None]]) -> None:
    """Every place a run will write, made and tried before any grading: a class's work is never graded and
    then lost to a path. ``files`` and ``folders`` are (flag, path); a folder that does not exist is made."""
    import tempfile

    places = [(flag, os.path.dirname(os.path.abspath(path)) or ".") for flag, path in files if path]
    places += [(flag, path) for flag, path in folders if path]
    for flag, folder in places:
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise BadInput(f"{flag}: {folder} is not a folder")
        try:
            os.makedirs(folder, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".validate-tasks-", suffix=".probe")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise BadInput(f"{flag}: cannot write in {folder} ({exc.strerror})") from exc
    for flag, path in files:
        if path and os.path.isdir(path):
            raise BadInput(f"{flag} {path} is a folder: name a file")


class EvidenceFolder:
    """``--evidence DIR``: each account keeps the answers its students' grades rest on, then they are saved."""

    def __init__(self, directory: str | Path, kept_variables: tuple[str, ...] = ()) -> None:
        self.directory = directory
        self.kept_variables = kept_variables  # the environment variables the assessment's checks read

    def prepare(self, account: Account) -> None:
        """Keep this account's answers from now on (before its students are graded)."""
        from checks.grading.evidence import Evidence

        account.evidence = Evidence(account.account_id, account.region, kept_variables=self.kept_variables)

    def save(self, account: Account, reports: list[Report]) -> None:
        from checks.grading.evidence import save

        try:
            save(self.directory, account, reports)
        except OSError as exc:
            raise BadInput(f"cannot write evidence to {self.directory}: {exc.strerror}") from exc

    def save_account(self, account: Account, outcomes: list[Outcome]) -> None:
        """An account's answers once its students are graded, with a pointer for each student graded on them."""
        reports = [o.report for o in outcomes if o.report is not None]
        if reports:
            self.save(account, reports)
