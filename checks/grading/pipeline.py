"""One way through a grade: a source gives accounts, the grader turns a roster into outcomes.

- **Sources** open the account a roster row names and say which rows share one:
  :class:`Live` (a profile, a role assumed through STS, an endpoint), :class:`Demo` (the
  built-in practice account) and :class:`Replayed` (answers kept with ``--evidence``).
- **The grader**, :func:`grade_roster`: every row's student graded on its account, the
  students of one account together so that its lists are read once for all of them.
  One student is a roster of one (:func:`grade_student`).
- **Sinks** take the outcomes (:mod:`checks.outputs.sinks`): the report on stdout or in a file, the
  gradebook, the report folder, the evidence folder.

The command line (:mod:`checks.cli`) only parses arguments and wires a source to the grader
and the sinks.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from checks import threads
from checks.aws import Account, CannotGrade, session_for, transport
from checks.aws.budgets import Budgets
from checks.aws.transport import core_session
from checks.errors import BadInput, NotInstalled
from checks.grading.roster import Outcome, RosterRow, in_natural_order
from checks.grading.runner import grade
from checks.model import Report
from checks.registry import Assessment

STUDENTS_AT_ONCE = 16  # per account: the budgets, not this, hold the pace under the quotas
ACCOUNTS_AT_ONCE = 32  # each its own quotas; what bounds them is this process's processor and memory
STALLED_AFTER = 10.0  # seconds: an account graded longer gives its place to the next (it waits on its own)
IN_FLIGHT = 4  # x ACCOUNTS_AT_ONCE: accounts under way at most, stalled ones included
ONE_STUDENT_TIMEOUT = 30.0  # seconds: one student's whole grade, a silent endpoint included

T = TypeVar("T")

SessionFactory = Callable[[str | None, str | None], Any]


class Source:
    """Where the accounts come from: one per distinct (profile, role, external ID, region) unless told otherwise.

    ``open`` is given the account type the assessment reads (:meth:`Assessment.account_type`): the
    readers of the services its checks name.
    """

    region: str | None = None

    def open(self, row: RosterRow, readers: type[Account] = Account) -> Account:
        """The account a row's student is graded on (the grader identifies it; CannotGrade when it cannot)."""
        raise NotImplementedError

    def group(self, row: RosterRow) -> Hashable:
        """Rows with one group share one account."""
        return row.account_key

    def finish(self, report: Report) -> Report:
        """A report as this source gives it out."""
        return report

    def done(self, account: Account) -> None:
        """An account whose students are all graded: what it holds may go (a source that opened it)."""
        return None


