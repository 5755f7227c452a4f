"""The course workflow's runs as the grader reads them: their run-names, their artifacts and reports,
and GitHub's times (``Z`` included, on every Python the project supports)."""

from __future__ import annotations

import json
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from checks.errors import BadInput, GitHubError
from checks.github.gh import EXIT_CANNOT_REACH, EXIT_NO_ACCESS, EXIT_NO_WORKFLOW, EXIT_RUN_FAILED, Gh, GhFailed
from checks.inputs import REPORT_LIMIT, read_bytes
from checks.model import Report
from checks.text import printable

# The run-name of examples/grade-submission.yml: "submission ASSESSMENT STUDENT (SUBMISSION)".
RUN_NAME = re.compile(r"submission (?P<assessment>\S+) (?P<student>\S+) \((?P<submission>[A-Za-z0-9_-]+)\)")


ARTIFACT = "submission-{}"  # the artifact a run uploads: report.json and report.txt


def parse_time(text: str, where: str) -> datetime:
    """An ISO 8601 time, ``Z`` for UTC included (Python 3.10's ``fromisoformat`` refuses it); without a
    zone it is UTC."""
    written = text.strip()
    if written[-1:] in ("Z", "z"):
        written = written[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(written)
    except ValueError:
        raise BadInput(f"{where} {printable(text)!r} is not a time: write e.g. 2026-12-15T23:59:00Z") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def attempt_of(run: dict[str, Any]) -> int:
    attempt = run.get("run_attempt", 1)
    return attempt if isinstance(attempt, int) and not isinstance(attempt, bool) and attempt >= 1 else 1


def repository(gh: Gh) -> dict[str, Any]:
    """The course repository as GitHub describes it: its ``default_branch`` (and ``created_at``) checked."""
    try:
        repo = gh.api(f"repos/{gh.repo.slug}")
    except GhFailed as exc:
        if exc.status in (403, 404):
            raise GitHubError(
                EXIT_NO_ACCESS,
                f"no access to {gh.repo}: it does not exist, or your GitHub login may not see it (ask your course)",
            ) from None
        raise GitHubError(EXIT_CANNOT_REACH, f"GitHub refused to show {gh.repo}: {exc.said}") from None
    branch = repo.get("default_branch") if isinstance(repo, dict) else None
    if not isinstance(branch, str) or not re.fullmatch(r"[A-Za-z0-9._/-]{1,200}", branch):
        raise GitHubError(EXIT_CANNOT_REACH, f"GitHub's answer about {gh.repo} has no default branch: try again later")
    assert isinstance(repo, dict)
    return repo


def run_url(gh: Gh, answer: dict[str, Any]) -> str:
    host = gh.repo.host or "github.com"
    return f"https://{host}/{gh.repo.slug}/actions/runs/{answer['workflow_run_id']}"


def named(run: dict[str, Any]) -> re.Match[str] | None:
    """The assessment, student and submission a run's run-name carries, or None for another run."""
    return RUN_NAME.fullmatch(str(run.get("display_title") or run.get("name") or ""))


def runs_page(gh: Gh, workflow: str, query: str) -> list[dict[str, Any]]:
    """One page of the workflow's runs matching ``query`` (the REST API's own parameters)."""
    return runs_in(runs_answer(gh, workflow, query))


def runs_answer(gh: Gh, workflow: str, query: str) -> dict[str, Any]:
    """GitHub's answer for one page of the workflow's runs: ``workflow_runs`` and ``total_count``."""
    try:
        answer = gh.api(f"repos/{gh.repo.slug}/actions/workflows/{workflow}/runs?{query}")
    except GhFailed as exc:
        if exc.status == 404:
            raise GitHubError(EXIT_NO_WORKFLOW, f"{gh.repo} has no workflow {workflow}") from None
        raise GitHubError(EXIT_CANNOT_REACH, f"GitHub refused to list {workflow}'s runs: {exc.said}") from None
    runs_in(answer)
    assert isinstance(answer, dict)
    return answer


def runs_in(answer: Any) -> list[dict[str, Any]]:
    runs = answer.get("workflow_runs") if isinstance(answer, dict) else None
    if not isinstance(runs, list):
        raise GitHubError(EXIT_CANNOT_REACH, "GitHub's list of runs is not one: try again later")
    return [r for r in runs if isinstance(r, dict)]


def artifact_names(submission: str, attempt: int) -> list[str]:
    """The artifact an attempt of a submission's run uploads (``submission-ID-ATTEMPT``); a first attempt
    of a workflow copied before attempts were named may have left ``submission-ID``."""
    names = [ARTIFACT.format(f"{submission}-{attempt}")]
    return [*names, ARTIFACT.format(submission)] if attempt == 1 else names


def download_report(gh: Gh, run_id: int, submission: str, attempt: int, url: str) -> Report:
    with tempfile.TemporaryDirectory(prefix="validate-tasks-") as folder:
        names = artifact_names(submission, attempt)
        for name in names:
            try:
                gh.download(run_id, name, folder)
                break
            except GhFailed as exc:
                if name == names[-1]:
                    raise GitHubError(EXIT_RUN_FAILED, f"the run left no report ({exc.said}): see {url}") from None
        return read_report(Path(folder) / "report.json", url)


def read_report(path: Path, where: str) -> Report:
    try:
        if path.is_symlink():
            raise ValueError("report.json is not a file")
        data = json.loads(read_bytes(path, REPORT_LIMIT).decode("utf-8", "replace"))
        return Report.from_dict(data)
    except (OSError, ValueError, RecursionError) as exc:
        said = str(exc).replace(str(path), "report.json")  # the download's folder is gone once this returns
        raise GitHubError(
            EXIT_RUN_FAILED, f"the run's report is not one ({printable(said)[:80]}): see {where}"
        ) from None
