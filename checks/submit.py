"""Grades for the record, made by the course's grading workflow on GitHub Actions.

``--submit`` starts the workflow (``examples/grade-submission.yml``) for one student with a fresh
submission ID, follows *that* run (never "the latest run", which may be a classmate's), downloads
its report and shows it. ``collect`` reads every submission run of an assessment back into one
gradebook. Both speak to GitHub only through the GitHub CLI, ``gh api`` and ``gh run download``,
so the student's own ``gh`` login is the only credential involved and any ``gh`` version works.

The run's creation time, set by GitHub, is the submission time: nothing the student sends is
taken as a time. The run-name carries the assessment, student and submission ID, so a run can be
found by its submission ID where GitHub does not return the run's details on dispatch.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

from checks import PROG
from checks.errors import BadInput, GitHubError
from checks.fix import printable
from checks.model import Report, Submission
from checks.roster import Outcome, RosterRow, in_natural_order

# Exit codes of --submit and collect, beside contract.md's 0-3 (the report's own) and 130.
EXIT_CANNOT_REACH = 3  # GitHub not reached, or not answering as GitHub does: as "could not grade"
EXIT_NO_GH = 4  # the GitHub CLI is not installed
EXIT_NOT_LOGGED_IN = 5  # gh is not logged in (or its token is refused)
EXIT_NO_ACCESS = 6  # the repository does not exist or this login may not see it
EXIT_NO_WORKFLOW = 7  # the repository has no such workflow (or it cannot be dispatched)
EXIT_RUN_FAILED = 8  # the run failed, was cancelled, or left no report
EXIT_TIMED_OUT = 9  # the run did not finish in time

WORKFLOW = "grade-submission.yml"  # the workflow's file name in the course's .github/workflows/
COURSE_FILE = "course.cfg"  # beside validate_tasks.py: [submit] repo = OWNER/NAME, workflow = FILE.yml
SUBMISSION_ID = re.compile(r"[A-Za-z0-9_-]{6,64}")
REPO = re.compile(r"(?:(?P<host>[A-Za-z0-9.-]+)/)?(?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+)")
# The run-name of examples/grade-submission.yml: "submission ASSESSMENT STUDENT (SUBMISSION)".
RUN_NAME = re.compile(r"submission (?P<assessment>\S+) (?P<student>\S+) \((?P<submission>[A-Za-z0-9_-]+)\)")
ARTIFACT = "submission-{}"  # the artifact a run uploads: report.json and report.txt
POLICIES = ("latest", "best", "latest-on-time")
INSTALL_GH = "https://cli.github.com (e.g. `brew install gh`, `winget install --id GitHub.cli`, `sudo apt install gh`)"


class GhFailed(Exception):
    """A ``gh`` command failed; ``status`` is the HTTP status it reported, if any."""

    def __init__(self, said: str, status: int | None) -> None:
        super().__init__(said)
        self.said = said
        self.status = status


Runner = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass
class Repo:
    """``[HOST/]OWNER/NAME`` as gh names a repository; ``host`` only for GitHub Enterprise Server."""

    owner: str
    name: str
    host: str | None = None

    @classmethod
    def parse(cls, text: str, where: str) -> Repo:
        m = REPO.fullmatch(text.strip())
        if not m:
            raise BadInput(f"{where}: {printable(text)!r} is not a repository: write OWNER/NAME")
        return cls(m["owner"], m["name"], m["host"])

    @property
    def slug(self) -> str:
        return f"{self.owner}/{self.name}"

    def __str__(self) -> str:
        return f"{self.host}/{self.slug}" if self.host else self.slug


class Gh:
    """The GitHub CLI, as the grader uses it: JSON from ``gh api``, files from ``gh run download``."""

    def __init__(self, repo: Repo, *, executable: str = "gh", run: Runner = subprocess.run) -> None:
        self.repo = repo
        self.executable = executable
        self._run = run

    def _call(self, args: list[str], *, stdin: str | None = None, timeout: float = 120.0) -> str:
        try:
            done = self._run(
                [self.executable, *args],
                input=stdin,
                capture_output=True,
                text=True,
                timeout=timeout,
                env={**os.environ, "GH_PROMPT_DISABLED": "1", "NO_COLOR": "1", "GH_NO_UPDATE_NOTIFIER": "1"},
            )
        except FileNotFoundError:
            raise GitHubError(
                EXIT_NO_GH, f"gh, the GitHub CLI, is not installed: install it from {INSTALL_GH}"
            ) from None
        except subprocess.TimeoutExpired:
            raise GitHubError(
                EXIT_CANNOT_REACH, f"gh did not answer in {timeout:g} s: check the network and grade again"
            ) from None
        if done.returncode == 0:
            return done.stdout
        said = " ".join((done.stderr or done.stdout or "").split())
        if done.returncode == 4 or "gh auth login" in said or "HTTP 401" in said:
            host = f" --hostname {self.repo.host}" if self.repo.host else ""
            raise GitHubError(EXIT_NOT_LOGGED_IN, f"gh is not logged in to GitHub: run `gh auth login{host}`")
        status = re.search(r"\(HTTP (\d{3})\)", said)
        if status is None and re.search(r"error connecting|dial tcp|no such host|timeout", said, re.I):
            raise GitHubError(EXIT_CANNOT_REACH, f"cannot reach GitHub ({printable(said[:120])}): check the network")
        raise GhFailed(printable(said[:300]), int(status[1]) if status else None)

    def api(self, path: str, *, method: str = "GET", body: dict[str, Any] | None = None) -> Any:
        """One REST call; its JSON answer, or None for an empty one (204)."""
        args = ["api", "--method", method, "-H", "Accept: application/vnd.github+json"]
        if self.repo.host:
            args += ["--hostname", self.repo.host]
        if body is not None:
            args += ["--input", "-"]
        out = self._call([*args, path], stdin=json.dumps(body) if body is not None else None)
        if not out.strip():
            return None
        try:
            return json.loads(out)
        except ValueError:
            raise GitHubError(EXIT_CANNOT_REACH, f"GitHub's answer to {path} is not JSON: grade again later") from None

    def download(self, run_id: int, artifact: str, directory: str) -> None:
        self._call(
            ["run", "download", str(run_id), "--repo", str(self.repo), "--name", artifact, "--dir", directory],
            timeout=300.0,
        )


# -- where the course's repository is named -------------------------------------------------------
def course_settings(folder: Path | None = None) -> dict[str, str]:
    """``course.cfg``'s ``[submit]`` section, beside validate_tasks.py (none: empty)."""
    import configparser

    path = (folder or Path(__file__).resolve().parent.parent) / COURSE_FILE
    if not path.is_file():
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeError, configparser.Error) as exc:
        raise BadInput(f"{path}: not readable ({printable(str(exc).splitlines()[0])[:120]})") from exc
    if not parser.has_section("submit"):
        return {}
    return {k: v.strip().strip("\"'") for k, v in parser.items("submit")}


