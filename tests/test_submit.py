"""Submitting for an official grade through the course's GitHub workflow, and collecting the gradebook.

GitHub is a stand-in ``gh`` (tests/gh_stand_in.py) first on PATH: no network. The workflow's own
grading step runs against moto with GitHub's environment variables, and what it leaves is what
``--submit`` and ``collect`` read.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from checks.cli import main
from tests import gh_stand_in
from tests.conftest import CACHE, ROOT

SAMPLE = json.loads((ROOT / "tests" / "snapshots" / "sample.json").read_text())
WORKFLOW = ROOT / "examples" / "grade-submission.yml"


class GitHub:
    """The stand-in's state file, for a test to set up and read back."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, Any]:
        return json.loads(self.path.read_text())

    def set(self, **settings: Any) -> None:
        state = self.read()
        state.update(settings)
        self.path.write_text(json.dumps(state))

    def change(self, edit: Callable[[dict[str, Any]], None]) -> None:
        state = self.read()
        edit(state)
        self.path.write_text(json.dumps(state))

    def calls(self, *prefix: str) -> list[list[str]]:
        return [c for c in self.read()["calls"] if c[: len(prefix)] == list(prefix)]


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHub]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(
        f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.gh_stand_in import main\nsys.exit(main())\n"
    )
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    state = tmp_path / "github.json"
    state.write_text(json.dumps(gh_stand_in.new_state(report_template=SAMPLE)))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin")
    monkeypatch.setenv("GH_STAND_IN", str(state))
    for name in ("GRADER_REPO", "GRADER_WORKFLOW", "STUDENT_ID"):
        monkeypatch.delenv(name, raising=False)
    yield GitHub(state)


def submit(*extra: str, student: str = "s1") -> list[str]:
    return [
        "lambda_medium",
        "--submit",
        "--repo",
        "course/cloud",
        "--student-id",
        student,
        "--poll-every",
        "0.01",
        "--format",
        "json",
        *extra,
    ]


def sample_exit() -> int:
    return 0 if SAMPLE["passed"] and SAMPLE["complete"] else (1 if SAMPLE["complete"] else 3)


@pytest.mark.parametrize("server", ["new", "old", "ghes"])
def test_a_submission_shows_its_own_runs_report(
    github: GitHub, capsys: pytest.CaptureFixture[str], server: str
) -> None:
    github.set(server=server)
    assert main(submit()) == sample_exit()
    out, err = capsys.readouterr()
    report = json.loads(out)
    dispatched = [c for c in github.read()["runs"]]
    assert len(dispatched) == 1
    run = dispatched[0]
    assert report["student_id"] == "s1" and report["submission"]["id"] == run["inputs"]["submission_id"]
    assert report["submission"]["submitted_at"] == run["created_at"]  # the run's time, not a claim
    assert f"actions/runs/{run['id']}" in err
    assert run["display_title"] == f"submission lambda_medium s1 ({run['inputs']['submission_id']})"
    posts = [c for c in github.calls("api") if "POST" in c]
    assert len(posts) == (2 if server == "ghes" else 1)  # an older server: once more without run details


