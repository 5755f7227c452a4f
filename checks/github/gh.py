"""The GitHub CLI as the grader uses it: ``gh api`` for JSON, ``gh run download`` for files.

Any ``gh`` version works, and the user's own ``gh`` login is the only credential involved. Every
``gh`` started is its own process group, ended at once by :meth:`Gh.stop` (Ctrl-C, SIGTERM) or at
the deadline the caller gives; what it prints is read as UTF-8 with replacement and never shows a
token. Also here: where the course's repository is named (``--repo``, ``$GRADER_REPO``, course.cfg),
and the exit codes of the GitHub path.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checks.errors import BadInput, GitHubError
from checks.text import printable

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


REPO = re.compile(r"(?:(?P<host>[A-Za-z0-9.-]+)/)?(?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+)")


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
        self.ended = 0  # the gh processes stop() ended, over every call of it

    def stop(self) -> int:
        """End every ``gh`` still running, and start no other; how many were ended, over every call."""
        with self._lock:
            self._stopped = True
            live = list(self._live)
            self._live.clear()
            self.ended += len(live)
        for proc in live:
            _kill(proc)
        return self.ended

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
    """End a ``gh`` and whatever it started (its process group, where the system has them: not on Windows, where
    ``gh`` alone is ended)."""
    import signal

    if hasattr(os, "killpg"):
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