@dataclass
class Live(Source):
    """AWS itself: the row's profile (else ``profile``), then its role assumed through STS.

    Accounts of a class share what is not theirs: the session and STS client a role is assumed with are made
    once per profile and region; every account reached through a role, and every profile whose settings
    shape clients alike, signs through shared clients with its own credentials (:func:`checks.aws.shared_client`).
    """

    region: str | None = None
    endpoint_url: str | None = None
    sessions: SessionFactory = session_for
    budgets: Budgets | None = None
    timeout: float | None = None
    targeted: bool = False  # one student: their own resources asked for by name
    early: Any = None  # the identity question already sent for the first account (checks.aws.early)
    _sharing_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _callers_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _callers: dict[tuple[str | None, str | None], tuple[Any, Any] | CannotGrade] = field(
        default_factory=dict, init=False, repr=False
    )
    _sharing: dict[Hashable, Any] = field(default_factory=dict, init=False, repr=False)

    def open(self, row: RosterRow, readers: type[Account] = Account) -> Account:
        """The account a row names: its profile, then its role assumed through STS."""
        chosen_region = row.region or self.region
        credentials = known = None
        if row.role_arn:
            caller, sts = self._caller(row.profile, chosen_region)
            region = chosen_region or caller.region_name
            params: dict[str, Any] = {
                "RoleArn": row.role_arn,
                "RoleSessionName": f"validate-tasks-{row.student_id}",
                "DurationSeconds": 3600,
            }
            if row.external_id:
                params["ExternalId"] = row.external_id
            try:
                keys = sts.assume_role(**params)
            except Exception as exc:
                code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
                raise CannotGrade(f"cannot assume {row.role_arn}: {code}") from exc
            credentials = transport.assumed_credentials(keys["Credentials"])
            known = transport.account_of_assumed(keys)
            session = self._shared_session(("roles", region), lambda: core_session(region=region))
        else:
            session = self.sessions(row.profile, chosen_region)
            pacer = self._assume_pacer(chosen_region or session.region_name)
            if pacer is not None and hasattr(session, "register"):  # for the clients botocore makes to assume
                session.register("request-created.sts.AssumeRole", pacer)
            if hasattr(session, "load_credentials"):  # found within the account's time, or this account's error
                session.load_credentials(self.timeout or transport.CREDENTIALS_TIMEOUT)
            region = chosen_region or session.region_name
            settings = session.client_settings() if row.profile and hasattr(session, "client_settings") else None
            if settings is not None:
                credentials = session.credentials()
                if credentials is None:
                    raise CannotGrade(f"profile {row.profile} has no credentials: check ~/.aws/config")
                first = session
                session = self._shared_session(("profiles", settings), lambda: first)
        account = readers(
            session,
            region,
            self.endpoint_url,
            budgets=self.budgets,
            timeout=self.timeout,
            targeted=self.targeted,
            credentials=credentials,
        )
        if row.role_arn and known:
            account.assumed(known)  # STS said whose the credentials are: no need to ask it again
        if self.early is not None and row.profile is None and not row.role_arn:
            account.early, self.early = self.early, None  # the first account, as the command line named it
        return account

    def done(self, account: Account) -> None:
        account.release()

    def _shared_session(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The session whose clients every account of ``key`` signs through with its own credentials."""
        with self._sharing_lock:
            found = self._sharing.get(key)
            if found is None:
                found = self._sharing[key] = make()
            return found

    def _caller(self, profile: str | None, region: str | None) -> tuple[Any, Any]:
        """The session and STS client roles are assumed with: made, and their credentials found, once (a lock
        of their own: credentials that are slow to come hold up the roles, never the profiles)."""
        with self._callers_lock:
            found = self._callers.get((profile, region))
            if isinstance(found, CannotGrade):  # said once: every row it would assume for says the same at once
                raise found
            if found is not None:
                return found
            try:
                session = self.sessions(profile, region)
                if hasattr(session, "load_credentials"):
                    session.load_credentials(self.timeout or transport.CREDENTIALS_TIMEOUT)
            except CannotGrade as exc:
                self._callers[(profile, region)] = exc
                raise
            sts = session.client(
                "sts",
                region_name=region or session.region_name,
                endpoint_url=self.endpoint_url,
                config=transport.PREFLIGHT_CONFIG,
            )
            pacer = self._assume_pacer(region or session.region_name)
            if pacer is not None:
                sts.meta.events.register_first("request-created.sts.AssumeRole", pacer)
            found = self._callers[(profile, region)] = (session, sts)
            return found

    def _assume_pacer(self, region: str | None) -> Callable[..., None] | None:
        """The handler that paces roles assumed with the grader's credentials (by it, or by botocore for a
        profile) under STS's quota of the account that signs them: one budget for them all, whoever the
        students are. None without budgets."""
        budgets = self.budgets
        if budgets is None:
            return None

        def take(**_: Any) -> None:
            found = budgets.for_request(transport.CALLER, region or "", "sts", "AssumeRole")
            if found is not None:
                found.take()

        return take


@dataclass
class Opened(Source):
    """Every row's account opened by one function (tests, the benchmark)."""

    opener: Callable[[RosterRow], Account]
    region: str | None = None  # said on a row whose account could not be opened

    def open(self, row: RosterRow, readers: type[Account] = Account) -> Account:
        return self.opener(row)


@dataclass
class Demo(Source):
    """The built-in practice account: the assessment's reference solution, with typical mistakes, in moto."""

    assessment: Assessment

    def open(self, row: RosterRow, readers: type[Account] = Account) -> Account:
        from checks.standin.demo import demo_account

        return demo_account(self.assessment, row.student_id, readers)

    def group(self, row: RosterRow) -> Hashable:
        return "demo"


