"""``--submit``: a grade for the record, made by the course's grading workflow on GitHub Actions.

It starts the workflow (``examples/grade-submission.yml``) for one student with a fresh submission
ID, follows *that* run (never "the latest run", which may be a classmate's), downloads its report and
shows it. The workflow stamps the report (:func:`stamp`) with the submission, dated when the run's
attempt started: nothing the student sends is taken as a time.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import IO, Any
from urllib.parse import quote

from checks import PROG
from checks.errors import BadInput, GitHubError
from checks.github.gh import (
    EXIT_CANNOT_REACH,
    EXIT_NO_ACCESS,
    EXIT_NO_WORKFLOW,
    EXIT_RUN_FAILED,
    EXIT_TIMED_OUT,
    Gh,
    GhFailed,
    GhTimedOut,
)
from checks.github.runs import attempt_of, download_report, iso, named, parse_time, repository, run_url, runs_page
from checks.model import Report, Submission
from checks.text import printable

SUBMISSION_ID = re.compile(r"[A-Za-z0-9_-]{6,64}")


def new_submission_id() -> str:
    return secrets.token_hex(8)


def check_submission_id(text: str) -> str:
    """A submission ID (it names the run's artifact), or one line saying what one is."""
    if not SUBMISSION_ID.fullmatch(text):
        raise BadInput(f"bad submission ID {text[:70]!r}: 6 to 64 letters, digits, '-' or '_'")
    return text


def stamp(
    report: Report,
    submission_id: str,
    submitted_at: str | None,
    deadline: str | None,
    environ: dict[str, str] | None = None,
) -> Report:
    """The report as a submission: its ID, its attempt's start, late or not, and the run and attempt (in
    GitHub Actions: ``GITHUB_RUN_ID``, ``GITHUB_RUN_ATTEMPT``)."""
    env = os.environ if environ is None else environ
    check_submission_id(submission_id)
    when = parse_time(submitted_at, "--submitted-at") if submitted_at else datetime.now(timezone.utc)
    due = parse_time(deadline, "--deadline") if deadline else None
    url = None
    attempt = env.get("GITHUB_RUN_ATTEMPT", "")
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        url = f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
        if attempt.isdigit():
            url += f"/attempts/{attempt}"
    submission = Submission(
        submission_id,
        iso(when),
        iso(due) if due else None,
        bool(due and when > due),
        printable(url or "") or None,
        int(attempt) if attempt.isdigit() else None,
    )
    return replace(report, submission=submission)


# -- --submit ----------------------------------------------------------------------------------------
@dataclass
class Run:
    id: int
    url: str


class Progress:
    """One line on stderr while waiting: rewritten in place on a terminal, else a line per change."""

    def __init__(self, err: IO[str]) -> None:
        self.err = err
        self.tty = err.isatty()
        self.last = ""

    def say(self, text: str) -> None:
        if self.tty:
            self.err.write("\r\x1b[2K" + text)
            self.err.flush()
        elif text.split(" (")[0] != self.last.split(" (")[0]:
            print(f"{PROG}: {text}", file=self.err, flush=True)
        self.last = text

    def done(self) -> None:
        if self.tty and self.last:
            self.err.write("\r\x1b[2K")
            self.err.flush()


@dataclass(frozen=True)
class Pace:
    """How a submission is followed: the whole time it may take (every ``gh`` call included), how often
    GitHub is asked about the run, and the clock and the sleep it waits with."""

    timeout: float = 900.0
    poll: float = 5.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def submit(
    gh: Gh, workflow: str, assessment: str, student_id: str, pace: Pace = Pace(), err: IO[str] | None = None
) -> Report:
    """Start the course's workflow for this student, wait for *its* run, and return the report it made.

    ``timeout`` bounds the whole submission, every ``gh`` call included. Once the workflow is started,
    a time-out or Ctrl-C says that the run goes on and still counts, and where it is.
    """
    err = err or sys.stderr
    submission_id = new_submission_id()
    clock, timeout = pace.clock, pace.timeout
    gh.deadline = clock() + timeout
    gh.clock = clock
    run: Run | None = None
    sent = False
    progress = Progress(err)
    try:
        branch = repository(gh)["default_branch"]
        started = datetime.now(timezone.utc)
        run = _dispatch(gh, workflow, branch, assessment, student_id, submission_id)
        sent = True
        if run is None:  # a server without run details: the run whose run-name carries this submission
            run = _find_run(gh, workflow, branch, submission_id, started, pace, progress)
        print(f"{PROG}: submission {submission_id}: {run.url}", file=err, flush=True)
        answer = _wait(gh, run, pace, progress)
        progress.done()
        conclusion = str(answer.get("conclusion") or "")
        if conclusion != "success":
            why = {
                "cancelled": "was cancelled (a later submission of yours, or the course, stopped it)",
                "failure": "failed before it could grade",
                "timed_out": "ran out of time on GitHub",
            }.get(conclusion, f"ended {printable(conclusion)}")
            raise GitHubError(EXIT_RUN_FAILED, f"the grading run {why}: see {run.url}")
        report = download_report(gh, run.id, submission_id, attempt_of(answer), run.url)
    except GhTimedOut:
        progress.done()
        goes_on = _goes_on(run, sent, submission_id)
        raise GitHubError(EXIT_TIMED_OUT, f"the submission did not finish in {timeout:g} s{goes_on}") from None
    except KeyboardInterrupt:
        progress.done()
        gh.stop()
        raise GitHubError(130, f"interrupted{_goes_on(run, sent, submission_id)}") from None
    if report.student_id != student_id or report.assessment != assessment:
        raise GitHubError(EXIT_RUN_FAILED, f"the run's report is not this submission's: see {run.url}")
    return report


def _goes_on(run: Run | None, sent: bool, submission: str) -> str:
    """What happens to a submission this process stops following: once sent, its run goes on and counts."""
    if run is not None:
        return f"; the grading run goes on and will still count: see {run.url}"
    if sent:
        return f"; submission {submission} was sent: its run goes on and will still count"
    return ""


def _dispatch(gh: Gh, workflow: str, branch: str, assessment: str, student: str, submission: str) -> Run | None:
    """Start the workflow; the run it started, when the server says (since 2026), else None."""
    body: dict[str, Any] = {
        "ref": branch,
        "inputs": {"assessment": assessment, "student_id": student, "submission_id": submission},
        "return_run_details": True,
    }
    path = f"repos/{gh.repo.slug}/actions/workflows/{workflow}/dispatches"
    try:
        try:
            answer = gh.api(path, method="POST", body=body)
        except GhFailed as exc:  # a server from before run details refuses the parameter: once more without
            if exc.status not in (400, 422) or "return_run_details" not in exc.said:
                raise
            del body["return_run_details"]
            answer = gh.api(path, method="POST", body=body)
    except GhFailed as exc:
        if exc.status == 404:
            raise GitHubError(
                EXIT_NO_WORKFLOW, f"{gh.repo} has no workflow {workflow} (or it is not on {branch}): ask your course"
            ) from None
        if exc.status == 403:
            raise GitHubError(
                EXIT_NO_ACCESS, f"your GitHub login may not start workflows in {gh.repo}: ask your course"
            ) from None
        if exc.status == 422:
            raise GitHubError(
                EXIT_NO_WORKFLOW, f"{gh.repo}'s {workflow} cannot be started this way ({exc.said}): ask your course"
            ) from None
        raise GitHubError(EXIT_CANNOT_REACH, f"GitHub refused the submission: {exc.said}") from None
    if isinstance(answer, dict) and isinstance(answer.get("workflow_run_id"), int):
        url = answer.get("html_url")
        return Run(answer["workflow_run_id"], printable(url) if isinstance(url, str) else run_url(gh, answer))
    return None


def _find_run(
    gh: Gh, workflow: str, branch: str, submission: str, started: datetime, pace: Pace, progress: Progress
) -> Run:
    since = iso(started - timedelta(minutes=2))  # the run's clock and this one's may differ a little
    query = f"event=workflow_dispatch&branch={quote(branch)}&created=%3E%3D{since}&per_page=100"
    pause = 1.0
    while True:
        for run in runs_page(gh, workflow, query):
            m = named(run)
            if m and m["submission"] == submission and isinstance(run.get("id"), int):
                return Run(
                    run["id"], printable(str(run.get("html_url") or run_url(gh, {"workflow_run_id": run["id"]})))
                )
        progress.say(f"submission {submission}: waiting for its run to appear")
        _pause(gh, pace, pause)
        pause = min(pause * 2, 5.0)


def _pause(gh: Gh, pace: Pace, seconds: float) -> None:
    """Wait before asking again, but never past the submission's time: then it has timed out."""
    left = (gh.deadline - pace.clock()) if gh.deadline is not None else seconds
    if left <= 0:
        raise GhTimedOut("the time given ran out")
    pace.sleep(max(0.0, min(seconds, left)))


def _wait(gh: Gh, run: Run, pace: Pace, progress: Progress) -> dict[str, Any]:
    """The run once it completes; a time-out names the run, which goes on without us."""
    clock = pace.clock
    begun = clock()
    while True:
        try:
            answer = gh.api(f"repos/{gh.repo.slug}/actions/runs/{run.id}")
        except GhFailed as exc:
            raise GitHubError(EXIT_CANNOT_REACH, f"GitHub refused to show the run {run.url}: {exc.said}") from None
        status = answer.get("status") if isinstance(answer, dict) else None
        if not isinstance(status, str):
            raise GitHubError(EXIT_CANNOT_REACH, f"GitHub's answer about {run.url} has no status: try again later")
        assert isinstance(answer, dict)
        if status == "completed":
            return answer
        if gh.deadline is not None and clock() >= gh.deadline:
            raise GitHubError(
                EXIT_TIMED_OUT,
                f"the grading run did not finish in {pace.timeout:g} s; it goes on: see {run.url} "
                "(your course's gradebook records it when it ends)",
            )
        elapsed = int(clock() - begun)
        progress.say(
            f"grading run {run.id}: {printable(status).replace('_', ' ')} ({elapsed // 60}:{elapsed % 60:02d})"
        )
        try:
            _pause(gh, pace, pace.poll)
        except GhTimedOut:
            continue  # one more look, then the time-out that names the run
