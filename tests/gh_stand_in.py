"""A stand-in for the GitHub CLI: the ``gh`` subcommands and REST calls ``--submit`` and ``collect`` use,
answered from a JSON state file, with no network.

The tests put an executable ``gh`` first on PATH that runs :func:`main`; ``$GH_STAND_IN`` names the
state file. Several ``gh`` processes may run at once (two students submitting): the state is read and
written under a lock. Behaviours a test chooses in the state:

- ``logged_in`` false: every call fails as gh does without a login (exit 4);
- ``repos[slug].access`` false: the repository answers 404, as GitHub does for a private one;
- ``server``: ``new`` (dispatch returns the run's details, 200), ``old`` (204, nothing returned),
  ``ghes`` (a server that refuses ``return_run_details`` with 422);
- ``outcome[student]``: ``failure``, ``cancelled`` or ``never`` (the run does not finish);
- ``report_template``: the report a successful run leaves as its artifact, made the student's;
- ``racing[student]``: a classmate whose submission is dispatched just after this student's, so
  that the latest run is not this student's;
- ``repos[slug].commits``: the default branch's history, oldest first (its last is the branch's head);
  ``tags``: a tag's commit, which need not be on the branch (a tag named like the branch, say);
- each run's attempts (``run_attempt``, ``run_started_at``, ``triggering_actor``): :func:`rerun` adds one;
- GitHub's cap: a filtered listing reaches only its first 1,000 runs (``total_count`` says how many
  match); ``endless`` makes every page full, whatever is asked;
- ``download_fails[run_id]``: ``"502"`` (the artifact service fails) or ``"hang"`` (gh never answers);
  ``api_hangs``: a part of a REST path whose calls never answer; a hanging gh writes its pid to
  ``pids`` first, so a test can see that it was ended;
- ``stderr_bytes``: what every failing gh prints, as hex (bytes that are not UTF-8, a token).

The run-name is the shipped workflow's own ``run-name``, its ``${{ inputs.* }}`` filled in.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW_FILE = ROOT / "examples" / "grade-submission.yml"


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def new_state(**settings: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "logged_in": True,
        "repos": {
            "course/cloud": {
                "default_branch": "main",
                "access": True,
                "workflows": ["grade-submission.yml"],
                "created_at": "2026-09-01T00:00:00Z",
                "commits": [sha("first"), sha("second")],
                "tags": {},
            }
        },
        "download_fails": {},
        "api_hangs": [],
        "endless": False,
        "stderr_bytes": None,
        "pids": [],
        "server": "new",
        "polls_to_finish": 2,
        "outcome": {},
        "report_template": None,
        "runs": [],
        "next_id": 1000,
        "artifacts": {},
        "calls": [],
        "now": None,  # a fixed creation time for new runs, else the clock's
        "racing": {},
    }
    state.update(settings)
    return state


@contextlib.contextmanager
def locked_state(path: str) -> Iterator[dict[str, Any]]:
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = json.loads(Path(path).read_text())
        yield state
        Path(path + ".new").write_text(json.dumps(state))
        os.replace(path + ".new", path)  # whole: a test may read it without the lock


def run_name(inputs: dict[str, str]) -> str:
    m = re.search(r"^run-name: (.*)$", WORKFLOW_FILE.read_text(), re.M)
    assert m, "the workflow has a run-name"
    return re.sub(r"\$\{\{ inputs\.(\w+) \}\}", lambda g: inputs.get(g[1], ""), m[1])


def _repo(state: dict[str, Any], owner: str, name: str) -> dict[str, Any]:
    repo = state["repos"].get(f"{owner}/{name}")
    if repo is None or not repo["access"]:
        raise HttpError(404, "Not Found")
    return repo


def workflow_id(name: str) -> int:
    return int(sha(name)[:6], 16)


def _run_json(state: dict[str, Any], run: dict[str, Any], slug: str) -> dict[str, Any]:
    shown = {k: v for k, v in run.items() if k not in ("attempts", "polls")}
    return {**shown, "html_url": f"https://github.com/{slug}/actions/runs/{run['id']}"}


def api(state: dict[str, Any], method: str, path: str, body: Any) -> Any:
    parts = urlsplit(path)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    segs = parts.path.strip("/").split("/")
    if len(segs) < 3 or segs[0] != "repos":
        raise HttpError(404, "Not Found")
    owner, name, rest = segs[1], segs[2], segs[3:]
    repo = _repo(state, owner, name)
    slug = f"{owner}/{name}"
    if not rest and method == "GET":
        return {"full_name": slug, "default_branch": repo["default_branch"], "created_at": repo["created_at"]}
    if rest[:1] == ["branches"] and len(rest) == 2 and method == "GET":
        if rest[1] != repo["default_branch"]:
            raise HttpError(404, "Branch not found")
        return {"name": rest[1], "commit": {"sha": repo["commits"][-1]}}
    if rest[:1] == ["compare"] and len(rest) == 2 and method == "GET":
        base, _, head = rest[1].partition("...")
        history = repo["commits"]
        if head not in history or base not in (*history, *repo["tags"].values()):
            raise HttpError(404, "Not Found")
        if base == head:
            return {"status": "identical"}
        if base in history and history.index(base) < history.index(head):
            return {"status": "ahead"}
        return {"status": "diverged"}
    if rest[:2] == ["actions", "workflows"] and len(rest) == 3 and method == "GET":
        if rest[2] not in repo["workflows"]:
            raise HttpError(404, "Not Found")
        return {"id": workflow_id(rest[2]), "path": f".github/workflows/{rest[2]}", "state": "active"}
    if rest[:2] == ["actions", "runs"] and len(rest) == 5 and rest[3] == "attempts" and method == "GET":
        run = next((r for r in state["runs"] if r["id"] == int(rest[2])), None)
        number = int(rest[4])
        if run is None or not 1 <= number <= run["run_attempt"]:
            raise HttpError(404, "Not Found")
        return {**_run_json(state, run, slug), **run["attempts"][number - 1], "run_attempt": number}
    if rest[:2] == ["actions", "workflows"] and len(rest) == 4:
        workflow, what = rest[2], rest[3]
        if workflow not in repo["workflows"]:
            raise HttpError(404, "Not Found")
        if what == "dispatches" and method == "POST":
            return dispatch(state, slug, repo, workflow, body)
        if what == "runs" and method == "GET":
            return list_runs(state, slug, workflow, query)
    if rest[:2] == ["actions", "runs"] and len(rest) == 3 and method == "GET":
        return poll(state, slug, int(rest[2]))
    raise HttpError(404, "Not Found")


def dispatch(state: dict[str, Any], slug: str, repo: dict[str, Any], workflow: str, body: Any) -> Any:
    if state["server"] == "ghes" and "return_run_details" in body:
        raise HttpError(422, 'Unexpected inputs provided: ["return_run_details"]')
    tags = {f"refs/tags/{t}" for t in repo["tags"]} | set(repo["tags"])
    if body.get("ref") not in (repo["default_branch"], f"refs/heads/{repo['default_branch']}", *tags):
        raise HttpError(422, "No ref found")
    inputs = body["inputs"]
    run_id = state["next_id"]
    state["next_id"] += 1
    created = state["now"] or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    ref = str(body.get("ref"))
    tag = repo["tags"].get(ref.removeprefix("refs/tags/"))
    login = {"login": inputs["student_id"] + "-gh"}
    run = {
        "id": run_id,
        "name": "grade-submission",
        "display_title": run_name(inputs),
        "path": f".github/workflows/{workflow}",
        "workflow": workflow,
        "workflow_id": workflow_id(workflow),
        "event": "workflow_dispatch",
        "head_branch": ref.removeprefix("refs/heads/").removeprefix("refs/tags/"),
        "head_sha": tag or repo["commits"][-1],
        "status": "queued",
        "conclusion": None,
        "created_at": created,
        "run_started_at": created,
        "run_attempt": 1,
        "actor": login,
        "triggering_actor": login,
        "attempts": [{"run_started_at": created, "triggering_actor": login, "conclusion": None}],
        "inputs": inputs,
        "polls": 0,
    }
    state["runs"].append(run)
    classmate = state["racing"].pop(inputs["student_id"], None)
    if classmate:
        other = {**inputs, "student_id": classmate, "submission_id": f"{classmate}-racing-submission"}
        dispatch(state, slug, repo, workflow, {**body, "inputs": other})
    if state["server"] == "new" and body.get("return_run_details"):
        return {
            "workflow_run_id": run_id,
            "run_url": f"https://api.github.com/repos/{slug}/actions/runs/{run_id}",
            "html_url": f"https://github.com/{slug}/actions/runs/{run_id}",
        }
    return None


CAP = 1000  # GitHub reaches at most this many runs of a filtered listing
FILTERS = ("actor", "branch", "check_suite_id", "created", "event", "head_sha", "status")


def list_runs(state: dict[str, Any], slug: str, workflow: str, query: dict[str, str]) -> Any:
    per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
    if state["endless"]:  # a listing whose pages never end
        fake = [{**state["runs"][0], "id": 10**6 + page * per_page + i} for i in range(per_page)]
        return {"total_count": 10**6, "workflow_runs": [_run_json(state, r, slug) for r in fake]}
    runs = [r for r in state["runs"] if r["workflow"] == workflow]
    if "event" in query:
        runs = [r for r in runs if r["event"] == query["event"]]
    if "status" in query:
        runs = [r for r in runs if r["status"] == query["status"]]
    if "branch" in query:
        runs = [r for r in runs if r["head_branch"] == query["branch"]]
    created = query.get("created", "")
    if created.startswith(">="):
        runs = [r for r in runs if r["created_at"] >= created[2:]]
    elif ".." in created:
        low, high = created.split("..")
        runs = [r for r in runs if low <= r["created_at"] <= high]
    runs.sort(key=lambda r: r["id"], reverse=True)  # newest first, as GitHub lists them
    total = len(runs)
    if any(f in query for f in FILTERS):
        runs = runs[:CAP]
    shown = runs[(page - 1) * per_page : page * per_page]
    return {"total_count": total, "workflow_runs": [_run_json(state, r, slug) for r in shown]}


def poll(state: dict[str, Any], slug: str, run_id: int) -> Any:
    run = next((r for r in state["runs"] if r["id"] == run_id), None)
    if run is None:
        raise HttpError(404, "Not Found")
    if run["status"] != "completed":
        run["polls"] += 1
        outcome = state["outcome"].get(run["inputs"]["student_id"], "success")
        if outcome == "never" or run["polls"] < state["polls_to_finish"]:
            run["status"] = "in_progress"
        else:
            run["status"], run["conclusion"] = "completed", outcome
            run["attempts"][-1]["conclusion"] = outcome
            if outcome == "success" and state["report_template"] is not None:
                state["artifacts"].setdefault(str(run_id), []).append(artifact_for(state, run))
    return _run_json(state, run, slug)


def rerun(state: dict[str, Any], run_id: int, at: str, by: str, conclusion: str = "success") -> dict[str, Any]:
    """Another attempt of a finished run, started at ``at`` by ``by``: the run keeps its ``created_at``."""
    run = next(r for r in state["runs"] if r["id"] == run_id)
    who = {"login": by}
    run["attempts"].append({"run_started_at": at, "triggering_actor": who, "conclusion": conclusion})
    run.update(run_attempt=len(run["attempts"]), run_started_at=at, triggering_actor=who)
    run["status"], run["conclusion"] = "completed", conclusion
    return run


def artifact_for(state: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    """What the workflow uploads: the template report made this run's student's and submission's."""
    report = json.loads(json.dumps(state["report_template"]))
    inputs = run["inputs"]
    report["student_id"] = inputs["student_id"]
    report["assessment"] = inputs["assessment"]
    report["submission"] = {
        "id": inputs["submission_id"],
        "submitted_at": run["run_started_at"],
        "deadline": None,
        "late": False,
        "run_url": f"https://github.com/x/actions/runs/{run['id']}",
        "attempt": run["run_attempt"],
    }
    return {
        "name": f"submission-{inputs['submission_id']}-{run['run_attempt']}",
        "files": {"report.json": json.dumps(report), "report.txt": "text report\n"},
    }


