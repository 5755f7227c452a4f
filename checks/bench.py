"""``python -m checks.bench``: how fast a grade is, in AWS round trips and wall time.

It starts the AWS stand-in (moto's server with the gap fills) on 127.0.0.1 in a process of
its own, serving every request after a fixed delay (default 50 ms, about a real region seen
from a laptop) under Lambda's and STS's quotas, deploys the reference solution for N students
in one shared account, and grades through it:

- one student, as the grader runs (threads, shared cache), and as a plain sequential
  run of the same checks (one worker, no cache), in the same process;
- the whole class of N students in the shared account, both ways.

For each it prints the wall time, the AWS requests per student and the longest chain
of back-to-back requests (requests that could not have overlapped: a bound on the
dependent calls on the critical path), and the ratio between the two ways. It also
times the grader's own start-up (``validate_tasks.py --help``). Only loopback traffic.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from checks.standin.sandbox import KEY  # the stand-in serves only requests signed with its key

T = TypeVar("T")
SOLO_REGION = "us-west-2"


_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


class QuotaMeter:
    """Lambda's request quotas as AWS enforces them, per account and Region: beyond one, the answer is 429.
    (STS's are the stand-in's own: :mod:`checks.standin.gap_fills`, 15.)"""

    def __init__(self) -> None:
        from checks.standin.gap_fills import RateMeter

        self.meter = RateMeter()
        self._accounts: dict[str, str] = {}

    @property
    def throttled(self) -> int:
        from checks.standin.gap_fills import RATES

        return self.meter.throttled + RATES.throttled

    def reset(self) -> None:
        from checks.standin.gap_fills import RATES

        self.meter.reset()
        RATES.throttled = 0

    def account_of(self, key_id: str) -> str:
        """The account an access key signs for (the stand-in's own records; a key never changes account)."""
        found = self._accounts.get(key_id)
        if found is None:
            from moto.iam.models import get_account_id_from

            found = self._accounts[key_id] = get_account_id_from(key_id)
        return found

    def admit(self, key_id: str, region: str, method: str, path: str) -> bool:
        from checks.standin.gap_fills import lambda_quota

        quota, rate = lambda_quota(method, path)
        return self.meter.admit(self.account_of(key_id), region, quota, rate)


class Delayed:
    """The stand-in as the benchmark serves it (WSGI, in front of moto in its own server): each request held
    ``delay`` seconds, timed, and metered under Lambda's quotas (``TooManyRequestsException``, counted);
    ``/__bench/...`` drives it. In the server itself rather than a proxy: one HTTP hop, as AWS has."""

    def __init__(self, app: Callable[..., Any], delay: float) -> None:
        self.app = app
        self.delay = delay
        self.spans: list[tuple[float, float]] = []
        self.quotas = QuotaMeter()
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "/")
        if path.startswith("/__bench/"):
            return self._control(path, start_response)
        start = time.monotonic()
        time.sleep(self.delay)
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        query = environ.get("QUERY_STRING", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if (
            scope
            and scope.group(3) == "lambda"
            and not self.quotas.admit(scope.group(1), scope.group(2), method, path + (f"?{query}" if query else ""))
        ):
            refusal = json.dumps({"Type": "User", "message": "Rate Exceeded."}).encode()
            headers = [("x-amzn-ErrorType", "TooManyRequestsException"), ("Content-Type", "application/json")]
            start_response("429 Too Many Requests", [*headers, ("Content-Length", str(len(refusal)))])
            return [refusal]
        body = b"".join(self.app(environ, start_response))
        with self.lock:
            self.spans.append((start, time.monotonic()))
        return [body]

    def _control(self, path: str, start_response: Callable[..., Any]) -> list[bytes]:
        found: Any = 0
        if path == "/__bench/reset":
            self.reset()
        elif path == "/__bench/throttled":
            found = self.quotas.throttled
        elif path == "/__bench/spans":
            found = sorted(self.spans)
        elif path == "/__bench/cpu":
            found = time.process_time()  # the stand-in's own processor time, all threads
        elif path == "/__bench/chain":
            found = self.chain()
        elif path.startswith("/__bench/delay/"):
            self.delay = float(path.rsplit("/", 1)[1]) / 1000
        data = json.dumps(found).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def reset(self) -> None:
        with self.lock:
            self.spans.clear()
        self.quotas.reset()

    def chain(self) -> int:
        """The most requests that ran one after another, none overlapping (earliest-end first)."""
        count, free_at = 0, float("-inf")
        for start, end in sorted(self.spans, key=lambda s: s[1]):
            if start >= free_at:
                count, free_at = count + 1, end
        return count


class RemoteProxy:
    """The stand-in process's delay and meters (:class:`Delayed`), driven over loopback."""

    def __init__(self, port: int) -> None:
        self.port = port

    def _get(self, what: str) -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/__bench/{what}", timeout=30) as answer:
            return json.loads(answer.read())

    def _ask(self, what: str) -> int:
        return int(self._get(what))

    def reset(self) -> None:
        self._ask("reset")

    def chain(self) -> int:
        return self._ask("chain")

    def throttled(self) -> int:
        return self._ask("throttled")

    def cpu(self) -> float:
        """The stand-in process's processor time so far, in seconds."""
        return float(self._get("cpu"))

    def set_delay(self, ms: float) -> None:
        self._ask(f"delay/{ms:g}")

    def spans(self) -> list[tuple[float, float]]:
        """Each request since the last reset: when it reached the stand-in and when its answer was made
        (monotonic, the stand-in's clock)."""
        return [(float(a), float(b)) for a, b in self._get("spans")]


@dataclass
class Fresh:
    """One student graded the way a student runs it: a new process, from its start to its exit."""

    wall: float  # start to exit
    first: float  # start to the first request reaching AWS
    after: float  # the last answer to exit
    requests: int


def fresh_process(proxy: RemoteProxy, endpoint: str, student: str, repeat: int = 5) -> list[Fresh]:
    """``python validate_tasks.py lambda_medium --student-id STUDENT`` in new processes, timed from outside."""
    root = Path(__file__).resolve().parent.parent
    env = {
        **_as_installed(),
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    command = [sys.executable, str(root / "validate_tasks.py"), "lambda_medium", "--student-id", student]
    command += ["--endpoint-url", endpoint, "--format", "json"]
    subprocess.run(command, capture_output=True, env=env, check=False)  # the first run writes the bytecode caches
    runs = []
    for _ in range(repeat):
        proxy.reset()
        started = time.monotonic()
        subprocess.run(command, capture_output=True, env=env, check=False)
        ended = time.monotonic()
        spans = proxy.spans()
        runs.append(Fresh(ended - started, spans[0][0] - started, ended - max(b for _, b in spans), len(spans)))
    return runs


def _as_installed() -> dict[str, str]:
    """The environment a student's runs have: Python writes and reads its bytecode caches (an environment
    that forbids them would compile every changed module from source on every run, which no student sees)."""
    import os

    return {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def flag_seconds(args: list[str], repeat: int = 5) -> float:
    """The median wall time of the command line with ``args`` in a new process (``--help``, a bad flag)."""
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, str(root / "validate_tasks.py"), *args]
    subprocess.run(command, capture_output=True, env=_as_installed(), check=False)  # caches written, as above
    times = []
    for _ in range(repeat):
        started = time.monotonic()
        subprocess.run(command, capture_output=True, env=_as_installed(), check=False)
        times.append(time.monotonic() - started)
    return median(times)


def serve(delay: float) -> None:
    """The stand-in process, apart from the grader's: moto's server as is (to deploy to), and the same
    accounts served again with the delay and the quotas (to grade through)."""
    import io

    from checks.standin.sandbox import make_server

    direct = make_server(0, io.StringIO(), managed_policies=False)
    delayed = make_server(0, io.StringIO(), managed_policies=False, wrap=lambda app: Delayed(app, delay))
    for server in (direct, delayed):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"PORTS {direct.server_address[1]} {delayed.server_address[1]}", flush=True)
    sys.stdin.read()  # until the grader's process closes our stdin


@dataclass(frozen=True)
class Run:
    label: str
    seconds: float
    requests: int
    students: int
    chain: int
    earned: list[int]
    throttled: int = 0

    def line(self) -> str:
        return (
            f"  {self.label:<34} {self.seconds * 1000:9.0f} ms  {self.requests / self.students:7.1f} requests/student"
            f"  chain {self.chain:3d}  throttled {self.throttled}"
        )


def _uncached_account(base: type) -> type:
    class Uncached(base):  # type: ignore[misc,valid-type]
        """Every answer asked for again: the plain way."""

        def once(self, key: tuple[Any, ...], load: Callable[[], T]) -> T:
            return load()

    return Uncached


def measure(
    label: str, proxy: RemoteProxy, endpoint: str, students: list[str], *, plain: bool, region: str = "us-east-1"
) -> Run:
    import boto3

    from checks.aws import Account
    from checks.grading.runner import grade
    from checks.registry import load_assessment

    assessment = load_assessment("lambda_medium")
    session = boto3.Session(aws_access_key_id=KEY, aws_secret_access_key=KEY, region_name=region)
    from checks.aws.budgets import Budgets

    account_class = _uncached_account(Account) if plain else Account
    paced = None if plain or len(students) == 1 else Budgets()  # a class is held under the quotas
    account = account_class(session, region, endpoint, budgets=paced, targeted=not plain and len(students) == 1)
    account.identify()
    for service in ("lambda", "sqs", "cloudwatch", "ec2", "application-autoscaling", "iam"):
        account.client(service)  # start-up, not grading
    proxy.reset()
    sent_before = len(account.calls)
    started = time.monotonic()
    earned = []
    if plain:
        with ThreadPoolExecutor(max_workers=1) as pool:
            for sid in students:
                student = assessment.student(account, sid, students)
                earned.append(grade(assessment, student, pool=pool).earned)
    elif len(students) == 1:  # the command line's path for one student: a roster of one
        from checks.grading.pipeline import Opened, grade_student

        earned.append(grade_student(assessment, students[0], Opened(lambda _: account))[0].earned)
    else:  # the class path: the roster's grading of one shared account
        from checks.grading.pipeline import Opened, grade_roster
        from checks.grading.roster import RosterRow

        rows = [RosterRow(i, sid) for i, sid in enumerate(students)]
        outcomes = grade_roster(assessment, rows, Opened(lambda _: account))
        earned = [o.report.earned if o.report else -1 for o in outcomes]
    seconds = time.monotonic() - started
    requests = len(account.calls) - sent_before
    return Run(label, seconds, requests, len(students), proxy.chain(), earned, proxy.throttled())


def measure_shards(proxy: RemoteProxy, endpoint: str, students: list[str], shards: int) -> Run:
    """``shards`` roster runs at once on one account, as a CI matrix runs them: each its own budgets, 1/N."""
    import boto3

    from checks.aws import Account
    from checks.aws.budgets import Budgets
    from checks.grading.pipeline import Opened, grade_roster
    from checks.grading.roster import RosterRow, in_shard
    from checks.registry import load_assessment

    assessment = load_assessment("lambda_medium")
    accounts = []
    for _ in range(shards):
        session = boto3.Session(aws_access_key_id=KEY, aws_secret_access_key=KEY, region_name="us-east-1")
        account = Account(session, "us-east-1", endpoint, budgets=Budgets(share=1 / shards))
        account.identify()
        accounts.append(account)
    proxy.reset()
    started = time.monotonic()

    def run(k: int) -> list[Any]:
        rows = [RosterRow(i, sid) for i, sid in enumerate(students) if in_shard(sid, k + 1, shards)]
        return grade_roster(assessment, rows, Opened(lambda _: accounts[k]))

    with ThreadPoolExecutor(max_workers=shards) as pool:
        outcomes = [o for part in pool.map(run, range(shards)) for o in part]
    seconds = time.monotonic() - started
    order = {sid: i for i, sid in enumerate(students)}
    earned = [o.report.earned if o.report else -1 for o in sorted(outcomes, key=lambda o: order[o.student_id])]
    requests = sum(len(a.calls) for a in accounts) - shards  # less each shard's identity call
    return Run(f"{shards} shards at once", seconds, requests, len(students), proxy.chain(), earned, proxy.throttled())


def _quota_names(quotas: Any) -> list[str]:
    return [
        f"{q.service} {'/'.join(sorted(q.operations)) if q.operations else 'per action' if q.per_action else 'other'} "
        f"{q.per_second:g}/s"
        for q in quotas
    ]


def startup_seconds(repeat: int = 5) -> float:
    root = Path(__file__).resolve().parent.parent
    best = float("inf")
    for _ in range(repeat):
        started = time.monotonic()
        subprocess.run([sys.executable, str(root / "validate_tasks.py"), "--help"], capture_output=True, check=True)
        best = min(best, time.monotonic() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m checks.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay-ms", type=float, default=50.0, help="held per request (default 50)")
    parser.add_argument("--students", type=int, default=50, help="students in the shared account (default 50)")
    parser.add_argument(
        "--plain-sample",
        type=int,
        default=3,
        help="students graded the plain way, scaled to the class (default 3; each takes ~20 s)",
    )
    parser.add_argument(
        "--fresh-only", action="store_true", help="only one student in new processes, and --help and a bad flag"
    )
    parser.add_argument(
        "--accounts", type=int, default=40, help="students each in their own account, and in one (default 40)"
    )
    parser.add_argument(
        "--many", type=int, default=300, help="a larger class, each in their own account (default 300; 0: none)"
    )
    parser.add_argument(
        "--accounts-only", action="store_true", help="only the classes where every student has their own account"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the stand-in process
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.delay_ms / 1000)
        return 0

    import os

    os.environ["AWS_ACCESS_KEY_ID"] = os.environ["AWS_SECRET_ACCESS_KEY"] = KEY  # the stand-in's (the sandbox)
    from checks.assessments.lambda_medium import reference
    from checks.aws.budgets import QUOTAS, USE

    # The stand-in runs in its own process, so that its work never shares the grader's interpreter.
    child = subprocess.Popen(
        [sys.executable, "-m", "checks.bench", "--serve", "--delay-ms", str(args.delay_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert child.stdout is not None and child.stdin is not None
    _, direct_port, proxy_port = child.stdout.readline().split()
    direct = f"http://127.0.0.1:{direct_port}"
    proxy = RemoteProxy(int(proxy_port))
    endpoint = f"http://127.0.0.1:{proxy_port}"

    if args.accounts_only:
        from checks import bench_accounts

        bench_accounts.measure(endpoint, direct, proxy, args.accounts, args.many, args.delay_ms)
        child.stdin.close()
        child.wait(timeout=30)
        return 0

    import boto3

    session = boto3.Session(aws_access_key_id=KEY, aws_secret_access_key=KEY, region_name="us-east-1")
    students = [f"b{n:03d}" for n in range(1, args.students + 1)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda sid: reference.deploy(sid, "us-east-1", endpoint_url=direct, session=session), students))
    # One student alone in an account of their own (another region of the stand-in).
    reference.deploy("solo", SOLO_REGION, endpoint_url=direct, session=session)
    print(
        f"deployed the reference solution for {len(students)} students in {time.monotonic() - started:.1f} s; "
        f"every request held {args.delay_ms:g} ms"
    )

    runs = fresh_process(proxy, endpoint, students[0])
    print(f"\none student among {len(students)}, the way a student runs it (a new process each, median of 5):")
    print(
        f"  wall {median([r.wall for r in runs]) * 1000:.0f} ms; the first request leaves "
        f"{median([r.first for r in runs]) * 1000:.0f} ms after start; exit "
        f"{median([r.after for r in runs]) * 1000:.0f} ms after the last answer; {runs[0].requests} requests"
    )
    print(
        f"  --help {flag_seconds(['--help']) * 1000:.0f} ms, a bad flag "
        f"{flag_seconds(['lambda_medium', '--pass-mark', 'nan']) * 1000:.0f} ms (medians of 5)"
    )
    if args.fresh_only:
        child.stdin.close()
        child.wait(timeout=30)
        return 0

    print("\none student, in an account of their own:")
    fast = measure("grader (threads, cached)", proxy, endpoint, ["solo"], plain=False, region=SOLO_REGION)
    slow = measure("plain (1 worker, no cache)", proxy, endpoint, ["solo"], plain=True, region=SOLO_REGION)
    for run in (fast, slow):
        print(run.line())
    delay = args.delay_ms / 1000
    proxy.set_delay(0)
    bare = min(measure("", proxy, endpoint, ["solo"], plain=False, region=SOLO_REGION).seconds for _ in range(3))
    proxy.set_delay(args.delay_ms)
    print(
        f"  the same grade with no delay takes {bare * 1000:.0f} ms (the stand-in's own work and the grader's); "
        f"the delay adds {(fast.seconds - bare) * 1000:.0f} ms = {(fast.seconds - bare) / delay:.1f} x the delay"
    )
    print(
        f"  wall time {fast.seconds / delay:.1f} x the delay; plain / grader: {slow.seconds / fast.seconds:.1f} x "
        f"the time, {slow.requests / fast.requests:.1f} x the requests"
    )

    print(f"\none student among {len(students)} in a shared account:")
    among = measure("grader (threads, cached)", proxy, endpoint, students[:1], plain=False)
    print(among.line())

    print(f"\n{len(students)} students in one shared account, Lambda's quotas enforced:")
    fast_class = measure("grader (roster, budgets)", proxy, endpoint, students, plain=False)
    shards = measure_shards(proxy, endpoint, students, 4)
    sample = students[: min(len(students), args.plain_sample)]
    slow_sample = measure(f"plain, {len(sample)} students", proxy, endpoint, sample, plain=True)
    scale = len(students) / len(sample)
    slow_class = Run(
        f"plain (1 worker, no cache), x{scale:g}",
        slow_sample.seconds * scale,
        round(slow_sample.requests * scale),
        len(students),
        round(slow_sample.chain * scale),
        slow_sample.earned,
    )
    for run in (fast_class, shards, slow_class):
        print(run.line())
    print(
        f"  plain / grader: {slow_class.seconds / fast_class.seconds:.1f} x the time, "
        f"{slow_class.requests / fast_class.requests:.1f} x the requests (plain measured on {len(sample)}, scaled)"
    )
    print(f"  the grader's budgets: {USE:.0%} of each quota, " + ", ".join(_quota_names(QUOTAS)))
    assert fast.earned == slow.earned and fast_class.earned[: len(sample)] == slow_sample.earned, "the ways disagree"
    assert shards.earned == fast_class.earned, "the shards disagree with the whole class"
    print(f"  every student graded {sorted(set(fast_class.earned))} by every way")

    if args.accounts:
        from checks import bench_accounts

        bench_accounts.measure(endpoint, direct, proxy, args.accounts, args.many, args.delay_ms)
    print(f"\nstart-up: validate_tasks.py --help in {startup_seconds() * 1000:.0f} ms (best of 5)")
    child.stdin.close()
    child.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
