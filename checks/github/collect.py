"""``collect``: every official submission of an assessment, read back from the course's workflow runs.

Only the course's own grader counts (:class:`Provenance`): ``workflow_dispatch`` of its workflow file,
from a commit the default branch contains. Each attempt of a run is a submission of its own, dated
when it started. GitHub's 1,000-result cap on a filtered listing is worked around by windows of
creation time; what still cannot be read is named, never dropped.
"""

from __future__ import annotations

import re
import sys
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import IO, Any
from urllib.parse import quote

from checks import PROG
from checks.errors import BadInput, GitHubError
from checks.github.gh import EXIT_CANNOT_REACH, EXIT_NO_WORKFLOW, Gh, GhFailed, GhTimedOut
from checks.github.runs import attempt_of, download_report, iso, named, parse_time, repository, runs_answer, runs_in
from checks.model import Report, Submission
from checks.text import printable

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
    repo = repository(gh)
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
    last = MAX_LISTED // PER_PAGE  # GitHub lists no page past the 1,000th run
    for page in range(1, last + 1):
        answer = runs_answer(gh, workflow, f"{base}&per_page={PER_PAGE}&page={page}")
        runs = runs_in(answer)
        count = answer.get("total_count")
        if isinstance(count, int) and not isinstance(count, bool):
            total = count if total is None else max(total, count)
        found += runs
        if len(runs) < PER_PAGE:
            return found, total is None or total <= max(len(found), MAX_LISTED), False
    past = runs_in(runs_answer(gh, workflow, f"{base}&per_page={PER_PAGE}&page={last + 1}"))
    return found, False, bool(past)


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
        m = named(run)
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
    latest = attempt_of(run)
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
        report = download_report(gh, run_id, attempt.submission_id, attempt.number, attempt.url)
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