def resolve_repo(given: str | None, folder: Path | None = None) -> tuple[Repo, str]:
    """The course's repository and workflow: --repo, else $GRADER_REPO, else course.cfg."""
    settings = course_settings(folder)
    workflow = os.environ.get("GRADER_WORKFLOW") or settings.get("workflow") or WORKFLOW
    if not re.fullmatch(r"[A-Za-z0-9_.-]+\.ya?ml|\d+", workflow):
        raise BadInput(f"workflow {printable(workflow)!r}: name its file, e.g. {WORKFLOW}")
    for where, value in (
        ("--repo", given),
        ("GRADER_REPO", os.environ.get("GRADER_REPO")),
        (COURSE_FILE, settings.get("repo")),
    ):
        if value:
            return Repo.parse(value, where), workflow
    raise BadInput(f"which course repository? pass --repo OWNER/NAME (or set GRADER_REPO, or ship {COURSE_FILE})")


def new_submission_id() -> str:
    return secrets.token_hex(8)


def parse_time(text: str, where: str) -> datetime:
    """An ISO 8601 time; without a zone it is UTC."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"{where} {printable(text)!r} is not a time: write e.g. 2026-12-15T23:59:00Z") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def check_submission_id(text: str) -> str:
    """A submission ID (it names the run's artifact), or one line saying what one is."""
    if not SUBMISSION_ID.fullmatch(text):
        raise BadInput(f"bad submission ID {text[:70]!r}: 6 to 64 letters, digits, '-' or '_'")
    return text


def iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(
    report: Report,
    submission_id: str,
    submitted_at: str | None,
    deadline: str | None,
    environ: dict[str, str] | None = None,
) -> Report:
    """The report as a submission: its ID, the run's time, late or not, and the run (in GitHub Actions)."""
    env = os.environ if environ is None else environ
    check_submission_id(submission_id)
    when = parse_time(submitted_at, "--submitted-at") if submitted_at else datetime.now(timezone.utc)
    due = parse_time(deadline, "--deadline") if deadline else None
    run_url = None
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        run_url = f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    submission = Submission(
        submission_id, iso(when), iso(due) if due else None, bool(due and when > due), printable(run_url or "") or None
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


def submit(
    gh: Gh,
    workflow: str,
    assessment: str,
    student_id: str,
    *,
    timeout: float = 900.0,
    poll: float = 5.0,
    err: IO[str] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    submission_id: str | None = None,
) -> Report:
    """Start the course's workflow for this student, wait for *its* run, and return the report it made."""
    err = err or sys.stderr
    submission_id = submission_id or new_submission_id()
    deadline = clock() + timeout
    branch = _default_branch(gh)
    started = datetime.now(timezone.utc)
    run = _dispatch(gh, workflow, branch, assessment, student_id, submission_id)
    progress = Progress(err)
    try:
        if run is None:  # a server without run details: the run whose run-name carries this submission
            run = _find_run(gh, workflow, branch, submission_id, started, deadline, clock, sleep, progress)
        print(f"{PROG}: submission {submission_id}: {run.url}", file=err, flush=True)
        conclusion = _wait(gh, run, deadline, clock, sleep, poll, progress, timeout)
    finally:
        progress.done()
    if conclusion != "success":
        why = {
            "cancelled": "was cancelled (a later submission of yours, or the course, stopped it)",
            "failure": "failed before it could grade",
            "timed_out": "ran out of time on GitHub",
        }.get(conclusion, f"ended {printable(conclusion)}")
        raise GitHubError(EXIT_RUN_FAILED, f"the grading run {why}: see {run.url}")
    report = _download_report(gh, run.id, submission_id, run.url)
    if report.student_id != student_id or report.assessment != assessment:
        raise GitHubError(EXIT_RUN_FAILED, f"the run's report is not this submission's: see {run.url}")
    return report


def _default_branch(gh: Gh) -> str:
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
    if not isinstance(branch, str) or not branch:
        raise GitHubError(EXIT_CANNOT_REACH, f"GitHub's answer about {gh.repo} has no default branch: try again later")
    return branch


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
        return Run(answer["workflow_run_id"], printable(url) if isinstance(url, str) else _run_url(gh, answer))
    return None


def _run_url(gh: Gh, answer: dict[str, Any]) -> str:
    host = gh.repo.host or "github.com"
    return f"https://{host}/{gh.repo.slug}/actions/runs/{answer['workflow_run_id']}"


def _find_run(
    gh: Gh,
    workflow: str,
    branch: str,
    submission: str,
    started: datetime,
    deadline: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    progress: Progress,
) -> Run:
    since = iso(started - timedelta(minutes=2))  # the run's clock and this one's may differ a little
    query = f"event=workflow_dispatch&branch={branch}&created=%3E%3D{since}&per_page=100"
    pause = 1.0
    while True:
        for run in _runs(gh, workflow, query):
            m = _named(run)
            if m and m["submission"] == submission and isinstance(run.get("id"), int):
                return Run(
                    run["id"], printable(str(run.get("html_url") or _run_url(gh, {"workflow_run_id": run["id"]})))
                )
        if clock() >= deadline:
            raise GitHubError(
                EXIT_TIMED_OUT, f"the run of submission {submission} did not appear in {gh.repo}'s {workflow}"
            )
        progress.say(f"submission {submission}: waiting for its run to appear")
        sleep(pause)
        pause = min(pause * 2, 5.0)


def _named(run: dict[str, Any]) -> re.Match[str] | None:
    """The assessment, student and submission a run's run-name carries, or None for another run."""
    return RUN_NAME.fullmatch(str(run.get("display_title") or run.get("name") or ""))


def _runs(gh: Gh, workflow: str, query: str) -> list[dict[str, Any]]:
    """One page of the workflow's runs matching ``query`` (the REST API's own parameters)."""
    try:
        return _runs_in(gh.api(f"repos/{gh.repo.slug}/actions/workflows/{workflow}/runs?{query}"))
    except GhFailed as exc:
        if exc.status == 404:
            raise GitHubError(EXIT_NO_WORKFLOW, f"{gh.repo} has no workflow {workflow}") from None
        raise GitHubError(EXIT_CANNOT_REACH, f"GitHub refused to list {workflow}'s runs: {exc.said}") from None


def _runs_in(answer: Any) -> list[dict[str, Any]]:
    runs = answer.get("workflow_runs") if isinstance(answer, dict) else None
    if not isinstance(runs, list):
        raise GitHubError(EXIT_CANNOT_REACH, "GitHub's list of runs is not one: try again later")
    return [r for r in runs if isinstance(r, dict)]


def _wait(
    gh: Gh,
    run: Run,
    deadline: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    poll: float,
    progress: Progress,
    timeout: float,
) -> str:
    """The run's conclusion once it completes; a time-out names the run, which goes on without us."""
    begun = clock()
    while True:
        try:
            answer = gh.api(f"repos/{gh.repo.slug}/actions/runs/{run.id}")
        except GhFailed as exc:
            raise GitHubError(EXIT_CANNOT_REACH, f"GitHub refused to show the run {run.url}: {exc.said}") from None
        status = answer.get("status") if isinstance(answer, dict) else None
        if not isinstance(status, str):
            raise GitHubError(EXIT_CANNOT_REACH, f"GitHub's answer about {run.url} has no status: try again later")
        if status == "completed":
            return str(answer.get("conclusion") or "")
        if clock() >= deadline:
            raise GitHubError(
                EXIT_TIMED_OUT,
                f"the grading run did not finish in {timeout:g} s; it goes on: see {run.url} "
                "(your course's gradebook records it when it ends)",
            )
        elapsed = int(clock() - begun)
        progress.say(
            f"grading run {run.id}: {printable(status).replace('_', ' ')} ({elapsed // 60}:{elapsed % 60:02d})"
        )
        sleep(max(0.0, min(poll, deadline - clock())))


def _download_report(gh: Gh, run_id: int, submission: str, url: str) -> Report:
    with tempfile.TemporaryDirectory(prefix="validate-tasks-") as folder:
        try:
            gh.download(run_id, ARTIFACT.format(submission), folder)
        except GhFailed as exc:
            raise GitHubError(EXIT_RUN_FAILED, f"the run left no report ({exc.said}): see {url}") from None
        return read_report(Path(folder) / "report.json", url)


def read_report(path: Path, where: str) -> Report:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Report.from_dict(data)
    except (OSError, ValueError, RecursionError) as exc:
        raise GitHubError(
            EXIT_RUN_FAILED, f"the run's report is not one ({printable(str(exc))[:80]}): see {where}"
        ) from None


# -- collect -------------------------------------------------------------------------------------------
@dataclass
class Attempt:
    """One graded submission, as the run that graded it says: its report carries the run's own time."""

    report: Report
    submitted_by: str  # the GitHub login that started the run

    @property
    def student_id(self) -> str:
        return self.report.student_id

    @property
    def submission(self) -> Submission:
        assert self.report.submission is not None  # collect keeps only reports of a submission
        return self.report.submission


def list_submission_runs(gh: Gh, workflow: str, branch: str) -> list[dict[str, Any]]:
    """Every completed run of the workflow on the default branch, page by page."""
    runs: list[dict[str, Any]] = []
    page = 1
    while True:
        query = f"event=workflow_dispatch&status=completed&branch={branch}&per_page=100&page={page}"
        found = _runs(gh, workflow, query)
        runs += found
        if len(found) < 100:
            return runs
        page += 1


def collect(
    gh: Gh,
    workflow: str,
    assessment: str,
    *,
    deadline: str | None = None,
    err: IO[str] | None = None,
    workers: int = 8,
) -> list[Attempt]:
    """Every graded submission of ``assessment``: its report, with the run's own time and login."""
    from concurrent.futures import ThreadPoolExecutor

    err = err or sys.stderr
    due = parse_time(deadline, "--deadline") if deadline else None
    branch = _default_branch(gh)
    runs = []
    for run in list_submission_runs(gh, workflow, branch):
        m = _named(run)
        if not m or m["assessment"] != assessment or not isinstance(run.get("id"), int):
            continue
        if run.get("head_branch") != branch or run.get("conclusion") != "success":
            continue  # only the default branch's grader grades for the record; a failed run left no report
        runs.append((run, m))

    def fetch(item: tuple[dict[str, Any], re.Match[str]]) -> Attempt | None:
        run, m = item
        url = printable(str(run.get("html_url") or run["id"]))
        try:
            report = _download_report(gh, run["id"], m["submission"], url)
        except GitHubError as exc:
            print(f"{PROG}: {exc}", file=err)
            return None
        sub = report.submission
        if (
            report.student_id != m["student"]
            or report.assessment != assessment
            or sub is None
            or sub.id != m["submission"]
        ):
            print(f"{PROG}: run {url}: its report is not the submission its name says; left out", file=err)
            return None
        created = run.get("created_at")
        when = (
            parse_time(created, "created_at")
            if isinstance(created, str)
            else parse_time(sub.submitted_at, "submitted_at")
        )
        limit = due or (parse_time(sub.deadline, "deadline") if sub.deadline else None)
        late = bool(limit and when > limit)
        stamped = replace(sub, submitted_at=iso(when), deadline=iso(limit) if limit else None, late=late)
        actor = run.get("triggering_actor") or run.get("actor") or {}
        login = actor.get("login") if isinstance(actor, dict) else None
        return Attempt(replace(report, submission=stamped), printable(str(login or "")))

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return [a for a in pool.map(fetch, runs) if a is not None]


def choose(attempts: Sequence[Attempt], policy: str) -> Attempt:
    """The submission a policy grades: ``latest``; ``best`` (the earliest of the best); ``latest-on-time``
    (the latest before the deadline, else the latest, which is then late)."""
    ordered = sorted(attempts, key=lambda a: a.submission.submitted_at)
    if policy == "best":
        return max(ordered, key=lambda a: a.report.earned)  # max keeps the first of equals: the earliest
    if policy == "latest-on-time":
        on_time = [a for a in ordered if not a.submission.late]
        return (on_time or ordered)[-1]
    return ordered[-1]


# The gradebook's columns after a roster gradebook's: when, how often, late or not, and by whom.
COLUMNS = ("submitted_at", "attempts", "late", "submitted_by")


def gradebook(
    attempts: Iterable[Attempt], roster: Sequence[RosterRow], policy: str, roster_name: str, err: IO[str]
) -> list[Outcome]:
    """One row per student: the submission the policy counts, with its columns; with a roster, a row for every
    student on it ("no submission" when none counts), and a ``github`` column naming the only login whose
    runs count for that student (the others are said on ``err`` and left out)."""
    rows = {r.student_id: r for r in roster}
    outcomes = []
    for sid, mine in _by_student(attempts).items():
        expected = dict(rows[sid].extra).get("github", "") if sid in rows else ""
        if expected:
            for a in [a for a in mine if a.submitted_by.lower() != expected.lower()]:
                print(f"{PROG}: {sid}: a submission by {a.submitted_by or '?'}, not {expected}: left out", file=err)
            mine = [a for a in mine if a.submitted_by.lower() == expected.lower()]
            if not mine:
                continue
        if rows and sid not in rows:
            print(f"{PROG}: {sid} submitted but is not on {roster_name}", file=err)
        chosen = choose(mine, policy)
        sub, report = chosen.submission, chosen.report
        columns = (sub.submitted_at, str(len(mine)), str(sub.late).lower(), chosen.submitted_by)
        carried = rows[sid].extra if sid in rows else ()
        extra = (*zip(COLUMNS, columns, strict=True), *carried)
        outcomes.append(Outcome(sid, report, region=report.region, account_id=report.account_id, extra=extra))
    counted = {o.student_id for o in outcomes}
    for sid, row in rows.items():
        if sid not in counted:
            empty = zip(COLUMNS, ("", "0", "", ""), strict=True)
            outcomes.append(Outcome(sid, error="no submission", extra=(*empty, *row.extra)))
    return in_natural_order(outcomes)


def _by_student(attempts: Iterable[Attempt]) -> dict[str, list[Attempt]]:
    grouped: dict[str, list[Attempt]] = {}
    for a in attempts:
        grouped.setdefault(a.student_id, []).append(a)
    return grouped
