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

import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

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


class GhTimedOut(GitHubError):
    """The time the whole submission may take (``--submit-timeout``) ran out while ``gh`` worked."""

    def __init__(self, message: str) -> None:
        super().__init__(EXIT_TIMED_OUT, message)


# A GitHub token in what gh says (its error text may quote a request): never printed.
TOKEN = re.compile(r"\b(?:gh[opsur]_[A-Za-z0-9_]{4,}|github_pat_[A-Za-z0-9_]{4,}|v1\.[0-9a-f]{40})")


def redact(text: str) -> str:
    """``text`` with every GitHub token in it hidden."""
    return TOKEN.sub("[token hidden]", text)


def said_by_gh(raw: bytes, limit: int) -> str:
    """What gh printed, as one printable line: UTF-8 read with replacement (any console), tokens hidden."""
    return printable(redact(" ".join(raw.decode("utf-8", "replace").split())))[:limit]


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
    """The GitHub CLI, as the grader uses it: JSON from ``gh api``, files from ``gh run download``.

    Every ``gh`` it starts is its own process group, known until it ends: :meth:`stop` (Ctrl-C,
    SIGTERM) ends them all at once, and ``deadline`` (a :func:`time.monotonic` time) bounds each
    call, so a hanging ``gh`` never outlives the time the user gave.
    """

    def __init__(
        self,
        repo: Repo,
        *,
        executable: str = "gh",
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo = repo
        self.executable = executable
        self.deadline = deadline
        self.clock = clock
        self._live: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._stopped = False

    def stop(self) -> int:
        """End every ``gh`` still running, and start no other; how many were ended."""
        with self._lock:
            self._stopped = True
            live = list(self._live)
        for proc in live:
            _kill(proc)
        return len(live)

    def _call(self, args: list[str], *, stdin: str | None = None, timeout: float = 120.0) -> str:
        by_deadline = False
        if self.deadline is not None:
            left = self.deadline - self.clock()
            if left <= 0:
                raise GhTimedOut("the time given ran out")
            by_deadline, timeout = left < timeout, min(timeout, left)
        env = {**os.environ, "GH_PROMPT_DISABLED": "1", "NO_COLOR": "1", "GH_NO_UPDATE_NOTIFIER": "1"}
        try:
            with self._lock:
                if self._stopped:
                    raise KeyboardInterrupt
                proc = subprocess.Popen(
                    [self.executable, *args],
                    stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=env,
                    start_new_session=True,  # its own group: stopped whole, and not by the terminal's Ctrl-C first
                )
                self._live.add(proc)
        except FileNotFoundError:
            raise GitHubError(
                EXIT_NO_GH, f"gh, the GitHub CLI, is not installed: install it from {INSTALL_GH}"
            ) from None
        try:
            out, err = proc.communicate(stdin.encode() if stdin is not None else None, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            proc.communicate()
            if by_deadline:
                raise GhTimedOut(f"gh did not answer before the time given ran out ({timeout:.0f} s left)") from None
            raise GitHubError(
                EXIT_CANNOT_REACH, f"gh did not answer in {timeout:g} s: check the network and try again"
            ) from None
        finally:
            with self._lock:
                self._live.discard(proc)
        if self._stopped:
            raise KeyboardInterrupt
        if proc.returncode == 0:
            return out.decode("utf-8", "replace")
        said = said_by_gh(err or out, 300)
        if proc.returncode == 4 or "gh auth login" in said or "HTTP 401" in said:
            host = f" --hostname {self.repo.host}" if self.repo.host else ""
            raise GitHubError(EXIT_NOT_LOGGED_IN, f"gh is not logged in to GitHub: run `gh auth login{host}`")
        status = re.search(r"\(HTTP (\d{3})\)", said)
        if status is None and re.search(r"error connecting|dial tcp|no such host|timeout", said, re.I):
            raise GitHubError(EXIT_CANNOT_REACH, f"cannot reach GitHub ({said[:120]}): check the network")
        raise GhFailed(said, int(status[1]) if status else None)

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
        except (ValueError, RecursionError):
            raise GitHubError(EXIT_CANNOT_REACH, f"GitHub's answer to {path} is not JSON: try again later") from None

    def download(self, run_id: int, artifact: str, directory: str) -> None:
        self._call(
            ["run", "download", str(run_id), "--repo", str(self.repo), "--name", artifact, "--dir", directory],
            timeout=300.0,
        )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """End a ``gh`` and whatever it started (its process group)."""
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


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
    """The report as a submission: its ID, its attempt's start, late or not, and the run and attempt (in
    GitHub Actions: ``GITHUB_RUN_ID``, ``GITHUB_RUN_ATTEMPT``)."""
    env = os.environ if environ is None else environ
    check_submission_id(submission_id)
    when = parse_time(submitted_at, "--submitted-at") if submitted_at else datetime.now(timezone.utc)
    due = parse_time(deadline, "--deadline") if deadline else None
    run_url = None
    attempt = env.get("GITHUB_RUN_ATTEMPT", "")
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        run_url = f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
        if attempt.isdigit():
            run_url += f"/attempts/{attempt}"
    submission = Submission(
        submission_id,
        iso(when),
        iso(due) if due else None,
        bool(due and when > due),
        printable(run_url or "") or None,
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
    """Start the course's workflow for this student, wait for *its* run, and return the report it made.

    ``timeout`` bounds the whole submission, every ``gh`` call included. Once the workflow is started,
    a time-out or Ctrl-C says that the run goes on and still counts, and where it is.
    """
    err = err or sys.stderr
    submission_id = submission_id or new_submission_id()
    gh.deadline = clock() + timeout
    gh.clock = clock
    run: Run | None = None
    sent = False
    progress = Progress(err)
    try:
        branch = _default_branch(gh)["default_branch"]
        started = datetime.now(timezone.utc)
        run = _dispatch(gh, workflow, branch, assessment, student_id, submission_id)
        sent = True
        if run is None:  # a server without run details: the run whose run-name carries this submission
            run = _find_run(gh, workflow, branch, submission_id, started, clock, sleep, progress)
        print(f"{PROG}: submission {submission_id}: {run.url}", file=err, flush=True)
        answer = _wait(gh, run, clock, sleep, poll, progress, timeout)
        progress.done()
        conclusion = str(answer.get("conclusion") or "")
        if conclusion != "success":
            why = {
                "cancelled": "was cancelled (a later submission of yours, or the course, stopped it)",
                "failure": "failed before it could grade",
                "timed_out": "ran out of time on GitHub",
            }.get(conclusion, f"ended {printable(conclusion)}")
            raise GitHubError(EXIT_RUN_FAILED, f"the grading run {why}: see {run.url}")
        report = _download_report(gh, run.id, submission_id, _attempt_of(answer), run.url)
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


def _attempt_of(run: dict[str, Any]) -> int:
    attempt = run.get("run_attempt", 1)
    return attempt if isinstance(attempt, int) and not isinstance(attempt, bool) and attempt >= 1 else 1


def _default_branch(gh: Gh) -> dict[str, Any]:
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
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    progress: Progress,
) -> Run:
    since = iso(started - timedelta(minutes=2))  # the run's clock and this one's may differ a little
    query = f"event=workflow_dispatch&branch={quote(branch)}&created=%3E%3D{since}&per_page=100"
    pause = 1.0
    while True:
        for run in _runs(gh, workflow, query):
            m = _named(run)
            if m and m["submission"] == submission and isinstance(run.get("id"), int):
                return Run(
                    run["id"], printable(str(run.get("html_url") or _run_url(gh, {"workflow_run_id": run["id"]})))
                )
        progress.say(f"submission {submission}: waiting for its run to appear")
        _pause(gh, clock, sleep, pause)
        pause = min(pause * 2, 5.0)


def _pause(gh: Gh, clock: Callable[[], float], sleep: Callable[[float], None], seconds: float) -> None:
    """Wait before asking again, but never past the submission's time: then it has timed out."""
    left = (gh.deadline - clock()) if gh.deadline is not None else seconds
    if left <= 0:
        raise GhTimedOut("the time given ran out")
    sleep(max(0.0, min(seconds, left)))


def _named(run: dict[str, Any]) -> re.Match[str] | None:
    """The assessment, student and submission a run's run-name carries, or None for another run."""
    return RUN_NAME.fullmatch(str(run.get("display_title") or run.get("name") or ""))


def _runs(gh: Gh, workflow: str, query: str) -> list[dict[str, Any]]:
    """One page of the workflow's runs matching ``query`` (the REST API's own parameters)."""
    return _runs_in(_runs_answer(gh, workflow, query))


def _runs_answer(gh: Gh, workflow: str, query: str) -> dict[str, Any]:
    """GitHub's answer for one page of the workflow's runs: ``workflow_runs`` and ``total_count``."""
    try:
        answer = gh.api(f"repos/{gh.repo.slug}/actions/workflows/{workflow}/runs?{query}")
    except GhFailed as exc:
        if exc.status == 404:
            raise GitHubError(EXIT_NO_WORKFLOW, f"{gh.repo} has no workflow {workflow}") from None
        raise GitHubError(EXIT_CANNOT_REACH, f"GitHub refused to list {workflow}'s runs: {exc.said}") from None
    _runs_in(answer)
    assert isinstance(answer, dict)
    return answer


def _runs_in(answer: Any) -> list[dict[str, Any]]:
    runs = answer.get("workflow_runs") if isinstance(answer, dict) else None
    if not isinstance(runs, list):
        raise GitHubError(EXIT_CANNOT_REACH, "GitHub's list of runs is not one: try again later")
    return [r for r in runs if isinstance(r, dict)]


def _wait(
    gh: Gh,
    run: Run,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    poll: float,
    progress: Progress,
    timeout: float,
) -> dict[str, Any]:
    """The run once it completes; a time-out names the run, which goes on without us."""
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
                f"the grading run did not finish in {timeout:g} s; it goes on: see {run.url} "
                "(your course's gradebook records it when it ends)",
            )
        elapsed = int(clock() - begun)
        progress.say(
            f"grading run {run.id}: {printable(status).replace('_', ' ')} ({elapsed // 60}:{elapsed % 60:02d})"
        )
        try:
            _pause(gh, clock, sleep, poll)
        except GhTimedOut:
            continue  # one more look, then the time-out that names the run


def artifact_names(submission: str, attempt: int) -> list[str]:
    """The artifact an attempt of a submission's run uploads (``submission-ID-ATTEMPT``); a first attempt
    of a workflow copied before attempts were named may have left ``submission-ID``."""
    names = [ARTIFACT.format(f"{submission}-{attempt}")]
    return [*names, ARTIFACT.format(submission)] if attempt == 1 else names


def _download_report(gh: Gh, run_id: int, submission: str, attempt: int, url: str) -> Report:
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


MAX_REPORT = 8 * 1024 * 1024  # a report is tens of kilobytes; an artifact's file larger than this is not one


def read_report(path: Path, where: str) -> Report:
    try:
        if not path.is_file() or path.is_symlink():
            raise ValueError("report.json is not a file")
        if path.stat().st_size > MAX_REPORT:
            raise ValueError(f"report.json is larger than {MAX_REPORT // (1024 * 1024)} MiB")
        data = json.loads(path.read_bytes().decode("utf-8", "replace"))
        return Report.from_dict(data)
    except (OSError, ValueError, RecursionError) as exc:
        raise GitHubError(
            EXIT_RUN_FAILED, f"the run's report is not one ({printable(str(exc))[:80]}): see {where}"
        ) from None


# -- collect -------------------------------------------------------------------------------------------
MAX_LISTED = 1000  # GitHub lists at most this many runs for one filtered query, however many match
PER_PAGE = 100
MAX_QUERIES = 400  # windows of creation time asked for at the most, before the listing says it gave up


@dataclass
class Attempt:
    """One attempt of one submission run: its report when it graded, else why there is none.

    A re-run keeps the run's creation time but is an attempt of its own, dated when it started. The
    submission belongs to the login that dispatched the run (``submitted_by``, GitHub's ``actor``);
    whoever re-ran it (``rerun_by``: the instructor, a classmate) is recorded and changes nothing else.
    """

    student_id: str
    submission_id: str
    number: int  # the run's attempt
    started_at: str  # when this attempt started, from GitHub
    url: str
    submitted_by: str
    rerun_by: str = ""
    report: Report | None = None
    failed: str = ""  # the run's conclusion when it did not grade
    unreadable: str = ""  # why its report could not be read

    @property
    def submission(self) -> Submission:
        assert self.report is not None and self.report.submission is not None  # only graded attempts count
        return self.report.submission


@dataclass
class Collected:
    """What ``collect`` read: every attempt it could judge, the runs it left out, and what it could not read."""

    attempts: list[Attempt]
    left_out: list[str]
    unread: list[str]


@dataclass
class Course:
    """What a run must match to count: the course's workflow, from its default branch."""

    repo: dict[str, Any]
    branch: str
    branch_sha: str
    workflow_id: int
    workflow_path: str


def course_of(gh: Gh, workflow: str) -> Course:
    repo = _default_branch(gh)
    branch = repo["default_branch"]
    try:
        wf = gh.api(f"repos/{gh.repo.slug}/actions/workflows/{workflow}")
        head = gh.api(f"repos/{gh.repo.slug}/branches/{quote(branch, safe='')}")
    except GhFailed as exc:
        if exc.status == 404:
            raise GitHubError(EXIT_NO_WORKFLOW, f"{gh.repo} has no workflow {workflow} on {branch}") from None
        raise GitHubError(EXIT_CANNOT_REACH, f"GitHub refused to show {workflow}: {exc.said}") from None
    wf_id = wf.get("id") if isinstance(wf, dict) else None
    path = wf.get("path") if isinstance(wf, dict) else None
    commit = head.get("commit") if isinstance(head, dict) else None
    sha = commit.get("sha") if isinstance(commit, dict) else None
    if not isinstance(wf_id, int) or not isinstance(path, str) or not isinstance(sha, str) or not _is_sha(sha):
        raise GitHubError(EXIT_CANNOT_REACH, f"GitHub's answer about {workflow} on {branch} is not one: try again")
    return Course(repo, branch, sha, wf_id, path)


def _is_sha(text: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", text))


class Provenance:
    """Whether a run is the course's own grader: ``workflow_dispatch`` of the course's workflow file, on
    ``refs/heads/<default>``, from a commit the default branch contains. ``head_branch`` alone is not
    enough: a tag or a branch named like the default branch reports the same one."""

    def __init__(self, gh: Gh, course: Course) -> None:
        self.gh = gh
        self.course = course
        self._contained: dict[str, bool] = {}
        self._lock = threading.Lock()

    def why_not(self, run: dict[str, Any]) -> str | None:
        """None for the course's own run; else why it does not count."""
        c = self.course
        if run.get("event") != "workflow_dispatch":
            return "it was not started by workflow_dispatch"
        if run.get("workflow_id") != c.workflow_id:
            return "it ran another workflow"
        path, _, ref = str(run.get("path") or "").partition("@")
        if path != c.workflow_path or ref not in ("", f"refs/heads/{c.branch}"):
            return f"it ran {printable(str(run.get('path')))[:80]}, not {c.workflow_path} of {c.branch}"
        if run.get("head_branch") != c.branch:
            return f"it ran from {printable(str(run.get('head_branch')))[:60]}, not {c.branch}"
        sha = run.get("head_sha")
        if not isinstance(sha, str) or not _is_sha(sha):
            return "GitHub gave no commit for it"
        if not self.contained(sha):
            return f"its commit {sha[:12]} is not on {c.branch} (a tag or branch named like it)"
        return None

    def contained(self, sha: str) -> bool:
        """Whether the default branch contains ``sha``: the compare API, against the branch's own commit
        (a name would be ambiguous where a tag is named like the branch)."""
        with self._lock:
            if sha in self._contained:
                return self._contained[sha]
        if sha == self.course.branch_sha:
            return True
        try:
            answer = self.gh.api(f"repos/{self.gh.repo.slug}/compare/{sha}...{self.course.branch_sha}")
        except GhFailed as exc:
            if exc.status == 404:  # a commit GitHub cannot compare with the branch: on no history of it
                answer = {"status": "diverged"}
            else:
                raise GitHubError(EXIT_CANNOT_REACH, f"GitHub refused to compare {sha[:12]}: {exc.said}") from None
        status = answer.get("status") if isinstance(answer, dict) else None
        if status not in ("ahead", "behind", "identical", "diverged"):
            raise GitHubError(EXIT_CANNOT_REACH, f"GitHub's comparison of {sha[:12]} is not one: try again later")
        with self._lock:
            self._contained[sha] = status in ("ahead", "identical")
        return self._contained[sha]


def list_submission_runs(gh: Gh, workflow: str, course: Course, err: IO[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Every completed ``workflow_dispatch`` run of the workflow on the default branch, and what could not be
    listed. GitHub lists at most 1,000 runs for a filtered query: a query that matches more is split into
    halves of its creation-time window until each lists whole."""
    lo = _created(course.repo.get("created_at")) or datetime(2008, 1, 1, tzinfo=timezone.utc)
    hi = datetime.now(timezone.utc) + timedelta(days=3650)  # a clock ahead of GitHub's loses no run
    lo, hi = lo.replace(microsecond=0), hi.replace(microsecond=0)
    runs: dict[int, dict[str, Any]] = {}
    unread: list[str] = []
    windows = [(lo, hi)]
    queries = 0
    while windows:
        start, end = windows.pop()
        queries += 1
        if queries > MAX_QUERIES:
            unread.append(f"runs created {iso(start)}..{iso(end)} and more: too many windows to list")
            break
        found, whole, endless = _list_window(gh, workflow, course.branch, start, end)
        if endless:
            print(f"{PROG}: GitHub's list of runs did not end after {MAX_LISTED:,} runs: stopped there", file=err)
            unread.append(f"runs created {iso(start)}..{iso(end)} past the first {MAX_LISTED:,}")
        elif not whole:
            if end - start < timedelta(seconds=2):
                unread.append(f"more than {MAX_LISTED:,} runs created {iso(start)}..{iso(end)}")
            else:
                middle = start + (end - start) / 2
                middle = middle.replace(microsecond=0)
                windows += [(middle + timedelta(seconds=1), end), (start, middle)]
                continue
        for run in found:
            if isinstance(run.get("id"), int):
                runs[run["id"]] = run
    return [runs[k] for k in sorted(runs)], unread


def _created(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_time(value, "created_at")
    except BadInput:
        return None


def _list_window(
    gh: Gh, workflow: str, branch: str, start: datetime, end: datetime
) -> tuple[list[dict[str, Any]], bool, bool]:
    """The runs created in [start, end]; whether that is all of them; whether the pages never ended."""
    created = quote(f"{iso(start)}..{iso(end)}", safe="")
    base = f"event=workflow_dispatch&status=completed&branch={quote(branch, safe='')}&created={created}"
    found: list[dict[str, Any]] = []
    total: int | None = None
    for page in range(1, MAX_LISTED // PER_PAGE + 2):
        answer = _runs_answer(gh, workflow, f"{base}&per_page={PER_PAGE}&page={page}")
        runs = _runs_in(answer)
        count = answer.get("total_count")
        if isinstance(count, int) and not isinstance(count, bool):
            total = count if total is None else max(total, count)
        if page > MAX_LISTED // PER_PAGE:  # GitHub lists no page past the 1,000th run
            return found, False, bool(runs)
        found += runs
        if len(runs) < PER_PAGE:
            return found, total is None or total <= len(found) or total <= MAX_LISTED, False
    return found, False, False  # pragma: no cover - the loop returns


def collect(
    gh: Gh,
    workflow: str,
    assessment: str,
    *,
    id_rule: re.Pattern[str] | None = None,
    deadline: str | None = None,
    err: IO[str] | None = None,
    workers: int = 8,
) -> Collected:
    """Every attempt of every submission of ``assessment`` that the course's own workflow ran: its report,
    dated by the attempt's own start, with who dispatched it and who re-ran it."""
    from concurrent.futures import ThreadPoolExecutor

    err = err or sys.stderr
    due = parse_time(deadline, "--deadline") if deadline else None
    course = course_of(gh, workflow)
    provenance = Provenance(gh, course)
    listed, unread = list_submission_runs(gh, workflow, course, err)
    if unread:  # no gradebook is written from part of the list: nothing more to read
        return Collected([], [], unread)
    left_out: list[str] = []
    runs = []
    for run in listed:
        m = _named(run)
        if not m or m["assessment"] != assessment:
            continue
        url = printable(str(run.get("html_url") or run["id"]))
        if id_rule is not None and not id_rule.fullmatch(m["student"]):
            left_out.append(f"run {url}: {printable(m['student'])[:50]!r} is not a student ID of {assessment}")
            continue
        runs.append((run, m, url))

    def judge(item: tuple[dict[str, Any], re.Match[str], str]) -> list[Attempt] | str:
        run, m, url = item
        why = provenance.why_not(run)
        if why is not None:
            return f"run {url}: not the course's own grader ({why})"
        return _attempts(gh, run, m, url, assessment, due)

    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        attempts: list[Attempt] = []
        for result in pool.map(judge, runs):
            if isinstance(result, str):
                left_out.append(result)
            else:
                attempts += result
    except BaseException:
        gh.stop()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return Collected(attempts, left_out, unread)


def _attempts(
    gh: Gh, run: dict[str, Any], m: re.Match[str], url: str, assessment: str, due: datetime | None
) -> list[Attempt]:
    """Each attempt of a run, the latest as listed and the earlier ones asked for, with its report."""
    latest = _attempt_of(run)
    actor = _login(run.get("actor"))
    out = []
    for number in range(1, latest + 1):
        this = run
        where = url if latest == 1 else f"{url}/attempts/{number}"
        if number < latest:
            try:
                this = gh.api(f"repos/{gh.repo.slug}/actions/runs/{run['id']}/attempts/{number}")
            except (GhFailed, GitHubError) as exc:
                said = exc.said if isinstance(exc, GhFailed) else str(exc)
                out.append(_unread(m, number, "", where, actor, f"GitHub did not show this attempt ({said})"))
                continue
            if not isinstance(this, dict):
                out.append(_unread(m, number, "", where, actor, "GitHub's answer about this attempt is not one"))
                continue
        started = _created(this.get("run_started_at")) or (_created(run.get("created_at")) if number == 1 else None)
        rerun_by = _login(this.get("triggering_actor"))
        attempt = Attempt(
            m["student"],
            m["submission"],
            number,
            iso(started) if started else "",
            where,
            actor,
            rerun_by if rerun_by.lower() != actor.lower() else "",
        )
        if started is None:
            attempt.unreadable = "GitHub gave no start time for this attempt"
        elif this.get("conclusion") != "success":
            attempt.failed = printable(str(this.get("conclusion") or "unfinished"))[:40]
        else:
            _read_attempt(gh, attempt, run["id"], assessment, started, due)
        out.append(attempt)
    return out


def _unread(m: re.Match[str], number: int, started: str, url: str, actor: str, why: str) -> Attempt:
    return Attempt(m["student"], m["submission"], number, started, url, actor, unreadable=why)


def _read_attempt(
    gh: Gh, attempt: Attempt, run_id: int, assessment: str, started: datetime, due: datetime | None
) -> None:
    """The attempt's report, dated by the attempt's start; a report that cannot be read says why."""
    try:
        report = _download_report(gh, run_id, attempt.submission_id, attempt.number, attempt.url)
    except GhTimedOut:
        raise
    except GitHubError as exc:
        attempt.unreadable = str(exc)
        return
    sub = report.submission
    if report.student_id != attempt.student_id or report.assessment != assessment or sub is None:
        attempt.unreadable = "its report is not the submission its name says"
        return
    if sub.id != attempt.submission_id:
        attempt.unreadable = "its report is not the submission its name says"
        return
    limit = due or (parse_time(sub.deadline, "deadline") if sub.deadline else None)
    stamped = replace(
        sub,
        submitted_at=iso(started),
        deadline=iso(limit) if limit else None,
        late=bool(limit and started > limit),
        run_url=attempt.url,
        attempt=attempt.number,
    )
    attempt.report = replace(report, submission=stamped)


def _login(actor: Any) -> str:
    login = actor.get("login") if isinstance(actor, dict) else None
    return printable(login)[:60] if isinstance(login, str) else ""


def choose(attempts: Sequence[Attempt], policy: str) -> Attempt:
    """The submission a policy grades: ``latest``; ``best`` (the earliest of the best); ``latest-on-time``
    (the latest before the deadline, else the latest, which is then late)."""
    ordered = sorted(attempts, key=lambda a: a.submission.submitted_at)
    if policy == "best":
        return max(ordered, key=lambda a: a.report.earned if a.report else 0)  # max keeps the earliest of equals
    if policy == "latest-on-time":
        on_time = [a for a in ordered if not a.submission.late]
        return (on_time or ordered)[-1]
    return ordered[-1]


# The gradebook's columns after a roster gradebook's: when, how often, late or not, by whom, which attempt of
# which run, and who re-ran it when that was someone else.
COLUMNS = ("submitted_at", "attempts", "late", "submitted_by", "run_attempt", "rerun_by", "run_url")


def gradebook(
    attempts: Iterable[Attempt], roster: Sequence[RosterRow], policy: str, roster_name: str, err: IO[str]
) -> list[Outcome]:
    """One row per student: the submission the policy counts, with its columns; with a roster, a row for every
    student on it ("no submission" when none counts), and a ``github`` column naming the only login whose
    runs count for that student (the others are said on ``err`` and left out).

    A student any of whose submissions could not be read is an error row: an older submission never
    stands in for one that was made. A student whose only runs failed is "run failed", with the run.
    """
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
        carried = rows[sid].extra if sid in rows else ()
        graded = [a for a in mine if a.report is not None]
        unreadable = [a for a in mine if a.unreadable]
        if unreadable:
            a = unreadable[-1]
            why = f"submission {a.submission_id} could not be read ({a.unreadable}): {a.url}"
            outcomes.append(Outcome(sid, error=why, extra=(*_columns(None, len(graded)), *carried)))
            continue
        if not graded:
            a = mine[-1]
            outcomes.append(Outcome(sid, error=f"run failed ({a.failed}): {a.url}", extra=(*_columns(a, 0), *carried)))
            continue
        chosen = choose(graded, policy)
        report = chosen.report
        assert report is not None
        extra = (*_columns(chosen, len(graded)), *carried)
        outcomes.append(Outcome(sid, report, region=report.region, account_id=report.account_id, extra=extra))
    counted = {o.student_id for o in outcomes}
    for sid, row in rows.items():
        if sid not in counted:
            outcomes.append(Outcome(sid, error="no submission", extra=(*_columns(None, 0), *row.extra)))
    return in_natural_order(outcomes)


def _columns(a: Attempt | None, graded: int) -> tuple[tuple[str, str], ...]:
    if a is None:
        values: tuple[str, ...] = ("", str(graded), "", "", "", "", "")
    else:
        late = str(a.report.submission.late).lower() if a.report and a.report.submission else ""
        values = (a.started_at, str(graded), late, a.submitted_by, str(a.number), a.rerun_by, a.url)
    return tuple(zip(COLUMNS, values, strict=True))


def _by_student(attempts: Iterable[Attempt]) -> dict[str, list[Attempt]]:
    grouped: dict[str, list[Attempt]] = {}
    for a in sorted(attempts, key=lambda a: (a.started_at, a.number)):
        grouped.setdefault(a.student_id, []).append(a)
    return grouped
