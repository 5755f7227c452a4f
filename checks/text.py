"""Text from an account, shown as data in every output: never a new line, a terminal control or a
hidden character. Every format and every message goes through these."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b", "\x00": "\\x00"}


def unsafe(ch: str) -> bool:
    """A character that must not reach a terminal or a line as it is: a control, format or separator code."""
    return unicodedata.category(ch) in UNSAFE_CATEGORIES


ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def escaped(ch: str) -> str:
    if ch in ESCAPES:
        return ESCAPES[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` on one line, every control, format and separator character shown escaped (``\\n``, ``\\x1b``).

    What an account says is shown as data: it never starts a line, moves the cursor, sets a
    terminal title or hides itself.
    """
    if text.isascii() and not ASCII_CONTROL.search(text):
        return text
    return "".join(escaped(ch) if unsafe(ch) else ch for ch in text)


def json_text(data: Any) -> str:
    """JSON for any output: readable non-ASCII, but every control, format or separator character escaped.

    ``json.dumps`` escapes only C0 controls; a C1 control (``\\x9b``, a CSI to some terminals) or a
    bidi override from the account would reach the terminal as it is.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if text.isascii():
        return text + "\n"
    # Outside strings there is only JSON's own layout (line breaks, spaces); inside, json.dumps escaped C0.
    return "".join(f"\\u{ord(ch):04x}" if ch != "\n" and ord(ch) < 0x10000 and unsafe(ch) else ch for ch in text) + "\n"
