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
  that the latest run is not this student's.

The run-name is the shipped workflow's own ``run-name``, its ``${{ inputs.* }}`` filled in.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import sys
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


def new_state(**settings: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "logged_in": True,
        "repos": {"course/cloud": {"default_branch": "main", "access": True, "workflows": ["grade-submission.yml"]}},
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
        Path(path).write_text(json.dumps(state))


def run_name(inputs: dict[str, str]) -> str:
    m = re.search(r"^run-name: (.*)$", WORKFLOW_FILE.read_text(), re.M)
    assert m, "the workflow has a run-name"
    return re.sub(r"\$\{\{ inputs\.(\w+) \}\}", lambda g: inputs.get(g[1], ""), m[1])


def _repo(state: dict[str, Any], owner: str, name: str) -> dict[str, Any]:
    repo = state["repos"].get(f"{owner}/{name}")
    if repo is None or not repo["access"]:
        raise HttpError(404, "Not Found")
    return repo


def _run_json(state: dict[str, Any], run: dict[str, Any], slug: str) -> dict[str, Any]:
    return {**run, "html_url": f"https://github.com/{slug}/actions/runs/{run['id']}"}


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
        return {"full_name": slug, "default_branch": repo["default_branch"]}
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
    if body.get("ref") not in (repo["default_branch"], f"refs/heads/{repo['default_branch']}"):
        raise HttpError(422, "No ref found")
    inputs = body["inputs"]
    run_id = state["next_id"]
    state["next_id"] += 1
    created = state["now"] or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    run = {
        "id": run_id,
        "name": "grade-submission",
        "display_title": run_name(inputs),
        "path": f".github/workflows/{workflow}",
        "workflow": workflow,
        "event": "workflow_dispatch",
        "head_branch": repo["default_branch"],
        "status": "queued",
        "conclusion": None,
        "created_at": created,
        "actor": {"login": inputs["student_id"] + "-gh"},
        "triggering_actor": {"login": inputs["student_id"] + "-gh"},
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


def list_runs(state: dict[str, Any], slug: str, workflow: str, query: dict[str, str]) -> Any:
    runs = [r for r in state["runs"] if r["workflow"] == workflow]
    if "event" in query:
        runs = [r for r in runs if r["event"] == query["event"]]
    if "status" in query:
        runs = [r for r in runs if r["status"] == query["status"]]
    if "branch" in query:
        runs = [r for r in runs if r["head_branch"] == query["branch"]]
    if "created" in query and query["created"].startswith(">="):
        runs = [r for r in runs if r["created_at"] >= query["created"][2:]]
    runs.sort(key=lambda r: r["id"], reverse=True)  # newest first, as GitHub lists them
    per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
    shown = runs[(page - 1) * per_page : page * per_page]
    return {"total_count": len(runs), "workflow_runs": [_run_json(state, r, slug) for r in shown]}


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
            if outcome == "success" and state["report_template"] is not None:
                state["artifacts"][str(run_id)] = artifact_for(state, run)
    return _run_json(state, run, slug)


def artifact_for(state: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    """What the workflow uploads: the template report made this run's student's and submission's."""
    report = json.loads(json.dumps(state["report_template"]))
    inputs = run["inputs"]
    report["student_id"] = inputs["student_id"]
    report["assessment"] = inputs["assessment"]
    report["submission"] = {
        "id": inputs["submission_id"],
        "submitted_at": run["created_at"],
        "deadline": None,
        "late": False,
        "run_url": f"https://github.com/x/actions/runs/{run['id']}",
    }
    return {
        "name": f"submission-{inputs['submission_id']}",
        "files": {"report.json": json.dumps(report), "report.txt": "text report\n"},
    }


def download(state: dict[str, Any], args: list[str]) -> None:
    run_id = args[0]
    opts = dict(zip(args[1::2], args[2::2], strict=False))
    art = state["artifacts"].get(run_id)
    if art is None or art["name"] != opts.get("--name"):
        raise SystemExit(_fail("no valid artifacts found to download", 1))
    folder = Path(opts["--dir"])
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in art["files"].items():
        (folder / name).write_text(text)


def _fail(message: str, code: int) -> int:
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
            download(state, argv[2:])
            return 0
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
        try:
            answer = api(state, method, target, body)
        except HttpError as exc:
            print(json.dumps({"message": exc.message}))
            return _fail(f"gh: {exc.message} (HTTP {exc.status})", 1)
        if answer is not None:
            print(jq(answer, expr) if expr else json.dumps(answer))
        return 0


if __name__ == "__main__":
    sys.exit(main())
