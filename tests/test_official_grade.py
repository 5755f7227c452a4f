"""An official grade no one can forge, backdate or lose: provenance, attempts, completeness, files,
time limits, signals and bytes, against the ``gh`` stand-in (tests/gh_stand_in.py), with no network.

Listing rules run in this process against the stand-in's REST answers (a class of thousands of runs
in milliseconds); the rest goes through the command line and a real ``gh`` process.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from checks.cli import main
from checks.errors import GitHubError
from checks.github import collect as collecting
from checks.github import gh as github_cli
from checks.github import runs as github_runs
from checks.github import submit as official
from checks.model import Report
from tests import gh_stand_in
from tests.conftest import ROOT
from tests.test_submit import (  # noqa: F401 - the github fixture and its helpers
    SAMPLE,
    GitHub,
    dispatched,
    earned,
    finish,
    github,
    graded,
    submit,
)

DEADLINE = "2026-12-15T23:59:00Z"


class InProcess(github_cli.Gh):
    """``gh api`` answered by the stand-in's own function, in this process: for listings of thousands."""

    def __init__(self, state: dict[str, Any]) -> None:
        super().__init__(github_cli.Repo("course", "cloud"))
        self.state = state
        self.paths: list[str] = []

    def api(self, path: str, *, method: str = "GET", body: dict[str, Any] | None = None) -> Any:
        self.paths.append(path)
        try:
            return gh_stand_in.api(self.state, method, path, body)
        except gh_stand_in.HttpError as exc:
            raise github_cli.GhFailed(f"gh: {exc.message} (HTTP {exc.status})", exc.status) from None


def failed_runs(state: dict[str, Any], count: int, *, seconds_apart: int = 60, same: bool = False) -> None:
    """``count`` completed runs that failed (nothing to download), one student each, spread in time."""
    repo = state["repos"]["course/cloud"]
    for i in range(count):
        t = 0 if same else i * seconds_apart
        state["now"] = f"2026-11-{1 + t // 86400:02d}T{t % 86400 // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}Z"
        body = {
            "ref": "main",
            "inputs": {"assessment": "lambda_medium", "student_id": f"u{i}", "submission_id": f"x{i:08d}"},
        }
        gh_stand_in.dispatch(state, "course/cloud", repo, "grade-submission.yml", body)
        run = state["runs"][-1]
        run["status"], run["conclusion"] = "completed", "failure"


def course(gh: github_cli.Gh) -> collecting.Course:
    return collecting.course_of(gh, "grade-submission.yml")


# -- completeness ------------------------------------------------------------------------------------------
def test_a_listing_past_githubs_1000_results_is_read_whole() -> None:
    state = gh_stand_in.new_state()
    failed_runs(state, 2345)
    gh = InProcess(state)
    runs, unread = collecting.list_submission_runs(gh, "grade-submission.yml", course(gh), io.StringIO())
    assert unread == []
    assert len(runs) == 2345 and len({r["id"] for r in runs}) == 2345
    # and the stand-in does cap a filtered listing, as GitHub does
    capped = gh_stand_in.list_runs(
        state, "course/cloud", "grade-submission.yml", {"status": "completed", "page": "11", "per_page": "100"}
    )
    assert capped["workflow_runs"] == [] and capped["total_count"] == 2345


def test_more_runs_in_one_second_than_github_lists_are_named_not_dropped() -> None:
    state = gh_stand_in.new_state()
    failed_runs(state, 1001, same=True)
    gh = InProcess(state)
    runs, unread = collecting.list_submission_runs(gh, "grade-submission.yml", course(gh), io.StringIO())
    assert len(runs) == 1000
    assert len(unread) == 1 and "more than 1,000 runs created" in unread[0] and "2026-11-01T00:00:00Z" in unread[0]


