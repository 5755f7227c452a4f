"""A fix is data: commands as argument lists, rendered for bash in this one place.

A check that fails gives a :class:`Fix`: the commands that make it pass, run in order
(joined by ``&&``). Every argument is a :class:`Word` made of parts: plain text, which is
always data and is quoted by the shell's rules when rendered (a value read from the account
can never become a second command, a redirection or a substitution), and :class:`Shell`
parts, which the grader wrote itself: a variable an earlier step of the same fix sets
(``"$SG"``), or one only the student knows, which stops the paste with a message when unset
(``"${TRUSTED_ACCOUNT_ID:?set TRUSTED_ACCOUNT_ID to ...}"``).

Nothing parses a rendered command back: the hint's ``Fix:`` line, the "How to fix" block
and the JSON report all render the same data.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from checks.text import json_text as json_text  # text as data: assessments take these from here too
from checks.text import printable as printable
from checks.text import unsafe

_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote(text: str) -> str:
    """One shell word that bash reads back as exactly ``text``, on one line."""
    if _SAFE.fullmatch(text):
        return text
    if not any(unsafe(ch) for ch in text):
        return "'" + text.replace("'", "'\"'\"'") + "'"
    # ANSI-C quoting: bash decodes \n, \xHH and \uHHHH itself, so the word stays on one printable line.
    body = "".join("\\\\" if ch == "\\" else "\\'" if ch == "'" else _bytes(ch) if unsafe(ch) else ch for ch in text)
    return "$'" + body + "'"


def _bytes(ch: str) -> str:
    """A character as ANSI-C escapes of its UTF-8 bytes: bash rebuilds it exactly, whatever the locale."""
    if ch in "\n\t\r":
        return _ESCAPES[ch]
    return "".join(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class Shell:
    """Shell text the grader wrote itself, rendered as it is: never built from account values."""

    text: str


Part = str | Shell


@dataclass(frozen=True)
class Word:
    """One argument: its parts side by side (data is quoted part by part, shell parts stay as they are)."""

    parts: tuple[Part, ...]

    def render(self) -> str:
        out: list[str] = []
        text: list[str] = []  # data parts side by side are quoted as one
        for p in (*self.parts, None):
            if isinstance(p, str):
                text.append(p)
                continue
            if text and "".join(text):
                out.append(quote("".join(text)))
            text = []
            if isinstance(p, Shell):
                out.append(p.text)
        return "".join(out) or "''"

    def to_json(self) -> list[Any]:
        return [p if isinstance(p, str) else {"shell": p.text} for p in self.parts]

    @staticmethod
    def from_json(data: Any) -> Word:
        if not isinstance(data, list):
            raise ValueError("a word is a list of parts")
        parts: list[Part] = []
        for p in data:
            if isinstance(p, str):
                parts.append(p)
            elif isinstance(p, dict) and isinstance(p.get("shell"), str):
                parts.append(Shell(p["shell"]))
            else:
                raise ValueError("a part is a string or {shell: string}")
        return Word(tuple(parts))


Arg = str | int | float | Shell | Word


def as_word(arg: Arg) -> Word:
    if isinstance(arg, Word):
        return arg
    if isinstance(arg, Shell):
        return Word((arg,))
    if isinstance(arg, float):
        return Word((f"{arg:g}",))
    return Word((str(arg),))


def word(*parts: Part) -> Word:
    """An argument made of several parts, e.g. ``word("SubnetIds=", subnets, ",SecurityGroupIds=", Shell('"$SG"'))``."""
    return Word(tuple(parts))


def variable(name: str) -> Shell:
    """A variable an earlier step of the fix sets."""
    return Shell(f'"${name}"')


def ask(name: str, what: str) -> Shell:
    """A value only the student knows: the paste stops with ``what`` while ``name`` is unset."""
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name) or re.search(r"[\"'`$\\}{]", what):
        raise ValueError(f"not a plain variable and message: {name!r}, {what!r}")
    return Shell(f'"${{{name}:?set {name} to {what}}}"')


def json_word(document: Any) -> Word:
    """A JSON document as one argument; :class:`Shell` values in it are spliced in unquoted (``"$SG"``)."""
    shells: list[Shell] = []
    nonce = secrets.token_hex(16)  # no data can hold it: a value from the account is never taken for a splice

    def mark(value: Any) -> Any:
        if isinstance(value, Shell):
            shells.append(value)
            return f"{nonce}{len(shells) - 1}"
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v) for v in value]
        return value

    text = json.dumps(mark(document), separators=(",", ":"), ensure_ascii=False)
    parts: list[Part] = []
    for i, piece in enumerate(re.split(f'"{nonce}(\\d+)"', text)):
        if i % 2:
            parts += ['"', shells[int(piece)], '"']
        elif piece:
            parts.append(piece)
    return Word(tuple(parts))


@dataclass(frozen=True)
class Command:
    """One command as its argument list; ``capture`` sets a variable to its output, ``quiet`` drops it."""

    argv: tuple[Word, ...]
    capture: str | None = None
    quiet: bool = False
    once: bool = False  # a set-up step several fixes share (a role to make): a block runs it the first time only

    def words(self) -> list[str]:
        rendered = [w.render() for w in self.argv]
        if self.capture:
            return [f"{self.capture}=$({' '.join(rendered)})"]
        return rendered + (["> /dev/null"] if self.quiet else [])

    def to_json(self) -> dict[str, Any]:
        return {
            "argv": [w.to_json() for w in self.argv],
            "capture": self.capture,
            "quiet": self.quiet,
            "once": self.once,
        }

    @staticmethod
    def from_json(data: Any) -> Command:
        if not isinstance(data, dict) or not isinstance(data.get("argv"), list) or not data["argv"]:
            raise ValueError("a command is {argv: [...]}")
        capture = data.get("capture")
        if capture is not None and not (isinstance(capture, str) and re.fullmatch(r"[A-Z][A-Z0-9_]*", capture)):
            raise ValueError("capture is a variable name")
        argv = tuple(Word.from_json(w) for w in data["argv"])
        return Command(argv, capture, bool(data.get("quiet", False)), bool(data.get("once", False)))


@dataclass(frozen=True)
class Fix:
    """The commands that make a check pass, in order (each runs only when the one before succeeded)."""

    steps: tuple[Command, ...]

    def words(self) -> list[str]:
        """The rendered shell words, ``&&`` between the steps (where a long command may be broken)."""
        out: list[str] = []
        for i, step in enumerate(self.steps):
            if i:
                out.append("&&")
            out += step.words()
        return out

    def render(self) -> str:
        return " ".join(self.words())

    def then(self, *others: Fix | None) -> Fix:
        steps = list(self.steps)
        for other in others:
            if other is not None:
                steps += other.steps
        return replace(self, steps=tuple(steps))

    def into(self, name: str) -> Fix:
        """The last step's output into ``$name`` (e.g. ``--query Version --output text``)."""
        *head, last = self.steps
        return replace(self, steps=(*head, replace(last, capture=name)))

    def keep(self, query: str, name: str) -> Fix:
        """The last step's ``--query`` answer into ``$name`` (``NAME=$(aws ... --query Q --output text)``)."""
        *head, last = self.steps
        extra = tuple(as_word(a) for a in ("--query", query, "--output", "text"))
        return replace(self, steps=(*head, replace(last, argv=last.argv + extra))).into(name)

    def shows(self, query: str) -> Fix:
        """The last step prints one line, its answer's ``query`` (``--query Q --output text``), instead of nothing:
        what a student wants to see of a command that makes something (its ARN, its URL)."""
        *head, last = self.steps
        extra = tuple(as_word(a) for a in ("--query", query, "--output", "text"))
        return replace(self, steps=(*head, replace(last, argv=last.argv + extra, quiet=False)))

    def shared(self) -> Fix:
        """Every step marked as set-up several fixes share: a block runs each the first time only."""
        return replace(self, steps=tuple(replace(step, once=True) for step in self.steps))

    def quiet(self) -> Fix:
        *head, last = self.steps
        return replace(self, steps=(*head, replace(last, quiet=True)))

    def to_json(self) -> dict[str, Any]:
        return {"steps": [s.to_json() for s in self.steps]}

    @staticmethod
    def from_json(data: Any) -> Fix:
        if not isinstance(data, dict) or not isinstance(data.get("steps"), list) or not data["steps"]:
            raise ValueError("a fix is {steps: [...]}")
        return Fix(tuple(Command.from_json(s) for s in data["steps"]))


