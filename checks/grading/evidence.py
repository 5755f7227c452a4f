"""``--evidence DIR`` and ``--from-evidence DIR``: keep the AWS answers a grade rested on, regrade from them.

Layout of DIR::

    accounts/<account>-<region>-<token>.json   one account's answers (a name of its own per run) (:class:`Evidence`)
    students/<student_id>.json             which answers a student was graded on, and when

Recording and replay are both here: the transport (:mod:`checks.aws.transport`) hands each
request to the account's :class:`Evidence`, which keeps its answer or gives the kept one back.
Nothing secret is kept: no credentials, no request signature, no environment
variable value the checks do not read. Regrading reads only DIR, never AWS, and
gives the same report as the grade that collected it, as long as the rubric is unchanged.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from checks.aws import NOT_KEPT, Account, AwsError, new_session
from checks.model import Report

# Environment variables the checks read; any other value is never kept (it may be a secret).


def evidence_key(service: str, operation: str, region: str, params: dict[str, Any]) -> str:
    return json.dumps([service, operation, region, params], sort_keys=True, default=str)


def sanitize(answer: Any, not_kept: Iterable[str] = (), kept_variables: Iterable[str] = ()) -> Any:
    """A JSON-able copy of an answer, with no variable value the checks do not read.

    ``not_kept``: keys whose values are never kept, whatever their depth (what the service's reader
    declares, such as a presigned URL to a function's code). ``kept_variables``: the environment
    variables whose values the assessment's checks read; every other value is left out.
    """
    hidden = frozenset(not_kept)
    kept = frozenset(kept_variables)

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            out: dict[str, Any] = {
                k: ("<not kept>" if k in hidden else scrub(v)) for k, v in value.items() if k != "ResponseMetadata"
            }
            environment = out.get("Environment")
            variables = environment.get("Variables") if isinstance(environment, dict) else None
            if isinstance(variables, dict):
                out["Environment"]["Variables"] = {k: (v if k in kept else "<not kept>") for k, v in variables.items()}
            return out
        if isinstance(value, list | tuple):
            return [scrub(v) for v in value]
        return value

    return json.loads(json.dumps(scrub(answer), default=str))


class Evidence:
    """The answers of one account: collected while grading, saved, and replayed to regrade offline."""

    def __init__(
        self,
        account_id: str = "",
        region: str = "",
        answers: dict[str, Any] | None = None,
        kept_variables: Iterable[str] = (),
    ) -> None:
        self.account_id = account_id
        self.region = region
        self.answers: dict[str, Any] = dict(answers or {})
        self.kept_variables = tuple(kept_variables)  # the environment variables the checks read
        self._lock = threading.Lock()

    def keep(self, key: str, *, result: Any = None, error: AwsError | None = None) -> None:
        entry = (
            {"error": {"action": error.action, "code": error.code, "detail": error.detail}}
            if error
            else {"result": result}
        )
        with self._lock:
            self.answers[key] = entry

    def recorded(
        self, service: str, operation: str, region: str, params: dict[str, Any], ask: Callable[[], Any]
    ) -> Any:
        """``ask()``'s answer, kept (sanitized) under the request it answers; an error is kept too."""
        key = evidence_key(service, operation, region, params)
        try:
            answer = sanitize(ask(), NOT_KEPT.get(service, ()), self.kept_variables)
        except AwsError as exc:
            self.keep(key, error=exc)
            raise
        self.keep(key, result=answer)
        return answer

    def replayed(self, service: str, operation: str, region: str, params: dict[str, Any], denied: set[str]) -> Any:
        """The kept answer to a request, instead of asking AWS."""
        return self.answer(evidence_key(service, operation, region, params), f"{service}:{operation}", denied)

    def asked(self, service: str, operation: str) -> bool:
        """Was this operation asked at all while the evidence was collected?"""
        start = json.dumps([service, operation])[:-1]
        return any(k.startswith(start) for k in self.answers)

    def answer(self, key: str, action: str, denied: set[str]) -> Any:
        entry = self.answers.get(key)
        if entry is None:
            raise AwsError(action, "NotInEvidence", "the saved evidence has no answer to this request")
        if "error" in entry:
            err = entry["error"]
            if "AccessDenied" in err["code"] or err["code"] in ("UnauthorizedOperation", "AuthorizationError"):
                denied.add(err["action"])
            raise AwsError(err["action"], err["code"], err["detail"])
        return json.loads(json.dumps(entry["result"]))  # a fresh copy for every asker

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "schema_version": 1,
                "account_id": self.account_id,
                "region": self.region,
                "answers": dict(sorted(self.answers.items())),
            }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        """Evidence as saved; anything else (wrong types, missing fields) is a ValueError naming what is wrong."""
        if data.get("schema_version") != 1 or not isinstance(data.get("answers"), dict):
            raise ValueError("not a validate-tasks evidence file (schema_version 1)")
        account_id, region = data.get("account_id"), data.get("region")
        if not (isinstance(account_id, str) and re.fullmatch(r"\d{12}", account_id)):
            raise ValueError("account_id is not a 12-digit account ID")
        if not (isinstance(region, str) and re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region)):
            raise ValueError("region is not an AWS region")
        for key, entry in data["answers"].items():
            error = entry.get("error") if isinstance(entry, dict) else None
            good = isinstance(entry, dict) and (
                "result" in entry
                or (
                    isinstance(error, dict) and all(isinstance(error.get(k), str) for k in ("action", "code", "detail"))
                )
            )
            if not good:
                raise ValueError(f"answer {str(key)[:60]!r} is neither a result nor an error")
        return cls(account_id, region, data["answers"])