def test_an_old_server_finds_the_run_by_its_submission_not_the_latest(
    github: GitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    """A classmate's run started just after ours is the latest: ours is still found by its submission ID."""
    github.set(server="old", racing={"s1": "s2"})
    assert main(submit()) == sample_exit()
    report = json.loads(capsys.readouterr().out)
    runs = github.read()["runs"]
    assert [r["inputs"]["student_id"] for r in runs] == ["s1", "s2"]  # s2's is the latest
    assert report["student_id"] == "s1" and report["submission"]["id"] == runs[0]["inputs"]["submission_id"]


def test_two_students_submitting_at_the_same_moment_each_get_their_own_report(github: GitHub) -> None:
    """Without run details from the server (where the original's race was): each finds its own run."""
    github.set(server="old", polls_to_finish=3)
    results: dict[str, subprocess.CompletedProcess[str]] = {}

    def one(student: str) -> None:
        results[student] = subprocess.run(
            [sys.executable, "validate_tasks.py", *submit(student=student)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(os.environ),
        )

    threads = [threading.Thread(target=one, args=(s,)) for s in ("s1", "s2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    runs = {r["inputs"]["student_id"]: r for r in github.read()["runs"]}
    for student in ("s1", "s2"):
        done = results[student]
        assert done.returncode == sample_exit(), done.stderr
        report = json.loads(done.stdout)
        assert report["student_id"] == student
        assert report["submission"]["id"] == runs[student]["inputs"]["submission_id"]


@pytest.mark.parametrize(
    ("setup", "code", "said"),
    [
        (lambda g: g.set(logged_in=False), 5, "gh auth login"),
        (lambda g: g.change(lambda s: s["repos"]["course/cloud"].update(access=False)), 6, "no access to course/cloud"),
        (lambda g: g.change(lambda s: s["repos"]["course/cloud"].update(workflows=[])), 7, "no workflow"),
        (lambda g: g.set(outcome={"s1": "failure"}), 8, "failed"),
        (lambda g: g.set(outcome={"s1": "cancelled"}), 8, "cancelled"),
        (lambda g: g.set(report_template=None), 8, "left no report"),
    ],
    ids=["not-logged-in", "no-access", "no-workflow", "run-failed", "run-cancelled", "no-artifact"],
)
def test_each_way_a_submission_fails_is_one_line_and_its_own_exit_code(
    github: GitHub, capsys: pytest.CaptureFixture[str], setup: Callable[[GitHub], None], code: int, said: str
) -> None:
    setup(github)
    assert main(submit()) == code
    out, err = capsys.readouterr()
    assert out == ""
    lines = [line for line in err.splitlines() if line]
    assert said in lines[-1] and "Traceback" not in err
    if code == 8:
        assert "/actions/runs/" in lines[-1]  # where to look


def test_a_wait_that_times_out_names_the_run(github: GitHub, capsys: pytest.CaptureFixture[str]) -> None:
    github.set(outcome={"s1": "never"})
    assert main(submit("--submit-timeout", "0.3")) == 9
    err = capsys.readouterr().err.splitlines()[-1]
    assert "did not finish in 0.3 s" in err and "https://github.com/course/cloud/actions/runs/1000" in err


def test_gh_missing_says_how_to_install_it(
    github: GitHub, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    assert main(submit()) == 4
    assert "https://cli.github.com" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--demo"], "leave out --demo"),
        (["--task", "1"], "leave out --task"),
        (["--submit-timeout", "nan"], "not a number of seconds"),
        (["--repo", "not a repo"], "is not a repository"),
    ],
)
def test_a_submission_asked_wrongly_exits_2(
    github: GitHub, capsys: pytest.CaptureFixture[str], args: list[str], said: str
) -> None:
    assert main([*submit(), *args]) == 2
    assert said in capsys.readouterr().err
    assert github.read()["runs"] == []  # nothing started


def test_the_repository_comes_from_the_flag_the_environment_or_course_cfg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from checks.errors import BadInput
    from checks.github.gh import resolve_repo

    monkeypatch.delenv("GRADER_REPO", raising=False)
    monkeypatch.delenv("GRADER_WORKFLOW", raising=False)
    with pytest.raises(BadInput, match="--repo OWNER/NAME"):
        resolve_repo(None, tmp_path)
    (tmp_path / "course.cfg").write_text("[submit]\nrepo = uni/cloud-101\nworkflow = grade.yml\n")
    repo, workflow = resolve_repo(None, tmp_path)
    assert (str(repo), workflow) == ("uni/cloud-101", "grade.yml")
    monkeypatch.setenv("GRADER_REPO", "ghe.example.edu/uni/cloud")
    repo, _ = resolve_repo(None, tmp_path)
    assert (repo.host, repo.slug) == ("ghe.example.edu", "uni/cloud")
    assert str(resolve_repo("a/b", tmp_path)[0]) == "a/b"


# -- the grading workflow's own steps, against moto ---------------------------------------------------
def workflow_steps() -> dict[str, dict[str, Any]]:
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(WORKFLOW.read_text())
    return {s["id"]: s for s in data["jobs"]["grade"]["steps"] if "id" in s}


def test_no_script_in_a_workflow_holds_an_expression() -> None:
    """What a student types reaches the scripts as environment variables only: no ${{ }} in any run:."""
    from ruamel.yaml import YAML

    for path in sorted((ROOT / "examples").glob("*.yml")):
        data = YAML(typ="safe").load(path.read_text())
        for job in data["jobs"].values():
            for step in job["steps"]:
                assert "${{" not in step.get("run", ""), (path.name, step)


def test_every_workflow_file_is_valid_for_github() -> None:
    files = sorted(str(p) for p in [*(ROOT / "examples").glob("*.yml"), *(ROOT / ".github").rglob("*.yml")])
    check = [str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
    done = subprocess.run([*check, *files], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_broken_workflow_file_is_noticed() -> None:
    """The same schema check-jsonschema uses, in this process: a job without runs-on is refused."""
    from importlib.resources import files

    import jsonschema
    from ruamel.yaml import YAML

    schema = json.loads((files("check_jsonschema") / "builtin_schemas/vendor/github-workflows.json").read_text())
    good = YAML(typ="safe").load(WORKFLOW.read_text())
    broken = YAML(typ="safe").load(WORKFLOW.read_text().replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest"))
    assert not list(jsonschema.Draft7Validator(schema).iter_errors(good))
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def run_grading_step(github: GitHub, endpoint: str, tmp_path: Path, run_id: int, **variables: str) -> Path:
    """The workflow's grade step as GitHub runs it: bash -eo pipefail, the job's env, GitHub's variables."""
    step = workflow_steps()["grade"]
    run = next(r for r in github.read()["runs"] if r["id"] == run_id)
    temp = tmp_path / f"runner-temp-{run_id}"
    temp.mkdir()
    summary = temp / "summary.md"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "GH_STAND_IN": os.environ["GH_STAND_IN"],
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "course/cloud",
        "GITHUB_RUN_ID": str(run_id),
        "GITHUB_RUN_ATTEMPT": str(run["run_attempt"]),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(temp),
        "GH_TOKEN": "ghs_stand-in",
        # what aws-actions/configure-aws-credentials leaves, pointed at the stand-in
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "VALIDATE_TASKS_CACHE": CACHE,
        "ASSESSMENT": run["inputs"]["assessment"],
        "STUDENT_ID": run["inputs"]["student_id"],
        "SUBMISSION_ID": run["inputs"]["submission_id"],
        "GRADER_DEADLINE": variables.get("GRADER_DEADLINE", ""),
        "GRADER_HINTS": variables.get("GRADER_HINTS", ""),
        "GRADER_PASS_MARK": variables.get("GRADER_PASS_MARK", ""),
    }
    script = temp / "step.sh"
    script.write_text(step["run"])
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return temp


def dispatched(github: GitHub, student: str, submission: str, created_at: str) -> int:
    ids: list[int] = []

    def add(state: dict[str, Any]) -> None:
        state["now"] = created_at
        repo = state["repos"]["course/cloud"]
        body = {
            "ref": "main",
            "inputs": {"assessment": "lambda_medium", "student_id": student, "submission_id": submission},
        }
        gh_stand_in.dispatch(state, "course/cloud", repo, "grade-submission.yml", body)
        ids.append(state["runs"][-1]["id"])

    github.change(add)
    return ids[0]


def finish(github: GitHub, run_id: int, folder: Path | None, conclusion: str = "success") -> None:
    def done(state: dict[str, Any]) -> None:
        run = next(r for r in state["runs"] if r["id"] == run_id)
        run["status"], run["conclusion"] = "completed", conclusion
        run["attempts"][-1]["conclusion"] = conclusion
        if folder is not None:
            files = {p.name: p.read_text() for p in (folder / "submission").iterdir()}
            name = f"submission-{run['inputs']['submission_id']}-{run['run_attempt']}"
            state["artifacts"].setdefault(str(run_id), []).append({"name": name, "files": files})

    github.change(done)


def test_the_workflows_grading_step_leaves_what_submit_and_collect_read(
    github: GitHub, moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = dispatched(github, "s1", "abc123def456", "2026-12-16T08:00:00Z")
    temp = run_grading_step(
        github, moto_endpoint, tmp_path, run_id, GRADER_DEADLINE="2026-12-15T23:59:00Z", GRADER_HINTS="off"
    )
    files = sorted(p.name for p in (temp / "submission").iterdir())
    assert files == ["report.json", "report.txt"]
    report = json.loads((temp / "submission" / "report.json").read_text())
    assert report["student_id"] == "s1" and report["score"]["earned"] == 0  # nothing deployed: graded, 0
    assert report["submission"] == {
        "id": "abc123def456",
        "submitted_at": "2026-12-16T08:00:00Z",  # the run's creation time, from GitHub
        "deadline": "2026-12-15T23:59:00Z",
        "late": True,
        "run_url": f"https://github.com/course/cloud/actions/runs/{run_id}/attempts/1",
        "attempt": 1,
    }
    assert all(c["hint"] is None for t in report["tasks"] for c in t["checks"])  # GRADER_HINTS=off
    assert (
        "submission abc123def456, submitted 2026-12-16T08:00:00Z LATE" in (temp / "submission/report.txt").read_text()
    )
    summary = (temp / "summary.md").read_text()
    assert summary.startswith("## lambda_medium — s1") and "| Task | Title | Status | Points |" in summary

    finish(github, run_id, temp)
    gradebook = tmp_path / "grades.csv"
    assert main(["collect", "lambda_medium", "--repo", "course/cloud", "--gradebook", str(gradebook)]) == 0
    rows = list(csv.DictReader(io.StringIO(gradebook.read_text())))
    assert [(r["student_id"], r["earned"], r["submitted_at"], r["attempts"], r["late"]) for r in rows] == [
        ("s1", "0", "2026-12-16T08:00:00Z", "1", "true")
    ]


# -- collect -------------------------------------------------------------------------------------------
CHECKS = [c for t in SAMPLE["tasks"] for c in t["checks"]]  # 5, 4, 5 and 2 points


def earned(passed: int) -> str:
    return str(sum(c["points"] for c in CHECKS[:passed]))


def graded(github: GitHub, student: str, submission: str, created_at: str, passed: int) -> int:
    """A finished submission run whose report passed its first ``passed`` checks."""
    run_id = dispatched(github, student, submission, created_at)
    report = json.loads(json.dumps(SAMPLE))
    report["student_id"] = student
    checks = [c for t in report["tasks"] for c in t["checks"]]
    for i, c in enumerate(checks):
        c["status"], c["earned"] = ("pass", c["points"]) if i < passed else ("fail", 0)
    report["submission"] = {"id": submission, "submitted_at": created_at, "deadline": None, "late": False}
    folder = Path(os.environ["GH_STAND_IN"]).parent / f"art-{run_id}" / "submission"
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps(report))
    finish(github, run_id, folder.parent)
    return run_id


@pytest.fixture
def submissions(github: GitHub) -> GitHub:
    graded(github, "s1", "a00000000001", "2026-12-10T10:00:00Z", 4)  # s1: full marks early
    graded(github, "s1", "a00000000002", "2026-12-14T10:00:00Z", 1)  # then worse, on time
    graded(github, "s1", "a00000000003", "2026-12-16T10:00:00Z", 3)  # then after the deadline
    graded(github, "s10", "b00000000001", "2026-12-16T09:00:00Z", 2)  # only late
    graded(github, "s2", "c00000000001", "2026-12-12T09:00:00Z", 2)
    failed = dispatched(github, "s2", "c00000000002", "2026-12-13T09:00:00Z")
    finish(github, failed, None, "failure")  # a run that failed: no report, not an attempt

    def elsewhere(state: dict[str, Any]) -> None:
        state["runs"][-1]["head_branch"] = "main"
        forged = dict(state["runs"][0], id=9999, head_branch="student-branch")  # another branch's grader
        state["runs"].append(forged)

    github.change(elsewhere)
    return github


def collect_rows(tmp_path: Path, *extra: str, code: int = 0) -> dict[str, dict[str, str]]:
    gradebook = tmp_path / "grades.csv"
    argv = ["collect", "lambda_medium", "--repo", "course/cloud", "--gradebook", str(gradebook), *extra]
    assert main([*argv, "--deadline", "2026-12-15T23:59:00Z", "--format", "json"]) == code
    return {r["student_id"]: r for r in csv.DictReader(io.StringIO(gradebook.read_text()))}


@pytest.mark.parametrize(
    ("policy", "s1", "s10"),
    [
        ("latest", (earned(3), "2026-12-16T10:00:00Z", "true"), (earned(2), "true")),
        ("best", (earned(4), "2026-12-10T10:00:00Z", "false"), (earned(2), "true")),
        ("latest-on-time", (earned(1), "2026-12-14T10:00:00Z", "false"), (earned(2), "true")),
    ],
)
def test_collect_writes_a_row_per_student_by_the_policy(
    submissions: GitHub, tmp_path: Path, policy: str, s1: tuple[str, ...], s10: tuple[str, str]
) -> None:
    rows = collect_rows(tmp_path, "--policy", policy)
    assert list(rows) == ["s1", "s2", "s10"]  # the order people count in
    assert (rows["s1"]["earned"], rows["s1"]["submitted_at"], rows["s1"]["late"]) == s1
    assert rows["s1"]["attempts"] == "3" and rows["s2"]["attempts"] == "1"  # the failed run left no report
    assert (rows["s10"]["earned"], rows["s10"]["late"]) == s10
    assert rows["s1"]["submitted_by"] == "s1-gh"
    header = next(csv.reader(io.StringIO((tmp_path / "grades.csv").read_text())))
    assert header[:8] == ["student_id", "account_id", "region", "earned", "possible", "percent", "passed", "complete"]
    assert header[-7:] == ["submitted_at", "attempts", "late", "submitted_by", "run_attempt", "rerun_by", "run_url"]


def test_collect_with_a_roster_names_who_did_not_submit_and_whose_login_differs(
    submissions: GitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("student_id,github,email\ns1,s1-gh,a@x\ns2,someone-else,b@x\ns3,s3-gh,c@x\n")
    rows = collect_rows(tmp_path, "--roster", str(roster))
    assert rows["s3"]["error"] == "no submission" and rows["s3"]["attempts"] == "0" and rows["s3"]["email"] == "c@x"
    assert rows["s2"]["error"] == "no submission"  # its only run was dispatched by another login
    assert rows["s1"]["earned"] == earned(3) and rows["s1"]["email"] == "a@x"
    err = capsys.readouterr().err
    assert "s2: a submission by s2-gh, not someone-else: left out" in err
    assert "s10 submitted but is not on" in err


def test_a_report_that_is_not_its_runs_makes_that_students_row_an_error(
    submissions: GitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def swap(state: dict[str, Any]) -> None:  # s2's run holds s1's report
        s2 = next(r for r in state["runs"] if r["inputs"]["student_id"] == "s2" and r["conclusion"] == "success")
        s1 = next(r for r in state["runs"] if r["inputs"]["student_id"] == "s1")
        state["artifacts"][str(s2["id"])][0]["files"] = state["artifacts"][str(s1["id"])][0]["files"]

    submissions.change(swap)
    rows = collect_rows(tmp_path, code=3)
    assert "its report is not the submission its name says" in rows["s2"]["error"]
    assert rows["s2"]["earned"] == "" and rows["s1"]["earned"] == earned(3)  # s1's own report still counts
    assert "a submission of s2 could not be read: collect again" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--submission-id", "x;$(id)"], "bad submission ID 'x;$(id)': 6 to 64 letters"),
        (["--submitted-at", "2026-12-16T08:00:00Z"], "--submitted-at goes with --submission-id"),
        (["--submission-id", "abc123def456", "--deadline", "friday"], "--deadline 'friday' is not a time"),
    ],
)
def test_the_workflows_flags_are_checked_before_anything_is_graded(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, flags: list[str], said: str
) -> None:
    from checks.grading import pipeline

    def graded(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("graded before its flags were checked")

    monkeypatch.setattr(pipeline, "grade_student", graded)
    assert main(["lambda_medium", "--demo", *flags]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err


def test_a_submissions_line_says_late_with_its_deadline_and_without_one() -> None:
    from checks.model import Submission

    assert (
        Submission("abc123", "2026-12-16T08:00:00Z", "2026-12-15T23:59:00Z", True)
        .said()
        .endswith("LATE (deadline 2026-12-15T23:59:00Z)")
    )
    assert Submission("abc123", "2026-12-16T08:00:00Z", None, True).said() == (
        "submission abc123, submitted 2026-12-16T08:00:00Z LATE"
    )
    assert "LATE" not in Submission("abc123", "2026-12-14T08:00:00Z", "2026-12-15T23:59:00Z").said()