class Replayed(Source):
    """The answers kept with ``--evidence``: no AWS call; each report carries the time of its grade."""

    def __init__(self, directory: str | Path) -> None:
        from checks.grading.evidence import Replay

        self.replay = self._read(lambda: Replay(directory))

    def students(self) -> list[str]:
        from checks.grading.evidence import students

        return students(self.replay.folder)

    def open(self, row: RosterRow, readers: type[Account] = Account) -> Account:
        return self._read(lambda: self.replay.account_for(row.student_id, readers))

    def group(self, row: RosterRow) -> Hashable:
        return self._read(lambda: self.replay.pointer(row.student_id).get("account"))

    @staticmethod
    def _read(read: Callable[[], T]) -> T:
        """What the folder holds; what it lacks (a student, an account file) is the user's input to fix."""
        from checks.grading.evidence import EvidenceError

        try:
            return read()
        except EvidenceError as exc:
            raise BadInput(str(exc)) from exc

    def finish(self, report: Report) -> Report:
        return self.replay.as_collected(report)


def _said(exc: BaseException) -> str:
    """An unexpected failure in one line: its kind and the start of what it said."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


class Gate:
    """At most ``width`` accounts graded at once. One still under way after ``stalled_after`` seconds gives its
    place to the next account (it waits on something of its own: a slow endpoint, a credential helper), so
    that a few slow accounts never hold the class; each of them stays bounded by the account's time."""

    def __init__(self, width: int, stalled_after: float) -> None:
        self.stalled_after = stalled_after
        self._free = threading.Semaphore(width)
        self._lock = threading.Lock()
        self._running: dict[int, float] = {}  # token -> when it entered
        self._handed: set[int] = set()  # tokens whose place went to a later account
        self._next = 0

    def enter(self, stop: threading.Event) -> int | None:
        """A place (a token to leave with), or None once ``stop`` is set."""
        while not stop.is_set():
            if self._free.acquire(timeout=0.2):
                return self._start()
            with self._lock:
                now = time.monotonic()
                stalled = next(
                    (t for t, at in self._running.items() if t not in self._handed and now - at > self.stalled_after),
                    None,
                )
                if stalled is not None:
                    self._handed.add(stalled)
                    return self._start_locked()
        return None

    def leave(self, token: int) -> None:
        with self._lock:
            del self._running[token]
            handed = token in self._handed
            self._handed.discard(token)
        if not handed:  # a place handed on belongs to the account that took it
            self._free.release()

    def _start(self) -> int:
        with self._lock:
            return self._start_locked()

    def _start_locked(self) -> int:
        self._next += 1
        self._running[self._next] = time.monotonic()
        return self._next


@dataclass(frozen=True)
class Options:
    """How each student is graded: which tasks (none: all), the pass mark, the checks at once, and whether
    the account is the built-in demo's."""

    tasks: tuple[int, ...] = ()
    pass_mark: float = 70.0
    workers: int = 64
    demo: bool = False


@dataclass
class Hooks:
    """What the caller of :func:`grade_roster` sees and steers while it runs: each outcome as it is done
    (``on_done``), a stop asked for (``stop``), each account before its students (``prepare``: evidence
    starts being kept there) and after (``accounts_seen``), and whether Ctrl-C lets the students under
    way finish (``finish_under_way``) or stops at once (one student alone)."""

    on_done: Callable[[Outcome], None] | None = None
    stop: threading.Event | None = None
    accounts_seen: list[Account] | None = None
    prepare: Callable[[Account], None] | None = None
    finish_under_way: bool = True
    account_done: Callable[[Account, list[Outcome]], None] | None = None  # its students graded (evidence saved)
    keep_accounts: bool = False  # outcomes carry their account (one student); else each goes once graded


def grade_student(
    assessment: Assessment,
    student_id: str,
    source: Source,
    options: Options = Options(),
    prepare: Callable[[Account], None] | None = None,
) -> tuple[Report, Account]:
    """One student: a roster of one. Raises CannotGrade when the account cannot be graded."""
    hooks = Hooks(prepare=prepare, finish_under_way=False, keep_accounts=True)
    outcomes = grade_roster(assessment, [RosterRow(0, student_id)], source, options, hooks)
    outcome = outcomes[0]
    if outcome.report is None or outcome.account is None:
        raise CannotGrade(outcome.error or "not graded")
    return outcome.report, outcome.account