def test_a_listing_whose_pages_never_end_stops_with_one_line_and_no_gradebook(
    github: GitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graded(github, "s1", "a00000000001", "2026-12-10T10:00:00Z", 2)
    github.set(endless=True)
    gradebook = tmp_path / "grades.csv"
    assert main(["collect", "lambda_medium", "--repo", "course/cloud", "--gradebook", str(gradebook)]) == 3
    err = capsys.readouterr().err
    assert err.count("did not end after 1,000 runs: stopped there") == 1
    assert "could not be read whole: no gradebook written" in err.splitlines()[-1]
    assert not gradebook.exists()
    pages = [c for c in github.calls("api") if any("/runs?" in a for a in c)]
    assert len(pages) == 11  # ten pages of a hundred, and the eleventh that should have been empty


def test_a_report_that_cannot_be_downloaded_is_an_error_never_an_older_submission(
    github: GitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graded(github, "s1", "a00000000001", "2026-12-10T10:00:00Z", 4)  # full marks, early
    later = graded(github, "s1", "a00000000002", "2026-12-14T10:00:00Z", 1)
    graded(github, "s2", "b00000000001", "2026-12-12T10:00:00Z", 2)
    github.change(lambda s: s["download_fails"].update({str(later): "502"}))
    gradebook = tmp_path / "grades.csv"
    assert main(["collect", "lambda_medium", "--repo", "course/cloud", "--gradebook", str(gradebook)]) == 3
    rows = {r["student_id"]: r for r in csv.DictReader(io.StringIO(gradebook.read_text()))}
    assert (
        rows["s1"]["earned"] == "" and "could not be read" in rows["s1"]["error"] and "HTTP 502" in rows["s1"]["error"]
    )
    assert f"actions/runs/{later}" in rows["s1"]["error"]
    assert rows["s2"]["earned"] == earned(2)
    assert "a submission of s1 could not be read: collect again" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("huge", "report.json is larger than 8 MiB"),
        ("symlink", "report.json is not a file"),
        ("fifo", "report.json is not a regular file"),
        ("folder", "report.json is not a regular file"),
        ("not json", "Expecting value"),
    ],
)
def test_an_artifacts_report_that_is_not_a_bounded_file_is_the_runs_error(tmp_path: Path, kind: str, said: str) -> None:
    report = tmp_path / "report.json"
    if kind == "huge":
        report.write_bytes(b" " * (8 * 1024 * 1024 + 1))
    elif kind == "symlink":
        (tmp_path / "elsewhere.json").write_text("{}")
        report.symlink_to(tmp_path / "elsewhere.json")
    elif kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no named pipes here")
        os.mkfifo(report)
    elif kind == "folder":
        report.mkdir()
    else:
        report.write_bytes(b"\xff\xfe{not json")
    with pytest.raises(GitHubError) as raised:
        github_runs.read_report(report, "https://github.com/course/cloud/actions/runs/7")
    assert raised.value.code == github_cli.EXIT_RUN_FAILED
    assert str(raised.value).startswith("the run's report is not one (") and said in str(raised.value)
    assert str(raised.value).endswith("): see https://github.com/course/cloud/actions/runs/7")


def test_a_student_whose_only_runs_failed_shows_the_failed_run(github: GitHub, tmp_path: Path) -> None:
    run = dispatched(github, "s3", "c00000000001", "2026-12-10T10:00:00Z")
    finish(github, run, None, "failure")
    roster = tmp_path / "class.csv"
    roster.write_text("student_id\ns3\ns4\n")
    gradebook = tmp_path / "grades.csv"
    argv = [
        "collect",
        "lambda_medium",
        "--repo",
        "course/cloud",
        "--gradebook",
        str(gradebook),
        "--roster",
        str(roster),
    ]
    assert main(argv) == 0
    rows = {r["student_id"]: r for r in csv.DictReader(io.StringIO(gradebook.read_text()))}
    assert rows["s3"]["error"] == f"run failed (failure): https://github.com/course/cloud/actions/runs/{run}"
    assert rows["s4"]["error"] == "no submission"