def hang(state_path: str) -> None:
    """gh that never answers: its pid is written down first, so that a test can see it ended."""
    with locked_state(state_path) as state:
        state["pids"].append(os.getpid())
    while True:
        time.sleep(1)


def download(state: dict[str, Any], args: list[str]) -> str | None:
    """The artifact into ``--dir``; "hang" when this download never answers."""
    run_id = args[0]
    opts = dict(zip(args[1::2], args[2::2], strict=False))
    fails = state["download_fails"].get(run_id)
    if fails == "hang":
        return "hang"
    if fails:
        raise SystemExit(_fail(f"error downloading artifact: HTTP {fails}: Bad Gateway", 1, state))
    arts = state["artifacts"].get(run_id) or []
    art = next((a for a in ([arts] if isinstance(arts, dict) else arts) if a["name"] == opts.get("--name")), None)
    if art is None:
        raise SystemExit(_fail("no valid artifacts found to download", 1, state))
    folder = Path(opts["--dir"])
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in art["files"].items():
        (folder / name).write_text(text)
    return None


def _fail(message: str, code: int, state: dict[str, Any] | None = None) -> int:
    if state and state.get("stderr_bytes"):
        sys.stderr.flush()
        sys.stderr.buffer.write(bytes.fromhex(state["stderr_bytes"]) + b"\n")
    print(message, file=sys.stderr)
    return code