def command(*args: Arg) -> Fix:
    """A fix of one command, e.g. ``command("aws", "sqs", "create-queue", "--queue-name", name)``."""
    return Fix((Command(tuple(as_word(a) for a in args)),))


def aws(*args: Arg) -> Fix:
    """An AWS CLI command whose answer the student does not need: sent nowhere (``> /dev/null``), so that a block
    pasted whole prints what matters (its errors, on stderr). A waiter prints nothing anyway; a command whose
    answer a later step needs captures it (:meth:`Fix.keep`)."""
    found = command("aws", *args)
    return found if len(args) > 1 and args[1] == "wait" else found.quiet()


def chain(fixes: Iterable[Fix | None]) -> Fix:
    found = [f for f in fixes if f is not None]
    if not found:
        raise ValueError("nothing to chain")
    return found[0].then(*found[1:])


@dataclass(frozen=True)
class Busy:
    """A service's resource that is busy a while after some commands (AWS refuses the next change meanwhile),
    with the AWS CLI's waiter for each: declared by the assessment whose fixes use it (``Assessment.busy``).

    ``service``: the ``aws`` subcommand; ``name_flag``: the option naming the resource; ``busy_after``:
    operation to its waiter; ``needs_settled``: operations that wait first; ``waiter``: the one to use
    when the resource was not made busy in the block itself.
    """

    service: str
    name_flag: str
    busy_after: tuple[tuple[str, str], ...]
    needs_settled: tuple[str, ...]
    waiter: str