# -- provenance --------------------------------------------------------------------------------------------
def forged(github: GitHub, ref: str, student: str = "s2") -> int:
    """A student with Write access pushes ``ref`` (a tag or branch named like main) carrying an edited
    workflow, dispatches it, and it uploads full marks for ``student``."""
    evil = gh_stand_in.sha("edited workflow")
    github.change(lambda s: s["repos"]["course/cloud"]["tags"].update({"main": evil}))

    def add(state: dict[str, Any]) -> None:
        state["now"] = "2026-12-11T10:00:00Z"
        body = {
            "ref": ref,
            "inputs": {"assessment": "lambda_medium", "student_id": student, "submission_id": "f00000000001"},
        }
        gh_stand_in.dispatch(state, "course/cloud", state["repos"]["course/cloud"], "grade-submission.yml", body)

    github.change(add)
    run_id = int(github.read()["runs"][-1]["id"])
    report = json.loads(json.dumps(SAMPLE))
    report["student_id"] = student
    for c in (c for t in report["tasks"] for c in t["checks"]):
        c["status"], c["earned"] = "pass", c["points"]
    report["submission"] = {"id": "f00000000001", "submitted_at": "2026-12-11T10:00:00Z"}
    folder = Path(os.environ["GH_STAND_IN"]).parent / f"forged-{run_id}" / "submission"
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps(report))
    finish(github, run_id, folder.parent)
    return run_id


def collect(tmp_path: Path, *extra: str, code: int = 0) -> dict[str, dict[str, str]]:
    gradebook = tmp_path / "grades.csv"
    argv = ["collect", "lambda_medium", "--repo", "course/cloud", "--gradebook", str(gradebook), "--deadline", DEADLINE]
    assert main([*argv, *extra]) == code
    return {r["student_id"]: r for r in csv.DictReader(io.StringIO(gradebook.read_text()))}


