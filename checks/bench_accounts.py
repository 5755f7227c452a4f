"""A class where every student has an AWS account of their own, timed and weighed (``python -m checks.bench``).

The stand-in holds one account per student (``200000000001`` and on), each with the reference solution
and, for three students in four, some of the demo account's mistakes, so that grades differ. The same
class is graded three ways, each by the command line in a process of its own (its wall time, its peak
resident memory, the requests the stand-in throttled):

- every student in one shared account (the floor that account's quotas set);
- each student through their own role (``role_arn`` in the roster, assumed with the grader's credentials);
- each student through their own AWS CLI profile (``role_arn`` and ``source_profile`` in the config file).

Every student's checks are then compared with the same student graded alone (one at a time, as a student
runs it), and must be the same.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks.standin.sandbox import KEY

REGION = "us-east-1"
FIRST_ACCOUNT = 200000000000
ROLE = "validate-tasks-grader"
ROOT = Path(__file__).resolve().parent.parent

# What each student's account holds, by their number modulo four.
VARIANTS = (
    "the reference solution",
    "layer-consumer left at 128 MB",
    "rate-limited-function left at 3 s",
    "the demo account's three mistakes",
)


def account_id(n: int) -> str:
    return f"{FIRST_ACCOUNT + n:012d}"


def role_arn(n: int) -> str:
    return f"arn:aws:iam::{account_id(n)}:role/{ROLE}"


def student(n: int) -> str:
    return f"a{n:03d}"


def _assumed(direct: str, n: int) -> Any:
    """A session in student ``n``'s account: its role, assumed with the stand-in's key."""
    from checks.aws import new_session

    sts = new_session(aws_access_key_id=KEY, aws_secret_access_key=KEY, region_name=REGION).client(
        "sts", endpoint_url=direct
    )
    keys = sts.assume_role(RoleArn=role_arn(n), RoleSessionName="deploy")["Credentials"]
    return new_session(
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys["SessionToken"],
        region_name=REGION,
    )


def deploy(direct: str, n: int, sid: str, session: Any) -> None:
    """The reference solution for ``sid``, with the mistakes of variant ``n % 4``."""
    from checks.assessments.lambda_medium import reference

    reference.deploy(sid, REGION, endpoint_url=direct, session=session)
    which = ((), (0,), (1,), (0, 1, 2))[n % len(VARIANTS)]  # of the demo account's mistakes
    reference.make_mistakes(sid, REGION, session=session, which=which, endpoint_url=direct)


def deploy_class(direct: str, count: int, shared: int) -> None:
    """``count`` students in accounts of their own, and the first ``shared`` of them again in one account."""
    from checks.aws import new_session

    one = new_session(aws_access_key_id=KEY, aws_secret_access_key=KEY, region_name=REGION)
    jobs = [(n, student(n), None) for n in range(1, count + 1)]
    jobs += [(n, f"o{n:03d}", one) for n in range(1, shared + 1)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda job: deploy(direct, job[0], job[1], job[2] or _assumed(direct, job[0])), jobs))


@dataclass
class Folder:
    """The rosters and AWS configuration files of the classes, in a temporary folder."""

    path: Path

    def roster(self, name: str, header: list[str], rows: list[list[str]]) -> Path:
        target = self.path / f"{name}.csv"
        with target.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([header, *rows])
        return target

    def profiles(self, count: int) -> tuple[Path, Path]:
        """An AWS CLI config with a profile per student (their role, assumed from ``base``), and base's key."""
        config = self.path / "config"
        lines = ["[profile base]", f"region = {REGION}", ""]
        for n in range(1, count + 1):
            lines += [f"[profile {student(n)}]", f"role_arn = {role_arn(n)}", "source_profile = base", ""]
        config.write_text("\n".join(lines), encoding="utf-8")
        credentials = self.path / "credentials"
        credentials.write_text(f"[base]\naws_access_key_id = {KEY}\naws_secret_access_key = {KEY}\n", encoding="utf-8")
        return config, credentials