def _text(word: Word) -> str | None:
    """A word that is all data, as its text; None when it holds the shell's own parts."""
    return "".join(p for p in word.parts if isinstance(p, str)) if all(isinstance(p, str) for p in word.parts) else None


def _busy_step(step: Command, rules: Sequence[Busy]) -> tuple[Busy, str, str] | None:
    """``(rule, operation, resource name)`` of a command one of ``rules`` names, or None."""
    words = [_text(w) for w in step.argv]
    rule = next((r for r in rules if words[:2] == ["aws", r.service]), None)
    if rule is None or len(words) < 3:
        return None
    operation = f"wait {words[3]}" if words[2] == "wait" and len(words) > 3 else str(words[2])
    name = next((words[i + 1] for i, w in enumerate(words[:-1]) if w == rule.name_flag), None)
    return (rule, operation, name) if name else None


def settled(fixes: Sequence[Fix], rules: Sequence[Busy] = ()) -> list[Fix]:
    """The fixes of one block as they run in a row: before a command that changes a resource one of the
    assessment's busy ``rules`` names (a function being updated), a wait until AWS is done with it (its
    waiter). Each fix is settled on its own, as if run alone (the student may have changed the resource just
    before), so a check's fix reads the same in its hint, in the JSON and in the block; a settled resource's
    waiter answers at once. A command already in the block (a set-up step several fixes share, an alias two
    tasks need) runs the first time only: printed once, and never run twice to undo what came between."""
    done: set[tuple[str, ...]] = set()  # the commands already in the block
    out: list[Fix] = []
    for fix in fixes:
        busy: dict[tuple[str, str], str] = {}
        seen: set[tuple[str, str]] = set()
        steps: list[Command] = []
        for step in fix.steps:
            said = tuple(step.words())
            if not _is_wait(step):
                if said in done:
                    continue
                done.add(said)
            found = _busy_step(step, rules)
            if found is not None:
                rule, operation, name = found
                key = (rule.service, name)
                if operation.startswith("wait "):
                    busy.pop(key, None)
                    seen.add(key)
                elif operation in rule.needs_settled and (key in busy or key not in seen):
                    waiter = busy.pop(key, rule.waiter)
                    steps += aws(rule.service, "wait", waiter, rule.name_flag, name).steps
                seen.add(key)
                after = dict(rule.busy_after)
                if operation in after:
                    busy[key] = after[operation]
            steps.append(step)
        if all(_is_wait(step) for step in steps):  # every command of it is in the block already
            steps = []
        out.append(Fix(tuple(steps)))
    return out


def _is_wait(step: Command) -> bool:
    words = step.words()
    return len(words) > 2 and words[2] == "wait"


def pasteable(words: Sequence[str], width: int, indent: str = "") -> list[str]:
    """A command's rendered shell ``words`` as lines of at most ``width``, each but the last ending `` \\``.

    Breaks only between words: before an option (``--x``, kept with its value) and after ``&&``,
    where each chained command starts a line. A part longer than the width stays whole on its line.
    """
    units: list[list[str]] = []
    for i, word in enumerate(words):
        starts = i == 0 or word.startswith("--") or words[i - 1] == "&&"
        if starts:
            units.append([word])
        else:
            units[-1].append(word)
    lines: list[str] = []
    line = indent + " ".join(units[0])
    for unit in units[1:]:
        text = " ".join(unit)
        if line.endswith(" &&") or len(line) + 1 + len(text) + 2 > width:
            lines.append(line + " \\")
            line = indent + "    " + text
        else:
            line += " " + text
    lines.append(line)
    return lines