ERROR_FIELDS = ("action", "code", "detail")


class EvidenceError(Exception):
    """The evidence folder is missing something: exit 2 with this line."""


def save(directory: str | Path, account: Account, reports: list[Report]) -> None:
    """Write one account's answers and, for each student graded on them, a pointer to them."""
    from checks.grading.roster import write_atomically

    if account.evidence is None:
        return
    folder = Path(directory)
    (folder / "accounts").mkdir(parents=True, exist_ok=True)
    (folder / "students").mkdir(parents=True, exist_ok=True)
    # A name no other run's file has: two runs into one folder keep both accounts' answers.
    name = f"{account.account_id}-{account.region}-{secrets.token_hex(8)}.json"
    write_atomically(folder / "accounts" / name, json.dumps(account.evidence.to_dict(), indent=1) + "\n")
    for report in reports:
        pointer = {
            "schema_version": 1,
            "student_id": report.student_id,
            "account": name,
            "graded_at": report.graded_at,
            "duration_s": report.duration_s,
            "demo": report.demo,
        }
        write_atomically(folder / "students" / f"{report.student_id}.json", json.dumps(pointer, indent=1) + "\n")


def students(directory: str | Path) -> list[str]:
    return sorted(p.stem for p in (Path(directory) / "students").glob("*.json"))


def _read(path: Path) -> dict[str, Any]:
    from checks.inputs import EVIDENCE_LIMIT, NotAFile, read_text

    try:
        data = json.loads(read_text(path, EVIDENCE_LIMIT))
    except NotAFile as exc:
        raise EvidenceError(str(exc)) from exc
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read it ({exc.strerror})") from exc
    except (ValueError, RecursionError) as exc:
        raise EvidenceError(f"{path}: not JSON ({str(exc)[:80]})") from exc
    if not isinstance(data, dict):
        raise EvidenceError(f"{path}: not an evidence file")
    return data


class Replay:
    """Opens replaying accounts for students from an evidence folder, one per saved account."""

    def __init__(self, directory: str | Path) -> None:
        self.folder = Path(directory)
        if not (self.folder / "students").is_dir():
            raise EvidenceError(f"{directory}: no evidence here (want {directory}/students/*.json)")
        self._accounts: dict[str, Account] = {}

    def pointer(self, student_id: str) -> dict[str, Any]:
        path = self.folder / "students" / f"{student_id}.json"
        if not path.exists():
            raise EvidenceError(f"{self.folder}: no evidence for student {student_id}")
        data = _read(path)
        kinds: dict[str, type | tuple[type, ...]] = {"account": str, "graded_at": str, "duration_s": (int, float)}
        wrong = [k for k, kind in kinds.items() if not isinstance(data.get(k), kind) or isinstance(data.get(k), bool)]
        if wrong:
            raise EvidenceError(f"{path}: not a student's evidence pointer ({wrong[0]} missing or of the wrong type)")
        return data

    def account_for(self, student_id: str, readers: type[Account] = Account) -> Account:
        name = str(self.pointer(student_id).get("account", ""))
        if name not in self._accounts:
            try:
                evidence = Evidence.from_dict(_read(self.folder / "accounts" / Path(name).name))
            except ValueError as exc:
                raise EvidenceError(f"{self.folder / 'accounts' / name}: {exc}") from exc
            account = readers(
                new_session(aws_access_key_id="offline", aws_secret_access_key="offline", region_name=evidence.region),
                evidence.region,
            )
            account.replay = evidence
            self._accounts[name] = account
        return self._accounts[name]

    def as_collected(self, report: Report) -> Report:
        """The regrade carries the time of the grade whose answers it used."""
        pointer = self.pointer(report.student_id)
        return replace(
            report,
            graded_at=str(pointer["graded_at"]),
            duration_s=float(pointer["duration_s"]),
            demo=bool(pointer.get("demo", False)),
        )