@dataclass
class ClassRun:
    label: str
    students: int
    wall: float
    peak_mb: float
    cpu: float  # the grader's processor time, user and system
    stand_in_cpu: float  # the stand-in's (moto and its delay) meanwhile: on a machine of few cores, its share
    throttled: int
    requests: int
    exit_code: int
    grades: dict[str, tuple[int, tuple[tuple[str, str], ...]]] = field(default_factory=dict)

    def line(self) -> str:
        return (
            f"  {self.label:<36} {self.wall:6.1f} s  peak {self.peak_mb:5.0f} MB  cpu {self.cpu:5.1f} s "
            f"(stand-in {self.stand_in_cpu:5.1f} s)  {self.requests / self.students:4.1f} requests/student  "
            f"throttled {self.throttled}"
        )


def _graded(report: dict[str, Any]) -> tuple[int, tuple[tuple[str, str], ...]]:
    checks = tuple((c["id"], c["status"]) for t in report.get("tasks", []) for c in t.get("checks", []))
    return int((report.get("score") or {}).get("earned", -1)), checks


def environment(folder: Path, *, profiles: bool, endpoint: str) -> dict[str, str]:
    """The grader's environment: the stand-in's key, or profiles that assume the students' roles; no other
    AWS setting of this machine, and nothing that could reach AWS itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(folder / ("config" if profiles else "none")),
        AWS_SHARED_CREDENTIALS_FILE=str(folder / ("credentials" if profiles else "none")),
    )
    if profiles:  # botocore assumes each profile's role itself: at the stand-in, as every other request
        env["AWS_ENDPOINT_URL"] = endpoint
    else:
        env.update(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=KEY)
    return env


class PeakMemory:
    """A process's peak resident memory, read from ``/proc`` (``VmHWM``) until it exits. Its rusage would
    not do: on Linux a child's ``ru_maxrss`` starts from its parent's memory at the fork."""

    def __init__(self, pid: int) -> None:
        self.path = Path(f"/proc/{pid}/status")
        self.mb = 0.0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.done.is_set():
            try:
                text = self.path.read_text()
            except OSError:
                return
            found = next((line.split()[1] for line in text.splitlines() if line.startswith("VmHWM:")), None)
            if found is not None:
                self.mb = max(self.mb, int(found) / 1024)
            self.done.wait(0.01)


def run_class(label: str, roster: Path, env: dict[str, str], endpoint: str, proxy: Any) -> ClassRun:
    """The command line grading ``roster``, in a process of its own: its wall time, peak memory and grades."""
    out = roster.with_suffix(".json")
    command = [sys.executable, str(ROOT / "validate_tasks.py"), "lambda_medium", "--roster", str(roster)]
    command += ["--endpoint-url", endpoint, "--format", "json", "--output", str(out)]
    proxy.reset()
    stand_in = proxy.cpu()
    with open(roster.with_suffix(".err"), "wb") as err:
        started = time.monotonic()
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        peak = PeakMemory(child.pid)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - started
        peak.done.set()
        peak.thread.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    found = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"students": []}
    grades = {s["student_id"]: _graded(s) for s in found["students"]}
    return ClassRun(
        label,
        len(grades) or 1,
        wall,
        peak.mb,
        usage.ru_utime + usage.ru_stime,
        proxy.cpu() - stand_in,
        proxy.throttled(),
        len(proxy.spans()),
        child.returncode,
        grades,
    )


def alone(endpoint: str, numbers: list[int]) -> dict[str, tuple[int, tuple[tuple[str, str], ...]]]:
    """Each student graded by themselves, one at a time, through their role: what a student sees."""
    from checks.grading.pipeline import Live, grade_roster
    from checks.grading.roster import RosterRow
    from checks.registry import load_assessment

    assessment = load_assessment("lambda_medium")
    found = {}
    for n in numbers:
        row = RosterRow(0, student(n), role_arn=role_arn(n))
        outcome = grade_roster(assessment, [row], Live(region=REGION, endpoint_url=endpoint, targeted=True))[0]
        found[student(n)] = _graded(outcome.report.to_dict()) if outcome.report else (-1, ())
    return found


def compare(run: ClassRun, reference: dict[str, tuple[int, tuple[tuple[str, str], ...]]]) -> list[str]:
    """Where a class run graded a student otherwise than alone (a student not graded alone: their variant's)."""
    by_variant = {(int(sid[1:]) % len(VARIANTS)): grade for sid, grade in reference.items()}
    wrong = []
    for sid, grade in sorted(run.grades.items()):
        want = reference.get(sid) or by_variant[int(sid[1:]) % len(VARIANTS)]
        if grade != want:
            wrong.append(sid)
    return wrong


def measure(endpoint: str, direct: str, proxy: Any, count: int, many: int, delay_ms: float) -> None:
    """Deploys the classes, grades them each way, prints the figures, and checks the grades."""
    total = max(count, many)
    started = time.monotonic()
    deploy_class(direct, total, count)
    print(
        f"\ndeployed {total} students in accounts of their own and {count} in one account "
        f"in {time.monotonic() - started:.0f} s; variants: " + "; ".join(VARIANTS)
    )
    with tempfile.TemporaryDirectory(prefix="validate-tasks-bench-") as tmp:
        folder = Folder(Path(tmp))
        folder.profiles(total)
        plain = environment(folder.path, profiles=False, endpoint=endpoint)
        by_profile = environment(folder.path, profiles=True, endpoint=endpoint)
        warm = folder.roster("warm", ["student_id"], [["o001"]])
        run_class("warm-up", warm, plain, endpoint, proxy)  # bytecode and model caches written

        def classes(n: int) -> list[tuple[str, Path, dict[str, str]]]:
            numbers = range(1, n + 1)
            out = [
                (
                    f"{n} in their own accounts, by role",
                    folder.roster(
                        f"roles{n}", ["student_id", "role_arn"], [[student(k), role_arn(k)] for k in numbers]
                    ),
                    plain,
                ),
                (
                    f"{n} in their own accounts, by profile",
                    folder.roster(
                        f"profiles{n}", ["student_id", "profile"], [[student(k), student(k)] for k in numbers]
                    ),
                    by_profile,
                ),
            ]
            if n == count:
                shared = folder.roster("shared", ["student_id"], [[f"o{k:03d}"] for k in numbers])
                out.insert(0, (f"{n} in one shared account", shared, plain))
            return out

        one = run_class(
            "1 in an account of their own, by role",
            folder.roster("one", ["student_id", "role_arn"], [[student(1), role_arn(1)]]),
            plain,
            endpoint,
            proxy,
        )
        runs = [run_class(label, roster, env, endpoint, proxy) for label, roster, env in classes(count)]
        if many > count:
            runs += [run_class(label, roster, env, endpoint, proxy) for label, roster, env in classes(many)]
        print(f"\nclasses graded by the command line, every request held {delay_ms:g} ms:")
        for run in [one, *runs]:
            print(run.line())
        shared_run = runs[0]
        for run in runs[1:]:
            extra = (run.peak_mb - one.peak_mb) / max(1, run.students - 1)
            print(
                f"  {run.label}: {run.wall / shared_run.wall:.2f} x the one-account class's wall, "
                f"{extra:.2f} MB per account beyond the first"
            )
        proxy.set_delay(0)
        reference = alone(endpoint, list(range(1, min(count, total) + 1)))
        proxy.set_delay(delay_ms)
        shared_grades = {f"a{sid[1:]}": grade for sid, grade in shared_run.grades.items()}
        wrong = {run.label: compare(run, reference) for run in runs[1:]}
        wrong[shared_run.label] = [s for s, g in shared_grades.items() if g != reference.get(s)]
        bad_exit = [run.label for run in runs if run.exit_code not in (0, 1)]
        scores = sorted({g[0] for g in reference.values()})
        if any(wrong.values()) or bad_exit:
            raise SystemExit(f"graded otherwise than alone: {wrong}; exit codes: {bad_exit}")
        print(f"  every student graded as when graded alone ({len(reference)} graded alone; scores {scores})")