def test_a_run_from_a_tag_named_like_the_default_branch_never_counts(
    github: GitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graded(github, "s2", "b00000000001", "2026-12-10T10:00:00Z", 1)  # s2's honest, poor submission
    run = forged(github, "refs/tags/main")
    assert github.read()["runs"][-1]["head_branch"] == "main"  # what head_branch alone would have trusted
    rows = collect(tmp_path)
    assert rows["s2"]["earned"] == earned(1) and rows["s2"]["attempts"] == "1"
    err = capsys.readouterr().err
    assert f"actions/runs/{run}: not the course's own grader (its commit" in err and "is not on main" in err


def test_a_run_of_another_workflow_file_or_ref_never_counts(
    github: GitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graded(github, "s2", "b00000000001", "2026-12-10T10:00:00Z", 1)
    honest = graded(github, "s2", "b00000000002", "2026-12-11T10:00:00Z", 4)
    github.change(lambda s: s["runs"][-1].update(path=".github/workflows/grade-submission.yml@refs/heads/evil"))
    rows = collect(tmp_path)
    assert rows["s2"]["earned"] == earned(1)
    assert f"actions/runs/{honest}: not the course's own grader (it ran .github/workflows/grade-submission.yml@" in (
        capsys.readouterr().err
    )


def test_a_run_from_an_older_commit_of_the_default_branch_counts(github: GitHub, tmp_path: Path) -> None:
    run = graded(github, "s2", "b00000000001", "2026-12-10T10:00:00Z", 2)

    def newer(state: dict[str, Any]) -> None:  # main moved on since: the run's commit is in its history
        state["runs"][-1]["head_sha"] = state["repos"]["course/cloud"]["commits"][0]
        state["repos"]["course/cloud"]["commits"].append(gh_stand_in.sha("third"))

    github.change(newer)
    assert collect(tmp_path)["s2"]["earned"] == earned(2)
    assert any(f"compare/{gh_stand_in.sha('first')}..." in " ".join(c) for c in github.calls("api")), run


# -- time: each attempt is a submission of its own ------------------------------------------------------
def rerun(github: GitHub, run_id: int, at: str, by: str, passed: int) -> None:
    """Another attempt of a finished run, with the report the account now gives."""

    def again(state: dict[str, Any]) -> None:
        run = gh_stand_in.rerun(state, run_id, at, by)
        report = json.loads(json.dumps(SAMPLE))
        report["student_id"] = run["inputs"]["student_id"]
        for i, c in enumerate(c for t in report["tasks"] for c in t["checks"]):
            c["status"], c["earned"] = ("pass", c["points"]) if i < passed else ("fail", 0)
        report["submission"] = {"id": run["inputs"]["submission_id"], "submitted_at": run["created_at"]}  # a claim
        name = f"submission-{run['inputs']['submission_id']}-{run['run_attempt']}"
        files = {"report.json": json.dumps(report)}
        state["artifacts"].setdefault(str(run_id), []).append({"name": name, "files": files})

    github.change(again)


@pytest.mark.parametrize(
    ("policy", "earned_", "attempt", "late"),
    [("latest", 4, "2", "true"), ("latest-on-time", 0, "1", "false"), ("best", 4, "2", "true")],
)
def test_a_rerun_after_the_deadline_is_a_late_submission_of_its_own(
    github: GitHub, tmp_path: Path, policy: str, earned_: int, attempt: str, late: str
) -> None:
    run = graded(github, "s1", "a00000000001", "2026-12-10T10:00:00Z", 0)  # early, on an empty account
    rerun(github, run, "2026-12-16T08:00:00Z", "s1-gh", 4)  # finished after the deadline, re-ran the early run
    rows = collect(tmp_path, "--policy", policy)
    row = rows["s1"]
    assert (row["earned"], row["run_attempt"], row["late"]) == (earned(earned_), attempt, late)
    assert row["attempts"] == "2"
    assert row["submitted_at"] == ("2026-12-16T08:00:00Z" if attempt == "2" else "2026-12-10T10:00:00Z")
    assert row["run_url"].endswith(f"/actions/runs/{run}/attempts/{attempt}")


def test_a_rerun_by_someone_else_is_recorded_and_never_voids_the_submission(github: GitHub, tmp_path: Path) -> None:
    run = graded(github, "s1", "a00000000001", "2026-12-10T10:00:00Z", 1)
    rerun(github, run, "2026-12-11T08:00:00Z", "prof-smith", 3)
    roster = tmp_path / "class.csv"
    roster.write_text("student_id,github\ns1,s1-gh\n")
    row = collect(tmp_path, "--roster", str(roster))["s1"]
    assert (row["earned"], row["submitted_by"], row["rerun_by"]) == (earned(3), "s1-gh", "prof-smith")


def test_the_workflow_stamps_the_attempts_own_start(github: GitHub, tmp_path: Path) -> None:
    """The grade step's --submitted-at: the attempt's run_started_at, never the run's created_at."""
    from tests.test_submit import workflow_steps

    step = workflow_steps()["grade"]["run"]
    assert "/attempts/$GITHUB_RUN_ATTEMPT" in step and "--jq .run_started_at" in step and ".created_at" not in step
    upload = Path(ROOT / "examples" / "grade-submission.yml").read_text()
    assert "name: submission-${{ inputs.submission_id }}-${{ github.run_attempt }}" in upload
    run = dispatched(github, "s1", "a00000000001", "2026-12-10T10:00:00Z")
    github.change(lambda s: gh_stand_in.rerun(s, run, "2026-12-16T08:00:00Z", "s1-gh"))
    done = subprocess.run(
        ["gh", "api", f"repos/course/cloud/actions/runs/{run}/attempts/2", "--jq", ".run_started_at"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.stdout.strip() == "2026-12-16T08:00:00Z"
    report = official.stamp(
        Report.from_dict(SAMPLE),
        "a00000000001",
        done.stdout.strip(),
        DEADLINE,
        {"GITHUB_RUN_ID": str(run), "GITHUB_REPOSITORY": "course/cloud", "GITHUB_RUN_ATTEMPT": "2"},
    )
    assert report.submission is not None
    assert (report.submission.late, report.submission.attempt) == (True, 2)
    assert report.submission.run_url == f"https://github.com/course/cloud/actions/runs/{run}/attempts/2"
    assert "submission a00000000001 (attempt 2), submitted 2026-12-16T08:00:00Z LATE" in report.submission.said()


# -- files ---------------------------------------------------------------------------------------------------
def test_a_run_names_no_file_outside_the_report_folder(
    github: GitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = ["../../x", "/tmp/abs", "a/b", "..", "x\\y"]
    for n, student in enumerate(hostile):
        graded(github, student, f"a0000000000{n}", "2026-12-10T10:00:00Z", 2)
    graded(github, "s1", "a00000000009", "2026-12-10T10:00:00Z", 2)
    reports = tmp_path / "deep" / "reports"
    rows = collect(tmp_path, "--report-dir", str(reports))
    assert list(rows) == ["s1"]
    assert sorted(p.name for p in reports.iterdir()) == ["s1.json"]
    for escaped in (tmp_path / "x.json", Path("/tmp/abs.json"), tmp_path / "deep" / "x.json", tmp_path / ".json"):
        assert not escaped.exists()
    assert capsys.readouterr().err.count("is not a student ID of lambda_medium; left out") == len(hostile)


def test_the_report_folder_refuses_a_name_that_is_a_path(tmp_path: Path) -> None:
    from checks.errors import BadInput
    from checks.grading.roster import report_path

    assert report_path(tmp_path, "s1") == tmp_path / "s1.json"
    for bad in ("../x", "/etc/x", "a/b", "..", ".hidden", ""):
        with pytest.raises(BadInput):
            report_path(tmp_path, bad)


# -- time limits, signals -------------------------------------------------------------------------------
def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_submit_timeout_bounds_a_hanging_gh(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    github.set(api_hangs=["/actions/runs/"])  # the run is started, then every question about it hangs
    begun = time.monotonic()
    assert main(submit("--submit-timeout", "1.5")) == 9
    assert time.monotonic() - begun < 10
    err = capsys.readouterr().err.splitlines()[-1]
    assert (
        "did not finish in 1.5 s; the grading run goes on and will still count: see https://github.com/course/cloud/actions/runs/1000"
        in err
    )
    pids = github.read()["pids"]
    assert pids and not any(alive(p) for p in pids)


def test_ctrl_c_during_a_submission_says_the_run_goes_on(github: GitHub) -> None:
    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    gh = github_cli.Gh(github_cli.Repo("course", "cloud"))
    with pytest.raises(GitHubError) as caught:
        pace = official.Pace(sleep=interrupted)
        official.submit(gh, "grade-submission.yml", "lambda_medium", "s1", pace, io.StringIO())
    assert caught.value.code == 130
    assert str(caught.value) == (
        "interrupted; the grading run goes on and will still count: see https://github.com/course/cloud/actions/runs/1000"
    )


def test_sigterm_during_collect_ends_at_once_and_ends_its_gh(github: GitHub, tmp_path: Path) -> None:
    for i in range(3):
        graded(github, f"s{i}", f"a0000000000{i}", "2026-12-10T10:00:00Z", 2)
    github.set(download_fails={str(r["id"]): "hang" for r in github.read()["runs"]})
    gradebook = tmp_path / "grades.csv"
    proc = subprocess.Popen(
        [
            sys.executable,
            "validate_tasks.py",
            "collect",
            "lambda_medium",
            "--repo",
            "course/cloud",
            "--gradebook",
            str(gradebook),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        limit = time.monotonic() + 30
        while len(github.read()["pids"]) < 3 and time.monotonic() < limit:
            time.sleep(0.05)
        pids = github.read()["pids"]
        assert len(pids) == 3, "the downloads started"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=5)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert err.splitlines()[-1] == (
        "validate-tasks: interrupted while reading the submissions: nothing written; 3 gh process(es) ended"
    )
    assert not gradebook.exists() and "Traceback" not in err
    time.sleep(0.2)
    assert not any(alive(p) for p in pids)


# -- bytes ------------------------------------------------------------------------------------------------
def test_ghs_bytes_are_read_as_utf8_and_its_tokens_never_printed(github: GitHub) -> None:
    token = "ghp_" + "A1b2" * 9
    said = b"\xff\xfe author \xc5\x81ukasz, auth " + token.encode() + b" github_pat_11ABCDEFG_xyz"
    github.set(stderr_bytes=said.hex(), download_fails={"1000": "502"})
    done = subprocess.run(
        [sys.executable, "validate_tasks.py", *submit()],
        cwd=ROOT,
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "cp1252"},
        timeout=60,
    )
    err = done.stderr.decode("cp1252")
    assert done.returncode == 8, err
    assert "Traceback" not in err and "ghp_" not in err and "github_pat_" not in err
    assert "[token hidden]" in err and "\\u0141ukasz" in err  # shown, as this console can show it
    assert "[token hidden]" in err.splitlines()[-1] and "HTTP 502" in err.splitlines()[-1]


@pytest.mark.parametrize("text", ["2026-12-15T23:59:00Z", "2026-12-15T23:59:00z", "2026-12-16T00:59:00+01:00"])
def test_times_ending_in_z_are_read_on_every_python(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """Python 3.10's fromisoformat refuses a Z: stood in here by a datetime that refuses it too."""
    from datetime import datetime, timezone

    class Python310(datetime):
        @classmethod
        def fromisoformat(cls, date_string: str) -> datetime:
            if date_string.endswith(("Z", "z")):
                raise ValueError(f"Invalid isoformat string: {date_string!r}")
            return datetime.fromisoformat(date_string)

    monkeypatch.setattr(github_runs, "datetime", Python310)
    assert github_runs.parse_time(text, "--deadline") == datetime(2026, 12, 15, 23, 59, tzinfo=timezone.utc)


# -- the workflows pass the linters engineers run on them -------------------------------------------------
WORKFLOWS = sorted(str(p) for p in (ROOT / "examples").glob("*.yml"))


def test_zizmor_finds_nothing_in_the_workflows() -> None:
    zizmor = Path(sys.executable).parent / "zizmor"
    done = subprocess.run(
        [str(zizmor), "--offline", "--no-progress", *WORKFLOWS], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr


def test_actionlint_finds_nothing_in_the_workflows() -> None:
    actionlint = Path(sys.executable).parent / "actionlint"
    done = subprocess.run([str(actionlint), *WORKFLOWS], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr


def test_the_linters_do_find_what_they_look_for(tmp_path: Path) -> None:
    """A workflow with an action on a tag, credentials kept and an old runtime: both linters say so."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "name: bad\non: workflow_dispatch\npermissions:\n  id-token: write\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n"
    )
    bin_dir = Path(sys.executable).parent
    z = subprocess.run(
        [str(bin_dir / "zizmor"), "--offline", "--no-progress", str(bad)], capture_output=True, text=True, timeout=120
    )
    assert z.returncode != 0 and "unpinned-uses" in z.stdout
    a = subprocess.run([str(bin_dir / "actionlint"), str(bad)], capture_output=True, text=True, timeout=120)
    assert a.returncode != 0 and "node20" in a.stdout


def test_every_action_is_pinned_to_a_commit_with_its_version_beside_it() -> None:
    import re

    for path in WORKFLOWS:
        for line in Path(path).read_text().splitlines():
            if "uses:" in line:
                assert re.search(r"uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), (path, line)


def test_collect_draws_the_class_page_with_late_and_missing_submissions(github: GitHub, tmp_path: Path) -> None:
    graded(github, "s1", "a00000000001", "2026-12-16T10:00:00Z", 2)  # after the deadline
    roster = tmp_path / "class.csv"
    roster.write_text("student_id\ns1\ns2\n")
    page = tmp_path / "class.html"
    argv = ["collect", "lambda_medium", "--repo", "course/cloud", "--gradebook", str(tmp_path / "g.csv")]
    assert main([*argv, "--roster", str(roster), "--deadline", DEADLINE, "--output", str(page)]) == 0
    text = page.read_text()
    assert text.startswith("<!doctype html>") and "Late and missing submissions" in text
    late = text[text.index('id="late-missing"') :]
    assert ">LATE<" in late and "no submission" in late
