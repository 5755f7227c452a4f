"""``--evidence DIR`` and ``--from-evidence DIR``: keep the AWS answers a grade rested on, regrade from them.

Layout of DIR::

    accounts/<account>-<region>-<n>.json   one account's answers (checks.aws.Evidence)
    students/<student_id>.json             which answers a student was graded on, and when

Nothing secret is kept: no credentials, no request signature, no environment
variable value the checks do not read. Regrading reads only DIR, never AWS, and
gives the same report as the grade that collected it, as long as the rubric is unchanged.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from checks.aws import Account, Evidence, new_session
from checks.model import Report

_counter = itertools.count(1)


class EvidenceError(Exception):
    """The evidence folder is missing something: exit 2 with this line."""


def save(directory: str | Path, account: Account, reports: list[Report]) -> None:
    """Write one account's answers and, for each student graded on them, a pointer to them."""
    from checks.roster import write_atomically

    if account.evidence is None:
        return
    folder = Path(directory)
    (folder / "accounts").mkdir(parents=True, exist_ok=True)
    (folder / "students").mkdir(parents=True, exist_ok=True)
    name = f"{account.account_id}-{account.region}-{next(_counter)}.json"
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
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read it ({exc.strerror})") from exc
    except ValueError as exc:
        raise EvidenceError(f"{path}: not JSON ({exc})") from exc
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
        return _read(path)

    def account_for(self, student_id: str) -> Account:
        name = str(self.pointer(student_id).get("account", ""))
        if name not in self._accounts:
            try:
                evidence = Evidence.from_dict(_read(self.folder / "accounts" / Path(name).name))
            except ValueError as exc:
                raise EvidenceError(f"{self.folder / 'accounts' / name}: {exc}") from exc
            account = Account(
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
