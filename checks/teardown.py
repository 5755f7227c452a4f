"""``cleanup``: a teardown block for one student's resources of an assessment, in the "How to fix" style.

The grader only reads: this prints the commands, and the student (or an instructor closing a shared
account) runs them. What an assessment removes and in what order is its own knowledge (its
``teardown``); here is what a removal is and how a block of them is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from checks.fix import Busy, Fix, pasteable, settled
from checks.text import printable


@dataclass(frozen=True)
class Removal:
    """One resource found, and the command that removes it. ``monthly_usd``: what it costs idle, a month."""

    kind: str
    name: str
    fix: Fix
    monthly_usd: float | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": printable(self.name),
            "command": self.fix.render(),
            "fix": self.fix.to_json(),
            "monthly_usd": round(self.monthly_usd, 2) if self.monthly_usd is not None else None,
            "note": self.note,
        }


def monthly_total(removals: list[Removal]) -> float:
    """What the removals together cost idle, a month (those with no price count nothing)."""
    return sum(r.monthly_usd or 0 for r in removals)


def costs(removals: list[Removal], prices_read: str) -> list[str]:
    """What bills while it exists, roughly a month, and what does not: the ``#`` lines before the block."""
    billing = [r for r in removals if r.monthly_usd]
    if not billing:
        return ["# Nothing found costs money while idle: what is found bills per use, if at all."]
    lines = ["# Billing while it exists (about, a month; " + prices_read + "):"]
    lines += [f"#   {r.kind} {printable(r.name)}: ${r.monthly_usd:.2f}" for r in billing]
    lines.append(f"#   in all about ${monthly_total(billing):.2f} a month, until removed. The rest bills per use only.")
    return lines


def block(
    student_id: str, removals: list[Removal], width: int, prices_read: str, busy: Sequence[Busy] = ()
) -> list[str]:
    """The teardown as lines that run in bash as they are: ``#`` lines around one command a resource."""
    if not removals:
        return [f"# Nothing of {printable(student_id)}'s is in this account: nothing to remove."]
    lines = [f"# Remove {printable(student_id)}'s resources ({len(removals)}), in the order AWS requires:"]
    lines += costs(removals, prices_read)
    for removal, fix in zip(removals, settled([r.fix for r in removals], busy), strict=True):
        lines.append(f"# {removal.kind}: {printable(removal.name)}")
        if removal.note:
            lines.append(f"#   {removal.note}")
        lines += pasteable(fix.words(), width)
    return lines