def grade_roster(
    assessment: Assessment,
    rows: list[RosterRow],
    source: Source,
    options: Options = Options(),
    hooks: Hooks | None = None,
) -> list[Outcome]:
    """Grade every row of a roster: the grader. One account per group of rows the source shares.

    ``source`` opens each row's account (:class:`Live`, :class:`Demo`, :class:`Replayed`, or
    :class:`Opened` by a function); ``options`` say how each student is graded, ``hooks`` what the
    caller sees and steers. On Ctrl-C the students under way are finished (``hooks.finish_under_way``)
    and the others not started; one student alone stops at once instead.
    """
    hooks = hooks or Hooks()
    on_done, accounts_seen, prepare = hooks.on_done, hooks.accounts_seen, hooks.prepare
    chosen, pass_mark, demo = tuple(options.tasks), options.pass_mark, options.demo
    readers = assessment.account_type()
    groups: dict[Hashable, list[RosterRow]] = {}
    for row in rows:
        groups.setdefault(source.group(row), []).append(row)
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def record(outcome: Outcome) -> None:
        with lock:
            outcomes.append(outcome)
        if on_done:
            on_done(outcome)

    def grade_group(members: list[RosterRow], checks_pool: ThreadPoolExecutor) -> None:
        first = members[0]
        try:
            account = source.open(first, readers)
            account.identify()
        except (BadInput, NotInstalled, ModuleNotFoundError):  # the input, or this machine's installation
            raise
        except Exception as exc:  # confined to this account (its profile, role, answers): its students only
            why = str(exc) if isinstance(exc, CannotGrade) else f"cannot open the account: {_said(exc)}"
            for row in members:
                record(Outcome(row.student_id, error=why, region=first.region or source.region or ""))
            return
        if prepare is not None:
            prepare(account)
        if accounts_seen is not None:
            with lock:
                accounts_seen.append(account)
        classmates = [r.student_id for r in members]
        graded: list[Outcome] = []
        kept = account if hooks.keep_accounts else None

        def grade_one(row: RosterRow) -> None:
            if stop is not None and stop.is_set():
                return
            student = assessment.student(account, row.student_id, classmates)
            try:
                report = grade(assessment, student, tasks=chosen, pass_mark=pass_mark, pool=checks_pool, demo=demo)
            except Exception as exc:  # one student's fault is theirs alone: the class goes on
                why = str(exc) if isinstance(exc, CannotGrade) else _said(exc)
                outcome = Outcome(row.student_id, error=why, region=account.region, account_id=account.account_id)
            else:
                report = source.finish(report)
                outcome = Outcome(
                    row.student_id, report, region=account.region, account_id=account.account_id, account=kept
                )
            graded.append(outcome)
            record(outcome)

        try:
            if len(members) == 1:  # an account of one student's own: graded on this thread
                grade_one(first)
            else:  # a few students of one account at once: their requests overlap, the rate limits still hold
                with ThreadPoolExecutor(max_workers=STUDENTS_AT_ONCE, thread_name_prefix="student") as students:
                    list(students.map(grade_one, members))
            if hooks.account_done is not None:
                hooks.account_done(account, graded)
        finally:
            if not hooks.keep_accounts:
                source.done(account)  # what it holds goes now, not when the class is done

    stop = hooks.stop or threading.Event()
    checks_pool = threads.shared("check", options.workers)  # a grade waits on its own checks: it never starves
    gate = Gate(ACCOUNTS_AT_ONCE, STALLED_AFTER)

    def in_turn(members: list[RosterRow]) -> None:
        token = gate.enter(stop)
        if token is None:  # stopped before its turn: not started
            return
        try:
            grade_group(members, checks_pool)
        finally:
            gate.leave(token)

    width = min(ACCOUNTS_AT_ONCE * IN_FLIGHT, max(1, len(groups)))
    accounts = ThreadPoolExecutor(max_workers=width, thread_name_prefix="account")
    # The accounts of most students first: a shared account started last would hold the whole class up.
    ordered = sorted(groups.values(), key=len, reverse=True)
    futures = [accounts.submit(in_turn, members) for members in ordered]
    # Waits are short and repeated: Ctrl-C is taken between them, whatever the main thread's signal mask.
    try:
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()
    except KeyboardInterrupt:  # the first Ctrl-C: finish the students under way, start no other
        stop.set()
        for future in futures:
            future.cancel()
        if not hooks.finish_under_way:
            raise
        with contextlib.suppress(KeyboardInterrupt):  # the second: stop waiting; what is finished is written
            while not all(f.done() for f in futures):
                wait(futures, timeout=0.2)
    finally:
        accounts.shutdown(wait=not stop.is_set(), cancel_futures=True)
    with lock:
        return in_natural_order(outcomes)