def jq(value: Any, expr: str) -> str:
    """The one ``--jq`` form the workflow uses: ``.field``."""
    assert re.fullmatch(r"\.\w+", expr), expr
    got = value[expr[1:]]
    return got if isinstance(got, str) else json.dumps(got)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    path = os.environ["GH_STAND_IN"]
    code = _answer(path, argv)
    if code == "hang":
        hang(path)
    assert isinstance(code, int)
    return code


def _answer(path: str, argv: list[str]) -> int | str:
    with locked_state(path) as state:
        state["calls"].append(argv)
        if argv[:1] == ["--version"]:
            print("gh version 2.60.0 (2024-10-01)")
            return 0
        if not state["logged_in"]:
            return _fail(
                "To get started with GitHub CLI, please run:  gh auth login\n"
                "Alternatively, populate the GH_TOKEN environment variable with a GitHub API authentication token.",
                4,
            )
        if argv[:2] == ["run", "download"]:
            return download(state, argv[2:]) or 0
        if argv[:1] != ["api"]:
            return _fail(f"unknown command {argv[:1]} for gh", 1)
        method, body, target, expr = "GET", None, None, None
        rest = argv[1:]
        while rest:
            arg = rest.pop(0)
            if arg in ("--method", "-X"):
                method = rest.pop(0)
            elif arg in ("-H", "--header", "--hostname"):
                rest.pop(0)
            elif arg == "--input":
                assert rest.pop(0) == "-"
                body = json.loads(sys.stdin.read())
            elif arg in ("--jq", "-q"):
                expr = rest.pop(0)
            else:
                target = arg
        assert target is not None
        if any(part in target for part in state["api_hangs"]):
            return "hang"
        try:
            answer = api(state, method, target, body)
        except HttpError as exc:
            print(json.dumps({"message": exc.message}))
            return _fail(f"gh: {exc.message} (HTTP {exc.status})", 1, state)
        if answer is not None:
            print(jq(answer, expr) if expr else json.dumps(answer))
        return 0


if __name__ == "__main__":
    sys.exit(main())
